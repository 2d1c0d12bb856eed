#!/bin/sh
# The httpd parent's resident memory across graceful restarts: a private
# httpd with DEVICES devices (all beaten once by wrk), then RESTARTS
# graceful restarts (SIGUSR1 to the parent, waiting until the new
# generation says it resumes and answers), printing the parent's VmRSS
# (/proc/PID/status) after each.  BARE=1 runs the same httpd with
# "LoadModule phonehome_module" commented out (httpd alone), to tell
# httpd's own growth from ours.  COLD=1 stops it after the fill and
# starts it again (the snapshot read) before the restarts.
# Needs wrk, curl; run as root (the children run as www-data).
#
#   bench/restart-rss.sh      (after make; DEVICES=10000 RESTARTS=8)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
devices=${DEVICES:-10000}
restarts=${RESTARTS:-8}
port=${PORT:-8793}
trap bench_cleanup EXIT
bench_machine
dir=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
extra=${EXTRA:-}
if [ "${BARE:-0}" = 1 ]; then
    # httpd alone: the same configuration without the module.
    bench_start_bare() {
        run=$1
        bench_runs="$bench_runs $run"
        mkdir -p "$run/logs" "$run/run" "$run/htdocs"
        chmod 755 "$run"
        printf 'ok\n' > "$run/htdocs/ok.txt"
        cat > "$run/httpd.conf" <<CONF
ServerRoot "$run"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile logs/httpd.pid
DefaultRuntimeDir run
ErrorLog logs/error_log
LogLevel warn
DocumentRoot "$run/htdocs"
User www-data
Group www-data
LoadModule mpm_${BENCH_MPM:-event}_module $modules/mod_mpm_${BENCH_MPM:-event}.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule slotmem_shm_module $modules/mod_slotmem_shm.so
#LoadModule phonehome_module $so
CONF
        /usr/sbin/apache2 -f "$run/httpd.conf" -k start
    }
    bench_start_bare "$dir"
    up="http://127.0.0.1:$port/ok.txt"
else
    bench_start "$dir" "$port" "$devices" "$extra"
    bench_fill "$port" "$devices"
    if [ "${COLD:-0}" = 1 ]; then
        # A cold start that restores the snapshot the stop wrote.
        echo "first start: parent $(awk '$1 ~ /^(VmRSS|RssAnon):$/ { printf "%s %s kB ", $1, $2 }' "/proc/$(cat "$dir/logs/httpd.pid")/status")"
        bench_stop "$dir"
        /usr/sbin/apache2 -f "$dir/httpd.conf" -k start
    fi
    up="http://127.0.0.1:$port/phonehome-status?auto"
fi
# Wait until it answers and its parent's pid file is there.
i=0
until curl -sf -o /dev/null "$up" && [ -s "$dir/logs/httpd.pid" ]; do
    i=$((i + 1)); [ "$i" -lt 300 ] || { echo "bench: no answer" >&2; exit 1; }
    sleep 0.1
done
pid=$(cat "$dir/logs/httpd.pid")
# VmRSS and its parts, in kB: private (anon), file, shared memory.
rss() {
    awk '$1 ~ /^(VmRSS|RssAnon|RssFile|RssShmem):$/ { printf "%s ", $2 }' "/proc/$pid/status"
    awk '/^Size:/ { n++ } END { printf "%d\n", n }' "/proc/$pid/smaps"
}
gens() { grep -c 'resuming normal operations' "$dir/logs/error_log" || true; }
echo "module: $([ "${BARE:-0}" = 1 ] && echo 'not loaded' || echo loaded), devices: $devices, mpm: ${BENCH_MPM:-event}"
echo "restart vmrss_kb anon_kb file_kb shmem_kb mappings"
echo "0 $(rss)"
k=1
while [ "$k" -le "$restarts" ]; do
    n=$(gens)
    kill -USR1 "$pid"
    i=0
    until [ "$(gens)" -gt "$n" ] && curl -sf -o /dev/null "$up"; do
        i=$((i + 1)); [ "$i" -lt 600 ] || { echo "bench: restart $k did not come back" >&2; exit 1; }
        sleep 0.1
    done
    echo "$k $(rss)"
    k=$((k + 1))
done
