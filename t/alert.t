# Detection and alert mail, end to end: real httpd, real SMTP server
# (t/smtp_sink.py on aiosmtpd), the seed's subjects and body lines, digests,
# the outbox surviving a dead SMTP server, restarts and kill -9.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(sleep time);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until);
use PhSmtp qw(start_smtp decode_subject);

sub server {
    my ($name, $smtp_port, $extra) = @_;
    return private_httpd($name, phonehome_conf() . <<"EOC" . ($extra // ''));
PhoneHomeMailFrom  pialert\@example.com
PhoneHomeMailTo    me\@example.com 9085551234\@vtext.com
PhoneHomeSMTPServer 127.0.0.1:$smtp_port
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

sub events_log {
    my ($h) = @_;
    open my $fh, '<', $h->dir . '/state/events.log' or return '';
    local $/;
    return <$fh>;
}

my $boot1 = '11111111-2222-3333-4444-555555555555';
my $boot2 = '66666666-7777-8888-9999-000000000000';

# --- The seed's cycle: Good, then Error when the beats stop, then Good ----
{
    my $smtp = start_smtp(name => 'cycle');
    my $h = server('cycle', $smtp->port);
    my $b = $h->base;
    is beat('/raspberrypiPhoneHome?' . int(time) . "&boot=$boot1&up=100", base => $b)->code, 200, 'first beat';
    is state_of($h, 'raspberrypi'), 'up', 'up at once';
    my $t0 = time;
    ok poll_until(20, sub { state_of($h, 'raspberrypi') eq 'down' }), 'down when the beats stop';
    my $took = time - $t0;
    ok $took >= 1.9, sprintf('not before MaxAge (%.1f s)', $took);

    my @m = $smtp->wait_mails(1, 30);
    is scalar @m, 1, 'one Error mail, and no mail for the first beat';
    my $m = $m[0];
    is decode_subject($m->{headers}{subject}), 'Error : Raspberry Pi phone home', "the seed's subject";
    like $m->{body}, qr/\ARaspberry Pi phone home is now in state: Error\nTime: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \S+ \d{4}\nFormer state was Good\nAdditional info: Last call was \d+ seconds ago\n- sent from mod_phonehome\n/,
         "the seed's body lines" or diag $m->{body};
    like $m->{body}, qr/^Last IP: 127\.0\.0\.1$/m, 'then the facts: last IP';
    like $m->{body}, qr/^Boot id: $boot1$/m, 'boot id';
    is $m->{from}, 'pialert@example.com', 'envelope from';
    is_deeply [sort @{ $m->{rcpt} }], ['9085551234@vtext.com', 'me@example.com'], 'envelope recipients';
    is $m->{headers}{from}, 'pialert@example.com', 'From:';
    is $m->{headers}{to}, 'me@example.com, 9085551234@vtext.com', 'To:';
    like $m->{headers}{date}, qr/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/, 'Date: (RFC 5322)';
    like $m->{headers}{'message-id'}, qr/^<[^<>\s]+\@example\.com>$/, 'Message-ID:';
    is $m->{headers}{'mime-version'}, '1.0', 'MIME-Version:';
    is $m->{headers}{'content-type'}, 'text/plain; charset=UTF-8', 'Content-Type:';
    is $m->{headers}{'auto-submitted'}, 'auto-generated', 'Auto-Submitted:';
    unlike $m->{raw}, qr/(?<!\r)\n/, 'CRLF line ends only';

    # The Pi comes back after a power cut: a new boot id.
    sleep 1;
    is beat("/raspberrypiPhoneHome?t=" . int(time) . "&boot=$boot2&up=5", base => $b)->code, 200, 'the device is back';
    is state_of($h, 'raspberrypi'), 'up', 'up at once, on the beat';
    @m = $smtp->wait_mails(2, 30);
    is scalar @m, 2, 'a Good mail';
    $m = $m[1];
    is decode_subject($m->{headers}{subject}), 'Good : Raspberry Pi phone home', 'Good subject';
    like $m->{body}, qr/^Raspberry Pi phone home is now in state: Good\n.*\nFormer state was Error\nAdditional info: Service restored after \d+ s without a call; the device restarted/m,
         'Good body says how long and that it restarted' or diag $m->{body};
    like $m->{body}, qr/^Outage: \d+ s /m, 'the outage length';
    like $m->{body}, qr/^Reboot: yes/m, 'a new boot id is reported as a restart';

    my $log = events_log($h);
    like $log, qr/"event":"down","device":"raspberrypi"/, 'events.log: down';
    like $log, qr/"event":"up","device":"raspberrypi".*"rebooted":true/, 'events.log: up after a reboot';
    like $log, qr/"event":"mail_sent"/, 'events.log: mail sent';
    like $h->log, qr/PH00020: raspberrypi is down/, 'error log: down';
    like $h->log, qr/PH00030: sent mail/, 'error log: sent';
    my $s = status_json($b);
    ok scalar(grep { $_->{event} eq 'down' } @{ $s->{events} }), 'the status page lists recent events';
    ok poll_until(10, sub { my $o = status_json($b)->{outbox}; $o->{queued} == 0 && $o->{sent} == 2 }),
       'the outbox is empty, two mails sent';

    # Nothing more while it keeps beating, and a graceful restart sends
    # nothing and resets no timer.
    beat('/raspberrypiPhoneHome', base => $b) for 1 .. 2;
    ok $h->graceful, 'graceful restart';
    is state_of($h, 'raspberrypi'), 'up', 'still up after the restart';
    ok poll_until(20, sub { state_of($h, 'raspberrypi') eq 'down' }), 'goes down on the same timer';
    @m = $smtp->wait_mails(3, 30);
    is scalar @m, 3, 'exactly one more mail: the Error';
    sleep 3;
    is scalar($smtp->mails), 3, 'no mail was sent twice';
    my $since = device_of(status_json($b), 'raspberrypi')->{since};
    ok $h->graceful, 'graceful restart while down';
    sleep 3;
    is scalar($smtp->mails), 3, 'a graceful restart sends nothing';
    my $d = device_of(status_json($b), 'raspberrypi');
    is $d->{state}, 'down', 'still down';
    is $d->{since}, $since, 'and down since the same time';
    $h->stop;
    $smtp->stop;
}

# --- Startup grace, and a declared device that never beats ----------------
{
    my $smtp = start_smtp(name => 'grace');
    my $h = server('grace', $smtp->port, <<'EOC');
PhoneHomeStartupGrace 4
PhoneHomeDevice never-pi MaxAge=2 Name="Never Pi"
EOC
    my $started = status_json($h->base)->{started};
    is state_of($h, 'never-pi'), 'unknown', 'a declared device is unknown at first';
    ok poll_until(30, sub { state_of($h, 'never-pi') eq 'down' }), 'down after grace + MaxAge';
    ok time - $started >= 5.5, 'not before grace + MaxAge';
    my ($m) = $smtp->wait_mails(1, 30);
    is decode_subject($m->{headers}{subject} // ''), 'Error : Never Pi', 'Name= is the subject';
    like $m->{body}, qr/^Former state was no state$/m, "the seed's 'no state'";
    like $m->{body}, qr/^Additional info: No call since the server started$/m, 'never heard from';
    $h->stop;
    $smtp->stop;
}

# --- A mail storm becomes one digest ----------------------------------------
{
    my $smtp = start_smtp(name => 'digest');
    my $h = server('digest', $smtp->port, "PhoneHomeDigestWindow 3\n");
    my $b = $h->base;
    beat("/raspberrypiPhoneHome/site-$_", base => $b) for 1 .. 12;
    ok poll_until(30, sub {
        my $s = status_json($b);
        12 == grep { $_->{name} =~ /^site-/ && $_->{state} eq 'down' } @{ $s->{devices} };
    }), '12 devices go down together';
    my @m = $smtp->wait_mails(1, 30);
    sleep 2;
    @m = $smtp->mails;
    is scalar @m, 1, 'one mail for 12 devices';
    is decode_subject($m[0]{headers}{subject}), 'Error : 12 devices (Raspberry Pi phone home)', 'digest subject';
    is scalar(() = $m[0]{body} =~ /^site-\d+ \(Raspberry Pi phone home\) is now in state: Error/mg), 12,
       'every device listed';
    # They come back with one beat each (and so go down again later).
    beat("/raspberrypiPhoneHome/site-$_", base => $b) for 1 .. 12;
    @m = $smtp->wait_mails(2, 30);
    ok @m >= 2, 'and one mail when they come back';
    is decode_subject($m[1]{headers}{subject}), 'Good : 12 devices (Raspberry Pi phone home)', 'Good digest';

    $h->stop;
    $smtp->stop;
}

# --- Per-device MailTo= and a UTF-8 name: one mail per recipient set -------
{
    my $smtp = start_smtp(name => 'route');
    my $h = server('route', $smtp->port, <<'EOC');
PhoneHomeDigestWindow 2
PhoneHomeDevice other-pi MailTo=other@example.com
PhoneHomeDevice utf8-pi Name="Küche Pi"
EOC
    my @m = $smtp->wait_mails(2, 40);
    sleep 2;
    @m = $smtp->mails;
    is scalar @m, 2, 'two devices with two recipient sets: two mails';
    my ($other) = grep { grep { $_ eq 'other@example.com' } @{ $_->{rcpt} } } @m;
    ok $other, 'MailTo= routes a device to its own recipients';
    is_deeply $other->{rcpt}, ['other@example.com'], 'and only to them';
    my ($utf) = grep { ($_->{headers}{subject} // '') =~ /=\?UTF-8\?B\?/ } @m;
    ok $utf, 'a UTF-8 subject is RFC 2047-encoded';
    is decode_subject($utf->{headers}{subject} // ''), "Error : K\x{fc}che Pi", 'and decodes to the Name=';
    unlike $utf->{raw_headers} // '', qr/[\x80-\xff]/, 'no raw 8-bit bytes in the headers';
    like $utf->{body} // '', qr/^K\xc3\xbcche Pi is now in state: Error$/m, 'the body is UTF-8';
    $h->stop;
    $smtp->stop;
}

# --- The outbox: a dead SMTP server, kill -9, and delivery afterwards ------
{
    my $smtp = start_smtp(name => 'outbox');
    $smtp->stop;                                # the mail server is down
    my $h = server('outbox', $smtp->port);
    my $b = $h->base;
    beat("/raspberrypiPhoneHome/counted-pi?boot=$boot1", base => $b) for 1 .. 5;
    beat("/raspberrypiPhoneHome/lost-pi", base => $b);
    ok poll_until(20, sub { state_of($h, 'lost-pi') eq 'down' }), 'a device goes down';
    ok poll_until(20, sub {
        my $s = status_json($b);
        $s->{outbox}{queued} >= 1 && defined $s->{outbox}{last_error};
    }), 'its mail waits in the outbox, with the delivery error on the status page';
    my @queued = glob($h->dir . '/state/outbox/*.mail');
    ok @queued >= 1, 'the mail is a file in the outbox';
    ok -s $h->dir . '/state/state.snapshot' || poll_until(10, sub { -s $h->dir . '/state/state.snapshot' }),
       'a snapshot is written';
    # A new device is in a snapshot within 5 s, and with it everything
    # before it (the counts, the down state); then pull the plug.
    my $mark_t = time;
    beat("/raspberrypiPhoneHome/marker-pi", base => $b);
    ok poll_until(15, sub { (Time::HiRes::stat($h->dir . '/state/state.snapshot'))[9] >= $mark_t }),
       'a snapshot follows a new device within 5 s';
    ok $h->kill9, 'kill -9 every httpd process';

    ok $smtp->start, 'the mail server comes back';
    ok $h->start, 'httpd starts again';
    my @m = $smtp->wait_mails(2, 60);
    ok scalar(grep { decode_subject($_->{headers}{subject}) =~ /^Error : / && $_->{body} =~ /Device: lost-pi$/m } @m),
       'the queued mail is delivered after kill -9' or diag explain [map { $_->{headers}{subject} } @m];
    ok poll_until(20, sub { status_json($b)->{outbox}{queued} == 0 }), 'and the outbox is empty';
    my $d = device_of(status_json($b), 'counted-pi');
    is $d->{beats}, 5, 'the snapshot restored the beat count after kill -9';
    is $d->{boot_id}, $boot1, 'and the facts';
    $h->stop;
    $smtp->stop;
}

# --- Retry with backoff, then dead ------------------------------------------
{
    my $smtp = start_smtp(name => 'retry', fail_first => 1);
    my $h = server('retry', $smtp->port);
    beat('/raspberrypiPhoneHome/retry-pi', base => $h->base);
    my @m = $smtp->wait_mails(1, 40);
    is scalar @m, 1, 'a temporary failure (451) is retried and delivered';
    # The SMTP server files the mail a moment before the module logs it.
    ok poll_until(10, sub { events_log($h) =~ /"event":"mail_failed".*"event":"mail_sent"/s }),
       'failed first, then sent' or diag events_log($h);
    like $h->log, qr/PH00031: mail \S+ not sent \(attempt 1\): 451 4\.3\.0 Temporary failure \(smtp_sink --fail-first\); retrying/,
         'the failure is logged with the reply, without its line ending';
    like events_log($h), qr/"error":"451 4\.3\.0 Temporary failure \(smtp_sink --fail-first\)"/,
         'and in events.log';
    sleep 2;
    is scalar($smtp->mails), 1, 'delivered once';
    $h->stop;
    $smtp->stop;

    my $down = start_smtp(name => 'dead');
    $down->stop;
    $h = server('dead', $down->port, "PhoneHomeRetryPeriod 3\n");
    beat('/raspberrypiPhoneHome/dead-pi', base => $h->base);
    ok poll_until(40, sub { status_json($h->base)->{outbox}{dead} == 1 }), 'after the retry period the mail is dead';
    my $s = status_json($h->base);
    is $s->{outbox}{queued}, 0, 'and no longer queued';
    ok glob($h->dir . '/state/dead/*.mail'), 'it stays in dead/';
    like $h->log, qr/PH00032: gave up on mail/, 'logged';
    $h->stop;
}

# --- A slow SMTP server delays neither detection nor beats -----------------
{
    my $smtp = start_smtp(name => 'slow', delay => 12);
    my $h = server('slow', $smtp->port);
    my $b = $h->base;
    beat('/raspberrypiPhoneHome/first-pi', base => $b);
    ok poll_until(20, sub { state_of($h, 'first-pi') eq 'down' }), 'a device goes down';
    # Its mail is now stuck in a 12 s DATA; meanwhile:
    sleep 1;
    my $t0 = time;
    my $r = beat('/raspberrypiPhoneHome/second-pi', base => $b);
    ok $r->code == 200 && time - $t0 < 2, 'beats are answered at once';
    ok poll_until(20, sub { state_of($h, 'second-pi') eq 'down' }), 'another device goes down';
    ok time - $t0 < 5, sprintf('on time (%.1f s after its beat, MaxAge 2)', time - $t0);
    ok poll_until(3, sub { events_log($h) =~ /"event":"down","device":"second-pi"/ }),
       'and is logged at once';
    my @m = $smtp->wait_mails(2, 60);
    is scalar @m, 2, 'both mails arrive in the end';
    $h->stop;
    $smtp->stop;
}

# --- STARTTLS Required never sends in the clear; AUTH; first beat -----------
{
    my $smtp = start_smtp(name => 'tls');
    my $h = server('tls', $smtp->port, "PhoneHomeSMTPStartTLS Required\n");
    beat('/raspberrypiPhoneHome/tls-pi', base => $h->base);
    ok poll_until(30, sub { (status_json($h->base)->{outbox}{last_error} // '') =~ /STARTTLS/ }),
       'STARTTLS Required with a server that does not offer it: an error';
    is scalar($smtp->mails), 0, 'and nothing sent in the clear';
    $h->stop;
    $smtp->stop;

    $smtp = start_smtp(name => 'auth', auth => 'alert:s3cret');
    my $pw = PhTest::t_dir() . '/private/smtp-password';
    open my $fh, '>', $pw or die;
    print $fh "s3cret\n";
    close $fh;
    chmod 0600, $pw;                    # a secret: others may not read it
    $h = server('auth', $smtp->port, "PhoneHomeSMTPAuth alert $pw\nPhoneHomeNotifyFirstBeat On\n");
    beat('/raspberrypiPhoneHome/auth-pi', base => $h->base);
    my ($m) = $smtp->wait_mails(1, 30);
    ok $m, 'SMTP AUTH with the password file';
    is decode_subject($m->{headers}{subject} // ''), 'Good : auth-pi (Raspberry Pi phone home)',
       'PhoneHomeNotifyFirstBeat On mails the first beat';
    like $m->{body} // '', qr/^Former state was no state$/m, 'from no state';
    unlike status_json($h->base)->{outbox}{last_error} // '', qr/s3cret/, 'the password is not shown';
    unlike $h->log, qr/s3cret/, 'nor logged';
    $h->stop;
    $smtp->stop;
}

done_testing();
