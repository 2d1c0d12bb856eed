# ph-test: one-mpm
# A real Prometheus (Debian's prometheus, a private data directory, a free
# port) scrapes a private httpd with the scrape_configs entry copied from
# docs/mod_phonehome.md, and its query API returns phonehome_device_up for
# each device.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use File::Spec;
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use PhTest qw(phonehome_conf private_httpd beat poll_until free_port t_dir);

my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 0);
my $h = private_httpd('prometheus-target', phonehome_conf() . <<'EOC');
PhoneHomeMaxAge 3600
PhoneHomeDevice quiet-pi
EOC
my @devices = qw(kitchen-pi garage-pi);
is beat("/raspberrypiPhoneHome/$_", base => $h->base)->code, 200, "$_ beats" for @devices;

# The documented entry, word for word, pointed at this server.
my $doc = File::Spec->catfile(t_dir(), '..', 'docs', 'mod_phonehome.md');
open my $fh, '<', $doc or die "$doc: $!";
my $md = do { local $/; <$fh> };
my ($entry) = $md =~ /^( {6}scrape_configs:\n(?: {6}.*\n)+)/m;
ok $entry, 'the docs carry a scrape_configs entry' or BAIL_OUT('no entry');
$entry =~ s/^ {6}//mg;
my $target = '127.0.0.1:' . $h->{port};
ok $entry =~ s/targets: \['localhost:80'\]/targets: ['$target']/, 'with a target to point at this server';

my $dir = File::Spec->catdir(t_dir(), 'private', 'prometheus');
make_path("$dir/data");
open my $c, '>', "$dir/prometheus.yml" or die $!;
print $c "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n$entry";
close $c;
my $port = free_port();
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', "$dir/prometheus.log";
    open STDERR, '>&', \*STDOUT;
    no warnings 'exec';
    exec '/usr/bin/prometheus', "--config.file=$dir/prometheus.yml",
         "--storage.tsdb.path=$dir/data", "--web.listen-address=127.0.0.1:$port";
    POSIX::_exit(127);
}

my %seen;
my $ok = poll_until(90, sub {
    my $r = $ua->get("http://127.0.0.1:$port/api/v1/query?query=phonehome_device_up");
    return 0 unless $r->is_success;
    my $j = eval { JSON::PP->new->decode($r->content) } or return 0;
    %seen = map { $_->{metric}{device} => $_->{value}[1] } @{ $j->{data}{result} };
    return exists $seen{'kitchen-pi'} && exists $seen{'garage-pi'} && exists $seen{'quiet-pi'};
});
ok $ok, 'Prometheus scraped phonehome_device_up' or do {
    open my $l, '<', "$dir/prometheus.log"; local $/; diag scalar <$l>;
};
is $seen{$_}, '1', "phonehome_device_up{device=\"$_\"} is 1" for @devices;
is $seen{'quiet-pi'}, '0', 'a declared, silent device is 0';
my $t = $ua->get("http://127.0.0.1:$port/api/v1/targets");
my $tj = eval { JSON::PP->new->decode($t->content) } || {};
my ($tg) = @{ $tj->{data}{activeTargets} || [] };
is $tg && $tg->{health}, 'up', 'the target is healthy (no parse errors)' or diag $t->content;
like $tg && $tg->{scrapeUrl}, qr{/phonehome-status/metrics$}, 'scraped at <Location>/metrics';

kill 'TERM', $pid;
waitpid $pid, 0;
done_testing();
