#!/bin/sh
# mod_phonehome demo: build everything, start a private httpd on 127.0.0.1
# with the module loaded and the seed's configuration, and send a first beat
# the way the seed's cron line does.
#
#   sudo ./demo.sh          set up, build, start (PORT=8642 by default)
#   ./demo.sh stop          stop the demo's httpd
#
# Everything lives in ./demo-run; nothing outside it is touched except the
# Debian packages that the first run installs.
set -e
top=$(cd "$(dirname "$0")" && pwd)
run="$top/demo-run"
port=${PORT:-8642}
httpd=/usr/sbin/apache2
[ -x "$httpd" ] || httpd=$(command -v httpd || echo /usr/sbin/apache2)

if [ "${1:-}" = stop ]; then
    if [ -f "$run/logs/httpd.pid" ]; then
        kill "$(cat "$run/logs/httpd.pid")" && echo "demo httpd stopped"
    else
        echo "no demo is running"
    fi
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

[ -f "$run/logs/httpd.pid" ] && kill "$(cat "$run/logs/httpd.pid")" 2>/dev/null && sleep 1
mkdir -p "$run/conf" "$run/logs" "$run/run" "$run/state" "$run/htdocs"
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

PhoneHomeStateDir state
<Location /server-status>
    SetHandler server-status
    Require local
</Location>
CONF
# "modules/" in the minimal configuration is relative to ServerRoot.
ln -sfn "$modules" "$run/modules"

"$httpd" -t -f "$run/conf/httpd.conf"
"$httpd" -f "$run/conf/httpd.conf" -k start
for i in 1 2 3 4 5 6 7 8 9 10; do
    curl -s -o /dev/null "http://127.0.0.1:$port/phonehome-status" && break
    sleep 1
done

# The seed's own cron line, pointed at the demo.
curl -s --connect-timeout 30 "http://127.0.0.1:$port/raspberrypiPhoneHome?$(date +%s)"
# And the client, as a second device.
"$top/pi-client/phonehome" --device kitchen-pi "http://127.0.0.1:$port/raspberrypiPhoneHome"

cat <<MSG

mod_phonehome demo is running (httpd pid $(cat "$run/logs/httpd.pid")).
  Status page:   http://127.0.0.1:$port/phonehome-status   (also ?auto ?json ?metrics)
  Server status: http://127.0.0.1:$port/server-status
  Send a beat:   curl "http://127.0.0.1:$port/raspberrypiPhoneHome?\$(date +%s)"
                 pi-client/phonehome --device NAME http://127.0.0.1:$port/raspberrypiPhoneHome
  Logs:          $run/logs/error_log
  Stop:          ./demo.sh stop
MSG
