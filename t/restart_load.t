# ph-test: one-mpm
# (a scale test of about a minute: thousands of devices beating through
# 10 graceful restarts)
# Graceful restarts under load (issue 15, the last defect of the 1-hour
# soak): a private httpd with 40,000 slots and 3,000 devices that beat
# without a pause from 6 keep-alive loops is restarted gracefully (SIGUSR1
# to the parent) 8 times while they beat.  The old generation's children
# still write slots while the parent's pool cleanup has mod_slotmem_shm
# persist them: its MD5 is of other bytes than it writes (the larger the
# segment, the likelier), the new generation's restore refuses the file
# (AH02551) and the table starts empty.  Before the fix 8 restarts of 8
# came back with 22 to 2,247 devices (those that beat again since), every
# beat count at 1; with 4,000 slots 3 of 6 did, or none of 8.  Now the
# parent copies the slots under the table's lock before slotmem's cleanup
# runs and the new generation starts from that copy (PH00164).  Checked:
# after every restart, compared with the status page as read before the
# restart was asked for, no device is missing, the number of devices did
# not drop and no device's beat count went backwards; each restart logged
# PH00164; no Error mail; no crash.  Then, the loops stopped, two graceful
# restarts to another PhoneHomeMaxDevices (slotmem refuses a file of
# another size, or reads it misaligned): 50,000 keeps every device and its
# count, 2,000 the devices of the first 2,000 slots (PH00163 names the
# 1,000 dropped).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use POSIX ();
use PhTest qw(phonehome_conf private_httpd status_json poll_until
              keepalive_beats);
use PhSmtp qw(start_smtp decode_subject);

my $devices = 3000;
my $loops = 6;
my $restarts = 8;

my $smtp = start_smtp(name => 'restart_load');
my $sport = $smtp->port;
my $h = private_httpd('restart_load', phonehome_conf() . <<"EOC");
PhoneHomeMaxDevices 40000
PhoneHomeMaxAge 60
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeArmAfter 0
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit Off
PhoneHomeMailFrom  pialert\@example.com
PhoneHomeMailTo    me\@example.com
PhoneHomeSMTPServer 127.0.0.1:$sport
PhoneHomeSMTPStartTLS Off
EOC
my $base = $h->base;

# The beat loops: forked, each beating its share of the devices over and
# over on a keep-alive connection (a new one when the server closes it),
# until they are killed at the end.
my @paths = map { "/raspberrypiPhoneHome/load-$_" } 1 .. $devices;
my @pids;
for my $c (0 .. $loops - 1) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my @mine = @paths[grep { $_ % $loops == $c } 0 .. $#paths];
        my $parent = getppid;
        while (kill 0, $parent) {
            keepalive_beats('127.0.0.1', $h->{port}, @mine);
        }
        POSIX::_exit(0);
    }
    push @pids, $pid;
}

# The devices' beat counts on the status page, or undef; @order: their
# names in slot order (the page's), as last read.
my @order;
sub table {
    my $s = eval { status_json($base) } or return;
    @order = map { $_->{name} } @{ $s->{devices} };
    return { map { $_->{name} => $_->{beats} } @{ $s->{devices} } };
}
sub total { my $t = shift; my $n = 0; $n += $_ for values %$t; $n }

my $t;
ok poll_until(120, sub { $t = table(); $t && keys %$t == $devices }),
   "all $devices devices in the table";
my $before = $t;
my @figures;
my $bad = 0;
for my $k (1 .. $restarts) {
    # Let the loops beat every device again: then read what the restart
    # must keep (everything read before SIGUSR1 was committed before it).
    my $floor = total($before) + $devices;
    ok poll_until(120, sub { $t = table(); $t && total($t) >= $floor }),
       "restart $k: the devices beat on (" . total($t // {}) . " beats)";
    $before = $t if $t;
    ok $h->graceful, "graceful restart $k";
    my $after;
    ok poll_until(60, sub { $after = table() }),
       "restart $k: the status page answers";
    $after //= {};
    my @missing = grep { !exists $after->{$_} } keys %$before;
    my @back = grep { exists $after->{$_} && $after->{$_} < $before->{$_} }
               keys %$before;
    my $n = keys %$after;
    push @figures, sprintf '%d: %d -> %d devices, %d missing, %d behind',
                           $k, scalar(keys %$before), $n, scalar @missing,
                           scalar @back;
    $bad++ if @missing || @back || $n < keys %$before;
    cmp_ok $n, '>=', scalar(keys %$before),
           "restart $k: the number of devices did not drop ($n)";
    is scalar @missing, 0, "restart $k: no device missing";
    is scalar @back, 0, "restart $k: no beat count went backwards"
        or diag join ' ', map { "$_: $before->{$_} -> $after->{$_}" }
                          (sort @back)[0 .. ($#back < 4 ? $#back : 4)];
    $before = $after if $n >= keys %$before;
}
diag "after each restart (before -> after): $_" for @figures;
diag "restarts that lost devices or beats: $bad of $restarts";

kill 'TERM', $_ for @pids;
waitpid $_, 0 for @pids;

my $log = $h->log;
my $persisted = () = $log =~ /AH02551/g;
diag "slotmem refused its persisted copy (AH02551) $persisted times";
my $restored = () = $log =~ /PH00164/g;
is $restored, $restarts, "each restart restored the parent's copy (PH00164)";

# Another PhoneHomeMaxDevices at a graceful restart: slotmem refuses its
# file of another size (AH02551) and the table started empty.  More slots
# keep every device; fewer keep the first ones (PH00163).
sub max_devices {
    my ($n) = @_;
    open my $in, '<', $h->{conf} or die "$h->{conf}: $!";
    my $c = do { local $/; <$in> };
    close $in;
    $c =~ s/^PhoneHomeMaxDevices \d+$/PhoneHomeMaxDevices $n/m;
    open my $out, '>', $h->{conf} or die "$h->{conf}: $!";
    print $out $c;
    close $out;
}
$before = table() // {};
max_devices(50000);
ok $h->graceful, 'graceful restart to PhoneHomeMaxDevices 50000';
$t = table() // {};
is scalar(grep { ($t->{$_} // -1) >= $before->{$_} } keys %$before),
   $devices, "all $devices devices and their beats kept with more slots";
my @first = @order[0 .. 1999];
max_devices(2000);
ok $h->graceful, 'graceful restart to PhoneHomeMaxDevices 2000';
$t = table() // {};
is scalar(keys %$t), 2000, 'the first 2,000 devices kept with fewer slots';
is scalar(grep { !exists $t->{$_} } @first), 0,
   'the ones in the first 2,000 slots';
like $h->log, qr/PH00163: PhoneHomeMaxDevices went down from 50000 to 2000 at this restart: the 1000 devices/,
     'PH00163 says how many were dropped';
my @errors = grep { decode_subject($_->{headers}{subject}) =~ /^Error\b/ }
             $smtp->mails;
is scalar @errors, 0, 'no Error mail';
is scalar(() = $log =~ /AH00052|Segmentation fault|exit signal/g), 0,
   'no crash in the error log';
$h->stop;
$smtp->stop;
done_testing;
