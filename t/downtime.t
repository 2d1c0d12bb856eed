# ph-test: one-mpm
# (a fault test: hard kills, clean stops and restarts of a private httpd,
# with waits longer than MaxAge; one MPM keeps the CI run short)
# The monitor's own downtime (issue 15 item 5).  httpd keeps an "alive"
# stamp in PhoneHomeStateDir; after a cold start that follows a gap longer
# than the shortest MaxAge -- a kill -9 of every process (a crash or a
# power cut) or a clean stop -- exactly one notice goes to PhoneHomeMailTo
# and to every channel when the startup grace ends: when the monitor
# stopped, when it came back, the devices back and the one still silent,
# which goes down without an Error of its own and sends its Good later.
# A graceful restart and a quick cold start send no notice.  The status
# page (HTML, ?auto, ?json) lists the downtimes.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes qw(time stat);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until);
use PhHttp qw(start_http);
use PhSmtp qw(start_smtp decode_subject);

my $max_age = 3;
my $grace = 4;
my @beaters = qw(pi-1 pi-2 pi-3);
my $smtp = start_smtp(name => 'downtime');
my $rx = start_http(name => 'downtime');
my $h = private_httpd('downtime', phonehome_conf() . <<"EOC");
PhoneHomeMaxAge $max_age
PhoneHomeStartupGrace $grace
PhoneHomeDigestWindow 0
PhoneHomeArmAfter 0
PhoneHomeRateLimit Off
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:${\ $smtp->port}
PhoneHomeNotify hook ${\ $rx->url}/hook
PhoneHomeDevice pi-1
PhoneHomeDevice pi-2
PhoneHomeDevice pi-3
PhoneHomeDevice quiet
EOC
my $b = $h->base;
my $alive = $h->dir . '/state/alive';

sub beat_all { beat("/raspberrypiPhoneHome/$_", base => $b) for @_ }
sub state_of {
    my $d = device_of(status_json($b), shift);
    return $d ? $d->{state} : '';
}
sub subjects { map { decode_subject($_->{headers}{subject} // '') } $smtp->mails }
sub notices { grep { /^Monitor was down for / } subjects() }
sub hook_notices {
    grep { ($_->{body} // '') =~ /"event":"monitor_downtime"/ } $rx->requests;
}
sub settled {                       # nothing waits in the queue or outbox
    my $j = status_json($b);
    return $j->{outbox}{queued} == 0 && $j->{channels}[0]{queued} == 0;
}
sub utc { POSIX::strftime('%Y-%m-%d %H:%M:%S UTC', gmtime shift) }
sub wait_past {                     # let more than MaxAge go by
    my ($since) = @_;
    ok poll_until(30, sub { time - $since > $max_age + 2 }),
       'more than MaxAge passes with the monitor away';
}
sub everyone_up {
    beat_all(@beaters, 'quiet');
    ok poll_until(20, sub { beat_all(@beaters, 'quiet');
                            4 == grep { state_of($_) eq 'up' } @beaters, 'quiet' }),
       'every device is up';
}
# Beat the beaters (not quiet) until $cond holds.
sub beating_until {
    my ($seconds, $cond) = @_;
    return poll_until($seconds, sub { beat_all(@beaters); $cond->() });
}

# The stamp is there and fresh once the server runs.
my $t_up = time;
everyone_up();
ok poll_until(20, sub { -s $alive }), 'the alive stamp is written';
open my $fh, '<', $alive or die "$alive: $!";
my $rec = <$fh>;
close $fh;
like $rec, qr/^alive \d+ *$/, 'it holds a wall time';

# --- 1. A crash or a power cut: kill -9 of the parent and its children ----
# (once the snapshot holds the devices up: what a crash leaves of them)
my $snap = $h->dir . '/state/state.snapshot';
ok poll_until(30, sub { beat_all(@beaters, 'quiet'); -e $snap && (stat $snap)[9] > $t_up }),
   'the snapshot is written';
beat_all(@beaters, 'quiet');
my $killed = time;
ok $h->kill9, 'every httpd process is killed';
wait_past($killed);
ok $h->start, 'httpd starts again (a cold start)';
my $back = time;
ok beating_until(40, sub { notices() >= 1 && hook_notices() >= 1 && settled() }),
   'a notice arrives by mail and on the channel';
ok beating_until(10, sub { state_of('quiet') eq 'down' }), 'quiet is down';
ok beating_until(10, \&settled), 'nothing more waits to be sent';
my @mails = $smtp->mails;
is scalar @mails, 1, 'exactly one mail: no Error of its own for quiet';
is scalar(hook_notices()), 1, 'exactly one notice on the channel';
is scalar($rx->requests), 1, 'and nothing else on the channel';
my $j = status_json($b);
is scalar @{ $j->{downtimes} }, 1, 'the status page lists one downtime';
my $dt = $j->{downtimes}[0];
ok !$dt->{clean}, '... a crash';
ok $dt->{stopped} <= $killed + 1 && $dt->{stopped} >= $killed - 10,
   "... stopped at the last stamp before the kill ($dt->{stopped}, kill at " . int($killed) . ')';
ok abs($dt->{back} - $back) < 10, '... back at the start';
is $dt->{silent}, 1, '... one device still silent';
is $dt->{back_devices}, 3, '... three back';
my $body = $mails[0]{body};
like decode_subject($mails[0]{headers}{subject}), qr/^Monitor was down for \d+ s \(Raspberry Pi phone home\)$/,
     'the subject says how long';
like $body, qr/^Stopped: \Q${\ utc($dt->{stopped})}\E \(last sign of life: it crashed or lost power\)$/m,
     'the mail says when it stopped, and that it was not a clean stop';
like $body, qr/^Back: \Q${\ utc($dt->{back})}\E$/m, 'and when it came back';
like $body, qr/^Back since the start \(3\):\r?\n  pi-1 \(Raspberry Pi phone home\)\r?\n  pi-2 \(Raspberry Pi phone home\)\r?\n  pi-3 \(Raspberry Pi phone home\)$/m,
     'the devices back';
like $body, qr/^Still silent, now down \(1\):\r?\n  quiet \(Raspberry Pi phone home\)$/m,
     'the device still silent';
my ($hook) = hook_notices();
my $doc = JSON::PP->new->decode($hook->{body});
is $doc->{event}, 'monitor_downtime', 'the webhook document is a monitor_downtime';
like $doc->{text}, qr/^Still silent, now down \(1\):\n  quiet/m, 'naming the silent device';
like $doc->{text}, qr/^Stopped: \Q${\ utc($dt->{stopped})}\E/m, 'and the stop time';
like $doc->{title}, qr/^Monitor was down for /, 'under the same title';
my $auto = LWP::UserAgent->new->get("$b/phonehome-status?auto")->decoded_content;
like $auto, qr/^PhoneHomeDowntimes: 1$/m, '?auto counts the downtime';
like $auto, qr/^Downtime\[0\]Stopped: $dt->{stopped}$/m, '?auto: its stop';
my $html = LWP::UserAgent->new->get("$b/phonehome-status")->decoded_content;
like $html, qr/The monitor's own downtime/, 'the HTML page shows it';
my $events = do { local $/; open my $e, '<', $h->dir . '/state/events.log' or die; <$e> };
like $events, qr/"event":"monitor_downtime".*"clean":false/, 'events.log has a line for it';
like $h->log, qr/PH00165: .*a crash or a power cut/, 'the error log says why at the start';

# quiet's Good still comes.
beat_all('quiet');
ok poll_until(30, sub { grep { /^Good : quiet/ } subjects() }), "quiet's Good comes when it beats";

# --- 2. A graceful restart: no notice ----------------------------------------
everyone_up();
ok $h->graceful, 'a graceful restart (SIGUSR1)';
# quiet falls silent: its own Error is the sign that detection runs on.
ok beating_until(40, sub { grep { /^Error : quiet/ } subjects() }),
   'after it, quiet alerts on its own as usual';
is scalar(notices()), 1, 'and no second notice';

# --- 3. A clean stop, and a start after longer than MaxAge --------------------
everyone_up();
my $stopped = time;
ok $h->stop, 'httpd stops cleanly';
wait_past($stopped);
ok $h->start, 'and starts again';
ok beating_until(40, sub { notices() >= 2 && hook_notices() >= 2 && settled() }),
   'a second notice arrives';
ok beating_until(10, \&settled), 'nothing more waits to be sent';
my @n = grep { decode_subject($_->{headers}{subject}) =~ /^Monitor was down/ } $smtp->mails;
like $n[-1]{body}, qr/^Stopped: .* \(a clean stop\)$/m, 'it says the stop was clean';
like $n[-1]{body}, qr/^Still silent, now down \(1\):\r?\n  quiet /m, 'and names quiet';
is scalar(grep { /^Error : / } subjects()), 1, 'still only the one Error of part 2';
$j = status_json($b);
is scalar @{ $j->{downtimes} }, 2, 'two downtimes on the status page'
    or diag explain $j->{downtimes};
ok $j->{downtimes}[0]{clean}, 'the newest first: the clean stop'
    or diag explain $j->{downtimes};
ok abs($j->{downtimes}[0]{stopped} - $stopped) < 10, '... stopped when it was stopped';

# --- 4. A cold start shortly after a stop: no notice -------------------------
everyone_up();
ok poll_until(30, sub { grep({ /^Good : quiet/ } subjects()) >= 3 }), "quiet's Good again";
my $quiet_errors = grep { /^Error : quiet/ } subjects();
ok $h->stop, 'httpd stops cleanly';
ok $h->start, 'and starts again at once (a gap under MaxAge)';
# quiet is silent: it goes down when the grace ends and alerts on its own.
ok beating_until(40, sub { grep({ /^Error : quiet/ } subjects()) > $quiet_errors && settled() }),
   'quiet alerts on its own after the grace';
is scalar(notices()), 2, 'and no notice for the short gap';
is scalar(() = $h->log =~ /PH00165/g), 2, 'nothing was owed: PH00165 only at the two long gaps';

$h->stop;
$smtp->stop;
$rx->stop;
done_testing();
