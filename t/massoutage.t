# A mass outage (issue 15 item 2): 20,000 devices fall silent together, as
# when a whole region loses power.  Every device is named in what arrives,
# by mail (t/smtp_sink.py) and on a webhook channel (t/http_sink.py), and
# no message is over its documented size: a mail over 256 KiB
# (PH_MAIL_PART_MAX) goes as numbered parts, the webhook's JSON as parts
# under 256 KiB (PH_NOTIFY_JSON_MAX).  Before, the 2.8 MB digest mail and
# the 1.3 MB notification were over the outbox's 1 MiB read limit and
# never went.  The diag line gives the time from the last deadline to the
# last part (docs/mod_phonehome.md "A mass outage"); the assertion's
# deadline is generous.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Encode ();
use JSON::PP ();
use Time::HiRes qw(sleep time);
use PhTest qw(phonehome_conf private_httpd poll_until parallel_beats);
use PhHttp qw(start_http);
use PhSmtp qw(start_smtp decode_subject);

# PH_MASSOUTAGE_DEVICES runs it bigger, for bench/RESULTS.md.
my $n = $ENV{PH_MASSOUTAGE_DEVICES} || 20000;
my $clients = 4;
my $max_age = 3;
# The default window: the beats of 20,000 devices take 1-3 s on a 2-core
# machine, so their deadlines spread that far; a shorter window would cut
# the outage into two digests (two pushes) on a slow machine.
my $window = 10;

my $smtp = start_smtp(name => 'massoutage');
my $rx = start_http(name => 'massoutage');
my $h = private_httpd('massoutage', phonehome_conf() . <<"EOC");
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeNotify hook @{[$rx->url]}/hook
PhoneHomeNotify phone @{[$rx->url]}/alerts kind=ntfy
PhoneHomeMaxAge $max_age
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow $window
PhoneHomeArmAfter 0
PhoneHomeMaxDevices @{[$n + 100]}
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit Off
EOC

# Every device beats once, from $clients keep-alive connections at once.
sub beat_all {
    return parallel_beats($h->{port}, $clients,
                          map { "/raspberrypiPhoneHome/mo-$_" } 0 .. $n - 1);
}

my $t0 = time;
ok beat_all(), "$n devices beat once, every beat answered 200";
my $deadline = time + $max_age;     # the last device's deadline
diag sprintf 'beats: %.1f s for %d devices', $deadline - $max_age - $t0, $n;

# Delivered, as events.log tells: every device down, queued for mail and
# the channel, and every queued message sent.  (Cheap to poll; what
# arrived is read once, after.)
sub delivered {
    open my $f, '<', $h->dir . '/state/events.log' or return 0;
    my ($down, $mq, $nq, $ms, $ns, $mdev, $ndev) = (0) x 7;
    while (<$f>) {
        if (/"event":"down"/) { $down++ }
        elsif (/"event":"mail_queued".*"devices":(\d+)/) { $mq++; $mdev += $1 }
        elsif (/"event":"notify_queued".*"channel":"(\w+)","devices":(\d+)/) {
            $nq++;
            $ndev += $2 if $1 eq 'hook';
        }
        elsif (/"event":"mail_sent"/) { $ms++ }
        elsif (/"event":"notify_sent"/) { $ns++ }
    }
    return $down == $n && $mdev == $n && $ndev == $n && $ms == $mq && $ns == $nq;
}
my $all = poll_until(300, \&delivered);
my $took = time - $deadline;
ok $all, "all $n went down and every message about them was sent";

# The devices named in Error mails and Error webhook posts, and the
# largest message of each.
my (%mailed, %posted, $mails, $posts, $mail_max, $post_max, $mail_max_what);
my $json = JSON::PP->new->utf8;
for my $m ($smtp->mails) {
    next unless decode_subject($m->{headers}{subject} // '') =~ /^Error : /;
    my $size = length($m->{raw_headers}) + length($m->{body});
    if (!$mail_max || $size > $mail_max) {
        $mail_max = $size;
        $mail_max_what = sprintf '%s, %d lines', decode_subject($m->{headers}{subject}),
            scalar(() = $m->{body} =~ /\n/g);
    }
    $mails++;
    $mailed{$1} = 1 while $m->{body} =~ /\b(mo-\d+)\b/g;
}
my @pushes;
for my $r ($rx->requests) {
    if ($r->{path} eq '/alerts') {
        push @pushes, $r if ($r->{headers}{title} // '') =~ /^Error : /;
        next;
    }
    my $body = Encode::encode('UTF-8', $r->{body} // '');
    $post_max = length $body if !$post_max || length $body > $post_max;
    my $doc = eval { $json->decode($body) } or next;
    next unless ($doc->{state} // '') eq 'down';
    $posts++;
    $posted{$_->{device}} = 1 for @{ $doc->{devices} // [] };
}
is scalar(keys %mailed), $n, "every one of the $n devices is named in the Error mails";
is scalar(keys %posted), $n, "and in the Error documents on the webhook";
diag sprintf 'mass outage of %d: %d mails (largest %d bytes), %d webhook posts '
    . '(largest %d bytes), last one sent %.1f s after the last deadline '
    . '(DigestWindow %d s included)', $n, $mails // 0, $mail_max // 0,
    $posts // 0, $post_max // 0, $took, $window;
diag "largest mail: $mail_max_what";
# A push to a person: one summary, not dozens.
is scalar(@pushes), 1, 'the ntfy channel got one Error push for the whole outage';
is $pushes[0]{headers}{title}, "Error : $n devices (Raspberry Pi phone home)",
    'titled with the count';
like $pushes[0]{body}, qr/\A$n devices are now in state: Error\n.*\(and \d+ more: see the status page, \?state=down\)\z/s,
    'naming the first devices and where to see the rest';
cmp_ok length($pushes[0]{body}), '<=', 3500, 'in at most 3,500 bytes';
cmp_ok $mails, '>', 1, 'the digest mail went as several parts';
cmp_ok $mail_max, '<=', 256 * 1024, 'each mail at most 256 KiB';
cmp_ok $post_max, '<=', 256 * 1024, 'each webhook document at most 256 KiB';
my @parts = grep { decode_subject($_->{headers}{subject} // '') =~ /^Error : \d+ devices \(.*\), part \d+ of \d+$/ }
            $smtp->mails;
ok scalar(@parts), 'subjects number the parts ("Error : N devices (...), part 2 of 9")';
unlike $h->log, qr/PH00150|PH00036/, 'nothing went to dead/';

$h->stop;
$smtp->stop;
$rx->stop;
done_testing();
