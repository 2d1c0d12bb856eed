#!/bin/sh
# Beats per second against a 3-byte static file from the same httpd, side
# by side and interleaved, with wrk on 127.0.0.1; then the watchdog tick's
# cost, the longest hold of the table's lock under that load, and the
# shared memory per device at the table size reached.
#
#   bench/beats.sh            (after make; DEVICES=100000 SECONDS_EACH=10 ROUNDS=3)
#
# A benchmark, not a test: it prints figures and ratios, it asserts nothing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
devices=${DEVICES:-100000}
secs=${SECONDS_EACH:-10}
rounds=${ROUNDS:-3}
port=${PORT:-8790}
trap bench_cleanup EXIT
bench_start "$(mktemp -d /tmp/phonehome-bench.XXXXXX)" "$port" "$devices"

# Requests per second and the largest latency; a run with any non-2xx
# answer measures nothing.
rps() {
    out=$(wrk -t2 -c32 -d"${secs}s" "$@")
    if echo "$out" | grep -q 'Non-2xx'; then
        echo "bench: non-2xx answers, figures void:" >&2
        echo "$out" >&2
        exit 1
    fi
    echo "$(echo "$out" | sed -n 's/^Requests\/sec: *//p') $(echo "$out" | awk '$1 == "Latency" { print $4 }')"
}

for url in "http://127.0.0.1:$port/ok.txt" "http://127.0.0.1:$port/raspberrypiPhoneHome/bench-0"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
    [ "$code" = 200 ] || { echo "bench: $url answers $code" >&2; exit 1; }
done

# Fill the table first, so that every measured beat finds its slot.
bench_fill "$port" "$devices"
echo "devices in the table: $(bench_auto "$port" PhoneHomeDevices) of $devices"
echo "round static_rps beat_rps ratio static_max_latency beat_max_latency"
i=1
while [ "$i" -le "$rounds" ]; do
    set -- $(rps "http://127.0.0.1:$port/ok.txt")
    s=$1 sl=$2
    set -- $(rps -s "$run/names.lua" "http://127.0.0.1:$port/")
    b=$1 bl=$2
    echo "$i $s $b $(echo "$b $s" | awk '{ printf "%.2f", $1 / $2 }') $sl $bl"
    i=$((i + 1))
done
sleep 3
curl -s "http://127.0.0.1:$port/phonehome-status?auto" \
    | grep -E '^(PhoneHomeDevices|PhoneHomeTickUsec|PhoneHomeTickUsecMax|PhoneHomeLockUsecMax):'
slot=$(sed -n 's/.*PH00005: .* \([0-9]*\) bytes a device.*/\1/p' "$run/logs/error_log" | tail -n 1)
bench_machine
echo "slot bytes: ${slot:-see LogLevel phonehome:debug}"
