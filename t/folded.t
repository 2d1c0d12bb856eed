# ph-test: one-mpm
# (a fault test: the hour passes under libfaketime, which does not take
# effect behind the sanitizer runtimes of the sanitized pass)
# Arming's hourly cap (issue 14 item 4): alert events of undeclared devices
# beyond 10 an hour are held back, and when the hour is over the owner gets
# one mail saying how many (and the error log and events.log say so too),
# instead of either a flood or silence.  The hour is made to pass by
# stepping httpd's clocks (wall and monotonic) an hour forward.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(time);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until);
use PhSmtp qw(start_smtp decode_subject);

my $lib = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
ok -e $lib, "libfaketime is installed ($lib; Debian's faketime)" or BAIL_OUT('no libfaketime');

my $dir = PhTest::t_dir() . '/private/folded';
sub step_to {
    my ($spec) = @_;
    my $f = "$dir/faketime";
    open my $fh, '>', "$f.new" or die "$f.new: $!";
    print $fh "$spec\n";
    close $fh;
    chmod 0644, "$f.new";
    rename "$f.new", $f or die "rename: $!";
}
require File::Path;
File::Path::make_path($dir);
step_to('+0');

my $smtp = start_smtp(name => 'folded');
my $h = private_httpd('folded', phonehome_conf() . <<"EOC", env => {
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeMaxAge 1
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeRateLimit Off
PhoneHomeArmAfter 1
EOC
    LD_PRELOAD              => $lib,
    FAKETIME_NO_CACHE       => 1,
    FAKETIME_TIMESTAMP_FILE => "$dir/faketime",
});
my $b = $h->base;
sub state_of { (device_of(status_json($b), shift) // {})->{state} // '' }
sub subjects { map { decode_subject($_->{headers}{subject} // '') } $smtp->mails }

# One undeclared device flaps: heard long enough to be armed, silent, back,
# silent...  Each transition is one alert event; 14 of them pass the cap.
my $events = 0;
for my $round (1 .. 7) {
    my $t0 = time;
    poll_until(20, sub { beat('/raspberrypiPhoneHome/flappy-pi', base => $b); time - $t0 > 1.6 });
    $events++ if $round > 1;                    # down -> up
    ok poll_until(20, sub { state_of('flappy-pi') eq 'down' }), "round $round: silent, down";
    $events++;
}
is $events, 13, '13 alert events of an undeclared device';
ok poll_until(30, sub { scalar(grep { /flappy-pi/ } subjects()) >= 10 }), 'the first 10 are mailed';
my $sent = grep { /flappy-pi/ } subjects();
is $sent, 10, 'and no more than 10: the rest are held back' or diag join "\n", subjects();
unlike $h->log, qr/PH00125/, 'no summary before the hour is over';

step_to('+3700');                               # the hour passes
my $summary;
ok poll_until(30, sub { ($summary) = grep { /held back/ } subjects() }), 'after the hour: one summary mail';
is $summary, 'Raspberry Pi phone home: 3 alerts of undeclared devices held back',
   'saying how many were held back';
my ($m) = grep { decode_subject($_->{headers}{subject} // '') eq $summary } $smtp->mails;
like $m->{body}, qr/PhoneHomeDevice/, 'telling how to hear from a device: declare it';
like $h->log, qr/PH00125: 3 alert events of undeclared devices were not sent in the last hour/,
     'the error log says so';
open my $ev, '<', "$dir/state/events.log" or die;
ok scalar(grep { /"event":"folded","count":3\}/ } <$ev>), 'and events.log';
is scalar(grep { /held back/ } subjects()), 1, 'one summary, not one per event';
$h->stop;

done_testing();
