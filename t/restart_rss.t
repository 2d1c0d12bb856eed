# ph-test: one-mpm
# (a memory measurement: under the sanitized pass, ASan's allocator and
# quarantine make the figures its own, so it runs in the plain pass only)
# The httpd parent's memory across generations (issue 15's soak): a cold
# start that reads the snapshot beside a 20,000-slot table leaves the
# parent's private memory (RssAnon) within a few MB of a start without one
# (the read and decoded snapshot and the 8.8 MB copy of the live table it
# is compared with are given back; before, ptemp's blocks stayed), and 8
# graceful restarts leave its VmRSS after the 8th within 2 MB of the 2nd
# (the first reloads the module's libraries: file pages, counted once).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use PhTest qw(phonehome_conf private_httpd parallel_beats poll_until);

my $slots = 20_000;
my $h = private_httpd('restart_rss', phonehome_conf() . <<"EOC");
PhoneHomeMaxDevices $slots
PhoneHomeMaxAge 3600
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit Off
EOC

# kB of one /proc/PID/status line of the parent.
sub mem {
    my ($key) = @_;
    my $pid = $h->pid or return 0;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    while (<$fh>) { return $1 if /^\Q$key\E:\s+(\d+) kB/ }
    return 0;
}

my @paths = map { "/raspberrypiPhoneHome/rss-$_" } 1 .. 300;
ok parallel_beats($h->{port}, 4, @paths), '300 devices beat';
sub devices {
    my $r = PhTest::_ua()->get($h->base . '/phonehome-status?auto');
    return $r->is_success && $r->content =~ /^PhoneHomeDevices: (\d+)$/m ? $1 : -1;
}
ok poll_until(60, sub { devices() == 300 }), 'all 300 in the table';
my $first = mem('RssAnon');
ok $first > 0, "parent RssAnon after a start without a snapshot: $first kB";

# The snapshot is written by the detection watchdog: at its first tick,
# then as the table changes, and at a stop by the child that holds the
# detection.  A stop before that first tick (300 beats can take less than
# its half second) finds no holder and leaves no snapshot, and then the
# cold start below would read none: wait for the detection to run.
my $snap = $h->dir . '/state/state.snapshot';
ok poll_until(30, sub { -s $snap }), 'the detection wrote its first snapshot';
ok $h->stop, 'graceful-stop';
ok -s $snap, 'the stop left the snapshot';
ok $h->start, 'a cold start';
my $cold = mem('RssAnon');
diag "parent RssAnon: $first kB after the first start, $cold kB after the cold start";
cmp_ok $cold, '<', $first + 4096,
       "parent RssAnon after restoring the snapshot: $cold kB (less than 4 MB more)";

my @rss;
for my $k (1 .. 8) {
    ok $h->graceful, "graceful restart $k";
    push @rss, mem('VmRSS');
}
diag "parent VmRSS after each graceful restart (kB): @rss";
cmp_ok $rss[7], '<', $rss[1] + 2048,
       "VmRSS after the 8th restart ($rss[7] kB) within 2 MB of the 2nd ($rss[1] kB)";
cmp_ok mem('RssAnon'), '<', $first + 4096, 'RssAnon still within 4 MB of the first start';
is scalar(() = $h->log =~ /AH00052|Segmentation fault|exit signal/g), 0,
   'no crash in the error log';
$h->stop;
done_testing;
