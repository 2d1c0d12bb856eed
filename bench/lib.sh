# Shared by the bench/ scripts: a private httpd (event MPM, or BENCH_MPM) with the
# freshly built module on 127.0.0.1, filled with device names by wrk.
# Source it after setting top=; every function prints figures, none asserts.

so="$top/mod_phonehome/.libs/mod_phonehome.so"
[ -f "$so" ] || { echo "bench: build first (make)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
modules=$(apxs -q LIBEXECDIR)
bench_runs=

# bench_start DIR PORT MAXDEVICES [extra config lines]: start httpd in DIR.
bench_start() {
    run=$1 port=$2 devices=$3 extra=${4:-}
    mkdir -p "$run/logs" "$run/run" "$run/state" "$run/htdocs"
    chmod 755 "$run"                        # the children run as the User
    printf 'ok\n' > "$run/htdocs/ok.txt"   # 3 bytes
    user=
    if [ "$(id -u)" -eq 0 ]; then
        user="User www-data
Group www-data"
        chown -R www-data:www-data "$run/state" "$run/run"
    fi
    cat > "$run/httpd.conf" <<CONF
ServerRoot "$run"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile logs/httpd.pid
DefaultRuntimeDir run
ErrorLog logs/error_log
LogLevel warn phonehome:debug
DocumentRoot "$run/htdocs"
<Directory />
    AllowOverride None
</Directory>
$user
LoadModule mpm_${BENCH_MPM:-event}_module $modules/mod_mpm_${BENCH_MPM:-event}.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule slotmem_shm_module $modules/mod_slotmem_shm.so
LoadModule phonehome_module $so
PhoneHomeMaxDevices $devices
PhoneHomeMaxAge 3600
PhoneHomeStateDir state
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit Off
$extra
<Location /raspberrypiPhoneHome>
    SetHandler phonehome
</Location>
<Location /phonehome-status>
    SetHandler phonehome-status
</Location>
CONF
    cat > "$run/names.lua" <<LUA
-- Each request beats the next of $devices device names; the threads
-- interleave, so one run walks the names in order.
local threads, n = 0, 0
setup = function(thread)
    thread:set("id", threads)
    threads = threads + 1
end
request = function()
    n = n + 1
    return wrk.format("GET", "/raspberrypiPhoneHome/bench-" .. ((n * 2 + (id or 0)) % $devices))
end
LUA
    bench_runs="$bench_runs $run"
    /usr/sbin/apache2 -f "$run/httpd.conf" -k start
    i=0
    until curl -sf -o /dev/null "http://127.0.0.1:$port/phonehome-status?auto"; do
        i=$((i + 1))
        [ "$i" -lt 50 ] || { echo "bench: httpd did not start" >&2; cat "$run/logs/error_log" >&2; exit 1; }
        sleep 0.2
    done
}

# bench_stop DIR: stop that httpd and wait for it.
bench_stop() {
    pid=$(cat "$1/logs/httpd.pid" 2>/dev/null) || return 0
    /usr/sbin/apache2 -f "$1/httpd.conf" -k stop 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

bench_cleanup() {
    for r in $bench_runs; do bench_stop "$r"; rm -rf "$r"; done
}

# bench_auto PORT KEY: one value from ?auto.
bench_auto() {
    curl -s "http://127.0.0.1:$1/phonehome-status?auto" | sed -n "s/^$2: //p"
}

# bench_fill PORT N: beat all N names (bench-0 .. bench-N-1) at least once.
bench_fill() {
    tries=0
    while [ "$tries" -lt 40 ]; do
        have=$(bench_auto "$1" PhoneHomeDevices)
        [ "${have:-0}" -lt "$2" ] || break
        wrk -t2 -c32 -d3s -s "$run/names.lua" "http://127.0.0.1:$1/" >/dev/null
        tries=$((tries + 1))
    done
}

# A local SMTP server (t/smtp_sink.py) on port $2 keeping mails in $1/mail;
# its pid in sink_pid.  Waits until it listens (its pid file).
bench_smtp_sink() {
    mkdir -p "$1/mail"
    /usr/bin/python3 "$top/t/smtp_sink.py" --port "$2" --dir "$1/mail" --pidfile "$1/sink.pid" &
    sink_pid=$!
    tries=0
    until [ -s "$1/sink.pid" ] || [ "$tries" -gt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
}

bench_machine() {
    echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(date -u +%Y-%m-%d)"
}
