# The real client, phonehome, against the real module: one beat with the
# Pi's boot id and uptime, and an exit status a cron job can trust.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use PhTest qw(status_json device_of client_bin free_port);

my $bin = client_bin();
ok -x $bin, 'the client is built';
my $url = 'http://' . Apache::TestRequest::hostport() . '/raspberrypiPhoneHome';

sub run_client {
    my $out = `$bin @_ 2>&1`;
    return ($? >> 8, $out);
}

my ($st, $out) = run_client('--device', 'client-pi', $url);
is $st, 0, 'exit 0 when the server takes the beat' or diag $out;
my $d = device_of(status_json(), 'client-pi');
ok $d, 'the beat is recorded for --device';
like $d->{user_agent}, qr{^phonehome/\d}, 'User-Agent phonehome/VERSION';
SKIP: {
    skip 'no /proc on this system', 3 unless -r '/proc/sys/kernel/random/boot_id';
    open my $fh, '<', '/proc/sys/kernel/random/boot_id' or die;
    chomp(my $boot = <$fh>);
    is $d->{boot_id}, $boot, 'boot id from /proc/sys/kernel/random/boot_id';
    ok defined $d->{uptime} && $d->{uptime} > 0, 'uptime from /proc/uptime';
    ok abs($d->{skew}) <= 2, 'the client sends its clock';
}

($st, $out) = run_client("$url/bad%20name");
is $st, 4, 'exit 4 when the server refuses';
like $out, qr/device name/, "the server's reason is printed";

my $port = free_port();
($st, $out) = run_client('--connect-timeout', 2, "http://127.0.0.1:$port/raspberrypiPhoneHome");
is $st, 3, 'exit 3 when nobody answers';
($st) = run_client('ftp://example.com/');
is $st, 2, 'exit 2 for a URL that is not http(s)';
($st) = run_client('--connect-timeout', 'soon', $url);
is $st, 2, 'exit 2 for a bad option value';
($st) = run_client();
is $st, 2, 'exit 2 without a URL';

done_testing();
