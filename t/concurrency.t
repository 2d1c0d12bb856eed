# Beats from many parallel clients are each counted exactly once, whichever
# child process or thread takes them: the table is shared memory under one
# mutex, and this runs under event, worker and prefork.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use IO::Socket::INET;
use PhTest qw(status_json device_of keepalive_beats);

my ($host, $port) = split /:/, Apache::TestRequest::hostport();
my $clients = 8;
my $per_client = 150;
my $names = 5;          # clients share devices, so slots are contended

# Keep-alive connections spread the load over children and threads.
sub hammer {
    my ($id) = @_;
    return keepalive_beats($host, $port, map {
        '/raspberrypiPhoneHome/par-' . (($id + $_) % $names) . "?seq=$_"
    } 1 .. $per_client);
}

my @pids;
for my $id (1 .. $clients) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $ok = hammer($id);
        exit($ok == $per_client ? 0 : 1);
    }
    push @pids, $pid;
}
my $all_ok = 1;
for (@pids) {
    waitpid $_, 0;
    $all_ok = 0 if $?;
}
ok $all_ok, "$clients clients x $per_client beats, every one answered 200";

my $s = status_json();
my $total = 0;
my @per = map { my $d = device_of($s, "par-$_"); $d ? $d->{beats} : 0 } 0 .. $names - 1;
$total += $_ for @per;
is $total, $clients * $per_client, "exactly $clients x $per_client beats counted (@per)";

# Parallel first beats of many new names: each gets one slot, none twice.
my @pids2;
for my $id (1 .. 4) {
    my $pid = fork // die;
    if ($pid == 0) {
        for my $n (1 .. 50) {
            my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or exit 1;
            print $sock "GET /raspberrypiPhoneHome/new-$n HTTP/1.0\r\n\r\n";
            local $/;
            my $a = <$sock>;
            exit 1 unless $a =~ m{^HTTP/1\.1 200};
        }
        exit 0;
    }
    push @pids2, $pid;
}
my $ok2 = 1;
for (@pids2) { waitpid $_, 0; $ok2 = 0 if $? }
ok $ok2, '4 clients register the same 50 new names at once';
$s = status_json();
my @new = grep { $_->{name} =~ /^new-\d+$/ } @{ $s->{devices} };
is scalar @new, 50, 'each name has exactly one slot';
my $beats = 0;
$beats += $_->{beats} for @new;
is $beats, 200, 'and every one of the 200 first beats is counted';

done_testing();
