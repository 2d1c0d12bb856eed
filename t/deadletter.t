# Files in the outbox that can never be sent (over PH_OUTBOX_MAX, not
# readable, not an outbox file) go to dead/ with one log line each, and
# block nothing: a later alert on the same channel, and a later mail,
# still arrive.  Before issue 15 item 2, an oversized file was skipped
# silently forever and, as a channel's oldest file, held back every later
# notification of that channel.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(sleep time);
use PhTest qw(phonehome_conf private_httpd status_json beat poll_until);
use PhHttp qw(start_http);
use PhSmtp qw(start_smtp decode_subject);

my $rx = start_http(name => 'deadletter');
my $smtp = start_smtp(name => 'deadletter');
my $h = private_httpd('deadletter', phonehome_conf() . <<"EOC");
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeNotify hook @{[$rx->url]}/hook
PhoneHomeMaxAge 2
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeArmAfter 0
EOC

my $outbox = $h->dir . '/state/outbox';
my $dead = $h->dir . '/state/dead';
ok -d $outbox, 'the outbox exists';

sub plant {
    my ($name, $text, $mode) = @_;
    open my $f, '>:raw', "$outbox/$name" or die "$outbox/$name: $!";
    print $f $text;
    close $f;
    chmod $mode // 0644, "$outbox/$name";
}

# Oldest names first (they sort before anything the server writes): each
# would be its channel's next file.
my $head = "PHMAIL 1\ncreated 1\nattempts 0\nnext 0\nsubject big\n";
plant('0000000000000001-1-1.hook.notify',
      $head . "channel hook\n\n" . ("x" x (1024 * 1024 + 10)) . "\n");
plant('0000000000000002-1-1.hook.notify', "garbage, not an outbox file\n");
plant('0000000000000001-1-1.mail',
      $head . "rcpt me\@example.com\n\n" . ("y" x (1024 * 1024 + 10)) . "\n");
plant('0000000000000002-1-1.mail', "\x00\x01 binary junk");
# Unreadable by the server (it runs as another user than root, or as the
# owner of a mode-0 file, and cannot open it either way).
plant('0000000000000003-1-1.hook.notify', $head . "channel hook\n\nz\n", 0);

# A real alert after them, on the same channel and by mail.
is beat('/raspberrypiPhoneHome/after-junk', base => $h->base)->code, 200, 'a device beats';
ok poll_until(60, sub { grep { ($_->{body} // '') =~ /"device":"after-junk".*"state":"down"/ }
                        $rx->requests }),
    'its Error still reaches the channel behind the bad files';
ok poll_until(60, sub { grep { decode_subject($_->{headers}{subject} // '') =~ /^Error : after-junk\b/ }
                        $smtp->mails }),
    'and its Error mail arrives';

for my $f ('0000000000000001-1-1.hook.notify', '0000000000000002-1-1.hook.notify',
           '0000000000000003-1-1.hook.notify', '0000000000000001-1-1.mail',
           '0000000000000002-1-1.mail') {
    ok poll_until(30, sub { -e "$dead/$f" && !-e "$outbox/$f" }), "$f was moved to dead/";
}
my $log = $h->log;
my @big = $log =~ /(PH00150: .*over the limit.*)/g;
is scalar(@big), 2, 'one PH00150 line for each oversized file'
    or diag $log;
like $log, qr/PH00150: .*0000000000000003-1-1\.hook\.notify cannot be read/,
    'PH00150 for the unreadable one';
my @junk = $log =~ /(PH00036: .*0000000000000002-1-1\.(?:mail|hook\.notify) is not a)/g;
is scalar(@junk), 2, 'PH00036 once for each file that is not an outbox file';
ok poll_until(30, sub { ((status_json($h->base)->{outbox} // {})->{dead} // 0) == 5 }),
    'the status page counts the 5 in dead/';

$h->stop;
$rx->stop;
$smtp->stop;
done_testing();
