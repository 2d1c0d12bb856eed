#!/bin/sh
# Alert latency: from a device's deadline (its last beat plus its MaxAge)
# to its Error mail accepted by a local SMTP server (t/smtp_sink.py), with
# 10 and with 100,000 devices in the table.  The probe device has MaxAge=2;
# the others keep beating-free MaxAge 3600 so that only the probe alerts.
# PhoneHomeDigestWindow is 0: the goal is 1.5 s plus the digest window.
#
#   bench/latency.sh          (after make; SIZES="10 100000" PROBES=8)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
sizes=${SIZES:-"10 100000"}
probes=${PROBES:-8}
port=${PORT:-8792}
smtp_port=${SMTP_PORT:-8793}
sink_pid=
trap 'bench_cleanup; [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; true' EXIT
bench_machine
echo "devices probe latency_ms (deadline -> mail accepted)"
for n in $sizes; do
    dir=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
    bench_smtp_sink "$dir" "$smtp_port"
    bench_start "$dir" "$port" "$((n + 1))" "PhoneHomeMailFrom bench@example.com
PhoneHomeMailTo me@example.com
PhoneHomeSMTPServer 127.0.0.1:$smtp_port
PhoneHomeDigestWindow 0
PhoneHomeStartupGrace 0
PhoneHomeDevice probe MaxAge=2"
    bench_fill "$port" "$n"
    [ "$(id -u)" -eq 0 ] && chown -R www-data "$dir/mail"
    sleep 3                                 # the probe's first Error passes
    all=
    k=1
    while [ "$k" -le "$probes" ]; do
        before=$(ls "$dir/mail" | grep -c '\.eml$' || true)
        # A random phase against the watchdogs' one-second ticks.
        sleep "$(od -An -N2 -tu2 /dev/urandom | awk '{ printf "%.2f", $1 / 65536 * 1.5 }')"
        # The beat's answer time: the server's last_seen is a moment before.
        t0=$(date +%s.%N)
        curl -sf -o /dev/null "http://127.0.0.1:$port/raspberrypiPhoneHome/probe"
        t1=$(date +%s.%N)
        # Wait for the Good mail, then for the Error mail.
        want=$((before + 2))
        i=0
        while [ "$(ls "$dir/mail" | grep -c '\.eml$' || true)" -lt "$want" ] && [ "$i" -lt 200 ]; do
            sleep 0.05; i=$((i + 1))
        done
        last=$(ls "$dir/mail" | grep '\.eml$' | sort | tail -n 1)
        if grep -q '^Subject: Error' "$dir/mail/$last"; then
            at=$(stat -c %.9Y "$dir/mail/$last")
            ms=$(echo "$t0 $t1 $at" | awk '{ printf "%d", ($3 - ($1 + $2) / 2 - 2) * 1000 }')
            echo "$n $k $ms"
            all="$all $ms"
        else
            echo "$n $k no Error mail (last: $last)"
        fi
        k=$((k + 1))
    done
    echo "$all" | tr ' ' '\n' | sed '/^$/d' | sort -n \
        | awk -v n="$n" '{ v[NR] = $1 } END { if (NR) printf "%d devices: median %d ms, max %d ms over %d probes\n", n, v[int((NR + 1) / 2)], v[NR], NR }'
    bench_stop "$dir"
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
    sink_pid=
done
