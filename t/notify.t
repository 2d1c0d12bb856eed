# Channels beyond mail (PhoneHomeNotify), end to end: a real httpd, a real
# HTTP receiver (t/http_sink.py) that records every request, and mail
# through t/smtp_sink.py.  Each kind's request, retry on 503 with
# Retry-After, dead at once on 401, the outbox across kill -9, digests per
# channel, Notify= routing, a channel's alerts in order, a hung service
# that delays nothing else, and no secret anywhere.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use Encode ();
use File::Path ();
use JSON::PP ();
use LWP::UserAgent ();
use MIME::Base64 ();
use Time::HiRes qw(sleep time);
use PhTest qw(phonehome_conf private_httpd config_test status_json device_of
              beat poll_until t_dir);
use PhHttp qw(start_http);
use PhSmtp qw(start_smtp decode_subject);

my $json = JSON::PP->new->utf8->canonical;

sub server {
    my ($name, $extra) = @_;
    return private_httpd($name, Encode::encode('UTF-8', phonehome_conf() . <<"EOC" . ($extra // '')));
PhoneHomeMaxAge 2
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
# Undeclared test devices alert at their first beat, as in the first wave
# (arming has its own test in t/security.t).
PhoneHomeArmAfter 0
EOC
}

sub state_of {
    my ($h, $dev) = @_;
    my $d = device_of(status_json($h->base), $dev);
    return $d ? $d->{state} : '';
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', $f or return '';
    local $/;
    return scalar <$fh>;
}

sub events_log { slurp($_[0]->dir . '/state/events.log') }

sub channel_of {
    my ($h, $name) = @_;
    my ($c) = grep { $_->{name} eq $name } @{ status_json($h->base)->{channels} // [] };
    return $c // {};
}

# Everything a user or an admin can see of the server, in one string.
sub all_output {
    my ($h) = @_;
    my $ua = LWP::UserAgent->new(timeout => 30);
    my $out = '';
    for my $q ('', '?auto', '?json', '?metrics') {
        $out .= $ua->get($h->base . "/phonehome-status$q")->decoded_content;
    }
    return $out . $h->log . events_log($h);
}

sub secret_file {
    my ($name, $value) = @_;
    File::Path::make_path(t_dir() . '/private');
    my $f = t_dir() . "/private/$name.secret";
    open my $fh, '>', $f or die "$f: $!";
    print $fh "$value\n";
    close $fh;
    chmod 0600, $f;                     # a secret: others may not read it
    return $f;
}

my $TOKEN = 'tok-SECRET-4711';
my $USER = 'usr-SECRET-0815';
my $token_file = secret_file('token', $TOKEN);
my $user_file = secret_file('user', $USER);

# --- Each kind's request ----------------------------------------------------
{
    my $rx = start_http(name => 'kinds');
    my $u = $rx->url;
    my $hook_file = secret_file('hook', "$u/slack/T000/B000/XSECRETX");
    my $h = server('notify-kinds', <<"EOC");
PhoneHomeNotify hook     $u/hook token-file=$token_file
PhoneHomeNotify phone    $u/ntfy/alerts kind=ntfy
PhoneHomeNotify gotify   $u/gotify/ kind=gotify token-file=$token_file priority=9
PhoneHomeNotify po       $u/pushover/1/messages.json kind=pushover token-file=$token_file user-file=$user_file
PhoneHomeNotify tg       $u/tg kind=telegram token-file=$token_file chat=-100123
PhoneHomeNotify team     \@$hook_file kind=slack
PhoneHomeNotify mx       $u/mx kind=matrix token-file=$token_file room=!room1:example.org
PhoneHomeDevice kitchen-pi Name="Küche <Pi> & \\"1\\""
EOC
    my $b = $h->base;
    is beat("/raspberrypiPhoneHome/kitchen-pi?boot=11111111-2222-3333-4444-555555555555", base => $b)->code,
       200, 'a beat';
    ok poll_until(20, sub { state_of($h, 'kitchen-pi') eq 'down' }), 'the device goes down';
    my @r = $rx->wait_requests(7, 40);
    is scalar @r, 7, 'one request per channel' or diag explain [map { $_->{path} } @r];
    my %by;
    for my $r (@r) {
        my ($k) = $r->{path} =~ m{^/(\w+)};
        $by{$k} = $r;
    }

    # Generic webhook: our JSON document.
    my $w = $by{hook};
    is $w->{method}, 'POST', 'webhook: POST';
    is $w->{path}, '/hook', 'webhook: the URL';
    is $w->{headers}{'content-type'}, 'application/json', 'webhook: JSON';
    is $w->{headers}{authorization}, "Bearer $TOKEN", 'webhook: token-file= as a bearer token';
    like $w->{headers}{'user-agent'}, qr{^mod_phonehome/}, 'webhook: User-Agent';
    my $doc = eval { JSON::PP->new->decode($w->{body}) };
    ok $doc, 'webhook: the body is JSON' or diag $w->{body};
    is $doc->{version}, 1, 'webhook: version';
    is $doc->{event}, 'down', 'webhook: event';
    is $doc->{state}, 'down', 'webhook: state';
    is $doc->{word}, 'Error', 'webhook: word';
    is $doc->{count}, 1, 'webhook: count';
    is $doc->{title}, 'Error : Küche <Pi> & "1"', 'webhook: title with the display name, escaped and decoded back';
    like $doc->{id}, qr/^\d+-\d+-\d+$/, 'webhook: a delivery id';
    my $d = $doc->{devices}[0];
    is $d->{device}, 'kitchen-pi', 'webhook: device';
    is $d->{display}, 'Küche <Pi> & "1"', 'webhook: display';
    is $d->{former}, 'up', 'webhook: former state';
    is $d->{boot_id}, '11111111-2222-3333-4444-555555555555', 'webhook: facts (boot id)';
    is $d->{remote_ip}, '127.0.0.1', 'webhook: facts (remote IP)';
    ok $d->{last_seen} && $d->{time} >= $d->{last_seen}, 'webhook: times';
    like $d->{info}, qr/^Last call was \d+ seconds ago$/, 'webhook: the seed\'s additional info';
    unlike $w->{body}, qr/[<>&]/, 'webhook: <, > and & are escaped in the JSON text';

    # ntfy: plain text and headers.
    my $n = $by{ntfy};
    is $n->{path}, '/ntfy/alerts', 'ntfy: the topic URL';
    is $n->{method}, 'POST', 'ntfy: POST';
    like $n->{headers}{title}, qr/^=\?UTF-8\?B\?[A-Za-z0-9+\/=]+\?=$/, 'ntfy: a UTF-8 Title is an encoded word';
    is decode_subject($n->{headers}{title}), 'Error : Küche <Pi> & "1"', 'ntfy: Title';
    is $n->{headers}{priority}, '4', 'ntfy: Priority (high for Error)';
    is $n->{headers}{tags}, 'warning', 'ntfy: Tags';
    like $n->{body}, qr/^Küche <Pi> & "1" is now in state: Error\nFormer state was Good\nAdditional info: Last call was \d+ seconds ago/,
         'ntfy: the text' or diag $n->{body};
    ok !exists $n->{headers}{authorization}, 'ntfy: no token, no Authorization';

    # Gotify.
    my $g = $by{gotify};
    is $g->{path}, '/gotify/message', 'gotify: POST /message';
    is $g->{headers}{'x-gotify-key'}, $TOKEN, 'gotify: X-Gotify-Key';
    my $gd = JSON::PP->new->decode($g->{body});
    is $gd->{priority}, 9, 'gotify: priority=';
    is $gd->{title}, 'Error : Küche <Pi> & "1"', 'gotify: title';
    like $gd->{message}, qr/is now in state: Error/, 'gotify: message';

    # Pushover: a form.
    my $p = $by{pushover};
    is $p->{path}, '/pushover/1/messages.json', 'pushover: the URL';
    is $p->{headers}{'content-type'}, 'application/x-www-form-urlencoded', 'pushover: a form';
    my %form = map { my ($k, $v) = split /=/, $_, 2; $v =~ s/%([0-9A-F]{2})/chr hex $1/ge;
                     ($k => Encode::decode('UTF-8', $v)) } split /&/, $p->{body};
    is $form{token}, $TOKEN, 'pushover: token';
    is $form{user}, $USER, 'pushover: user';
    is $form{title}, 'Error : Küche <Pi> & "1"', 'pushover: title';
    is $form{priority}, '1', 'pushover: priority 1 for Error';
    like $form{message}, qr/is now in state: Error/, 'pushover: message';

    # Telegram: the token is in the path.
    my $t = $by{tg};
    is $t->{path}, "/tg/bot$TOKEN/sendMessage", 'telegram: /bot<token>/sendMessage';
    my $td = JSON::PP->new->decode($t->{body});
    is $td->{chat_id}, '-100123', 'telegram: chat_id';
    like $td->{text}, qr/^Error : Küche <Pi> & "1"\nKüche/, 'telegram: title and text';

    # Slack-style: the URL from a file, mrkdwn entities.
    my $s = $by{slack};
    is $s->{path}, '/slack/T000/B000/XSECRETX', 'slack: the URL from the file';
    my $sd = JSON::PP->new->decode($s->{body});
    like $sd->{text}, qr/^\*Error : Küche &lt;Pi&gt; &amp; "1"\*\n/, 'slack: text, with &, <, > as entities';

    # Matrix: PUT with a transaction id.
    my $m = $by{mx};
    is $m->{method}, 'PUT', 'matrix: PUT';
    like $m->{path}, qr{^/mx/_matrix/client/v3/rooms/%21room1%3Aexample\.org/send/m\.room\.message/phonehome-\d+-\d+-\d+$},
         'matrix: room and transaction id in the path';
    is $m->{headers}{authorization}, "Bearer $TOKEN", 'matrix: access token';
    my $md = JSON::PP->new->decode($m->{body});
    is $md->{msgtype}, 'm.text', 'matrix: m.text';
    like $md->{body}, qr/^Error : Küche <Pi> & "1"\n/, 'matrix: body';

    ok poll_until(20, sub { my $c = channel_of($h, 'hook'); ($c->{sent} // 0) == 1 && $c->{queued} == 0 }),
       'status: the channel counts one sent, none queued';
    my $c = channel_of($h, 'team');
    is $c->{kind}, 'slack', 'status: the kind';
    my $auto = LWP::UserAgent->new->get("$b/phonehome-status?auto")->decoded_content;
    like $auto, qr/^PhoneHomeChannels: 7$/m, '?auto: channels';
    like $auto, qr/^Channel\[\d\]Name: hook\nChannel\[\d\]Kind: webhook\nChannel\[\d\]Queued: 0\nChannel\[\d\]Dead: 0\nChannel\[\d\]Sent: 1$/m,
         '?auto: per channel counts';
    my $metrics = LWP::UserAgent->new->get("$b/phonehome-status?metrics")->decoded_content;
    like $metrics, qr/^phonehome_notify_sent_total\{channel="phone",kind="ntfy"\} 1$/m, '?metrics: sent per channel';
    like $metrics, qr/^phonehome_notify_queued\{channel="phone",kind="ntfy"\} 0$/m, '?metrics: queued per channel';
    ok poll_until(10, sub { events_log($h) =~ /"event":"notify_sent".*"channel":"phone"/ }), 'events.log: notify_sent';
    my $html = LWP::UserAgent->new->get("$b/phonehome-status")->decoded_content;
    like $html, qr{<li>Channel <b>hook</b> \(webhook\): nothing waiting, 1 sent\.</li>},
         'HTML: the health of each channel in words';

    # Back up: a Good on every channel.
    beat('/raspberrypiPhoneHome/kitchen-pi', base => $b);
    @r = $rx->wait_requests(14, 40);
    is scalar @r, 14, 'a Good on every channel';
    my ($good) = grep { $_->{path} eq '/ntfy/alerts' } @r[7 .. $#r];
    is decode_subject($good->{headers}{title} // ''), 'Good : Küche <Pi> & "1"', 'ntfy: Good title';
    is $good->{headers}{priority}, '3', 'ntfy: default priority for Good';
    is $good->{headers}{tags}, 'white_check_mark', 'ntfy: Good tags';
    my ($up) = grep { $_->{path} eq '/hook' } @r[7 .. $#r];
    is(JSON::PP->new->decode($up->{body})->{event}, 'up', 'webhook: up');

    my $all = all_output($h);
    unlike $all, qr/SECRET/, 'no token, user key or secret URL in the status page, the error log or events.log';
    $h->stop;
    $rx->stop;
}

# --- Retry on 503 honouring Retry-After; dead at once on 401 ----------------
{
    my $busy = start_http(name => 'busy', fail_first => 2, fail_status => 503, retry_after => 7);
    my $bad = start_http(name => 'bad', status => 401);
    my $h = server('notify-retry', <<"EOC" . "PhoneHomeRetryPeriod 600\n");
PhoneHomeNotify busy ${\ $busy->url}/busy kind=ntfy
PhoneHomeNotify bad  ${\ $bad->url}/bad token-file=$token_file
EOC
    beat('/raspberrypiPhoneHome/retry-pi', base => $h->base);
    my @r = $busy->wait_requests(3, 60);
    is scalar @r, 3, 'two 503s, then delivered';
    is_deeply [map { $_->{status} } @r], [503, 503, 200], 'answers as recorded';
    if (@r == 3) {
        my $gap1 = $r[1]{time} - $r[0]{time};
        my $gap2 = $r[2]{time} - $r[1]{time};
        ok $gap1 >= 6.5, sprintf('Retry-After: 7 is honoured over the 5 s backoff (%.1f s)', $gap1);
        ok $gap2 >= 6.5, sprintf('and again (%.1f s)', $gap2);
    }
    else {
        fail('Retry-After') for 1 .. 2;
    }
    is $r[0]{body}, $r[2]{body}, 'the same notification each time';
    like $h->log, qr/PH00051: notification \S+ for channel busy not sent \(attempt 1\): HTTP 503 from 127\.0\.0\.1:\d+.*retrying in 7 s/,
         'the retry is logged with the answer';
    ok poll_until(10, sub { (channel_of($h, 'busy')->{sent} // 0) == 1 }), 'and counted as sent';

    my @b = $bad->wait_requests(1, 30);
    is scalar @b, 1, 'the bad token is tried once';
    ok poll_until(20, sub { (channel_of($h, 'bad')->{dead} // 0) == 1 }), '401: dead at once';
    my $c = channel_of($h, 'bad');
    is $c->{queued}, 0, 'and not queued';
    like $c->{last_error} // '', qr/HTTP 401 from 127\.0\.0\.1:\d+/, 'the channel shows its last error';
    like $h->log, qr/PH00052: channel bad refused notification \S+ for good \(HTTP 401/, 'logged clearly';
    ok scalar(glob($h->dir . '/state/dead/*.bad.notify')), 'it stays in dead/';
    sleep 6;
    is scalar($bad->requests), 1, 'never tried again';
    like events_log($h), qr/"event":"notify_dead".*"channel":"bad".*"status":401/, 'events.log: notify_dead';
    unlike all_output($h), qr/SECRET/, 'no secret in any output';
    my $s = status_json($h->base);
    is $s->{outbox}{dead}, 1, 'the outbox counts it as dead';
    $h->stop;
    $busy->stop;
    $bad->stop;
}

# --- A channel's alerts arrive in order: a Good waits for the Error ---------
{
    my $rx = start_http(name => 'order', fail_first => 1, fail_status => 503, retry_after => 5);
    my $h = server('notify-order', "PhoneHomeNotify phone ${\ $rx->url}/order kind=ntfy\n");
    beat('/raspberrypiPhoneHome/order-pi', base => $h->base);
    ok poll_until(30, sub { scalar $rx->requests }), 'the Error is tried and refused with 503';
    is beat('/raspberrypiPhoneHome/order-pi', base => $h->base)->code, 200, 'the device comes back at once';
    ok poll_until(30, sub { events_log($h) =~ /"event":"notify_queued".*"event":"notify_queued"/s }),
       'the Good is queued while the Error waits for its retry';
    # Then nothing beats, so MaxAge 2 later the device is down again: on a
    # slow machine that next Error is queued before the Good has gone (it
    # waits out the Retry-After) and follows it at once.  The order of the
    # first three is the point.
    my @r = $rx->wait_requests(3, 60);
    splice @r, 3 if @r > 3;
    is_deeply [map { decode_subject($_->{headers}{title} // '') =~ /^(\w+)/ ? "$1 $_->{status}" : '?' } @r],
              ['Error 503', 'Error 200', 'Good 200'], 'Error, Error again, then Good: never out of order';
    $h->stop;
    $rx->stop;
}

# --- Queued while the service is down, kill -9, delivered after restart ----
{
    my $rx = start_http(name => 'restart');
    $rx->stop;                                  # the service is down
    my $h = server('notify-restart', "PhoneHomeNotify phone ${\ $rx->url}/topic kind=ntfy\n");
    beat('/raspberrypiPhoneHome/lost-pi', base => $h->base);
    ok poll_until(20, sub { state_of($h, 'lost-pi') eq 'down' }), 'a device goes down';
    ok poll_until(30, sub {
        my $c = channel_of($h, 'phone');
        ($c->{queued} // 0) >= 1 && defined $c->{last_error};
    }), 'its notification waits, with the error on the status page';
    like channel_of($h, 'phone')->{last_error}, qr/127\.0\.0\.1:\d+: /, 'a connection error';
    my @files = glob($h->dir . '/state/outbox/*.phone.notify');
    is scalar @files, 1, 'one file in the outbox';
    my $file = slurp($files[0]);
    like $file, qr/^PHMAIL 1\n.*^channel phone$/ms, 'an outbox file naming its channel';
    ok $h->kill9, 'kill -9 every httpd process';
    ok $rx->start, 'the service comes back';
    ok $h->start, 'httpd starts again';
    my ($queued) = $files[0] =~ m{([^/]+)\z};
    ok poll_until(60, sub { events_log($h) =~ /"event":"notify_sent","notify":"\Q$queued\E"/ }),
       'the queued notification is delivered after kill -9';
    my @r = $rx->requests;
    # The queued Error first.  Right behind it (a channel's next file
    # follows at once) may come what the restart itself says of lost-pi,
    # still silent: the monitor's downtime notice, or, if the last snapshot
    # before the kill predated the down, its Error again (at least once).
    ok scalar(@r) >= 1 && scalar(@r) <= 2, 'one request, or two with what the restart says';
    like $r[0]{body} // '', qr/^lost-pi \(Raspberry Pi phone home\) is now in state: Error/, 'the right one';
    like $r[1]{body}, qr/^(lost-pi \(Raspberry Pi phone home\) is now in state: Error|.*the monitor itself was not running.*lost-pi)/s,
        'and nothing else' if @r > 1;
    ok poll_until(20, sub { (channel_of($h, 'phone')->{queued} // 1) == 0 }), 'and the outbox is empty';

    # A graceful restart (the module and libcurl loaded again) sends
    # nothing twice, and the channel keeps working.
    ok $h->graceful, 'graceful restart';
    my $good = sub { grep { ($_->{body} // '') =~ /^lost-pi \(Raspberry Pi phone home\) is now in state: Good/ } $rx->requests };
    beat('/raspberrypiPhoneHome/lost-pi', base => $h->base);
    ok poll_until(30, sub { scalar $good->() }), 'the Good arrives after the graceful restart';
    sleep 2;
    is scalar(() = $good->()), 1, 'once';
    $h->stop;
    $rx->stop;
}

# --- Digests per channel, and Notify= routing --------------------------------
{
    my $rx = start_http(name => 'digest');
    my $smtp = start_smtp(name => 'notify-digest');
    my $u = $rx->url;
    my $h = server('notify-digest', <<"EOC");
PhoneHomeDigestWindow 3
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:${\ $smtp->port}
PhoneHomeNotify a $u/a kind=ntfy
PhoneHomeNotify b $u/b
PhoneHomeDevice only-a Notify=a
PhoneHomeDevice a-and-mail Notify=a,mail
EOC
    my $b = $h->base;
    beat("/raspberrypiPhoneHome/site-$_", base => $b) for 1 .. 10;
    beat("/raspberrypiPhoneHome/$_", base => $b) for qw(only-a a-and-mail);
    ok poll_until(30, sub {
        12 == grep { $_->{state} eq 'down' } @{ status_json($b)->{devices} };
    }), '12 devices go down together';
    my @r = $rx->wait_requests(2, 40);
    my @m = $smtp->wait_mails(1, 40);
    sleep 3;
    @r = $rx->requests;
    my @a = grep { $_->{path} eq '/a' } @r;
    my @bb = grep { $_->{path} eq '/b' } @r;
    is scalar @a, 1, 'channel a: one request for the storm';
    is scalar @bb, 1, 'channel b: one request for the storm';
    is decode_subject($a[0]{headers}{title} // ''), 'Error : 12 devices (Raspberry Pi phone home)', 'a: a digest of 12';
    my $doc = JSON::PP->new->decode($bb[0]{body} // '{}');
    is $doc->{count}, 10, 'b: Notify= left out the two devices routed elsewhere';
    is scalar @{ $doc->{devices} // [] }, 10, 'b: every device listed';
    @m = $smtp->mails;
    is scalar @m, 1, 'one mail';
    is decode_subject($m[0]{headers}{subject} // ''), 'Error : 11 devices (Raspberry Pi phone home)',
       'mail: everything but Notify=a alone';
    $h->stop;
    $rx->stop;
    $smtp->stop;
}

# --- A hung service delays neither another channel, nor mail, nor detection --
{
    my $hang = start_http(name => 'hang', hang => 1);
    my $rx = start_http(name => 'fine');
    my $smtp = start_smtp(name => 'notify-hang');
    my $h = server('notify-hang', <<"EOC");
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:${\ $smtp->port}
PhoneHomeNotify stuck ${\ $hang->url}/stuck kind=ntfy timeout=60
PhoneHomeNotify fine ${\ $rx->url}/fine kind=ntfy
EOC
    my $b = $h->base;
    beat('/raspberrypiPhoneHome/first-pi', base => $b);
    ok poll_until(20, sub { scalar $hang->requests }), 'the hung service has the first request';
    ok scalar($rx->wait_requests(1, 20)), 'the other channel has it too';
    ok scalar($smtp->wait_mails(1, 30)), 'and the mail';
    my $t0 = time;
    beat('/raspberrypiPhoneHome/second-pi', base => $b);
    ok poll_until(20, sub { state_of($h, 'second-pi') eq 'down' }), 'another device goes down';
    ok time - $t0 < 6, sprintf('on time (%.1f s, MaxAge 2)', time - $t0);
    ok scalar($rx->wait_requests(2, 20)) == 2, 'the other channel gets the second alert';
    ok time - $t0 < 12, sprintf('at once (%.1f s)', time - $t0);
    ok scalar($smtp->wait_mails(2, 20)) == 2, 'so does mail';
    is scalar($hang->requests), 1, 'the hung channel is still on its first';
    $h->stop;
    $hang->stop;
    $rx->stop;
    $smtp->stop;
}

# --- Bad configuration stops httpd, naming the directive --------------------
{
    my @bad = (
        ['PhoneHomeNotify x', qr/PhoneHomeNotify: needs a channel name and a URL/],
        ['PhoneHomeNotify x ftp://example.com/', qr/PhoneHomeNotify: channel 'x': 'ftp:\/\/example.com\/': the scheme/],
        ['PhoneHomeNotify x https://example.com/ kind=fax', qr/PhoneHomeNotify: kind='fax' is not one of/],
        ['PhoneHomeNotify x https://example.com/ colour=red', qr/PhoneHomeNotify: unknown option 'colour'/],
        ['PhoneHomeNotify x telegram:// chat=1', qr/PhoneHomeNotify: channel 'x': telegram needs token-file=/],
        ["PhoneHomeNotify x https://example.com/ token-file=/nonexistent/tok", qr{PhoneHomeNotify: channel 'x': cannot read /nonexistent/tok}],
        ["PhoneHomeNotify mail https://example.com/", qr/PhoneHomeNotify: 'mail': 'mail' is the name of alert mail/],
        ["PhoneHomeNotify x https://example.com/\nPhoneHomeNotify x https://example.org/", qr/channel 'x' is declared twice/],
        ["PhoneHomeDevice pi Notify=nowhere", qr/PH00015: PhoneHomeDevice pi: Notify=nowhere: no PhoneHomeNotify channel/],
        ["PhoneHomeNotify x ntfy://user:pw\@example.com/t", qr/no user or password in the URL/],
    );
    my $i = 0;
    for my $case (@bad) {
        my ($conf, $re) = @$case;
        my ($rc, $out) = config_test('notify-bad' . $i++, phonehome_conf() . "$conf\n");
        ok $rc != 0, "refused: $conf";
        like $out, $re, 'with a message naming it' or diag $out;
    }
    my ($rc, $out) = config_test('notify-good', phonehome_conf() . <<"EOC");
PhoneHomeNotify a ntfy://ntfy.sh/my-alerts
PhoneHomeNotify b pushover:// token-file=$token_file user-file=$user_file
PhoneHomeNotify c telegram:// token-file=$token_file chat=\@mychannel
PhoneHomeNotify d https://hooks.example.com/x kind=mattermost
PhoneHomeNotify e gotify+http://gotify.lan token-file=$token_file
EOC
    is $rc, 0, 'good channels pass httpd -t' or diag $out;
    unlike $out, qr/SECRET/, 'and no secret is shown';
}

done_testing();
