# ph-test: one-mpm
# (a fault test: two private servers stopped, killed and started again)
# Watch the watcher (issue 15 item 6): two servers watch each other with
# signed beats (PhoneHomeBeatTo key-file= on one side, PhoneHomeDevice
# Key= on the other).  When A stops (graceful-stop, then kill -9), B mails
# an Error for A; when A is back, B mails Good.  A server whose alerts
# cannot get out (its SMTP server is gone, an Error mail failed three
# attempts in a row) holds its own beats back, so its watcher alerts too;
# so does a server whose processes all hang (SIGSTOP).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until
              t_dir free_port children_of);
use PhSmtp qw(start_smtp decode_subject);

my $dir = t_dir() . '/private/beatto-keys';
make_path($dir);
sub key_file {
    my ($name, $key) = @_;
    open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
    print $fh "$key\n";
    close $fh;
    chmod 0600, "$dir/$name";
    return "$dir/$name";
}
my $ka = key_file('a.key', 'a1' x 32);
my $kb = key_file('b.key', 'b2' x 32);

# Each server: its SMTP sink (or a dead port), MaxAge 3 for the other.
sub server {
    my ($name, $port, $smtp_port, $body) = @_;
    return private_httpd($name, phonehome_conf() . <<"EOC" . $body, port => $port);
PhoneHomeMailFrom  watcher\@example.com
PhoneHomeMailTo    admin\@example.com
PhoneHomeSMTPServer 127.0.0.1:$smtp_port
PhoneHomeStartupGrace 2
PhoneHomeDigestWindow 0
PhoneHomeAutoRegister Off
# every=1 is 60 beats a minute, over the default PhoneHomeRateLimit 30 60
PhoneHomeRateLimit 120 60
EOC
}

sub state_of {
    my ($h, $dev) = @_;
    my $d = device_of(status_json($h->base), $dev);
    return $d ? $d->{state} : '';
}

sub subjects { map { decode_subject($_->{headers}{subject}) } @_ }

# --- 1. Two servers watch each other ------------------------------------
{
    my $sa = start_smtp(name => 'beatto-a');
    my $sb = start_smtp(name => 'beatto-b');
    my ($pa, $pb) = (free_port(), free_port());
    $pb = free_port() while $pb == $pa;
    my $a_conf = <<"EOC";
PhoneHomeDevice server-b Key=$kb MaxAge=3 Name="Server B"
PhoneHomeBeatTo http://127.0.0.1:$pb/raspberrypiPhoneHome every=1 key-file=$ka device=server-a
EOC
    my $b_conf = <<"EOC";
PhoneHomeDevice server-a Key=$ka MaxAge=3 Name="Server A"
PhoneHomeBeatTo http://127.0.0.1:$pa/raspberrypiPhoneHome every=1 key-file=$kb device=server-b
EOC
    my $A = server('beatto-a', $pa, $sa->port, $a_conf);
    my $B = server('beatto-b', $pb, $sb->port, $b_conf);
    ok poll_until(30, sub { state_of($B, 'server-a') eq 'up' }), 'B hears A\'s signed beats: up';
    ok poll_until(30, sub { state_of($A, 'server-b') eq 'up' }), 'A hears B\'s signed beats: up';
    my $d = device_of(status_json($B->base), 'server-a');
    like $d->{boot_id}, qr/^[0-9a-f]{8}-[0-9a-f-]{27}$/, 'A\'s beat carries its machine\'s boot id'
        or diag explain $d;
    my $bt;
    ok poll_until(30, sub { $bt = status_json($A->base)->{beat_to}[0]; $bt->{sent} >= 1 }),
       'A\'s status page counts its beats to B';
    is $bt->{device}, 'server-a', 'for the device A beats as';

    # A graceful stop: B mails an Error for A; A comes back: Good.
    ok $A->stop, 'A stops (graceful-stop)';
    ok poll_until(30, sub { state_of($B, 'server-a') eq 'down' }), 'B sees A go down';
    my @m = $sb->wait_mails(1, 30);
    is_deeply [subjects(@m)], ['Error : Server A'], 'B mails an Error for A' or diag explain [subjects(@m)];
    ok $A->start, 'A starts again';
    ok poll_until(30, sub { state_of($B, 'server-a') eq 'up' }), 'B hears A again';
    @m = $sb->wait_mails(2, 30);
    is [subjects(@m)]->[1], 'Good : Server A', 'B mails Good for A';

    # kill -9 (a crash or a power cut): the same.
    ok $A->kill9, 'A is killed (kill -9)';
    ok poll_until(30, sub { state_of($B, 'server-a') eq 'down' }), 'B sees A go down';
    @m = $sb->wait_mails(3, 30);
    is [subjects(@m)]->[2], 'Error : Server A', 'B mails an Error for the killed A';
    ok $A->start, 'A starts again after the crash';
    @m = $sb->wait_mails(4, 30);
    is [subjects(@m)]->[3], 'Good : Server A', 'B mails Good for A';
    is scalar(@m), 4, 'and nothing else';

    # Meanwhile B's beats to the stopped A failed, and B said so once.
    like $B->log, qr/PH00171: PhoneHomeBeatTo: beat to http:\/\/127\.0\.0\.1:$pa\/\.\.\. failed \(1 in a row\)/,
         'B logs its failing beats to A (PH00171)';
    like $B->log, qr/PH00172: PhoneHomeBeatTo: beats to http:\/\/127\.0\.0\.1:$pa\/\.\.\. go through again after \d+ failures/,
         'and when they go through again (PH00172)';
    # A watched B all along; B never stopped, so A never mailed about it.
    ok poll_until(30, sub { state_of($A, 'server-b') eq 'up' }), 'A hears B after its restarts';
    # A itself was down twice for longer than MaxAge: its own mails are
    # the notices of its downtime (issue 15 item 5), none about B.
    my @own = grep { !/^Monitor was down for / } subjects($sa->wait_mails(2, 10));
    is_deeply \@own, [], 'A mailed nothing about B, which never stopped' or diag explain \@own;
    unlike $A->log . $B->log, qr/a1a1a1a1|b2b2b2b2/, 'no log shows a key';
    $B->stop;
    $A->stop;
}

# --- 2. A server whose alerts cannot get out stops beating ----------------
{
    my $sb = start_smtp(name => 'beatto-w');
    my $gone = free_port();             # A's SMTP server: nobody there
    my ($pa, $pb) = (free_port(), free_port());
    $pa = free_port() while $pa == $gone;
    $pb = free_port() while $pb == $pa || $pb == $gone;
    my $A = server('beatto-wa', $pa, $gone, <<"EOC");
PhoneHomeDevice victim MaxAge=1
PhoneHomeBeatTo http://127.0.0.1:$pb/raspberrypiPhoneHome every=1 key-file=$ka device=server-a
EOC
    my $B = server('beatto-wb', $pb, $sb->port, <<"EOC");
PhoneHomeDevice server-a Key=$ka MaxAge=3 Name="Server A"
EOC
    ok poll_until(30, sub { state_of($B, 'server-a') eq 'up' }), 'B hears A';
    is beat('/raspberrypiPhoneHome/victim', base => $A->base)->code, 200, 'a device beats A once';
    ok poll_until(30, sub { state_of($A, 'victim') eq 'down' }), 'and goes down on A';
    # A's Error mail fails (no SMTP server): 5 s, 10 s; after the third
    # failed attempt A holds its beats back.
    ok poll_until(60, sub { $A->log =~ /PH00173: PhoneHomeBeatTo: beats held back, so that the monitors watching this one notice: alert \S+ failed 3 attempts in a row/ }),
       'A holds its beats back once its alert failed three attempts (PH00173)' or diag $A->log;
    ok poll_until(30, sub { state_of($B, 'server-a') eq 'down' }), 'B sees A go down though A runs';
    my @m = $sb->wait_mails(1, 30);
    is_deeply [subjects(@m)], ['Error : Server A'], 'B mails an Error for A, whose alerts are stuck';
    my $bt = status_json($A->base)->{beat_to}[0];
    cmp_ok $bt->{held}, '>=', 1, 'A\'s status page counts the beats held back';
    like $bt->{last_error}, qr/^held back: alert \S+ failed \d+ attempts in a row/, 'and says why';
    $B->stop;
    $A->stop;
}

# --- 3. A wedged server: every process of A stops -------------------------
# (A hung machine, a stuck disk under every child.)  A child alone that
# hangs is not enough: another child takes its jobs over within seconds
# (t/crash.t), and the beats go on.
{
    my $sb = start_smtp(name => 'beatto-s');
    my ($pa, $pb) = (free_port(), free_port());
    $pb = free_port() while $pb == $pa;
    my $A = server('beatto-sa', $pa, $sb->port, <<"EOC");
PhoneHomeBeatTo http://127.0.0.1:$pb/raspberrypiPhoneHome every=1 key-file=$ka device=server-a
EOC
    my $B = server('beatto-sb', $pb, $sb->port, <<"EOC");
PhoneHomeDevice server-a Key=$ka MaxAge=3 Name="Server A"
EOC
    ok poll_until(30, sub { state_of($B, 'server-a') eq 'up' }), 'B hears A';
    my $parent = $A->pid;
    my @all = ($parent, children_of($parent));
    ok kill('STOP', @all) == @all, 'every process of A is stopped (' . scalar(@all) . ')';
    ok poll_until(60, sub { state_of($B, 'server-a') eq 'down' }), 'B sees A go down';
    my @m = $sb->wait_mails(1, 30);
    is_deeply [subjects(@m)], ['Error : Server A'], 'B mails an Error for the wedged A';
    ok kill('CONT', reverse @all) == @all, 'A goes on';
    ok poll_until(60, sub { state_of($B, 'server-a') eq 'up' }), 'B hears A again';
    @m = $sb->wait_mails(2, 30);
    is [subjects(@m)]->[1], 'Good : Server A', 'B mails Good for A';
    $B->stop;
    $A->stop;
}

done_testing;
