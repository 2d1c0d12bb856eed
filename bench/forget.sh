#!/bin/sh
# PhoneHomeForgetAfter at 10,000 and 100,000 devices: the whole table goes
# silent at once and is forgotten by detection.  How long from the end of the
# fill until every slot is free, the longest the tick held the table's
# lock while it did (PhoneHomeLockUsecMax, reset by a graceful restart
# after the fill so that the fill's ticks do not count), the largest tick,
# and whether a new name is then taken into a freed slot.
#
#   bench/forget.sh           (after make; SIZES="10000 100000" AFTER=5)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
sizes=${SIZES:-"10000 100000"}
after=${AFTER:-5}
port=${PORT:-8793}
trap bench_cleanup EXIT
bench_machine
echo "devices forget_after_s seconds_to_empty lock_usec_max tick_usec_max new_name"
for n in $sizes; do
    dir=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
    bench_start "$dir" "$port" "$n" "PhoneHomeForgetAfter $after"
    bench_fill "$port" "$n"
    start=$(date +%s.%N)
    # A graceful restart zeroes the watchdog's figures (a new index);
    # the slots and their monotonic times carry over.
    kill -USR1 "$(cat "$dir/logs/httpd.pid")"
    sleep 1
    until curl -sf -o /dev/null "http://127.0.0.1:$port/phonehome-status?auto"; do sleep 0.2; done
    while [ "$(bench_auto "$port" PhoneHomeDevices)" != 0 ]; do sleep 0.2; done
    end=$(date +%s.%N)
    lock=$(bench_auto "$port" PhoneHomeLockUsecMax)
    tick=$(bench_auto "$port" PhoneHomeTickUsecMax)
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/raspberrypiPhoneHome/after-forget")
    echo "$n $after $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') $lock $tick $code"
    bench_stop "$dir"
done
