# Flap damping (issue 17 item 6): PhoneHomeFlapLimit n seconds and per
# device Flap=n/seconds.  A device that changes state more than n times in
# the period sends one Flapping message, then no Error or Good until it has
# been stable for the period, then one Stable message with its state and
# the changes counted.  The status formats mark it meanwhile.  With the
# limit Off (the default, or Flap=Off) every change is told as before.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use LWP::UserAgent ();
use Time::HiRes qw(sleep time);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until config_test);
use PhSmtp qw(start_smtp decode_subject);

my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
my $disp = 'flap-pi (Raspberry Pi phone home)';

sub server {
    my ($name, $smtp_port, $extra) = @_;
    return private_httpd($name, phonehome_conf() . <<"EOC" . ($extra // ''));
PhoneHomeMailFrom  pialert\@example.com
PhoneHomeMailTo    me\@example.com
PhoneHomeSMTPServer 127.0.0.1:$smtp_port
PhoneHomeMaxAge 1
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeRateLimit Off
PhoneHomeArmAfter 0
EOC
}

sub get { my ($b, $q) = @_; $ua->get("$b/phonehome-status$q")->decoded_content // '' }
sub dev { my ($b, $n) = @_; device_of(status_json($b), $n) // {} }
sub subjects_of {
    my ($smtp, $name) = @_;
    # An undeclared device's display name is "name (monitor)".
    return grep { /\b\Q$name\E\b/ } map { s/ \(Raspberry Pi phone home\)$//r }
           map { decode_subject($_->{headers}{subject} // '') } $smtp->mails;
}
sub events_log {
    my ($h) = @_;
    open my $fh, '<', $h->dir . '/state/events.log' or return '';
    local $/;
    return <$fh>;
}

# One beat of each device, then silence until each is down: an up and a
# down change for each (the first beat of a device is no change).
sub cycle {
    my ($b, @devs) = @_;
    beat("/raspberrypiPhoneHome/$_", base => $b) for @devs;
    ok poll_until(20, sub { !grep { (dev($b, $_)->{state} // '') ne 'down' } @devs }),
       "@devs: beat, then silent: down";
}

# Beats every 0.3 s until $until is true (or $seconds pass).
sub keep_beating {
    my ($b, $seconds, $until, @devs) = @_;
    return poll_until($seconds, sub {
        beat("/raspberrypiPhoneHome/$_", base => $b) for @devs;
        sleep 0.2;
        $until->();
    });
}

# --- PhoneHomeFlapLimit 3 20: the fourth change is "Flapping" ------------
{
    my $smtp = start_smtp(name => 'flap');
    my $h = server('flap', $smtp->port, <<'EOC');
PhoneHomeFlapLimit 3 20
PhoneHomeDevice calm-pi MaxAge=1 Flap=Off MailTo=calm@example.com
<Location /server-status>
    SetHandler server-status
</Location>
EOC
    my $b = $h->base;
    my $t0 = time;
    cycle($b, 'flap-pi', 'calm-pi');            # flap-pi: first beat, down (1)
    cycle($b, 'flap-pi', 'calm-pi');            # up (2), down (3)
    my @s = subjects_of($smtp, 'flap-pi');
    ok poll_until(20, sub { (@s = subjects_of($smtp, 'flap-pi')) >= 3 }), 'three changes, three mails';
    is_deeply \@s, ['Error : flap-pi', 'Good : flap-pi', 'Error : flap-pi'], 'told as ever up to the limit'
        or diag explain \@s;
    is dev($b, 'flap-pi')->{flapping}, JSON::PP::false(), '?json: not flapping yet';
    cycle($b, 'flap-pi', 'calm-pi');            # up (4): flapping; down (5)
    ok time - $t0 < 20, sprintf('four changes within the period (%.1f s)', time - $t0);
    ok poll_until(20, sub { grep { /^Flapping : flap-pi$/ } subjects_of($smtp, 'flap-pi') }),
       'the fourth change sends "Flapping : flap-pi"';
    my $d = dev($b, 'flap-pi');
    is $d->{flapping}, JSON::PP::true(), '?json: flapping';
    is $d->{state}, 'down', '?json: and its state stays true';
    like get($b, '?auto'), qr/^Device\[\d+\]Flapping: 1$/m, '?auto: Device[N]Flapping: 1';
    like get($b, '?metrics'), qr/^phonehome_device_flapping\{device="flap-pi"\} 1$/m,
         '?metrics: phonehome_device_flapping 1';
    like get($b, '?metrics'), qr/^phonehome_device_flapping\{device="calm-pi"\} 0$/m,
         '?metrics: 0 for the device with Flap=Off';
    {
        # Prometheus's own parser takes the page with the new family.
        my $file = PhTest::t_dir() . '/private/flap-metrics.txt';
        open my $fh, '>', $file or die "$file: $!";
        print $fh get($b, '?metrics');
        close $fh;
        my $out = `promtool check metrics < "$file" 2>&1`;
        is $?, 0, 'promtool check metrics accepts phonehome_device_flapping' or diag $out;
    }
    like get($b, ''), qr{<span class="state down">[^<]*</span> <span class="flap">flapping</span>},
         'HTML: the flapping mark next to the state';
    like get($b, '?device=flap-pi'), qr{<span class="flap">flapping</span>}, 'HTML detail: the mark';
    like get($b, '/style.css'), qr/^\.flap\{/m, 'style.css has the rule';
    my $ss = $ua->get("$b/server-status")->decoded_content // '';
    like $ss, qr{<tr><td>flap-pi</td><td>[^<]*</td><td><b>down</b> \(flapping\)</td>},
         '/server-status: the mark in the PhoneHome section';
    like $ss, qr{<tr><td>calm-pi</td><td>[^<]*</td><td><b>\w+</b></td>},
         '/server-status: none for a device that is not flapping';

    cycle($b, 'flap-pi', 'calm-pi');            # up (6), down (7)
    cycle($b, 'flap-pi', 'calm-pi');            # up (8), down (9)
    sleep 1;                                    # any mail in flight is in
    @s = subjects_of($smtp, 'flap-pi');
    is_deeply \@s, ['Error : flap-pi', 'Good : flap-pi', 'Error : flap-pi', 'Flapping : flap-pi'],
        'no Error or Good while flapping' or diag explain \@s;
    is dev($b, 'flap-pi')->{flapping}, JSON::PP::true(), 'still flapping';

    # Stable for the period: one summary.
    my $stable_from = time;
    ok keep_beating($b, 60, sub { grep { /^Stable : flap-pi$/ } subjects_of($smtp, 'flap-pi') }, 'flap-pi', 'calm-pi'),
       'stable for the period: "Stable : flap-pi"';
    ok time - $stable_from >= 19, sprintf('not before the period (%.1f s)', time - $stable_from);
    my ($m) = grep { decode_subject($_->{headers}{subject} // '') eq "Stable : $disp" } $smtp->mails;
    like $m->{body}, qr/^\Q$disp\E stopped flapping: up since \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d /m,
         'the summary says its state and since when' or diag $m->{body};
    like $m->{body}, qr/after 10 changes of state/, 'and the changes counted (10)' or diag $m->{body};
    ($m) = grep { decode_subject($_->{headers}{subject} // '') eq "Flapping : $disp" } $smtp->mails;
    like $m->{body}, qr/^\Q$disp\E is flapping: 4 changes of state within 20 s$/m, 'the Flapping mail says why'
        or diag $m->{body};
    is dev($b, 'flap-pi')->{flapping}, JSON::PP::false(), '?json: flapping no more';
    like get($b, '?auto'), qr/^Device\[\d+\]Flapping: 0$/m, '?auto: Device[N]Flapping: 0';
    unlike get($b, ''), qr{class="flap"}, 'HTML: no mark';

    # Told as ever again.
    cycle($b, 'flap-pi');
    ok poll_until(20, sub { (subjects_of($smtp, 'flap-pi'))[-1] eq 'Error : flap-pi' }),
       'the next change is told again';
    @s = subjects_of($smtp, 'flap-pi');
    is scalar(@s), 6, 'six mails in all for flap-pi' or diag explain \@s;

    # Flap=Off: every change of calm-pi was told.
    my $log = events_log($h);
    my $changes = () = $log =~ /"event":"(?:down|up)","device":"calm-pi"/g;
    ok poll_until(20, sub { subjects_of($smtp, 'calm-pi') == $changes }),
       "Flap=Off: every change of calm-pi is mailed ($changes)";
    ok !grep({ /^(Flapping|Stable)/ } subjects_of($smtp, 'calm-pi')), 'and no flap message for it';

    like $log, qr/"event":"flap","device":"flap-pi",.*"state":"up".*"changes":4,"period":20/, 'events.log: flap';
    like $log, qr/"event":"flap_end","device":"flap-pi",.*"changes":10/, 'events.log: flap_end';
    like $h->log, qr/PH00240: flap-pi is flapping: 4 changes of state within 20 s/, 'error log: PH00240';
    like $h->log, qr/PH00241: flap-pi stopped flapping: up/, 'error log: PH00241';
    $h->stop;
    $smtp->stop;
}

# --- PhoneHomeFlapLimit Off (the default): every change is told ----------
{
    my $smtp = start_smtp(name => 'noflap');
    my $h = server('noflap', $smtp->port);
    my $b = $h->base;
    cycle($b, 'flap-pi') for 1 .. 5;            # 9 changes
    my @s;
    ok poll_until(30, sub { (@s = subjects_of($smtp, 'flap-pi')) >= 9 }), 'nine changes, nine mails';
    sleep 1;
    @s = subjects_of($smtp, 'flap-pi');
    is_deeply \@s, [('Error : flap-pi', 'Good : flap-pi') x 4, 'Error : flap-pi'], 'every Error and Good'
        or diag explain \@s;
    is dev($b, 'flap-pi')->{flapping}, JSON::PP::false(), '?json: flapping is there, false';
    unlike get($b, '?auto'), qr/Flapping/, '?auto: no Flapping line without PhoneHomeFlapLimit';
    unlike get($b, '?metrics'), qr/phonehome_device_flapping/, '?metrics: no flapping family';
    $h->stop;
    $smtp->stop;
}

# --- Values out of range stop httpd, naming the directive -----------------
{
    my $load = phonehome_conf();
    my $n = 0;
    for my $c (['PhoneHomeFlapLimit 1 60', qr/PhoneHomeFlapLimit: changes: '1' is not a whole number from 2 to 1000/],
               ['PhoneHomeFlapLimit 1001 60', qr/PhoneHomeFlapLimit: changes: '1001'/],
               ['PhoneHomeFlapLimit 3 0', qr/PhoneHomeFlapLimit: seconds: '0' is not a whole number from 1 to 86400/],
               ['PhoneHomeFlapLimit 3 86401', qr/PhoneHomeFlapLimit: seconds: '86401'/],
               ['PhoneHomeFlapLimit 3', qr/PhoneHomeFlapLimit: '3' needs a number of changes and seconds/],
               ['PhoneHomeFlapLimit On', qr/PhoneHomeFlapLimit: 'On' needs/],
               ['PhoneHomeDevice pi Flap=1/60', qr/PhoneHomeDevice: device 'pi': Flap=changes: '1'/],
               ['PhoneHomeDevice pi Flap=3', qr/PhoneHomeDevice: device 'pi': Flap='3' is not n\/seconds/]) {
        my ($status, $out) = config_test('flap-' . ++$n, $load . "$c->[0]\n");
        isnt $status, 0, "$c->[0]: httpd refuses to start";
        like $out, $c->[1], "$c->[0]: the message names it" or diag $out;
    }
    for my $ok ('PhoneHomeFlapLimit 2 1', 'PhoneHomeFlapLimit 1000 86400', 'PhoneHomeFlapLimit Off',
                "PhoneHomeFlapLimit 5 300\nPhoneHomeDevice pi Flap=Off",
                'PhoneHomeDevice pi Flap=3/60') {
        my ($status, $out) = config_test('flap-' . ++$n, $load . "$ok\n");
        is $status, 0, "$ok: accepted" or diag $out;
    }
}

done_testing();
