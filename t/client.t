# The real client, phonehome, against the real module and against small
# misbehaving servers of our own: what a beat carries, an exit status a cron
# job can trust (0 accepted, 2 usage, 3 network, 4 refused), the daemon's
# pace and its clean stop, the config file, signed beats with the 409
# resync, and no leak under valgrind.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Digest::SHA qw(hmac_sha256_hex);
use File::Path qw(make_path);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use PhTest qw(phonehome_conf status_json device_of client_bin private_httpd t_dir free_port
              poll_until);

my $bin = client_bin();
ok -x $bin, 'the client is built';
my $url = 'http://' . Apache::TestRequest::hostport() . '/raspberrypiPhoneHome';
my $dir = t_dir() . '/private/client-files';
make_path($dir);

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return <$fh>;
}

sub spit {
    my ($f, $text) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print $fh $text;
    close $fh;
    chmod 0600, $f;                     # key files are secrets
}

# Start a program with its output in a file; returns the pid.
my $outs = 0;
sub spawn {
    my ($out, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        { exec @cmd }
        POSIX::_exit(127);
    }
    return $pid;
}

# Wait up to $seconds for $pid: (exit status or undef, seconds waited).
sub finish {
    my ($pid, $seconds) = @_;
    my $t0 = time;
    my $done = poll_until($seconds, sub { waitpid($pid, WNOHANG) == $pid });
    return ($done ? $? >> 8 : undef, time - $t0) if $done;
    kill 'KILL', $pid;
    waitpid $pid, 0;
    return (undef, time - $t0);
}

# Run a command to its end: (exit status, everything it printed).
sub run_cmd {
    my $out = "$dir/out." . ++$outs;
    my ($st) = finish(spawn($out, @_), 120);
    return ($st // -1, slurp($out) // '');
}
sub run_client { return run_cmd($bin, @_) }

# A small server of our own in a child process: $serve->($conn) for every
# connection, and a line in the returned count file for each.
my @children;
sub tiny_server {
    my ($serve) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 16, ReuseAddr => 1)
        or die "listen: $!";
    my $count = "$dir/count." . $l->sockport;
    spit($count, '');
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my @keep;
        while (my $c = $l->accept) {
            open my $fh, '>>', $count or POSIX::_exit(1);
            print $fh "accept\n";
            close $fh;
            push @keep, $serve->($c);
        }
        POSIX::_exit(0);
    }
    my $port = $l->sockport;
    close $l;
    push @children, $pid;
    return ("http://127.0.0.1:$port/raspberrypiPhoneHome", $count);
}
END { local $?; kill "KILL", @children if @children; waitpid($_, 0) for @children; }

sub count_of { my $c = slurp($_[0]) // ''; my $n = () = $c =~ /\n/g; return $n }

my ($version) = `$bin --version` =~ /^phonehome (\S+) /;
ok $version, "--version says phonehome VERSION ($version)";

# --- One beat, and what it carries ------------------------------------------
my $state = "$dir/seq-client-pi";
my $ms_before = int(time * 1000);
my @up0 = split ' ', slurp('/proc/uptime') // '0';
my ($st, $out) = run_client('-v', '--device', 'client-pi', '--state-file', $state, $url);
my @up1 = split ' ', slurp('/proc/uptime') // '0';
is $st, 0, 'exit 0 when the server takes the beat' or diag $out;
my $d = device_of(status_json(), 'client-pi');
ok $d, 'the beat is recorded for --device';
is $d->{beats}, 1, 'once';
is $d->{user_agent}, "phonehome/$version", 'User-Agent phonehome/VERSION';
ok abs($d->{skew}) <= 2, 'the client sends its clock (t)';
my ($sent) = $out =~ m{GET (\S+)};
ok $sent, '-v shows the URL sent' or diag $out;
my $seq = slurp($state) // '';
chomp $seq;
like $seq, qr/\A\d+\z/, 'seq is saved in the state file';
ok $seq >= $ms_before, 'seq starts at the clock in milliseconds';
like $sent, qr/[?&]seq=$seq(?=&|\s|\z)/, 'and is the seq sent';
SKIP: {
    skip 'no /proc on this system', 3 unless -r '/proc/sys/kernel/random/boot_id';
    chomp(my $boot = slurp('/proc/sys/kernel/random/boot_id'));
    is $d->{boot_id}, $boot, 'boot id from /proc/sys/kernel/random/boot_id';
    ok $d->{uptime} >= int($up0[0]) && $d->{uptime} <= $up1[0] + 1,
       "uptime from /proc/uptime ($d->{uptime})";
    like $sent, qr/[?&]up=\d+\.\d\d(?=&|\s|\z)/, 'up is sent exactly as /proc/uptime has it';
}

($st, $out) = run_client('--device', 'client-pi', '--state-file', $state, $url);
is $st, 0, 'a second beat';
chomp(my $seq2 = slurp($state));
ok $seq2 > $seq, "seq grows ($seq2 > $seq)";
is $out, '', 'a good beat prints nothing';

spit($state, '99999999999999' . "\n");
($st, $out) = run_client('-v', '--device', 'client-pi', '--state-file', $state, $url);
like $out, qr/[?&]seq=100000000000000(?=&|\s|\z)/, 'seq goes on from the state file, above the clock';

($st, $out) = run_client('-v', '--device', 'client-pi', '--state-file',
                         "$dir/no/such/dir/seq", $url);
is $st, 0, 'an unwritable state file does not stop the beat';
like $out, qr/cannot save seq to \S+no\/such\/dir\/seq/, 'with -v it says so';
($st, $out) = run_client('--device', 'client-pi', '--state-file', "$dir/no/such/dir/seq", $url);
is $out, '', 'without -v it says nothing';

# --- Refused: exit 4 and the server's reason ----------------------------------
($st, $out) = run_client('--device', 'bad name', '--state-file', "$dir/seq-bad", $url);
is $st, 4, 'exit 4 for a bad device name (400)';
like $out, qr/\Aphonehome: refused \(400\): [^\n]*device name[^\n]*\n\z/,
     "one line with the server's reason";
($st, $out) = run_client('-s', '--device', 'bad name', '--state-file', "$dir/seq-bad", $url);
is $st, 4, 'exit 4 with -s (--silent) too';
is $out, '', '-s prints nothing';

# A server that answers with control characters and a long line.
my ($rude) = tiny_server(sub {
    my $c = shift;
    my $body = "bad\x01\x1b[31m thing " . ('x' x 500) . "\nsecond line\n";
    print $c "HTTP/1.1 418 I'm a teapot\r\nContent-Type: text/plain\r\n"
           . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
    close $c;
    return;
});
($st, $out) = run_client('--state-file', "$dir/seq-rude", $rude);
is $st, 4, 'exit 4 for any other status (418)';
like $out, qr/\Aphonehome: refused \(418\): bad\?\?\[31m thing x+\.\.\.\n\z/,
     'the reason is made printable, one line';
ok length($out) < 250, 'and cut short (' . length($out) . ' characters)';

# --- Network: exit 3 -----------------------------------------------------------
my $port = free_port();
($st, $out) = run_client('--connect-timeout', 2, '--state-file', "$dir/seq-none",
                         "http://127.0.0.1:$port/raspberrypiPhoneHome");
is $st, 3, 'exit 3 when nobody listens';
like $out, qr/\Aphonehome: \S+: /, 'and says why';

my ($silent, $silent_count) = tiny_server(sub { return shift });  # accepts, never answers
my $t0 = time;
($st, $out) = run_client('--max-time', 2, '--state-file', "$dir/seq-silent", $silent);
my $took = time - $t0;
is $st, 3, 'exit 3 when the server does not answer within --max-time';
ok $took >= 1.5 && $took < 5, sprintf('after --max-time 2 (%.1f s)', $took);

# Not HTTP at all: a failure of the network or protocol, not a refusal,
# since no server of ours said no.
my ($garbage, $garbage_count) = tiny_server(sub {
    my $c = shift;
    print $c "SSH-2.0-OpenSSH_9.2 garbage\r\n\r\n";
    close $c;
    return;
});
($st, $out) = run_client('--max-time', 5, '--state-file', "$dir/seq-garbage", $garbage);
is $st, 3, 'exit 3 for an answer that is not HTTP' or diag $out;

# --retry: 1 + N tries on network errors, waiting 1, 2 ... seconds.
spit($garbage_count, '');
$t0 = time;
($st, $out) = run_client('-s', '--retry', 2, '--max-time', 5, '--state-file',
                         "$dir/seq-garbage", $garbage);
$took = time - $t0;
is $st, 3, '--retry 2 still fails against garbage';
is count_of($garbage_count), 3, 'after three tries';
ok $took >= 2.8 && $took < 10, sprintf('waiting 1 + 2 s between them (%.1f s)', $took);
($st) = run_client('--retry', 3, '--device', 'bad name', '--state-file', "$dir/seq-bad", $url);
is $st, 4, 'a 400 is not retried';

# --- Usage: exit 2 -------------------------------------------------------------
($st, $out) = run_client('ftp://example.com/');
is $st, 2, 'exit 2 for a URL that is not http(s)';
like $out, qr/not an http/, 'and says so';
($st, $out) = run_client('--frobnicate', $url);
is $st, 2, 'exit 2 for an unknown option';
like $out, qr/unknown option '--frobnicate'/, 'naming it';
($st) = run_client('--connect-timeout', 'soon', $url);
is $st, 2, 'exit 2 for a bad option value';
($st) = run_client('--interval', '0.001', $url);
is $st, 2, 'exit 2 for an interval under 0.01 s';
($st) = run_client('--max-time');
is $st, 2, 'exit 2 for an option without its value';
spit("$dir/empty.conf", "# nothing\n");
($st, $out) = run_client('--config', "$dir/empty.conf");
is $st, 2, 'exit 2 without a URL';
($st, $out) = run_client('--key-file', "$dir/missing.key", $url);
is $st, 2, 'exit 2 for an unreadable key file';
like $out, qr/cannot read key file \S*missing\.key/, 'naming it';
spit("$dir/short.key", "tooshort-secret\n");
($st, $out) = run_client('--key-file', "$dir/short.key", $url);
is $st, 2, 'exit 2 for a key shorter than 32 characters';
unlike $out, qr/tooshort-secret/, 'without printing the key';
spit("$dir/spaces.key", "  my secret has spaces in it  \n");
($st, $out) = run_client('--key-file', "$dir/spaces.key", $url);
is $st, 2, 'exit 2 for a key with spaces';
unlike $out, qr/secret has/, 'without printing the key';
($st, $out) = run_client('--help');
is $st, 0, '--help exits 0';
like $out, qr/Exit status:.*0 .*2 .*3 .*4 /s, 'and lists the exit statuses';

# --- The config file -----------------------------------------------------------
spit("$dir/bad.conf", "# a comment\n\ndevice conf-pi\nmax-time soon\n");
($st, $out) = run_client('--config', "$dir/bad.conf", $url);
is $st, 2, 'exit 2 for a bad value in the config file';
like $out, qr{\Q$dir\E/bad\.conf:4: max-time: 'soon'}, 'naming the file and line';
spit("$dir/unknown.conf", "device conf-pi\n--colour blue\n");
($st, $out) = run_client('--config', "$dir/unknown.conf", $url);
is $st, 2, 'exit 2 for an unknown option in the config file';
like $out, qr{\Q$dir\E/unknown\.conf:2: unknown option 'colour'}, 'naming the file and line';
($st, $out) = run_client('--config', "$dir/missing.conf", $url);
is $st, 2, 'exit 2 for a config file that cannot be read';

spit("$dir/good.conf", <<"EOC");
# phonehome.conf for the tests
url $url
device conf-pi
--state-file=$dir/seq-conf-pi
  interval   0.5
max-time 10
verbose no
EOC
my $pid = spawn("$dir/conf.out", $bin, '--config', "$dir/good.conf");
my $n = poll_until(10, sub { my $c = device_of(status_json(), 'conf-pi'); $c && $c->{beats} >= 3 });
kill 'TERM', $pid;
($st) = finish($pid, 10);
ok $n, 'device, URL and interval from the config file (a daemon)';
is $st, 0, 'which stops with exit 0 on SIGTERM';
ok -s "$dir/seq-conf-pi", 'the state file from the config file';
my $before = device_of(status_json(), 'conf-pi')->{beats};
($st, $out) = run_client('--config', "$dir/good.conf", '--interval', '0', '--device', 'conf2-pi');
is $st, 0, 'the command line wins over the config file (--interval 0: one beat)' or diag $out;
is device_of(status_json(), 'conf-pi')->{beats}, $before, 'for --device too';
is device_of(status_json(), 'conf2-pi')->{beats}, 1, 'one beat for the name given';

# --- The daemon ------------------------------------------------------------------
$pid = spawn("$dir/daemon.out", $bin, '--interval', '0.5', '--device', 'daemon-pi',
             '--state-file', "$dir/seq-daemon-pi", $url);
sleep 3.2;
$t0 = time;
kill 'TERM', $pid;
($st, $took) = finish($pid, 10);
is $st, 0, 'the daemon exits 0 on SIGTERM';
ok $took < 1, sprintf('at once (%.2f s)', $took);
my $beats = device_of(status_json(), 'daemon-pi')->{beats};
ok $beats >= 5 && $beats <= 9, "a beat at once, then every 0.5 s ($beats in 3.2 s)";
is slurp("$dir/daemon.out"), '', 'and it printed nothing';

# SIGTERM while a beat waits on a server that never answers.
$pid = spawn("$dir/daemon2.out", $bin, '--interval', 60, '--max-time', 30,
             '--state-file', "$dir/seq-silent", $silent);
sleep 1.5;
kill 'TERM', $pid;
($st, $took) = finish($pid, 10);
is $st, 0, 'SIGTERM in the middle of a beat: exit 0';
ok $took < 2.5, sprintf('promptly, not after --max-time (%.2f s)', $took);

# The server unreachable: try again after 5 s, not after the interval.
spit($garbage_count, '');
$pid = spawn("$dir/daemon3.out", $bin, '-s', '--interval', 60, '--state-file',
             "$dir/seq-garbage", $garbage);
sleep 7;
kill 'TERM', $pid;
($st) = finish($pid, 10);
is count_of($garbage_count), 2, 'unreachable: the daemon tries again after 5 s';
is $st, 0, 'and stops with exit 0';

# --- Signed beats, against a server of our own -------------------------------------
my $key = 'c0ffee' x 8;
my $pdir = t_dir() . '/private/client-signed';
make_path($pdir);
spit("$pdir/signed.key", "$key\n");
spit("$dir/signed.key", "  $key  \n\n");       # white space around is fine
spit("$dir/wrong.key", ('f' x 64) . "\n");
# For --user: a Location behind basic authentication ({SHA} as htpasswd -s).
spit("$pdir/htpasswd", 'pi:{SHA}' . Digest::SHA::sha1_base64('secret') . "=\n");
my $modules = Apache::Test::vars('libexecdir') // '/usr/lib/apache2/modules';
$modules = '/usr/lib/apache2/modules' unless -e "$modules/mod_auth_basic.so";
my $h = private_httpd('client-signed', (phonehome_conf() . <<'EOC') =~ s/\@Modules\@/$modules/gr);
# The valgrind test below beats far faster than PhoneHomeRateLimit allows.
PhoneHomeRateLimit Off
PhoneHomeAutoRegister Off
PhoneHomeDevice signed-pi Key=@ServerRoot@/signed.key
PhoneHomeDevice raspberrypi Key=@ServerRoot@/signed.key
PhoneHomeDevice open-pi
<Location /mon/beat>
    SetHandler phonehome
</Location>
<IfModule !auth_basic_module>
LoadModule auth_basic_module @Modules@/mod_auth_basic.so
</IfModule>
<IfModule !authn_core_module>
LoadModule authn_core_module @Modules@/mod_authn_core.so
</IfModule>
<IfModule !authn_file_module>
LoadModule authn_file_module @Modules@/mod_authn_file.so
</IfModule>
<IfModule !authz_user_module>
LoadModule authz_user_module @Modules@/mod_authz_user.so
</IfModule>
<Location /authbeat>
    SetHandler phonehome
    AuthType Basic
    AuthName beats
    AuthUserFile @ServerRoot@/htpasswd
    Require valid-user
</Location>
EOC
my $b = $h->base;
my $purl = "$b/raspberrypiPhoneHome";
my $sstate = "$dir/seq-signed-pi";
my @signed = ('--device', 'signed-pi', '--key-file', "$dir/signed.key", '--state-file', $sstate);

($st, $out) = run_client('--device', 'stranger-pi', '--state-file', "$dir/seq-stranger", $purl);
is $st, 4, 'exit 4 for an unknown device (404, AutoRegister Off)';
like $out, qr/refused \(404\): unknown device/, "with the server's reason";

($st, $out) = run_client('-v', @signed, $purl);
is $st, 0, 'a signed beat is accepted' or diag $out;
is device_of(status_json($b), 'signed-pi')->{beats}, 1, 'and counted';
unlike $out, qr/$key/, '-v never shows the key';
my ($captured) = $out =~ m{GET (\S+)};
like $captured, qr/[?&]sig=[0-9a-f]{64}(?=&|\s|\z)/, 'the signature is lowercase hex HMAC-SHA256';

# The server knows our seq: a beat signed here with seq 1 is told the last.
chomp(my $sseq = slurp($sstate));
my $msg = join "\n", 'phonehome-v1', 'signed-pi', 1, '', '', '';
my $r = `curl -s "$purl/signed-pi?seq=1&sig=@{[hmac_sha256_hex($msg, $key)]}"`;
like $r, qr/not above $sseq\b/, 'the server recorded the seq the client saved';

$r = `curl -s -o /dev/null -w '%{http_code}' '$captured'`;
is $r, 409, 'a captured signed beat sent again (a replay) is 409';
is device_of(status_json($b), 'signed-pi')->{beats}, 1, 'and not counted';

($st, $out) = run_client(@signed, '--key-file', "$dir/wrong.key", $purl);
is $st, 4, 'the wrong key: exit 4';
like $out, qr/\Aphonehome: refused \(403\): bad signature for device signed-pi\n\z/,
     'with 403, naming the device the server checked';
($st, $out) = run_client('--device', 'signed-pi', '--state-file', $sstate, $purl);
is $st, 4, 'unsigned: exit 4';
like $out, qr/refused \(401\)/, 'with 401';
$r = `curl -s -o /dev/null -w '%{http_code}' '$purl/signed-pi?t=5'`;
is $r, 401, 'plain curl is 401 too';

($st, $out) = run_client('--key-file', "$dir/signed.key", '--state-file', "$dir/seq-default", $purl);
is $st, 0, 'without --device the default device is signed as raspberrypi' or diag $out;
($st, $out) = run_client('--device', 'open-pi', '--key-file', "$dir/signed.key",
                         '--state-file', "$dir/seq-open", $purl);
is $st, 0, 'a device without Key= takes signed beats too';

# A device that lost its seq (a new SD card) while the server is ahead of
# the clock: the 409 names the last seq, and the client goes on above it.
my $ahead = int(time * 1000) + 10**7;      # hours ahead: within the day a resync may move
$msg = join "\n", 'phonehome-v1', 'signed-pi', $ahead, '', '', '';
$r = `curl -s -o /dev/null -w '%{http_code}' "$purl/signed-pi?seq=$ahead&sig=@{[hmac_sha256_hex($msg, $key)]}"`;
is $r, 200, 'the server is given a seq far above the clock';
unlink $sstate;
($st, $out) = run_client('-v', @signed, $purl);
is $st, 0, 'the client without its state file still succeeds (409 resync)' or diag $out;
like $out, qr/the server has seq $ahead/, 'after learning the last seq from the 409';
chomp($sseq = slurp($sstate) // '');
is $sseq, $ahead + 1, 'and saves the seq it went on with';
is device_of(status_json($b), 'signed-pi')->{beats}, 3, 'counted once';

# --- The device the URL names is the device signed -----------------------------------
my @key = ('--key-file', "$dir/signed.key", '--state-file', $sstate);
($st, $out) = run_client(@key, "$purl/signed-pi");
is $st, 0, 'the device in the URL path is the one signed (no --device)' or diag $out;
($st, $out) = run_client(@key, "$purl?device=signed-pi");
is $st, 0, 'so is device= in the query' or diag $out;
($st, $out) = run_client(@key, '--device', 'signed-pi', "$purl/signed-pi");
is $st, 0, '--device that agrees with the URL' or diag $out;
($st, $out) = run_client(@key, '--device', 'kitchen', "$purl/signed-pi");
is $st, 2, '--device that contradicts the URL: exit 2';
like $out, qr{\Aphonehome: \Q$purl\E/signed-pi names device signed-pi, but --device names kitchen\n\z},
     'one line naming both';
($st, $out) = run_client(@key, "$purl/signed-pi?device=kitchen");
is $st, 2, 'a path and device= that disagree: exit 2';
($st, $out) = run_client(@key, "$b/mon/beat/signed-pi");
is $st, 4, 'a longer Location without --location: the wrong name is signed (403)';
like $out, qr/bad signature for device signed-pi/, 'and the 403 says which device was checked';
($st, $out) = run_client(@key, '--location', '/mon/beat', "$b/mon/beat/signed-pi");
is $st, 0, '--location /mon/beat: the segment after it is the device' or diag $out;
($st, $out) = run_client(@key, '--location', '/elsewhere', "$b/mon/beat/signed-pi");
is $st, 2, 'a URL not under --location: exit 2';
like $out, qr{not under --location /elsewhere}, 'saying so';

# --- A hostile server cannot lock the client out ---------------------------------------
my ($hostile, $hostile_count) = tiny_server(sub {
    my $c = shift;
    my $req = <$c> // '';
    while (my $l = <$c>) { last if $l =~ /^\r?\n\z/ }
    my ($s) = $req =~ /[?&]seq=(\d+)/;
    my $body = "replayed or old beat: seq @{[$s // 0]} is not above 9223372036854775807\n";
    print $c "HTTP/1.1 409 Conflict\r\nContent-Type: text/plain\r\n"
           . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
    close $c;
    return;
});
($st, $out) = run_client('-v', @signed, $hostile);
is $st, 4, 'a 409 naming seq 2^63-1: refused, exit 4' or diag $out;
like $out, qr/claims seq 9223372036854775807, more than a day above this clock/,
     '-v says the claim is not believed';
is count_of($hostile_count), 1, 'and the beat is not sent again';
chomp($sseq = slurp($sstate) // '');
ok $sseq < int(time * 1000) + 86_400_000, "the seq saved stays below the clock + a day ($sseq)";
($st, $out) = run_client(@signed, $purl);
is $st, 0, 'the real server still accepts the next beat' or diag $out;
# A state file poisoned by an older client: --reset-seq starts from the clock.
spit($sstate, "9223372036854775807\n");
my $ms = int(time * 1000);
($st, $out) = run_client('-v', '--reset-seq', '--device', 'open-pi', '--state-file', $sstate, $purl);
is $st, 0, '--reset-seq: a beat' or diag $out;
my ($rseq) = $out =~ /[?&]seq=(\d+)/;
ok $rseq >= $ms && $rseq < $ms + 600_000, "with a seq from the clock ($rseq)";
chomp($sseq = slurp($sstate) // '');
is $sseq, $rseq, 'which is saved';

# --- Several URLs: in order, on a network error, a timeout or a 5xx ---------------------
my ($busy, $busy_count) = tiny_server(sub {
    my $c = shift;
    my $body = "overloaded\n";
    print $c "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
           . "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
    close $c;
    return;
});
my $dead = 'http://127.0.0.1:' . free_port() . '/raspberrypiPhoneHome';
($st, $out) = run_client('-v', '--device', 'multi-pi', '--state-file', "$dir/seq-multi",
                         '--connect-timeout', 5, $dead, $busy, $url);
is $st, 0, 'a dead URL, then a 503, then a good one: accepted' or diag $out;
like $out, qr{\Q$dead\E: .*trying the next URL}, '-v: the dead one';
like $out, qr{\Q$busy\E: 503 \(trying the next URL\)}, '-v: the 503';
like $out, qr{accepted by \Q$url\E \(200\)}, '-v: which one answered';
is count_of($busy_count), 1, 'each tried once';
is device_of(status_json(), 'multi-pi')->{beats}, 1, 'one beat recorded';
($st, $out) = run_client('--device', 'multi-pi', '--state-file', "$dir/seq-multi",
                         '--max-time', 2, $silent, $url);
is $st, 0, 'a URL that times out, then a good one: accepted' or diag $out;
($st, $out) = run_client('--device', 'multi-pi', '--state-file', "$dir/seq-multi", $url, $busy);
is $st, 0, 'the first that answers ends the beat';
is count_of($busy_count), 1, 'the next is not tried';
($st, $out) = run_client('--device', 'bad name', '--state-file', "$dir/seq-multi", $url, $busy);
is $st, 4, 'a 4xx is an answer: no next URL';
($st, $out) = run_client('--state-file', "$dir/seq-multi", $url, 'gopher://127.0.0.1/x');
is $st, 2, 'a non-http(s) URL among several: exit 2';
like $out, qr{\Aphonehome: gopher://127\.0\.0\.1/x: not an http:// or https:// URL\n\z}, 'naming it';
($st, $out) = run_client('--state-file', "$dir/seq-multi", "$url/a-pi", "$url/b-pi");
is $st, 2, 'URLs that name different devices: exit 2';
spit("$dir/multi.conf", "url $dead\nurl $url\ndevice multi-pi\nstate-file $dir/seq-multi\n");
($st, $out) = run_client('-v', '--config', "$dir/multi.conf");
is $st, 0, 'several url lines in the config file' or diag $out;
like $out, qr{accepted by \Q$url\E}, 'tried in order';

# --- Curl's options, for curl's meanings -------------------------------------------------
($st, $out) = run_client('-s', '--device', 'bad name', '--state-file', "$dir/seq-bad", $url);
is $out, '', '-s: a refusal prints nothing';
($st, $out) = run_client('-s', '-S', '--device', 'bad name', '--state-file', "$dir/seq-bad", $url);
is $st, 4, '-sS: exit 4';
like $out, qr/\Aphonehome: refused \(400\): [^\n]*\n\z/, '-sS: the refusal is printed';
($st, $out) = run_client('-q', $url);
is $st, 2, '-q (quiet until 0.1.0, curl\'s "no .curlrc") is refused';
like $out, qr/-q is gone .*-s, --silent/, 'pointing at -s';

# A forward proxy of our own, in front of the test httpd.
my ($proxy, $proxy_count) = tiny_server(sub {
    my $c = shift;
    my $req = '';
    while (my $l = <$c>) { $req .= $l; last if $l =~ /^\r?\n\z/ }
    my ($hp) = $req =~ m{\A\w+ http://([^/\s]+)/} or return;
    my $up = IO::Socket::INET->new(PeerAddr => $hp) or return;
    $req =~ s{\A(\w+) http://[^/\s]+}{$1 };
    $req =~ s{^(?:Proxy-)?Connection:[^\n]*\n}{}mig;
    $req =~ s{\r\n\r\n\z}{\r\nConnection: close\r\n\r\n};
    print $up $req;
    local $/;
    my $resp = <$up> // '';
    print $c $resp;
    close $c;
    return;
});
(my $proxy_hp = $proxy) =~ s{/raspberrypiPhoneHome\z}{};
my ($url_host) = $url =~ m{\Ahttp://([^:/]+)};
($st, $out) = run_client('-x', $proxy_hp, '--device', 'proxy-pi', '--state-file', "$dir/seq-proxy", $url);
is $st, 0, '--proxy: the beat goes through the proxy' or diag $out;
is count_of($proxy_count), 1, 'which saw it';
is device_of(status_json(), 'proxy-pi')->{beats}, 1, 'and the server recorded it';
($st, $out) = run_client('--proxy', 'http://127.0.0.1:' . free_port(), '--noproxy', $url_host,
                         '--device', 'proxy-pi', '--state-file', "$dir/seq-proxy", $url);
is $st, 0, '--noproxy: a dead proxy is not used for that host' or diag $out;
is count_of($proxy_count), 1, 'the proxy saw nothing more';

my ($port_of) = $url =~ m{:(\d+)/};
($st, $out) = run_client('--resolve', "phonehome.test:$port_of:127.0.0.1", '--device', 'resolve-pi',
                         '--state-file', "$dir/seq-resolve", "http://phonehome.test:$port_of/raspberrypiPhoneHome");
is $st, 0, '--resolve HOST:PORT:ADDR' or diag $out;
is device_of(status_json(), 'resolve-pi')->{beats}, 1, 'reached the server';

($st, $out) = run_client('-H', 'User-Agent: header-test/1', '--device', 'header-pi',
                         '--state-file', "$dir/seq-header", $url);
is $st, 0, '-H: a header of our own' or diag $out;
is device_of(status_json(), 'header-pi')->{user_agent}, 'header-test/1', 'sent (User-Agent replaced)';

($st, $out) = run_client('--interface', '127.0.0.1', '--device', 'iface-pi',
                         '--state-file', "$dir/seq-iface", $url);
is $st, 0, '--interface 127.0.0.1' or diag $out;
($st, $out) = run_client('--interface', 'no-such-if0', '--device', 'iface-pi',
                         '--state-file', "$dir/seq-iface", $url);
is $st, 3, '--interface that does not exist: exit 3 (network)';

# --user, against a Location behind basic authentication.
($st, $out) = run_client('-u', 'pi:secret', '--device', 'open-pi', '--state-file', "$dir/seq-auth",
                         "$b/authbeat");
is $st, 0, '--user: basic authentication the server accepts' or diag $out;
($st, $out) = run_client('--user', 'pi:wrong', '--device', 'open-pi', '--state-file', "$dir/seq-auth",
                         "$b/authbeat");
is $st, 4, '--user with a wrong password: refused (401)';
like $out, qr/refused \(401\)/, 'says 401';

# --retry-delay and --retry-max-time, against the garbage server.
spit($garbage_count, '');
$t0 = time;
($st) = run_client('-s', '--retry', 2, '--retry-delay', '0.2', '--max-time', 5,
                   '--state-file', "$dir/seq-garbage", $garbage);
$took = time - $t0;
is count_of($garbage_count), 3, '--retry-delay 0.2: three tries';
ok $took < 2.5, sprintf('waiting 0.2 s, not 1 + 2 s (%.1f s)', $took);
spit($garbage_count, '');
($st) = run_client('-s', '--retry', 10, '--retry-max-time', 2, '--max-time', 5,
                   '--state-file', "$dir/seq-garbage", $garbage);
is $st, 3, '--retry-max-time 2: still fails';
is count_of($garbage_count), 2, 'after two tries (a third would start past 2 s)';

# Files the options name must be readable: exit 2 naming the option.
for my $o (qw(--cert --key --cacert)) {
    ($st, $out) = run_client($o, "$dir/no-such.pem", $url);
    is $st, 2, "$o with a missing file: exit 2";
    like $out, qr{\Aphonehome: \Q$o\E \S*no-such\.pem: cannot read it: [^\n]*\n\z}, 'one line naming it';
}
($st, $out) = run_client('--capath', "$dir/no-such-dir", $url);
is $st, 2, '--capath with a missing directory: exit 2';

# --- TLS: --cacert, --capath, --cert and --key against mod_ssl -------------------------
# A private CA made here; the server wants a client certificate it signed.
my $tdir = t_dir() . '/private/client-tls';
make_path("$tdir/capath");
sub ossl { my $o = `openssl @_ 2>&1`; die "openssl @_: $o" if $?; }
ossl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=phonehome-test-ca "
   . "-keyout $tdir/ca.key -out $tdir/ca.pem");
for my $who (['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
             ['client', '/CN=tls-pi', 'extendedKeyUsage=clientAuth']) {
    my ($n, $subj, $ext) = @$who;
    spit("$tdir/$n.ext", "$ext\n");
    ossl("req -newkey rsa:2048 -nodes -subj $subj -keyout $tdir/$n.key -out $tdir/$n.csr");
    ossl("x509 -req -in $tdir/$n.csr -CA $tdir/ca.pem -CAkey $tdir/ca.key -CAcreateserial "
       . "-days 2 -extfile $tdir/$n.ext -out $tdir/$n.pem");
}
ossl("x509 -in $tdir/ca.pem -out $tdir/capath/ca.pem");
ossl("rehash $tdir/capath");
chmod 0644, glob("$tdir/*.pem"), glob("$tdir/*.key");
my $sslport = free_port();
my $ssl_so = "$modules/mod_ssl.so";
my $tls = private_httpd('client-tls', phonehome_conf() . <<"EOC");
<IfModule !ssl_module>
LoadModule ssl_module $ssl_so
</IfModule>
Listen 127.0.0.1:$sslport https
<VirtualHost 127.0.0.1:$sslport>
    SSLEngine on
    SSLCertificateFile $tdir/server.pem
    SSLCertificateKeyFile $tdir/server.key
    SSLCACertificateFile $tdir/ca.pem
    SSLVerifyClient require
    SSLVerifyDepth 1
</VirtualHost>
EOC
my $turl = "https://127.0.0.1:$sslport/raspberrypiPhoneHome/tls-pi";
my @tls = ('--state-file', "$dir/seq-tls", '--max-time', 10);
($st, $out) = run_client(@tls, '--cacert', "$tdir/ca.pem", '--cert', "$tdir/client.pem",
                         '--key', "$tdir/client.key", $turl);
is $st, 0, '--cacert, --cert and --key: a beat over TLS with a client certificate' or diag $out;
is device_of(status_json($tls->base), 'tls-pi')->{beats}, 1, 'recorded by the TLS server';
($st, $out) = run_client(@tls, '--capath', "$tdir/capath", '-E', "$tdir/client.pem",
                         '--key', "$tdir/client.key", $turl);
is $st, 0, '--capath (a hashed directory) and -E' or diag $out;
($st, $out) = run_client(@tls, '--cert', "$tdir/client.pem", '--key', "$tdir/client.key", $turl);
is $st, 3, 'a server certificate from an unknown CA: exit 3 (there is no --insecure)';
($st, $out) = run_client(@tls, '--cacert', "$tdir/ca.pem", $turl);
isnt $st, 0, 'without a client certificate the server does not take the beat';
is device_of(status_json($tls->base), 'tls-pi')->{beats}, 2, 'and nothing more is recorded';
$tls->stop;

# --- No leak and no memory error under valgrind, over many beats ---------------------
SKIP: {
    my $vg = `sh -c 'command -v valgrind'`;
    chomp $vg;
    skip 'valgrind is not installed (.ci/debian-packages installs it)', 6 unless $vg;
    my @vg = ($vg, '--leak-check=full', '--show-leak-kinds=definite,indirect',
              '--errors-for-leak-kinds=definite,indirect', '--error-exitcode=9');
    my $before = device_of(status_json($b), 'signed-pi')->{beats};
    $pid = spawn("$dir/valgrind.out", @vg, $bin, '--interval', '0.02', @signed, $purl);
    my $enough = poll_until(60, sub { device_of(status_json($b), 'signed-pi')->{beats} >= $before + 200 });
    kill 'TERM', $pid;
    ($st) = finish($pid, 60);
    my $vout = slurp("$dir/valgrind.out") // '';
    ok $enough, '200 signed beats under valgrind';
    is $st, 0, 'no error (valgrind --error-exitcode=9)' or diag $vout;
    like $vout, qr/ERROR SUMMARY: 0 errors/, 'ERROR SUMMARY: 0 errors';
    ok $vout =~ /All heap blocks were freed|definitely lost: 0 bytes/
       && $vout !~ /definitely lost: [1-9]/, 'definitely lost: 0' or diag $vout;

    # One beat with the 409 resync and an unreachable server with --retry.
    $ahead = int(time * 1000) + 2 * 10**7;
    $msg = join "\n", 'phonehome-v1', 'signed-pi', $ahead, '', '', '';
    `curl -s -o /dev/null "$purl/signed-pi?seq=$ahead&sig=@{[hmac_sha256_hex($msg, $key)]}"`;
    unlink $sstate;
    ($st, $out) = run_cmd(@vg, $bin, @signed, $purl);
    is $st, 0, 'the 409 resync under valgrind: no error' or diag $out;
    ($st, $out) = run_cmd(@vg, $bin, '-s', '--retry', 1, '--max-time', 5,
                             '--state-file', "$dir/seq-garbage", $garbage);
    is $st, 3, 'a failing beat with --retry under valgrind: exit 3, no error' or diag $out;
}
$h->stop;

done_testing();
