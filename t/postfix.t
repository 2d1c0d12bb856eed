# End to end against a real Postfix (Debian's package), as users run it:
# the private instance t/run-httpd-tests starts as root before the suite
# (smtpd_tls_security_level = may, a self-signed certificate, Maildir
# delivery).  Alerts go over STARTTLS (Received: ... with ESMTPS), several
# from one child, under every MPM.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use PhTest qw(phonehome_conf private_httpd beat poll_until);
use PhSmtp qw(read_mail decode_subject);

my $port = $ENV{PH_POSTFIX_PORT};
my $maildir = $ENV{PH_POSTFIX_MAILDIR};
# Never a silent skip: without the private Postfix this test fails.
ok $port && $maildir, 'the private Postfix runs (t/run-httpd-tests starts it when run as root)'
    or BAIL_OUT('no private Postfix: run t/run-httpd-tests as root (Postfix\'s master runs only as root)');

my $h = private_httpd('postfix', phonehome_conf() . <<"EOC");
PhoneHomeMailFrom  pialert\@example.com
PhoneHomeMailTo    me\@example.com
PhoneHomeSMTPServer 127.0.0.1:$port
PhoneHomeNotifyFirstBeat On
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeArmAfter 0
EOC

my $tag = ($ENV{PH_MPM} // 'mpm') . "-$$";
sub ours {
    my @m;
    for my $sub ('new', 'cur') {
        opendir my $dh, "$maildir/$sub" or next;
        push @m, map { read_mail("$maildir/$sub/$_") } grep { !/^\./ } readdir $dh;
    }
    return grep { decode_subject($_->{headers}{subject} // '') =~ /pf-\Q$tag\E-/ } @m;
}

my $n = 5;
for my $i (1 .. $n) {
    beat("/raspberrypiPhoneHome/pf-$tag-$i", base => $h->base);
    ok poll_until(60, sub { ours() >= $i }), "alert $i delivered by Postfix" or diag $h->log;
}
my @m = ours();
is scalar @m, $n, "$n mails in the mailbox";
is scalar(grep { ($_->{raw_headers} =~ /^Received: [^\n]*(?:\n[ \t][^\n]*)*with ESMTPS/m) } @m), $n,
   'each accepted over STARTTLS (Received: ... with ESMTPS)';
my %pid;
my $log = $h->log;
$pid{$1}++ while $log =~ /\[pid (\d+)[^\]]*\][^\n]*PH00030: sent mail/g;
is scalar(keys %pid), 1, 'all sent from one child';
like $h->log, qr/PH00102: STARTTLS to 127\.0\.0\.1:$port: the certificate is self-signed/,
     'On warns that the self-signed certificate is not verified';
unlike $h->log, qr/AH00052|Segmentation fault|exit signal/, 'no child crashed';
$h->stop;

done_testing();
