# Beats as DESIGN.md "Beats" describes them: the seed's curl line, the path,
# device= and the default device, every parameter, GET, HEAD and POST, and
# what is recorded for each.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use PhTest qw(status_json device_of beat);



# The seed's own cron line: curl --connect-timeout 30 URL?$(date +%s)
my $now = time;
my $out = `curl -s -i --connect-timeout 30 "http://@{[Apache::TestRequest::hostport()]}/raspberrypiPhoneHome?$now"`;
my ($head, $body) = split /\r\n\r\n/, $out, 2;
ok $head =~ m{^HTTP/1\.1 200}, 'the seed curl line gets 200';
ok $head =~ m{^Content-Type: text/plain}mi, 'answer is text/plain';
ok $head =~ m{^Cache-Control: no-store}mi, 'answer is not cacheable';
ok $body =~ /^OK raspberrypi beat \d+\n\z/, "short one-line body: $body";

my $d = device_of(status_json(), 'raspberrypi');
ok $d, 'the default device raspberrypi is recorded';
ok $d->{state} eq 'up', 'unknown -> up on the first beat';
ok $d->{client_time} == $now, 'client clock from the bare number';
ok abs($d->{skew}) <= 2, "skew computed from the bare number ($d->{skew})";
ok $d->{remote_ip} eq '127.0.0.1', 'remote IP recorded';
ok $d->{user_agent} =~ m{^curl/}, 'User-Agent recorded';
ok abs($d->{last_seen} - time) <= 2, 'server receive time recorded';

# A client whose clock is an hour behind: skew is -3600, state decided by
# the server's clock alone.
my $r = beat('/raspberrypiPhoneHome/skewed-pi?t=' . (time - 3600));
ok $r->code == 200;
$d = device_of(status_json(), 'skewed-pi');
ok $d->{skew} <= -3598 && $d->{skew} >= -3602, "skew of a slow clock is -3600 ($d->{skew})";
ok $d->{state} eq 'up', 'a wrong client clock does not make a device down';

# Device from the path, from device=, and the path wins over device=.
ok beat('/raspberrypiPhoneHome/kitchen-pi')->code == 200;
ok device_of(status_json(), 'kitchen-pi'), 'device from the first path segment';
ok beat('/raspberrypiPhoneHome/garage-pi/')->code == 200, 'trailing slash';
ok device_of(status_json(), 'garage-pi'), 'device from a path with a trailing slash';
ok beat('/raspberrypiPhoneHome?device=cabin-pi&t=5')->code == 200;
ok device_of(status_json(), 'cabin-pi'), 'device from device=';
ok beat('/raspberrypiPhoneHome/path-pi?device=param-pi')->code == 200;
my $s = status_json();
ok device_of($s, 'path-pi') && !device_of($s, 'param-pi'), 'the path wins over device=';

# All parameters, with the client's own counter and boot id.
my $boot = '5e2f64b9-0961-492c-8f4c-f01abadc085b';
$r = beat("/raspberrypiPhoneHome/full-pi?t=1700000000&boot=$boot&up=12345.67&seq=42&sig=abc&future=1");
ok $r->code == 200, 'unknown keys are ignored';
$d = device_of(status_json(), 'full-pi');
ok $d->{boot_id} eq $boot, 'boot id recorded';
ok $d->{uptime} == 12345, 'uptime recorded in whole seconds';
ok $d->{client_time} == 1700000000, 'client time from t=';
ok $d->{beats} == 1, 'beat count';
my $first = $d->{last_seen};
my $auto = Apache::TestRequest::GET_BODY('/phonehome-status?auto');
my ($idx) = $auto =~ /^Device\[(\d+)\]Name: full-pi$/m;
my ($first_seen) = $auto =~ /^Device\[$idx\]FirstSeen: (\d+)$/m;
is $first_seen, $first, 'first seen is the first beat';

# Beat counts, and a beat without t= no longer claims a client time.
beat('/raspberrypiPhoneHome/full-pi') for 1 .. 4;
$d = device_of(status_json(), 'full-pi');
ok $d->{beats} == 5, 'every beat counted once';
ok !defined $d->{client_time} && !defined $d->{skew}, 'no t=: no client time, no skew';
ok $d->{boot_id} eq $boot, 'boot id kept until a new one comes';
$auto = Apache::TestRequest::GET_BODY('/phonehome-status?auto');
like $auto, qr/^Device\[$idx\]FirstSeen: $first$/m, 'first seen stays with later beats';

# HEAD counts as a beat and has no body.
$r = beat('/raspberrypiPhoneHome/head-pi', method => 'HEAD');
ok $r->code == 200, 'HEAD is a beat';
ok length($r->content) == 0, 'HEAD has no body';
ok device_of(status_json(), 'head-pi')->{beats} == 1, 'HEAD recorded';

# POST with a form body, also with parameters split between query and body.
$r = beat('/raspberrypiPhoneHome', method => 'POST',
          body => "device=post-pi&t=1700000001&up=99&seq=7");
ok $r->code == 200, 'POST form body is a beat';
$d = device_of(status_json(), 'post-pi');
ok $d && $d->{uptime} == 99 && $d->{client_time} == 1700000001, 'POST body parameters recorded';
$r = beat('/raspberrypiPhoneHome/post-pi?t=1700000002', method => 'POST', body => "up=100");
ok $r->code == 200, 'query and body together';
$d = device_of(status_json(), 'post-pi');
ok $d->{uptime} == 100 && $d->{client_time} == 1700000002 && $d->{beats} == 2,
   'query and body parameters both recorded';
$r = beat('/raspberrypiPhoneHome/post-pi', method => 'POST', body => "x" x 4091 . "&up=1");
ok $r->code == 200, 'a body of exactly 4096 bytes is accepted';

# User-Agent: truncated and stored safely.
$r = beat('/raspberrypiPhoneHome/ua-pi', headers => { 'User-Agent' => 'A' x 500 });
ok $r->code == 200;
$d = device_of(status_json(), 'ua-pi');
ok length($d->{user_agent}) == 127, 'User-Agent truncated to 127 bytes';
$r = beat('/raspberrypiPhoneHome/ua-pi', headers => { 'User-Agent' => "evil\t\xff<b>" });
$d = device_of(status_json(), 'ua-pi');
ok $d->{user_agent} eq 'evil??<b>', "control characters in User-Agent replaced ($d->{user_agent})";

# mod_remoteip is honoured: a proxy on 127.0.0.1 names the real client.
$r = beat('/raspberrypiPhoneHome/proxied-pi', headers => { 'X-Forwarded-For' => '203.0.113.7' });
ok $r->code == 200;
ok device_of(status_json(), 'proxied-pi')->{remote_ip} eq '203.0.113.7',
   'remote IP as mod_remoteip gives it';
$r = beat('/raspberrypiPhoneHome/proxied6-pi', headers => { 'X-Forwarded-For' => '2001:db8::1' });
ok device_of(status_json(), 'proxied6-pi')->{remote_ip} eq '2001:db8::1', 'IPv6 remote IP';

# Declared devices are in the table before they beat, in state unknown,
# and keep their declared MaxAge and Name=.
$s = status_json();
$d = device_of($s, 'silent-pi');
ok $d && $d->{state} eq 'unknown', 'a declared device that never beat is unknown';
ok !defined $d->{last_seen} && !defined $d->{age}, 'never seen: last_seen and age are null';
ok device_of($s, 'shop-pi')->{max_age} == 3, 'declared device without MaxAge= gets PhoneHomeMaxAge';
$d = device_of($s, 'declared-pi');
ok $d->{max_age} == 2, 'MaxAge= of a declared device';
ok $d->{display} eq 'Cabin <Pi> & "Co"', 'Name= is the display name';
ok device_of($s, 'kitchen-pi')->{display} eq 'kitchen-pi (Raspberry Pi phone home)',
   'an undeclared device is shown as "name (monitor name)"';
ok device_of($s, 'raspberrypi')->{display} eq 'Raspberry Pi phone home',
   'the default device is shown as the monitor name';
done_testing();
