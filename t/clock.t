# ph-test: one-mpm
# (a fault test: libfaketime does not take effect behind the sanitizer runtimes
# the sanitized pass preloads, so it runs in the plain pass under one MPM)
# The server's wall clock steps (issue 15 item 1): with libfaketime
# preloaded into httpd (monotonic clock left alone), steps of +600 s (during
# the startup grace), -60 s and +1 day raise no alert for devices that keep
# beating, and a device that falls silent goes down MaxAge after its last
# beat, not MaxAge + step; PhoneHomeArmAfter is counted on the monotonic
# clock too.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(time);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until);

my $lib = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
ok -e $lib, "libfaketime is installed ($lib; Debian's faketime)" or BAIL_OUT('no libfaketime');

my @beaters = qw(pi-1 pi-2 pi-3);
my $grace = 8;
my $h = private_httpd('clock', phonehome_conf() . <<"EOC", env => {
PhoneHomeMaxAge 20
PhoneHomeStartupGrace $grace
PhoneHomeRateLimit Off
PhoneHomeDevice quiet MaxAge=4
PhoneHomeDevice pi-1
PhoneHomeDevice pi-2
PhoneHomeDevice pi-3
EOC
    LD_PRELOAD                   => $lib,
    FAKETIME_DONT_FAKE_MONOTONIC => 1,
    FAKETIME_NO_CACHE            => 1,
    FAKETIME_TIMESTAMP_FILE      => PhTest::t_dir() . '/private/clock/faketime',
});
my $started = time;
my $b = $h->base;

# The offset httpd's wall clock runs at, read at every call.
sub step_to {
    my ($spec) = @_;
    my $f = $h->dir . '/faketime';
    open my $fh, '>', "$f.new" or die "$f.new: $!";
    print $fh "$spec\n";
    close $fh;
    chmod 0644, "$f.new";
    rename "$f.new", $f or die "rename: $!";
}

sub beat_all { beat("/raspberrypiPhoneHome/$_", base => $b) for @_ }

sub state_of {
    my $d = device_of(status_json($b), shift);
    return $d ? $d->{state} : '';
}

# Beat the beaters every 0.3 s until $quiet's state is $want; the seconds
# that took, or undef.
sub beat_until_quiet {
    my ($want, $seconds) = @_;
    my $t0 = time;
    my $ok = poll_until($seconds, sub {
        beat_all(@beaters);
        return state_of('quiet') eq $want;
    });
    return $ok ? time - $t0 : undef;
}

sub false_alarms {
    my @down = $h->log =~ /PH00020: (pi-\d) is down/g;
    return join(',', @down) || 'none';
}

step_to('+0');
beat_all(@beaters, 'quiet');
is state_of('quiet'), 'up', 'every device beats once';

# 1. +600 s inside the startup grace.  quiet, now silent, goes down when the
# grace ends (8 s after the start), not at the step.
step_to('+600');
my $took = beat_until_quiet('down', 60);
ok defined $took, 'quiet, silent, goes down';
my $since_start = time - $started;
ok $since_start >= $grace - 1,
    sprintf('not before the startup grace ends (%.1f s after the start)', $since_start);
is false_alarms(), 'none', 'a step of +600 s in the grace: no Error for devices that beat';

# 2. -60 s (from +600: a step back of 660 s).  quiet comes back, then falls
# silent: down about MaxAge (4 s) after its last beat, not 4 + 660 s.
step_to('-60');
beat_all('quiet');
ok poll_until(30, sub { beat_all(@beaters); state_of('quiet') eq 'up' }), 'quiet is back up';
my $t_last = time;
beat_all('quiet');
$took = beat_until_quiet('down', 40);
ok defined $took && $took < 15,
    sprintf('after a step back, a silent device goes down after its MaxAge of 4 s (%s s)',
            defined $took ? sprintf('%.1f', $took) : 'never, within 40');
ok !defined $took || $took >= 3.5, 'and not before it';
is false_alarms(), 'none', 'a step of -60 s: no Error for devices that beat';

# 3. +1 day.
beat_all('quiet');
ok poll_until(30, sub { beat_all(@beaters); state_of('quiet') eq 'up' }), 'quiet is back up again';
step_to('+1d');
$took = beat_until_quiet('down', 40);
ok defined $took && $took >= 3.5 && $took < 15,
    sprintf('after a step of a day, a silent device goes down after its MaxAge (%s s)',
            defined $took ? sprintf('%.1f', $took) : 'never, within 40');
is false_alarms(), 'none', 'a step of +1 day: no Error for devices that beat';
is state_of($_), 'up', "$_ stayed up" for @beaters;

# The clock is really stepped: httpd's status page says so.
my $now = status_json($b)->{server_time};
ok $now > time + 86000, "httpd's wall clock runs a day ahead ($now)";

unlike $h->log, qr/PH00022/, 'nothing failed to queue';
$h->stop;

# 4. ArmAfter (an undeclared device may alert once heard that long without
# an outage) counts on the monotonic clock too: a step back does not hold
# back a device heard for ArmAfter, a step forward arms none early.
{
    my $a = private_httpd('clock-arm', phonehome_conf() . <<"EOC", env => {
PhoneHomeMaxAge 3
PhoneHomeStartupGrace 0
PhoneHomeArmAfter 6
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit 4 600
EOC
        LD_PRELOAD                   => $lib,
        FAKETIME_DONT_FAKE_MONOTONIC => 1,
        FAKETIME_NO_CACHE            => 1,
        FAKETIME_TIMESTAMP_FILE      => PhTest::t_dir() . '/private/clock-arm/faketime',
    });
    my $ab = $a->base;
    my $step = sub {
        my $f = $a->dir . '/faketime';
        open my $fh, '>', "$f.new" or die "$f.new: $!";
        print $fh "$_[0]\n";
        close $fh;
        chmod 0644, "$f.new";
        rename "$f.new", $f or die "rename: $!";
    };
    my $arm_state = sub {
        my $d = device_of(status_json($ab), shift);
        return $d ? $d->{state} : '';
    };
    $step->('+0');
    # steady: heard for 7.5 s (ArmAfter 6), the wall clock an hour back
    # after the first 3 s; then silent: it alerts.
    my $t0 = time;
    poll_until(10, sub { beat('/raspberrypiPhoneHome/steady', base => $ab); time - $t0 >= 3 });
    $step->('-1h');
    poll_until(10, sub { beat('/raspberrypiPhoneHome/steady', base => $ab); time - $t0 >= 7.5 });
    ok poll_until(30, sub { $arm_state->('steady') eq 'down' }), 'steady, silent, goes down';
    ok poll_until(10, sub { $a->log =~ /PH00020: steady is down/ }),
        'heard for ArmAfter across a step back of an hour: it alerts'
        or diag $a->log;
    # newcomer: two beats, the wall clock a day forward in between; then
    # silent: not armed, no alert.
    beat('/raspberrypiPhoneHome/newcomer', base => $ab);
    $step->('+1d');
    beat('/raspberrypiPhoneHome/newcomer', base => $ab);
    ok poll_until(30, sub { $arm_state->('newcomer') eq 'down' }), 'newcomer, silent, goes down';
    # An alert would be logged in the tick that took it down: none comes.
    ok !poll_until(3, sub { $a->log =~ /PH00020: newcomer is down/ }),
        'heard for a moment across a step of a day forward: not armed, no alert';

    # PhoneHomeRegisterLimit (4 new names in 600 s from one address; steady
    # and newcomer took two) counts on the monotonic clock: a step forward
    # refills no bucket.
    is beat("/raspberrypiPhoneHome/reg-$_", base => $ab)->code, 200, "new name reg-$_ accepted"
        for 1, 2;
    is beat('/raspberrypiPhoneHome/reg-3', base => $ab)->code, 429, 'the fifth new name waits (429)';
    $step->('+2d');
    is beat('/raspberrypiPhoneHome/reg-4', base => $ab)->code, 429,
        'and still waits after the wall clock stepped a day forward';
    $a->stop;
}
done_testing();
