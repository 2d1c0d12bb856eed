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
($st, $out) = run_client('-q', '--device', 'bad name', '--state-file', "$dir/seq-bad", $url);
is $st, 4, 'exit 4 with -q too';
is $out, '', '-q prints nothing';

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
($st, $out) = run_client('-q', '--retry', 2, '--max-time', 5, '--state-file',
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
is $st, 2, 'exit 2 for a key shorter than 16 characters';
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
$pid = spawn("$dir/daemon3.out", $bin, '-q', '--interval', 60, '--state-file',
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
my $h = private_httpd('client-signed', phonehome_conf() . <<'EOC');
# The valgrind test below beats far faster than PhoneHomeRateLimit allows.
PhoneHomeRateLimit Off
PhoneHomeAutoRegister Off
PhoneHomeDevice signed-pi Key=@ServerRoot@/signed.key
PhoneHomeDevice raspberrypi Key=@ServerRoot@/signed.key
PhoneHomeDevice open-pi
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
like $out, qr/refused \(403\)/, 'with 403';
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
my $ahead = int(time * 1000) + 10**9;
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
    $ahead = int(time * 1000) + 2 * 10**9;
    $msg = join "\n", 'phonehome-v1', 'signed-pi', $ahead, '', '', '';
    `curl -s -o /dev/null "$purl/signed-pi?seq=$ahead&sig=@{[hmac_sha256_hex($msg, $key)]}"`;
    unlink $sstate;
    ($st, $out) = run_cmd(@vg, $bin, @signed, $purl);
    is $st, 0, 'the 409 resync under valgrind: no error' or diag $out;
    ($st, $out) = run_cmd(@vg, $bin, '-q', '--retry', 1, '--max-time', 5,
                             '--state-file', "$dir/seq-garbage", $garbage);
    is $st, 3, 'a failing beat with --retry under valgrind: exit 3, no error' or diag $out;
}
$h->stop;

done_testing();
