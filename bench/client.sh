#!/bin/sh
# The client in daemon mode: resident memory (all of it, and the private
# part) and CPU time per beat, over BEATS beats at INTERVAL seconds against
# a private httpd on 127.0.0.1; signed beats when SIGNED=1 (the default).
#
#   bench/client.sh           (after make; BEATS=300 INTERVAL=0.1)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
beats=${BEATS:-300}
interval=${INTERVAL:-0.1}
port=${PORT:-8794}
signed=${SIGNED:-1}
client="$top/pi-client/phonehome"
[ -x "$client" ] || { echo "bench: build the client first (make)" >&2; exit 1; }
cpid=
trap '[ -n "$cpid" ] && kill "$cpid" 2>/dev/null; bench_cleanup' EXIT
dir=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/key"
chmod 644 "$dir/key"
extra=
keyopt=
if [ "$signed" = 1 ]; then
    extra="PhoneHomeDevice bench-client Key=$dir/key"
    keyopt="--key-file $dir/key"
fi
bench_start "$dir" "$port" 10 "$extra"
# shellcheck disable=SC2086
"$client" --silent --interval "$interval" --device bench-client $keyopt \
    --state-file "$dir/seq" "http://127.0.0.1:$port/raspberrypiPhoneHome" &
cpid=$!
count() {
    curl -s "http://127.0.0.1:$port/phonehome-status?json" \
        | /usr/bin/python3 -c 'import json,sys; d=[x for x in json.load(sys.stdin)["devices"] if x["name"]=="bench-client"]; print(d[0]["beats"] if d else 0)'
}
rss_first=
while [ "$(count)" -lt "$beats" ]; do
    [ -z "$rss_first" ] && [ "$(count)" -ge 10 ] \
        && rss_first=$(sed -n 's/^VmRSS: *//p' "/proc/$cpid/status")
    sleep 1
done
n=$(count)
ticks=$(awk '{ print $14 + $15 }' "/proc/$cpid/stat")
hz=$(getconf CLK_TCK)
bench_machine
echo "beats: $n every ${interval}s, signed=$signed"
grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$cpid/status"
echo "VmRSS after 10 beats: $rss_first"
echo "$ticks $hz $n" | awk '{ printf "cpu: %.3f s in all, %.0f us a beat\n", $1 / $2, $1 / $2 / $3 * 1e6 }'
