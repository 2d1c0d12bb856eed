# The admin handler (SetHandler phonehome-admin): pause, resume and forget
# through the script API (header X-PhoneHome-Admin: 1) and the page's forms
# (the nonce), the refusals (403, 405, 400, 404, 409), the paused state in
# every status format, no alert while paused and a whole MaxAge after the
# resume or a timed pause's end, forgetting that frees the slot (and
# stays forgotten across graceful and cold restarts), and
# PhoneHomeForgetAfter.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(sleep time);
use JSON::PP ();
use LWP::UserAgent ();
use HTTP::Request ();
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until);
use PhSmtp qw(start_smtp decode_subject);

my $json = JSON::PP->new;
my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0, max_redirect => 0);

my $admin_conf = <<'EOC';
<Location /phonehome-admin>
    SetHandler phonehome-admin
    Require local
</Location>
EOC

sub post {
    my ($h, $path, $body, %hdr) = @_;
    my $req = HTTP::Request->new(POST => $h->base . "/phonehome-admin$path");
    $req->header('Content-Type' => 'application/x-www-form-urlencoded');
    $req->header($_ => $hdr{$_}) for keys %hdr;
    $req->content($body // '');
    return $ua->request($req);
}

sub act {
    my ($h, $dev, $action, $body) = @_;
    return post($h, "/devices/$dev/$action", $body, 'X-PhoneHome-Admin' => 1);
}

sub answer { $json->decode($_[0]->decoded_content) }

sub state_of {
    my ($h, $dev) = @_;
    my $d = device_of(status_json($h->base), $dev);
    return $d ? $d->{state} : '';
}

sub events_log {
    my ($h) = @_;
    open my $fh, '<', $h->dir . '/state/events.log' or return '';
    local $/;
    return <$fh>;
}

sub slurp {
    open my $fh, '<:raw', $_[0] or return '';
    local $/;
    return <$fh>;
}

# The Error mails that name $dev (alone or in a digest).
sub errors_for {
    my ($smtp, $dev) = @_;
    return grep { decode_subject($_->{headers}{subject}) =~ /^Error :/
                  && $_->{body} =~ /\b\Q$dev\E\b/ } $smtp->mails;
}

my $smtp = start_smtp(name => 'admin');
my $port = $smtp->port;
my $h = private_httpd('admin', phonehome_conf() . $admin_conf . <<"EOC");
PhoneHomeMailFrom  pialert\@example.com
PhoneHomeMailTo    me\@example.com
PhoneHomeSMTPServer 127.0.0.1:$port
PhoneHomeMaxAge 2
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeArmAfter 0
PhoneHomeMaxDevices 6
PhoneHomeDevice decl-pi MaxAge=3600
EOC
my $b = $h->base;

# --- The page: devices with forms carrying the nonce, no inline script ---
is beat('/raspberrypiPhoneHome/hol-pi', base => $b)->code, 200, 'hol-pi beats';
my $page = $ua->get("$b/phonehome-admin/");
is $page->code, 200, 'the admin page';
my $html = $page->decoded_content;
like $page->header('Content-Security-Policy'), qr/default-src 'none'/, 'a strict CSP';
like $page->header('Content-Security-Policy'), qr/form-action 'self'/, 'forms post to itself only';
like $html, qr{<form method="post" action="/phonehome-admin/devices/hol-pi/pause">}, 'a pause form';
like $html, qr{action="/phonehome-admin/devices/hol-pi/resume"}, 'a resume form';
like $html, qr{action="/phonehome-admin/devices/hol-pi/forget"}, 'a forget form';
unlike $html, qr{devices/decl-pi/forget}, 'no forget form for a declared device';
unlike $html, qr{<script|\son\w+=|\sstyle=}i, 'no inline script or style';
my ($nonce) = $html =~ /name="nonce" value="([0-9a-f]{32})"/;
ok $nonce, 'the forms carry a nonce';
is $ua->get("$b/phonehome-admin/style.css")->code, 200, 'its stylesheet';

# --- Refusals: each changes nothing ---------------------------------------
my $r = post($h, '/devices/hol-pi/pause', '');
is $r->code, 403, 'no header and no nonce: 403';
like $r->decoded_content, qr/\A[^\n]*X-PhoneHome-Admin[^\n]*\n\z/, 'one line saying what is needed';
is post($h, '/devices/hol-pi/pause', 'nonce=' . ('0' x 32))->code, 403, 'a wrong nonce: 403';
is post($h, '/devices/hol-pi/pause', '', 'X-PhoneHome-Admin' => 'yes')->code, 403, 'the header must say 1';
is $ua->get("$b/phonehome-admin/devices/hol-pi/pause")->code, 405, 'GET on an action: 405';
like $ua->get("$b/phonehome-admin/devices/hol-pi/pause")->header('Allow') // '', qr/POST/, 'Allow: POST';
for my $bad ('for=-5', 'for=abc', 'for=0', 'for=99999999999', 'until=1', 'until=' . (int(time) + 400 * 86400),
             'for=2&until=' . (int(time) + 60)) {
    $r = act($h, 'hol-pi', 'pause', $bad);
    is $r->code, 400, "$bad: 400";
    like $r->decoded_content, qr/\A[^\n]+\n\z/, "$bad: one line";
}
is act($h, 'nobody-pi', 'pause', '')->code, 404, 'an unknown device: 404';
is act($h, '.bad', 'pause', '')->code, 400, 'a bad name: 400';
is act($h, 'hol-pi', 'explode', '')->code, 404, 'an unknown action: 404';
$r = act($h, 'decl-pi', 'forget', '');
is $r->code, 409, 'forgetting a declared device: 409';
like $r->decoded_content, qr/PhoneHomeDevice/, 'saying why';
is state_of($h, 'hol-pi'), 'up', 'nothing changed';
is state_of($h, 'decl-pi'), 'unknown', 'the declared device is still there';

# --- Pause: no alert while paused; a whole MaxAge after the resume --------
# hol-pi first: its deadline comes before ctl-pi's, whose Error is the mark.
is beat('/raspberrypiPhoneHome/hol-pi', base => $b)->code, 200, 'hol-pi beats';
is beat('/raspberrypiPhoneHome/ctl-pi', base => $b)->code, 200, 'ctl-pi (not paused) beats';
$r = act($h, 'hol-pi', 'pause', '');
is $r->code, 200, 'pause with the header';
is_deeply answer($r), { device => 'hol-pi', state => 'paused', paused_until => undef },
    'JSON: paused until resumed';
is $r->header('Content-Type'), 'application/json', 'as JSON';
ok poll_until(30, sub { errors_for($smtp, 'ctl-pi') }), 'ctl-pi, silent as long, sent its Error';
ok poll_until(30, sub { status_json($b)->{outbox}{queued} == 0 }), 'nothing waits in the outbox';
is scalar(errors_for($smtp, 'hol-pi')), 0, 'the paused device sent no Error';
my $s = status_json($b);
is device_of($s, 'hol-pi')->{state}, 'paused', '?json: paused';
ok exists device_of($s, 'hol-pi')->{paused_until}, '?json: paused_until';
like $ua->get("$b/phonehome-status?auto")->decoded_content, qr/^Device\[\d+\]Name: hol-pi\nDevice\[\d+\]Display: .*\nDevice\[\d+\]State: paused$/m,
     '?auto: paused';
like $ua->get("$b/phonehome-status?metrics")->decoded_content,
     qr/^phonehome_device_state\{device="hol-pi",state="paused"\} 1$/m, '?metrics: paused';
like $ua->get("$b/phonehome-status?state=paused")->decoded_content, qr/hol-pi/, 'HTML, filtered to paused';
like $ua->get("$b/phonehome-status?device=hol-pi")->decoded_content, qr/paused/, 'HTML: the device view';
is beat('/raspberrypiPhoneHome/hol-pi', base => $b)->code, 200, 'a beat during the pause';
my $d = device_of(status_json($b), 'hol-pi');
is $d->{state}, 'paused', 'still paused';
ok $d->{age} <= 1, 'but last_seen recorded';

# Resumed with the page's nonce (no header).
sleep 0.1 until time - $d->{last_seen} > 2.5;    # silent past its MaxAge
$r = post($h, '/devices/hol-pi/resume', "nonce=$nonce");
my $resumed = time;
is $r->code, 200, 'resume with the nonce';
is_deeply answer($r), { device => 'hol-pi', state => 'up', paused_until => undef }, 'JSON: up';
is state_of($h, 'hol-pi'), 'up', 'up, not down, the moment the pause ends';
ok poll_until(30, sub { errors_for($smtp, 'hol-pi') }), 'an Error once silent a MaxAge after the resume';
ok time - $resumed >= 1.9, sprintf('not before a whole MaxAge (%.1f s)', time - $resumed);
is scalar(errors_for($smtp, 'hol-pi')), 1, 'one Error';

# A form of the page goes back to it.
$r = post($h, '/devices/hol-pi/pause', "nonce=$nonce&back=1");
is $r->code, 303, 'a form: 303 back to the page';
is $r->header('Location'), '/phonehome-admin/', 'to the admin page';
is state_of($h, 'hol-pi'), 'paused', 'and it did pause';
# Down and told so, resumed in silence: down, no second Error.
is answer(act($h, 'hol-pi', 'resume', ''))->{state}, 'down', 'resumed while silent: down';
is beat('/raspberrypiPhoneHome/hol-pi', base => $b)->code, 200, 'hol-pi beats again';
ok poll_until(30, sub { grep { decode_subject($_->{headers}{subject}) =~ /^Good :.*hol-pi/ } $smtp->mails }),
   'its Good';
is scalar(errors_for($smtp, 'hol-pi')), 1, 'and never a repeated Error';

# --- A pause for=2 ends by itself, with no Error at the edge --------------
is beat('/raspberrypiPhoneHome/edge-pi', base => $b)->code, 200, 'edge-pi beats';
$r = act($h, 'edge-pi', 'pause', 'for=2');
is $r->code, 200, 'pause for=2';
my $until = answer($r)->{paused_until};
ok $until >= int(time) + 1 && $until <= int(time) + 3, 'paused_until is 2 s on';
ok poll_until(30, sub { state_of($h, 'edge-pi') ne 'paused' }), 'the pause ends';
my $ended = time;
is state_of($h, 'edge-pi'), 'up', 'up at the edge (its MaxAge had passed)';
like events_log($h), qr/"event":"pause_end","device":"edge-pi"/, 'events.log: pause_end';
ok poll_until(30, sub { errors_for($smtp, 'edge-pi') }), 'an Error a MaxAge later';
ok time - $ended >= 1.2, sprintf('not at the edge (%.1f s after)', time - $ended);

# --- Forget frees the slot -------------------------------------------------
# decl-pi, hol-pi, ctl-pi, edge-pi and two more fill the 6 slots.
is beat("/raspberrypiPhoneHome/fill-$_", base => $b)->code, 200, "fill-$_" for 1 .. 2;
is beat('/raspberrypiPhoneHome/fill-3', base => $b)->code, 503, 'the table is full: 503';
$r = act($h, 'fill-1', 'forget', '');
is $r->code, 200, 'forget fill-1';
is_deeply answer($r), { device => 'fill-1', state => 'forgotten', paused_until => undef }, 'JSON: forgotten';
is act($h, 'fill-1', 'forget', '')->code, 404, 'forgotten: unknown now';
is beat('/raspberrypiPhoneHome/fill-3', base => $b)->code, 200, 'a new name takes the freed slot';
ok !device_of(status_json($b), 'fill-1'), 'not in ?json';
unlike $ua->get("$b/phonehome-status")->decoded_content, qr/class="dev">fill-1</, 'not on the status page';
unlike $ua->get("$b/phonehome-admin/")->decoded_content, qr/fill-1/, 'nor on the admin page';
unlike $ua->get("$b/phonehome-status?auto")->decoded_content, qr/fill-1/, 'nor in ?auto';
like events_log($h), qr/"event":"forget","device":"fill-1","state":"forgotten","paused_until":null,"by":null,"remote_ip":"127\.0\.0\.1"/,
     'events.log: forget, by whom';
like $h->log, qr/PH00210: admin: forget fill-1 by - from 127\.0\.0\.1/, 'error log: who and from where';
like $h->log, qr/PH00210: admin: pause hol-pi/, 'error log: the pause';

# Forgotten stays forgotten; a pause until a time survives too.
my $pause_until = int(time) + 3600;
is answer(act($h, 'fill-2', 'pause', "until=$pause_until"))->{paused_until}, $pause_until, 'pause until=';
ok $h->graceful, 'graceful restart';
ok !device_of(status_json($b), 'fill-1'), 'forgotten after a graceful restart';
is device_of(status_json($b), 'fill-2')->{paused_until}, $pause_until, 'still paused until the same time';
ok $h->stop, 'stop';
ok $h->start, 'cold start';
$s = status_json($b);
ok !device_of($s, 'fill-1'), 'forgotten after a cold start';
ok device_of($s, 'fill-3'), 'the new device is there';
is device_of($s, 'fill-2')->{state}, 'paused', 'still paused after a cold start';
is device_of($s, 'fill-2')->{paused_until}, $pause_until, 'until the same time';
$h->stop;

# --- The same after a crash: the snapshot alone ---------------------------
{
    my $k = private_httpd('admin-crash', phonehome_conf() . $admin_conf . "PhoneHomeMaxAge 60\n");
    my $kb = $k->base;
    is beat("/raspberrypiPhoneHome/$_", base => $kb)->code, 200, "$_ beats" for qw(keep-pi lost-pi);
    # slotmem's own copy, written at this graceful restart, still holds
    # lost-pi; the snapshot after the forget must win over it.
    ok $k->graceful, 'graceful restart';
    is act($k, 'lost-pi', 'forget', '')->code, 200, 'forget lost-pi';
    # The snapshot is written again within seconds of a change.
    ok poll_until(30, sub { my $snap = slurp($k->dir . '/state/state.snapshot');
                            $snap =~ /keep-pi/ && $snap !~ /lost-pi/ }), 'a snapshot without it';
    ok $k->kill9, 'kill -9 every process';
    ok $k->start, 'start after the crash';
    my $ks = status_json($kb);
    ok device_of($ks, 'keep-pi'), 'keep-pi restored';
    ok !device_of($ks, 'lost-pi'), 'the forgotten device is not resurrected';
    $k->stop;
}

# --- PhoneHomeForgetAfter -------------------------------------------------
{
    my $f = private_httpd('forget-after', phonehome_conf() . <<'EOC');
PhoneHomeMaxAge 1
PhoneHomeStartupGrace 0
PhoneHomeForgetAfter 2
PhoneHomeDevice kept-pi
EOC
    my $fb = $f->base;
    is beat("/raspberrypiPhoneHome/$_", base => $fb)->code, 200, "$_ beats" for qw(gone-pi kept-pi);
    my $t = time;
    ok poll_until(30, sub { !device_of(status_json($fb), 'gone-pi') }), 'the silent undeclared device is removed';
    ok time - $t >= 1.8, sprintf('not before 2 s (%.1f s)', time - $t);
    ok device_of(status_json($fb), 'kept-pi'), 'the declared one stays';
    like events_log($f), qr/"event":"forget","device":"gone-pi","by":"PhoneHomeForgetAfter","silent":\d+/,
         'events.log: forget, by PhoneHomeForgetAfter';
    like $f->log, qr/PH00215: forgot undeclared device gone-pi/, 'error log';
    is beat('/raspberrypiPhoneHome/gone-pi', base => $fb)->code, 200, 'the name can come back';
    $f->stop;
}

# Refused at startup: a bad PhoneHomeForgetAfter names the directive.
{
    my ($rc, $out) = PhTest::config_test('forget-bad', phonehome_conf() . "PhoneHomeForgetAfter soon\n");
    isnt $rc, 0, 'PhoneHomeForgetAfter soon: refused';
    like $out, qr/PhoneHomeForgetAfter/, 'naming the directive';
}

$smtp->stop;
done_testing();
