#!/bin/sh
# Beats per second against a 3-byte static file from the same httpd, side
# by side and interleaved, with wrk on 127.0.0.1; then the watchdog tick's
# cost and the shared memory per device at the table size reached.
#
#   bench/beats.sh            (after make; DEVICES=100000 SECONDS_EACH=10 ROUNDS=3)
#
# A benchmark, not a test: it prints figures and ratios, it asserts nothing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
devices=${DEVICES:-100000}
secs=${SECONDS_EACH:-10}
rounds=${ROUNDS:-3}
port=${PORT:-8790}
so="$top/mod_phonehome/.libs/mod_phonehome.so"
[ -f "$so" ] || { echo "bench: build first (make)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
modules=$(apxs -q LIBEXECDIR)
run=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
chmod 755 "$run"                            # the children run as the User
mkdir -p "$run/logs" "$run/run" "$run/state" "$run/htdocs"
printf 'ok\n' > "$run/htdocs/ok.txt"       # 3 bytes
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
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule slotmem_shm_module $modules/mod_slotmem_shm.so
LoadModule phonehome_module $so
PhoneHomeMaxDevices $devices
PhoneHomeMaxAge 3600
PhoneHomeStateDir state
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit Off
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
trap '/usr/sbin/apache2 -f "$run/httpd.conf" -k stop 2>/dev/null; sleep 1; rm -rf "$run"' EXIT
/usr/sbin/apache2 -f "$run/httpd.conf" -k start
sleep 1

# Requests per second; a run with any non-2xx answer measures nothing.
rps() {
    out=$(wrk -t2 -c32 -d"${secs}s" "$@")
    if echo "$out" | grep -q 'Non-2xx'; then
        echo "bench: non-2xx answers, figures void:" >&2
        echo "$out" >&2
        exit 1
    fi
    echo "$out" | sed -n 's/^Requests\/sec: *//p'
}

for url in "http://127.0.0.1:$port/ok.txt" "http://127.0.0.1:$port/raspberrypiPhoneHome/bench-0"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
    [ "$code" = 200 ] || { echo "bench: $url answers $code" >&2; exit 1; }
done

# Fill the table first, so that every measured beat finds its slot.
count() {
    curl -s "http://127.0.0.1:$port/phonehome-status?auto" \
        | sed -n 's/^PhoneHomeDevices: //p'
}
tries=0
while [ "$(count)" -lt "$devices" ] && [ "$tries" -lt 20 ]; do
    wrk -t2 -c32 -d5s -s "$run/names.lua" "http://127.0.0.1:$port/" >/dev/null
    tries=$((tries + 1))
done
echo "devices in the table: $(count) of $devices"
echo "round static_rps beat_rps ratio"
i=1
while [ "$i" -le "$rounds" ]; do
    s=$(rps "http://127.0.0.1:$port/ok.txt")
    b=$(rps -s "$run/names.lua" "http://127.0.0.1:$port/")
    echo "$i $s $b $(echo "$b $s" | awk '{ printf "%.2f", $1 / $2 }')"
    i=$((i + 1))
done
sleep 3
auto=$(curl -s "http://127.0.0.1:$port/phonehome-status?auto")
echo "$auto" | grep -E '^(PhoneHomeDevices|PhoneHomeTickUsec|PhoneHomeTickUsecMax):'
slot=$(sed -n 's/.*PH00005: .* \([0-9]*\) bytes a device.*/\1/p' "$run/logs/error_log" | tail -n 1)
echo "cpu: $(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "slot bytes: ${slot:-see LogLevel phonehome:debug}"
