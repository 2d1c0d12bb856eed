#!/bin/sh
# mod_phonehome demo: build everything, start a private httpd on 127.0.0.1
# with the module loaded and the seed's configuration, and send a first beat
# the way the seed's cron line does.
#
#   sudo ./demo.sh          set up, build, start, then show alert mail as it
#                           arrives (Ctrl-C stops watching, not the demo)
#   ./demo.sh --no-watch    the same without watching
#   ./demo.sh stop          stop the demo's httpd, mail catcher and beater
#
# PORT (default 8642) is httpd's port, SMTP_PORT (default 2525) the mail
# catcher's, PUSH_PORT (default 2580) the phone channel's: a local receiver
# that stands in for an ntfy server (PhoneHomeNotify ... ntfy+http://).  The demo uses a MaxAge of 15 s so that alerts come quickly.
#
# Everything lives in ./demo-run; nothing outside it is touched except the
# Debian packages that the first run installs.
set -e
top=$(cd "$(dirname "$0")" && pwd)
run="$top/demo-run"
port=${PORT:-8642}
smtp_port=${SMTP_PORT:-2525}
push_port=${PUSH_PORT:-2580}
watch=1
[ "${1:-}" = --no-watch ] && watch=0
httpd=/usr/sbin/apache2
[ -x "$httpd" ] || httpd=$(command -v httpd || echo /usr/sbin/apache2)

stop_demo() {
    for f in "$run/logs/httpd.pid" "$run/smtp.pid" "$run/push.pid" "$run/beater.pid" \
             "$run/client-garage.pid" "$run/client-kitchen.pid"; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null && rm -f "$f"
    done
    return 0
}

if [ "${1:-}" = stop ]; then
    stop_demo
    echo "demo stopped"
    exit 0
fi

"$top/.ci/install-deps"
cd "$top"
if [ ! -f Makefile ]; then
    [ -x configure ] || autoreconf -fi
    ./configure
fi
make -s
modules=$(apxs -q LIBEXECDIR)

stop_demo && sleep 1
mkdir -p "$run/conf" "$run/logs" "$run/run" "$run/state" "$run/htdocs" "$run/mail"
echo "apples 3.20" > "$run/htdocs/prices.txt"

# The mail catcher: a real SMTP server on 127.0.0.1 that files each mail,
# offering STARTTLS with a certificate for 127.0.0.1 from a private CA (as
# a provider's submission port does); httpd trusts that CA and refuses to
# send unless the certificate verifies (PhoneHomeSMTPStartTLS Required).
if [ ! -s "$run/conf/smtp-cert.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$run/conf/ca-key.pem" -out "$run/conf/ca.pem" -days 3650 \
        -subj "/CN=mod_phonehome demo CA" >/dev/null 2>&1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$run/conf/smtp-key.pem" -out "$run/conf/smtp.csr" \
        -subj /CN=127.0.0.1 >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$run/conf/smtp.ext"
    openssl x509 -req -in "$run/conf/smtp.csr" -CA "$run/conf/ca.pem" \
        -CAkey "$run/conf/ca-key.pem" -CAcreateserial -days 3650 \
        -extfile "$run/conf/smtp.ext" -out "$run/conf/smtp-cert.pem" >/dev/null 2>&1
fi
/usr/bin/python3 "$top/t/smtp_sink.py" --port "$smtp_port" --dir "$run/mail" \
    --tls-cert "$run/conf/smtp-cert.pem" --tls-key "$run/conf/smtp-key.pem" \
    --pidfile "$run/smtp.pid" 2>"$run/logs/smtp.log" &
# The phone channel: a local HTTP server standing in for ntfy, one JSON
# line per notification in push.log.
/usr/bin/python3 "$top/t/http_sink.py" --port "$push_port" --log "$run/push.log" \
    --pidfile "$run/push.pid" 2>"$run/logs/push.log" &
for i in 1 2 3 4 5 6 7 8 9 10; do
    [ -s "$run/smtp.pid" ] && [ -s "$run/push.pid" ] && break
    sleep 0.5
done
cp mod_phonehome/.libs/mod_phonehome.so "$run/mod_phonehome.so"
user=
if [ "$(id -u)" -eq 0 ]; then
    user="User www-data
Group www-data"
    chown -R www-data:www-data "$run/state" "$run/run"
fi

cat > "$run/conf/httpd.conf" <<CONF
# Written by demo.sh.  The PhoneHome part is DESIGN.md's minimal
# configuration, word for word.
ServerRoot "$run"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile logs/httpd.pid
DefaultRuntimeDir run
ErrorLog logs/error_log
LogLevel warn phonehome:info
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{User-Agent}i\"" combined
CustomLog logs/access_log combined
DocumentRoot "$run/htdocs"
$user
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authz_host_module $modules/mod_authz_host.so
LoadModule status_module $modules/mod_status.so
<IfModule !log_config_module>
LoadModule log_config_module $modules/mod_log_config.so
</IfModule>

LoadModule slotmem_shm_module modules/mod_slotmem_shm.so
LoadModule phonehome_module   $run/mod_phonehome.so
PhoneHomeMailFrom  pialert@example.com
PhoneHomeMailTo    me@example.com 9085551234@vtext.com
<Location /raspberrypiPhoneHome>
    SetHandler phonehome
</Location>
<Location /phonehome-status>
    SetHandler phonehome-status
    Require local
</Location>
<Location /phonehome-admin>
    SetHandler phonehome-admin
    Require local
</Location>

# For the demo: alerts within seconds, through the local mail catcher.
PhoneHomeStateDir state
PhoneHomeMaxAge 15
PhoneHomeStartupGrace 5
PhoneHomeDigestWindow 2
PhoneHomeSMTPServer 127.0.0.1:$smtp_port
PhoneHomeSMTPStartTLS Required
PhoneHomeSMTPCAFile conf/ca.pem
# The same alerts on a phone, through an ntfy server (here a local stand-in).
PhoneHomeNotify phone ntfy+http://127.0.0.1:$push_port/pi-alerts
PhoneHomeDevice kitchen-pi Name="Kitchen Pi" MaxAge=10 Key=$run/kitchen.key
PhoneHomeDevice garage-pi MaxAge=10
# A device that runs no client: its fetches of a file are its beats.
PhoneHomePassive shop-pi "%{REQUEST_URI} == '/prices.txt' && -R '127.0.0.1'"
PhoneHomeDevice shop-pi Name="Shop Pi" MaxAge=10
<Location /server-status>
    SetHandler server-status
    Require local
</Location>
CONF
# kitchen-pi signs its beats: the same key on the "Pi" and the server.
[ -s "$run/kitchen.key" ] || openssl rand -hex 32 > "$run/kitchen.key"
chmod 600 "$run/kitchen.key"

# "modules/" in the minimal configuration is relative to ServerRoot.
ln -sfn "$modules" "$run/modules"

"$httpd" -t -f "$run/conf/httpd.conf"
"$httpd" -f "$run/conf/httpd.conf" -k start
for i in 1 2 3 4 5 6 7 8 9 10; do
    curl -s -o /dev/null "http://127.0.0.1:$port/phonehome-status" && break
    sleep 1
done

# The seed's own cron line, pointed at the demo, every 5 seconds.
(
    while :; do
        curl -s -o /dev/null --connect-timeout 30 \
            "http://127.0.0.1:$port/raspberrypiPhoneHome?$(date +%s)"
        # shop-pi runs no client: it fetches its price list (PhoneHomePassive).
        curl -s -o /dev/null --connect-timeout 30 "http://127.0.0.1:$port/prices.txt"
        sleep 5
    done
) &
echo $! > "$run/beater.pid"
# Two Pis running the client as a daemon, beating every 5 seconds;
# kitchen-pi signs its beats, and stops after 30 seconds (a power cut).
url="http://127.0.0.1:$port/raspberrypiPhoneHome"
"$top/pi-client/phonehome" --interval 5 --device garage-pi \
    --state-file "$run/seq-garage" -s "$url" &
echo $! > "$run/client-garage.pid"
(
    "$top/pi-client/phonehome" --interval 5 --device kitchen-pi \
        --key-file "$run/kitchen.key" --state-file "$run/seq-kitchen" -s "$url" &
    echo $! > "$run/client-kitchen.pid"
    sleep 30
    kill "$(cat "$run/client-kitchen.pid")" 2>/dev/null
    rm -f "$run/client-kitchen.pid"
) &

cat <<MSG

mod_phonehome demo is running (httpd pid $(cat "$run/logs/httpd.pid")).
  Status page:   http://127.0.0.1:$port/phonehome-status   (also ?auto ?json ?metrics)
  Server status: http://127.0.0.1:$port/server-status
  Admin:         http://127.0.0.1:$port/phonehome-admin/   (pause, resume, forget)
                 curl -X POST -H 'X-PhoneHome-Admin: 1' -d for=3600 \\
                     http://127.0.0.1:$port/phonehome-admin/devices/garage-pi/pause
  Send a beat:   curl "http://127.0.0.1:$port/raspberrypiPhoneHome?\$(date +%s)"
                 pi-client/phonehome --device NAME http://127.0.0.1:$port/raspberrypiPhoneHome
  Devices:       raspberrypi (the seed's curl line), garage-pi and kitchen-pi (the
                 client, every 5 s); kitchen-pi signs its beats and stops after 30 s;
                 shop-pi runs no client: it fetches /prices.txt (PhoneHomePassive)
  Bring kitchen-pi back:
                 pi-client/phonehome --device kitchen-pi --key-file $run/kitchen.key \\
                     --state-file $run/seq-kitchen $url
  Alert mail:    $run/mail/ (a local SMTP server on 127.0.0.1:$smtp_port, over
                 verified STARTTLS: PhoneHomeSMTPStartTLS Required)
  Phone:         $run/push.log (ntfy-style pushes to 127.0.0.1:$push_port)
  Logs:          $run/logs/error_log, $run/state/events.log
  Stop:          ./demo.sh stop
MSG

[ "$watch" = 1 ] || exit 0
echo
echo "Watching for alert mail and pushes (kitchen-pi goes down about 40 s from now); Ctrl-C stops watching."
# Only mail that arrives from now on (demo-run/ keeps earlier runs' mail).
seen=$(ls "$run/mail" | sed -n 's/^0*\([0-9][0-9]*\)\.eml$/\1/p' | sort -n | tail -n 1)
seen=${seen:-0}
pushes=$(cat "$run/push.log" 2>/dev/null | wc -l)
trap 'echo; echo "The demo is still running: ./demo.sh stop"; exit 0' INT
while :; do
    for f in "$run"/mail/*.eml; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .eml | sed 's/^0*//')
        [ "${n:-0}" -le "$seen" ] 2>/dev/null && continue
        seen=$n
        echo "---- mail $n: $(grep -m1 '^Subject:' "$f" | tr -d '\r')"
        sed -e '1,/^\r\{0,1\}$/d' -e 's/\r$//' "$f" | sed -n '1,6p'
    done
    n=$(cat "$run/push.log" 2>/dev/null | wc -l)
    if [ "$n" -gt "$pushes" ]; then
        tail -n "$((n - pushes))" "$run/push.log" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print("---- push to the phone: %s" % r["headers"].get("title", "?"))
    print("     " + r["body"].splitlines()[0] if r["body"] else "")'
        pushes=$n
    fi
    sleep 1
done
