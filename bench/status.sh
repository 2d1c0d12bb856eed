#!/bin/sh
# The status page at 1,000,000 devices, every format: time to the first
# byte (curl's time_starttransfer: the headers, flushed before the table is
# read), time to the first byte of the body, total time, size, and how much
# the serving child's private (anonymous) memory grew at its peak while it
# answered.  One child (ServerLimit 1) so that the child measured is the
# one serving.
#
#   bench/status.sh           (after make; DEVICES=1000000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
devices=${DEVICES:-1000000}
port=${PORT:-8793}
trap bench_cleanup EXIT
bench_machine
dir=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
bench_start "$dir" "$port" "$devices" "StartServers 1
ServerLimit 1
ThreadsPerChild 25
MaxRequestWorkers 25
MinSpareThreads 1
MaxSpareThreads 25"

# bench_fill walks bench-0.. from the start on every wrk run (issue 18),
# so a run that does not reach the end never gets further.  Here each run
# starts where the last one stopped (wrk says how many requests it made;
# one thread, so the names go in order), wrapping around until every name
# is in the table (a lap fills what a lost connection left out).
next=0
have=0
tries=0
while [ "$have" -lt "$devices" ] && [ "$tries" -lt 100 ]; do
    cat > "$dir/fill.lua" <<LUA
local n = -1
request = function()
    n = n + 1
    return wrk.format("GET", "/raspberrypiPhoneHome/bench-" .. (($next + n) % $devices))
end
LUA
    done_n=$(wrk -t1 -c16 -d5s -s "$dir/fill.lua" "http://127.0.0.1:$port/" |
             sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    next=$(( (next + ${done_n:-0}) % devices ))
    have=$(bench_auto "$port" PhoneHomeDevices)
    tries=$((tries + 1))
done
echo "devices in the table: $have of $devices"
# The detection watchdog (in the same child) writes a snapshot of the
# whole table 5 s after a new device and 60 s after other beats, and that
# copy is table-sized: wait until none has been written for 65 s, so that
# what is measured is the status request alone.  Every device is up (MaxAge 3600): the HTML's passes for
# down and unknown walk the whole table and find nothing, their worst case.
snap="$dir/state/state.snapshot"
i=0
while [ "$i" -lt 240 ]; do
    age=$(( $(date +%s) - $(stat -c %Y "$snap" 2>/dev/null || echo 0) ))
    [ "$age" -ge 65 ] && break
    sleep 1
    i=$((i + 1))
done
child=$(pgrep -P "$(cat "$dir/logs/httpd.pid")" | head -n 1)
anon() { sed -n 's/^Anonymous: *\([0-9]*\) kB/\1/p' "/proc/$child/smaps_rollup"; }
echo "format first_byte_ms first_body_byte_ms total_s bytes child_anon_growth_mb"
formats=${FORMATS:-"html ?auto ?json ?metrics ?state=up&limit=100 ?json&q=bench-99999 ?device=bench-123456"}
for f in $formats; do
    [ "$f" = html ] && f=
    base=$(anon)
    peak=$base
    curl -s -o "$dir/out" -w '%{time_starttransfer} %{time_total} %{size_download}\n' \
        "http://127.0.0.1:$port/phonehome-status$f" > "$dir/curl" &
    cpid=$!
    while kill -0 "$cpid" 2>/dev/null; do
        a=$(anon); [ "$a" -gt "$peak" ] && peak=$a
        sleep 0.02
    done
    wait "$cpid" || true
    # The first byte of the body: a second request read with a tiny
    # program that stamps the first body byte.
    fb=$(/usr/bin/python3 - "$port" "/phonehome-status$f" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
s.sendall(("GET %s HTTP/1.0\r\nHost: x\r\n\r\n" % sys.argv[2]).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(65536)
head, body = buf.split(b"\r\n\r\n", 1)
while not body:
    body = s.recv(65536)
t1 = time.monotonic()
while s.recv(1 << 20):
    pass
print("%.1f" % ((t1 - t0) * 1000))
PY
)
    read -r ttfb total size < "$dir/curl"
    awk -v f="${f:-(html)}" -v t="$ttfb" -v fb="$fb" -v tt="$total" -v s="$size" \
        -v g="$((peak - base))" 'BEGIN { printf "%s %.1f %s %.2f %d %.1f\n", f, t * 1000, fb, tt, s, g / 1024 }'
done

# The lock is held a chunk at a time: beats (to names already in the
# table) go on while a full ?metrics streams.  wrk's largest latency for
# beats alone, then with ?metrics requests running back to back.
cat > "$dir/beat.lua" <<LUA
local n = -1
request = function()
    n = n + 1
    return wrk.format("GET", "/raspberrypiPhoneHome/bench-" .. (n % $devices))
end
LUA
lat() { wrk -t1 -c8 -d4s --latency -s "$dir/beat.lua" "http://127.0.0.1:$port/" |
        awk '/^ *Latency +[0-9]/ { avg = $2; max = $4 } /requests in/ { n = $1 } END { print n, avg, max }'; }
echo "beats_alone (requests avg_latency max_latency): $(lat)"
( end=$(( $(date +%s) + 5 )); while [ "$(date +%s)" -lt "$end" ]; do
      curl -s -o /dev/null "http://127.0.0.1:$port/phonehome-status?metrics"; done ) &
mpid=$!
sleep 0.5
echo "beats_during_metrics (requests avg_latency max_latency): $(lat)"
wait "$mpid" || true
bench_stop "$dir"
