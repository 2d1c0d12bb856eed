# The status page in all its formats, and the PhoneHome section of
# /server-status; every piece of device-supplied text escaped for its format.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use JSON::PP ();
use PhTest qw(beat);

my $evil_ua = q{<script>alert("x")</script> & 'q' \\ "};
is beat('/raspberrypiPhoneHome/status-pi?t=1700000000&boot=b00t&up=77',
        headers => { 'User-Agent' => $evil_ua })->code, 200, 'a beat to show';
is beat('/raspberrypiPhoneHome/status-pi?seq=1')->code, 200, 'and a second one';
is beat('/raspberrypiPhoneHome/ua-status-pi', headers => { 'User-Agent' => $evil_ua })->code, 200;

# JSON: exactly the contract's fields, valid, escaped.
my $r = GET '/phonehome-status?json';
is $r->code, 200, '?json answers';
like $r->header('Content-Type'), qr{^application/json}, '?json is application/json';
is $r->header('Cache-Control'), 'no-store', 'status is not cacheable';
my $s = eval { JSON::PP->new->decode($r->content) };
ok $s, 'valid JSON' or diag $@;
is_deeply [sort keys %$s], [sort qw(server_time started devices outbox state_dir events)], 'top-level keys';
is_deeply [sort keys %{ $s->{state_dir} }],
    [sort qw(writable error failing_since memory_held memory_held_bytes memory_bytes memory_overflow write_failures)],
    'state_dir keys (the state directory\'s health, see t/fulldisk.t)';
ok $s->{state_dir}{writable} && $s->{state_dir}{memory_held} == 0, 'a healthy disk: writable, nothing held in memory';
ok abs($s->{server_time} - time) <= 2, 'server_time is now';
ok $s->{started} <= $s->{server_time} && $s->{started} > time - 3600, 'started is epoch seconds';
# The main test server mails nowhere (see extra.conf.in), so the outbox
# may hold mails; here only the shape is checked, t/alert.t checks counts.
like "$s->{outbox}{queued} $s->{outbox}{dead}", qr/^\d+ \d+$/, 'outbox counts are numbers';
ok !defined $s->{outbox}{last_error} || !ref $s->{outbox}{last_error}, 'last_error is a string or null';
is ref $s->{events}, 'ARRAY', 'recent events are a list';
my ($d) = grep { $_->{name} eq 'status-pi' } @{ $s->{devices} };
is_deeply [sort keys %$d],
    [sort qw(name display state last_seen age max_age since beats remote_ip user_agent
             client_time skew boot_id uptime paused_until flapping)], 'every device field is there';
is $d->{beats}, 2, 'beats';
is $d->{max_age}, 3, 'max_age';
ok $d->{age} >= 0 && $d->{age} <= 2, 'age in seconds';
ok !defined $d->{uptime}, 'the second beat had no up=';
my ($u) = grep { $_->{name} eq 'ua-status-pi' } @{ $s->{devices} };
is $u->{user_agent}, $evil_ua, 'User-Agent round-trips through JSON exactly';
unlike $r->content, qr/<script>/, 'no raw < in JSON (safe to embed in HTML)';
my @names = map { $_->{name} } @{ $s->{devices} };
my %at = map { $names[$_] => $_ } 0 .. $#names;
ok $at{'ua-status-pi'} > $at{'status-pi'},
   'machine formats list devices in slot order: first heard, first listed';

# ?auto: mod_status-style Key: value lines.
$r = GET '/phonehome-status?auto';
is $r->code, 200, '?auto answers';
like $r->header('Content-Type'), qr{^text/plain}, '?auto is text/plain';
my $auto = $r->content;
my %kv = map { /^([^:]+): (.*)$/ ? ($1 => $2) : () } split /\n/, $auto;
ok !grep({ !/^[A-Za-z0-9\[\]]+: / } split /\n/, $auto), 'every ?auto line is "Key: value"';
is $kv{PhoneHomeDevices}, scalar @{ $s->{devices} }, 'PhoneHomeDevices';
is $kv{PhoneHomeUp} + $kv{PhoneHomeDown} + $kv{PhoneHomeUnknown}, $kv{PhoneHomeDevices},
   'PhoneHomeUp + Down + Unknown = Devices';
ok exists $kv{ServerTime}, 'ServerTime';
my ($i) = map { /^Device\[(\d+)\]Name$/ && $kv{$_} eq 'status-pi' ? $1 : () } keys %kv;
ok defined $i, 'the device is listed';
is $kv{"Device[${i}]State"}, 'up', 'Device[i]State';
ok exists $kv{"Device[${i}]LastSeen"} && exists $kv{"Device[${i}]Age"}, 'LastSeen and Age';
is $kv{"Device[${i}]BootId"}, 'b00t', 'BootId';
my ($j) = map { /^Device\[(\d+)\]Name$/ && $kv{$_} eq 'silent-pi' ? $1 : () } keys %kv;
is $kv{"Device[${j}]State"}, 'unknown', 'a declared silent device is unknown';
ok !exists $kv{"Device[${j}]LastSeen"}, 'and has no LastSeen';

# ?metrics: Prometheus text format.
$r = GET '/phonehome-status?metrics';
is $r->code, 200, '?metrics answers';
like $r->header('Content-Type'), qr{^text/plain; version=0\.0\.4}, 'Prometheus content type';
my $m = $r->content;
like $m, qr/^phonehome_device_up\{device="status-pi"\} 1$/m, 'phonehome_device_up for an up device';
like $m, qr/^phonehome_device_up\{device="silent-pi"\} 0$/m, 'phonehome_device_up 0 for unknown';
like $m, qr/^phonehome_device_beats_total\{device="status-pi"\} 2$/m, 'beats counter';
like $m, qr/^phonehome_devices\{state="up"\} \d+$/m, 'devices by state';
like $m, qr/^# TYPE phonehome_device_up gauge$/m, 'TYPE lines';
ok !grep({ !/^(#|[a-z_]+(\{[^}]*\})? -?\d+(\.\d+)?$)/ } split /\n/, $m), 'every line is a comment or a sample';

# HTML: escaped, down first, refresh.
$r = GET '/phonehome-status';
is $r->code, 200, 'HTML answers';
like $r->header('Content-Type'), qr{^text/html}, 'HTML is text/html';
my $html = $r->content;
unlike $html, qr/<script>/, 'no script from a User-Agent';
like $html, qr/&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;q&#39;/,
     'User-Agent escaped in HTML';
like $html, qr/Cabin &lt;Pi&gt; &amp; &quot;Co&quot;/, 'display name escaped in HTML';
like $html, qr/status-pi/, 'devices listed';
like $html, qr/last beat (just now|\d+ s ago)/, 'human times: "just now", "N s ago"';
unlike $html, qr/http-equiv="refresh"/, 'no refresh unless asked';
like GET('/phonehome-status?refresh=5')->content, qr/http-equiv="refresh" content="5"/, '?refresh=N';
is GET('/phonehome-status?refresh=abc')->code, 400, 'a bad refresh is 400';
is GET('/phonehome-status?refresh=0')->code, 400, 'refresh=0 is 400';
is Apache::TestRequest::HEAD('/phonehome-status?json')->code, 200, 'HEAD on the status page';
is Apache::TestRequest::POST('/phonehome-status', content => 'x=1')->code, 405, 'POST on the status page is 405';

# /server-status gains a PhoneHome section, in HTML and ?auto.
$r = GET '/server-status';
is $r->code, 200, '/server-status answers';
like $r->content, qr{<h2>PhoneHome</h2>}, 'PhoneHome section in /server-status';
like $r->content, qr/status-pi/, 'with the device table';
unlike $r->content, qr/<script>/, 'escaped there too';
$r = GET '/server-status?auto';
like $r->content, qr/^PhoneHomeDevices: \d+$/m, 'PhoneHomeDevices in /server-status?auto';
like $r->content, qr/^PhoneHomeUp: \d+$/m, 'PhoneHomeUp in /server-status?auto';

# Status is guarded by Require local like any Location: here we are local.
done_testing();
