package PhDisk;
# A full or failing disk under PhoneHomeStateDir (issue 15 item 3), one
# scenario for two ways of making it fail (t/fulldisk.t, t/diskfault.t):
#
#   full_disk_scenario(name => 'fulldisk', state => $dir, env => {...},
#                      fail => sub { ... }, heal => sub { ... },
#                      cause => qr/No space left on device/);
#
# A device goes down while the disk refuses writes: its Error mail still
# reaches the SMTP sink, the error log says so once (not twice a second),
# the status page (HTML, ?auto, ?json) and ?metrics say the state directory
# is not writable and what is held in memory; the disk comes back: what was
# held (a channel's notification that cannot be delivered yet) is written
# to the outbox, and the status says writable again.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Test::More;
use Time::HiRes qw(time);
use LWP::UserAgent;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Spec;

use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until free_port);
use PhSmtp qw(start_smtp decode_subject);

our @EXPORT_OK = qw(full_disk_scenario httpd_pids fiu_ctrl fiu_libs);

our $current;                           # the httpd of the running scenario
my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);

sub _get {
    my ($url) = @_;
    my $res = $ua->get($url);
    return $res->is_success ? $res->decoded_content : '';
}

# libfiu's preload libraries (Debian's libfiu0), as fiu-run sets them,
# after t/lib/fiu_warm.c built into $dir (see there: without it, libfiu's
# preload deadlocks about one child in four at its start).
sub fiu_libs {
    my ($dir) = @_;
    my $src = File::Spec->catfile(dirname(__FILE__), 'fiu_warm.c');
    my $so = "$dir/fiu_warm.so";
    make_path($dir);
    system('cc', '-shared', '-fPIC', '-O2', '-o', $so, $src) == 0
        or die "cc $src: cannot build the preload that keeps libfiu from deadlocking\n";
    my @libs = ($so, map { "/usr/lib/fiu/$_" } qw(fiu_run_preload.so fiu_posix_preload.so));
    return @libs;
}

# Every process of the private httpd $h: the parent and its children (one
# process group: httpd detached with setsid).
sub httpd_pids {
    my ($h) = @_;
    my $pgid = $h->pid or return ();
    my @pids;
    opendir my $d, '/proc' or return ($pgid);
    for my $pid (grep { /^\d+\z/ } readdir $d) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh> // next;
        # pid (comm) state ppid pgrp ...
        my ($pgrp) = $stat =~ /\)\s+\S+\s+\d+\s+(\d+)/ or next;
        push @pids, $pid if $pgrp == $pgid;
    }
    closedir $d;
    return sort { $a <=> $b } @pids;
}

# Run a libfiu remote control command in every process of $h (fiu-ctrl, its
# fifos under $prefix); true when every process answered.
sub fiu_ctrl {
    my ($h, $prefix, $cmd) = @_;
    my @pids = httpd_pids($h);
    my $answered = 0;
    for my $pid (@pids) {
        next unless -p "$prefix-$pid.in";
        # libfiu's remote control thread does not always come up in a
        # forked child: one that never answers is named, not waited for.
        # The scenario's own checks (not writable, writable again) say
        # whether the fault took effect where the watchdogs run.
        if (system('timeout', '10', 'fiu-ctrl', '-f', $prefix, '-c', $cmd, $pid) == 0) {
            $answered++;
        }
        else {
            diag "fiu-ctrl: process $pid did not answer '$cmd'";
        }
    }
    return $answered > 0;
}

sub full_disk_scenario {
    my (%o) = @_;
    my $name = $o{name};
    my $state = $o{state};
    my $smtp = start_smtp(name => $name);
    my $dead_port = free_port();        # a channel nobody answers on
    my $h = private_httpd($name, phonehome_conf() . <<"EOC", env => $o{env} // {});
PhoneHomeStateDir "$state"
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeNotify later http://127.0.0.1:$dead_port/hook
PhoneHomeMaxAge 2
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeRateLimit Off
PhoneHomeDevice pi-disk
EOC
    local $PhDisk::current = $h;        # for fail and heal
    my $b = $h->base;
    my $state_of = sub { (device_of(status_json($b), 'pi-disk') // {})->{state} // '' };
    my $errors = sub { grep { /Error/ && /pi-disk/ } map { decode_subject($_->{headers}{subject} // '') } $smtp->mails };
    my $count = sub { my $re = shift; my @m = $h->log =~ /$re/g; scalar @m };

    beat('/raspberrypiPhoneHome/pi-disk', base => $b);
    ok poll_until(20, sub { $state_of->() eq 'up' }), "$name: pi-disk is up";
    my $j = status_json($b);
    is $j->{state_dir}{writable}, JSON::PP::true(), "$name: before: ?json says the state directory is writable";
    like _get("$b/phonehome-status?metrics"), qr/^phonehome_state_dir_writable 1$/m, "$name: before: ?metrics too";

    ok $o{fail}->(), "$name: the disk now refuses writes";
    my $t_fail = time;
    # pi-disk falls silent: down 2 s after its beat; the Error mail is sent
    # from memory, the disk still full.
    ok poll_until(60, sub { $state_of->() eq 'down' }), "$name: pi-disk goes down";
    my $t_down = time;
    ok poll_until(60, sub { scalar $errors->() }), "$name: its Error mail arrives while the disk is full"
        or diag $h->log;
    diag sprintf "%s: Error mail %.1f s after the device was seen down", $name, time - $t_down;
    ok poll_until(60, sub { !(status_json($b)->{state_dir}{writable}) }), "$name: ?json: not writable";
    $j = status_json($b);
    like $j->{state_dir}{error} // '', $o{cause}, "$name: ?json says why";
    ok $j->{state_dir}{failing_since}, "$name: ?json says since when";
    # The channel's notification cannot be delivered (nobody listens): it
    # stays in the outbox, which is memory for now.
    ok poll_until(60, sub { status_json($b)->{state_dir}{memory_held} >= 1 }),
        "$name: ?json: the channel's notification is held in memory";
    ok !glob("$state/outbox/*.notify"), "$name: and not on disk";
    # A graceful restart (a new segment) keeps what is held.  Not under
    # libfiu: its remote control does not always come up in children forked
    # after it was used.
    if ($o{graceful}) {
        my $held = status_json($b)->{state_dir}{memory_held};
        ok $h->graceful, "$name: a graceful restart while the disk is full";
        is status_json($b)->{state_dir}{memory_held}, $held, "$name: the $held held file(s) are still held after it";
        ok $count->(qr/PH00158/) == 1, "$name: PH00158 says so";
    }
    my $auto = _get("$b/phonehome-status?auto");
    like $auto, qr/^PhoneHomeStateDirWritable: 0$/m, "$name: ?auto: not writable";
    like $auto, qr/^PhoneHomeMemoryHeld: [1-9]\d*$/m, "$name: ?auto: held in memory";
    like $auto, qr/^PhoneHomeStateDirError: /m, "$name: ?auto: why";
    my $metrics = _get("$b/phonehome-status?metrics");
    like $metrics, qr/^phonehome_state_dir_writable 0$/m, "$name: ?metrics: not writable";
    like $metrics, qr/^phonehome_outbox_memory_held [1-9]\d*$/m, "$name: ?metrics: held";
    like $metrics, qr/^phonehome_outbox_memory_held_bytes [1-9]\d*$/m, "$name: ?metrics: bytes held";
    like _get("$b/phonehome-status"), qr/does not take writes.*held in memory/s, "$name: the HTML page says so";

    # Twenty failed writes (the old code logged PH00022 for each, twice a
    # second), counted by the module itself.
    my $f0 = status_json($b)->{state_dir}{write_failures};
    ok poll_until(120, sub { status_json($b)->{state_dir}{write_failures} >= $f0 + 20 }),
        "$name: twenty more writes failed";
    my $lines = $count->(qr/PH000(?:22|23|33|40)|PH0015[56]/);
    for my $tag (qw(PH00022 PH00023 PH00033 PH00040 PH00155 PH00156)) {
        cmp_ok $count->(qr/\Q$tag\E/), '<=', 1, "$name: $tag at most once in the first minute";
    }
    ok $count->(qr/PH00155/) == 1, "$name: PH00155 (held in memory) logged once";
    cmp_ok $lines, '<=', 6, "$name: disk-failure lines in " . int(time - $t_fail) . " s: $lines";

    ok $o{heal}->(), "$name: the disk takes writes again";
    ok poll_until(60, sub { status_json($b)->{state_dir}{writable} }), "$name: ?json: writable again";
    ok poll_until(60, sub { status_json($b)->{state_dir}{memory_held} == 0 }), "$name: nothing held any more";
    ok poll_until(30, sub { scalar glob("$state/outbox/*.later.notify") }),
        "$name: the held notification is now an outbox file" or diag `ls -la $state/outbox`;
    ok poll_until(30, sub { $count->(qr/PH00157/) == 1 }), "$name: PH00157 says the disk is back";
    # events.log caught up: the transition and the mail, in order.
    my $events = sub { open my $fh, '<', "$state/events.log" or return ''; local $/; <$fh> };
    ok poll_until(30, sub { $events->() =~ /"event":"down","device":"pi-disk".*"event":"mail_sent"/s }),
        "$name: events.log has pi-disk's down line and the mail, in order" or diag $events->();
    like _get("$b/phonehome-status?metrics"), qr/^phonehome_state_dir_writable 1$/m, "$name: ?metrics: writable";
    is scalar($errors->()), 1, "$name: one Error mail, not a repeat";
    $h->stop;
    return $h;
}

1;
