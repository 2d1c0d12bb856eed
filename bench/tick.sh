#!/bin/sh
# The detection tick's cost at 1,000, 10,000 and 100,000 devices, as the
# module measures it (?auto PhoneHomeTickUsec): the median and the largest
# of SAMPLES ticks on an idle server, and the longest the tick held the
# table's lock at once (PhoneHomeLockUsecMax).
#
#   bench/tick.sh             (after make; SIZES="1000 10000 100000" SAMPLES=15)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
sizes=${SIZES:-"1000 10000 100000"}
samples=${SAMPLES:-15}
port=${PORT:-8791}
trap bench_cleanup EXIT
bench_machine
echo "devices tick_usec_median tick_usec_max lock_usec_max"
for n in $sizes; do
    dir=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
    bench_start "$dir" "$port" "$n"
    bench_fill "$port" "$n"
    sleep 2
    list=
    last=
    i=0
    while [ "$i" -lt "$samples" ]; do
        t=$(bench_auto "$port" PhoneHomeTickUsec)
        # One sample a tick: wait for the tick to change its figure.
        [ "$t" != "$last" ] && { list="$list $t"; i=$((i + 1)); last=$t; }
        sleep 0.5
    done
    lock=$(bench_auto "$port" PhoneHomeLockUsecMax)
    echo "$list" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v n="$n" -v lock="$lock" \
        '{ v[NR] = $1 } END { printf "%d %d %d %s\n", n, v[int((NR + 1) / 2)], v[NR], lock }'
    bench_stop "$dir"
done
