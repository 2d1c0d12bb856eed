# What a security review found (issue 14), each attack against a real httpd:
# the state directory (symbolic links, modes), replaying a captured signed
# beat after a crash, and the seq reset.  The part that needs root (the
# User turning root's startup against root) runs before the suite as root
# (t/root/statedir-attack.pl, from t/run-httpd-tests); its findings are
# reported here.  See docs/testing.md, "Tests that need root".
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Digest::SHA qw(hmac_sha256_hex);
use File::Path qw(make_path);
use IO::Socket::INET;
use Time::HiRes qw(time);
use PhSmtp qw(start_smtp);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat config_test
              t_dir poll_until);

# --- 1. Root follows symlinks (the root part's findings) --------------------
my $root_results = t_dir() . '/root-results';
if ($ENV{PH_ROOT_PART}) {
    my $mpm = $ENV{PH_MPM} // '';
    ok -s "$root_results/statedir-$mpm.txt", "the root part ran before the suite under mpm_$mpm";
    for my $f (sort glob "$root_results/statedir-$mpm.txt") {
        open my $fh, '<', $f or die "$f: $!";
        my @lines = <$fh>;
        ok @lines > 0, "$f has findings";
        for (@lines) {
            chomp;
            my ($st, $what) = /^(ok|not ok) (.*)$/ or do { fail "unreadable line in $f: $_"; next };
            ok $st eq 'ok', "as root, mpm_$mpm: $what";
        }
    }
}

# --- 1. The same entries, refused at startup (any user) -----------------
# Start a private httpd whose state dir $prep has tampered with; returns
# what it printed and logged (it must refuse; if it did start, it is
# stopped again).
sub start_fails {
    my ($name, $prep, $body) = @_;
    my $dir = t_dir() . "/private/$name";
    make_path("$dir/state");
    $prep->($dir);
    my (undef, $out) = config_test($name, phonehome_conf() . ($body // ''), args => '-k start');
    my $log = '';
    poll_until(30, sub {
        open my $fh, '<', "$dir/logs/error_log" or return 0;
        local $/;
        $log = <$fh>;
        $log =~ /PH00120|PH00129|resuming normal operations/;
    });
    if (open my $pf, '<', "$dir/logs/httpd.pid") {
        chomp(my $pid = <$pf> // '');
        if ($pid && kill 0, $pid) {
            kill 'WINCH', $pid;
            poll_until(30, sub { !kill 0, $pid });
        }
    }
    return $out . $log;
}
make_path(t_dir() . '/private');
my $secret = t_dir() . '/private/secret-file';
open my $sf, '>', $secret or die;
print $sf "not yours\n";
close $sf;
chmod 0600, $secret;
my $out = start_fails('sd-link-log', sub {
    my ($dir) = @_;
    symlink $secret, "$dir/state/events.log" or die $!;
});
like $out, qr/PH00120: PhoneHomeStateDir: \S+\/state\/events\.log is a symbolic link: refusing to start/,
     'a symlinked events.log stops httpd, naming the path';
$out = start_fails('sd-link-queue', sub {
    my ($dir) = @_;
    make_path("$dir/elsewhere");
    symlink "$dir/elsewhere", "$dir/state/queue" or die $!;
});
like $out, qr/PH00120: PhoneHomeStateDir: \S+\/state\/queue is a symbolic link/,
     'a symlinked queue/ stops httpd, naming the path';
$out = start_fails('sd-link-snap', sub {
    my ($dir) = @_;
    symlink $secret, "$dir/state/state.snapshot" or die $!;
});
like $out, qr/PH00120: PhoneHomeStateDir: \S+\/state\/state\.snapshot is a symbolic link/,
     'a symlinked snapshot (root reads it at a cold start) stops httpd';

# --- 2. A new state directory: modes, and a snapshot appears ----------------
{
    my $h = private_httpd('sd-fresh', phonehome_conf() . <<'EOC');
PhoneHomeStateDir "@ServerRoot@/fresh/new/state"
PhoneHomeDevice fresh-pi
PhoneHomeMaxAge 1
PhoneHomeStartupGrace 0
EOC
    my $sd = $h->dir . '/fresh/new/state';
    is sprintf('%04o', (stat $sd)[2] & 07777), '0750', 'a new state dir is made with mode 0750';
    for my $d (qw(queue outbox dead)) {
        is sprintf('%04o', (stat "$sd/$d")[2] & 07777), '0750', "$d/ is 0750";
    }
    is sprintf('%04o', (stat "$sd/events.log")[2] & 07777), '0640', 'events.log is 0640';
    is beat('/raspberrypiPhoneHome/fresh-pi', base => $h->base)->code, 200, 'a beat';
    ok poll_until(30, sub { -s "$sd/state.snapshot" }), 'a snapshot is written';
    ok poll_until(30, sub {
        open my $fh, '<', "$sd/events.log" or return 0;
        grep { /"device":"fresh-pi"/ && /"event":"down"/ } <$fh>;
    }), 'events.log gets the device going down';
    unlike $h->log, qr/PH00023|PH00040/, 'and no write to the state dir failed';
    $h->stop;
}

# --- 3. Replay after a crash ------------------------------------------------
my $key = 'c0ffee' x 8;
my $kdir = t_dir() . '/private/replay';
make_path($kdir);
sub write_key {
    my ($file, $k) = @_;
    open my $fh, '>', $file or die;
    print $fh "$k\n";
    close $fh;
    chmod 0600, $file;
}
write_key("$kdir/dev.key", $key);
sub signed {
    my ($seq, $k) = @_;
    my $msg = join "\n", 'phonehome-v1', 'replay-pi', $seq, '', '', '';
    return "/raspberrypiPhoneHome/replay-pi?seq=$seq&sig=" . hmac_sha256_hex($msg, $k // $key);
}
sub now_ms { int(time * 1000) }
my $h = private_httpd('replay', phonehome_conf() . <<'EOC');
PhoneHomeDevice replay-pi Key=dev.key
EOC
my $b = $h->base;
my $s1 = now_ms();
is beat(signed($s1), base => $b)->code, 200, 'a signed beat with seq = the clock in ms';
# The first beat (unknown -> up) is in a snapshot within seconds; the next
# one, a routine change, only within a minute: a crash loses its seq.
ok poll_until(30, sub { -s $h->dir . '/state/state.snapshot' }), 'it is in a snapshot';
my $captured = signed(now_ms());
is beat($captured, base => $b)->code, 200, 'the beat an attacker captures is accepted';
ok $h->kill9, 'kill -9 of every httpd process';
ok $h->start, 'started again';
my $r = beat($captured, base => $b);
is $r->code, 409, 'the captured beat replayed after the crash: 409';
like $r->content, qr/\Areplayed or old beat: seq \d+ is not above (\d+)\n\z/, 'with the floor';
my ($floor) = $r->content =~ /not above (\d+)/;
ok $floor >= $s1, "the floor ($floor) is at least the restart time in ms";
like $h->log, qr/PH00121: seq floor of 1 keyed device\(s\) set to \d+ \(this start, in ms\), the last stop was not clean/,
     'the error log says the floors were raised';
my $fresh = now_ms();
is beat(signed($fresh), base => $b)->code, 200, 'an honest client (seq = its clock in ms) goes on at once';

# A clean stop loses nothing: the floor stays where the last beat left it.
ok $h->stop, 'a clean stop';
ok $h->start, 'and a start';
is beat(signed($fresh), base => $b)->code, 409, 'the last beat is still refused';
is beat(signed($fresh + 1), base => $b)->code, 200, 'the next seq is accepted: no floor was raised';

# The server-side reset: a new key.  The device's seq starts over at the
# restart time, even below a seq sent before (a client stuck far ahead).
my $far = '4611686018427387904';        # 2^62
is beat(signed($far), base => $b)->code, 200, 'a seq far ahead is accepted';
is beat(signed(now_ms()), base => $b)->code, 409, 'after which the clock is refused';
my $key2 = 'beef' x 16;
write_key("$kdir/dev.key", $key2);
ok $h->graceful, 'a new key, and a graceful restart';
is beat(signed(now_ms(), $key2), base => $b)->code, 200, 'the clock is accepted under the new key';
is beat(signed($far + 1, $key), base => $b)->code, 403, 'the old key signs nothing';
$h->stop;

# --- 4. Arming: anonymous beats cannot make the server send alert text ------
{
    my $smtp = start_smtp(name => 'arming');
    my $a = private_httpd('arming', phonehome_conf() . <<"EOC");
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com 9085551234\@vtext.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeMaxAge 1
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeDevice shop-pi
EOC
    my $ab = $a->base;
    my $spam = 'URGENT-call-1-900-555-0199-or-your-account-closes';
    is beat("/raspberrypiPhoneHome/$spam", base => $ab)->code, 200, "anonymous GET $_ with a spam name" for 1 .. 3;
    ok poll_until(20, sub { (device_of(status_json($ab), $spam) // {})->{state} eq 'down' }),
       'the spam device goes down (the status page shows it)';
    # A device heard for PhoneHomeArmAfter (2 MaxAge = 2 s) is armed: it
    # beats every 0.3 s for 2.5 s, then stops.
    my $t0 = time;
    poll_until(10, sub { beat('/raspberrypiPhoneHome/steady-pi', base => $ab); time - $t0 > 2.5 });
    # The declared device and the default device alert at once, as the
    # seed's setup does.
    is beat("/raspberrypiPhoneHome/shop-pi", base => $ab)->code, 200, 'a declared device beats once';
    is beat("/raspberrypiPhoneHome", base => $ab)->code, 200, 'and the default device once';
    my (%dev, @mails);
    poll_until(30, sub {
        @mails = $smtp->mails;
        %dev = map { ($_ => 1) } map { ($_->{body} // '') =~ /^\s*Device: (\S+)/mg } @mails;
        $dev{'shop-pi'} && $dev{'steady-pi'} && $dev{raspberrypi};
    });
    ok $dev{'shop-pi'}, 'the declared device is always armed: its Error mail'
        or diag join "\n----\n", map { "$_->{raw}" } @mails;
    ok $dev{raspberrypi}, 'the default device too';
    ok $dev{'steady-pi'}, 'an undeclared device heard for 2 MaxAge alerts'
        or diag join "\n----\n", map { "$_->{raw}" } @mails;
    ok !$dev{$spam}, 'the spam device sent nothing';
    unlike join('', map { $_->{raw} } $smtp->mails), qr/900-555/, 'its text is in no mail';
    $a->stop;
    $smtp->stop;
}

# --- 5. Registration limits that hold (through mod_remoteip) ----------------
# GET each [path, client address] on keep-alive connections, the address in
# X-Forwarded-For from the trusted 127.0.0.1; returns the status codes.
sub xff_beats {
    my ($port, @reqs) = @_;
    my ($sock, @codes);
    for my $q (@reqs) {
        my ($path, $ip) = @$q;
        $sock ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die $!;
        print $sock "GET $path HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: $ip\r\n\r\n";
        my $head = '';
        while (my $line = <$sock>) { $head .= $line; last if $line eq "\r\n" }
        my ($len) = $head =~ /^Content-Length: (\d+)/mi;
        read($sock, my $body, $len // 0);
        push @codes, $head =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
        undef $sock if !$head || $head =~ /^Connection: close/mi;
    }
    return @codes;
}
{
    my $g = private_httpd('reglimit', phonehome_conf() . <<'EOC');
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
PhoneHomeRegisterLimit 3 600
PhoneHomeRateLimit Off
PhoneHomeMaxDevices 8000
EOC
    my $port = $g->{port};
    my @codes = xff_beats($port, map { my $a = $_; map { ["/raspberrypiPhoneHome/v6-$a-$_", "2001:db8:1:2::$a"] } 1 .. 5 } 1 .. 25);
    is scalar(grep { $_ == 200 } @codes), 3, '25 addresses of one IPv6 /64 register 3 names between them, not 3 each';
    @codes = xff_beats($port, map { ["/raspberrypiPhoneHome/other64-$_", "2001:db8:1:3::1"] } 1 .. 2);
    is_deeply \@codes, [200, 200], 'the next /64 is another client';
    @codes = xff_beats($port, map { ["/raspberrypiPhoneHome/a-$_", '203.0.113.1'] } 1 .. 4);
    is_deeply \@codes, [200, 200, 200, 429], 'one IPv4 address: 3 names, then 429';
    # 6,000 addresses, one new name each: more than the 4,096 entries.
    @codes = xff_beats($port, map { ["/raspberrypiPhoneHome/m-$_", sprintf('10.%d.%d.%d', $_ >> 16, ($_ >> 8) & 255, $_ & 255)] } 1 .. 6000);
    my $ok = grep { $_ == 200 } @codes;
    my $full = grep { $_ == 503 } @codes;
    ok $ok >= 3000 && $ok <= 4096, "many addresses: $ok registered, at most one per entry";
    ok $full > 0, "and when the table is full, new names are refused ($full times: 503)";
    ok !grep({ $_ != 200 && $_ != 503 } @codes), 'nothing else';
    @codes = xff_beats($port, ['/raspberrypiPhoneHome/a-5', '203.0.113.1']);
    is_deeply \@codes, [429], 'the first address is still limited: no bucket was reset by others';
    is scalar(() = $g->log =~ /PH00128: PhoneHomeRegisterLimit: all 4096 address entries near \S+ are busy/g), 1,
       'one log line for the full table (at most one a minute)';
    is +(xff_beats($port, ['/raspberrypiPhoneHome/a-1', '203.0.113.1']))[0], 200, 'a known device beats on';
    $g->stop;
}

# --- 6. Declared devices always have a slot ---------------------------------
{
    my $g = private_httpd('slots', phonehome_conf() . <<'EOC');
PhoneHomeMaxDevices 3
PhoneHomeDevice early-pi
EOC
    is beat("/raspberrypiPhoneHome/anon-$_", base => $g->base)->code, 200, "undeclared device $_ takes a slot" for 1 .. 2;
    is beat('/raspberrypiPhoneHome/anon-3', base => $g->base)->code, 503, 'the table is full';
    open my $c, '>>', "$g->{conf}" or die;
    print $c "PhoneHomeDevice late-pi\n";
    close $c;
    my $pid = $g->pid;
    kill 'USR1', $pid;
    ok poll_until(30, sub { $g->log =~ /PH00122/ && !kill 0, $pid }), 'declaring a device with no slot left stops httpd';
    like $g->log, qr/PH00122: PhoneHomeDevice late-pi: no slot left in the device table \(PhoneHomeMaxDevices 3/,
         'naming the device and PhoneHomeMaxDevices';
    unlink $g->dir . '/logs/httpd.pid';
}

# --- 9. Secrets: modes, owners, key length, no URL secret in the log --------
{
    my $sdir = t_dir() . '/private/secrets';
    make_path($sdir);
    my $good = 'a1b2c3d4' x 4;      # 32 characters: 128 bits as hex
    write_key("$sdir/ok.key", $good);
    write_key("$sdir/open.key", $good);
    chmod 0644, "$sdir/open.key";
    write_key("$sdir/group.key", $good);
    chmod 0640, "$sdir/group.key";
    write_key("$sdir/short.key", 'a1b2c3d4' x 3 . 'a1b2c3d');
    write_key("$sdir/token", 'tok-123');
    chmod 0604, "$sdir/token";
    write_key("$sdir/pw", 'pw-123');
    chmod 0644, "$sdir/pw";
    my $lm = "LoadModule phonehome_module \"\@Module\@\"\n";
    my ($st, $out) = config_test('sec-open', $lm . "PhoneHomeDevice x-pi Key=$sdir/open.key\n");
    isnt $st, 0, 'a world-readable key file stops httpd';
    like $out, qr{PhoneHomeDevice: device 'x-pi': Key=\S*/open\.key: has mode 0644: it must not be readable or writable by group or others \(chmod 600\)},
         'naming the file and its mode';
    ($st, $out) = config_test('sec-group', $lm . "PhoneHomeDevice x-pi Key=$sdir/group.key\n");
    like $out, qr{Key=\S*/group\.key: has mode 0640}, 'a group-readable one too';
    unlike $out, qr/a1b2c3d4/, 'never printing the key';
    ($st, $out) = config_test('sec-short', $lm . "PhoneHomeDevice x-pi Key=$sdir/short.key\n");
    like $out, qr{Key=\S*/short\.key: the key must be 32 to 1024 characters}, 'a key under 128 bits (31 hex characters) is refused';
    ($st, $out) = config_test('sec-ok', $lm . "PhoneHomeDevice x-pi Key=$sdir/ok.key\n");
    is $st, 0, 'a 0600 key of 32 characters, owned by the user httpd starts as, is fine' or diag $out;
    ($st, $out) = config_test('sec-token', $lm . "PhoneHomeNotify hook http://127.0.0.1:9/hook token-file=$sdir/token\n");
    like $out, qr{PhoneHomeNotify: channel 'hook': \S*/token has mode 0604}, 'a world-readable token file is refused';
    my $out2 = start_fails('sec-pw', sub {
        my ($dir) = @_;
    }, "PhoneHomeMailFrom a\@example.com\nPhoneHomeSMTPAuth alert $sdir/pw\n");
    like $out2, qr{PH00129: PhoneHomeSMTPAuth: the password file \S*/pw has mode 0644}, 'a world-readable SMTP password file stops httpd';

    # PH00059 (debug) names the channel's URL only up to the host.
    my $topic = 's3cret-topic-' . int(rand(1e9));
    my $g = private_httpd('sec-url', phonehome_conf() . <<"EOC");
LogLevel info phonehome:debug
PhoneHomeMaxAge 1
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeDevice url-pi
PhoneHomeNotify hook http://127.0.0.1:9/$topic
EOC
    ok poll_until(30, sub { $g->log =~ /PH00059: sending notification \S+ to channel hook: POST http:\/\/127\.0\.0\.1:9\/\.\.\./ }),
       'the notification is logged with its URL redacted';
    unlike $g->log, qr/\Q$topic\E/, 'the topic (a secret) is in no log line';
    $g->stop;
}

done_testing();
