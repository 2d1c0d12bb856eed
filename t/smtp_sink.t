# The SMTP sink the mail tests use (t/smtp_sink.py through t/lib/PhSmtp.pm),
# tested with Perl's own Net::SMTP: what it stores, --fail-first, --auth,
# and stop/start on the same port.
use strict;
use warnings FATAL => 'all';
use utf8;
use Apache::Test qw(-withtestmore);
use Encode ();
use MIME::Base64 qw(encode_base64);
use Net::SMTP;
use PhSmtp qw(start_smtp decode_subject);

sub smtp_to {
    my ($sink) = @_;
    return Net::SMTP->new('127.0.0.1', Port => $sink->port, Hello => 'tester.localhost',
                          Timeout => 10);
}

# Send one message on an open session; true if the server took it.
sub send_on {
    my ($smtp, $from, $rcpts, $text) = @_;
    $smtp->mail($from) or return 0;
    for (@$rcpts) { $smtp->to($_) or return 0 }
    $smtp->data or return 0;
    $smtp->datasend($text);
    return $smtp->dataend ? 1 : 0;
}

my $subject = "Gerät pi-7 is DOWN – seit 5 min";
my $b64 = encode_base64(Encode::encode('UTF-8', "Gerät pi-7 is DOWN"), '');
my $message = join "\r\n",
    'From: PhoneHome <phonehome@example.org>',
    'To: ops@example.org, oncall@example.net',
    "Subject: =?UTF-8?B?$b64?=",
    ' =?UTF-8?Q?_=E2=80=93_seit_5_min?=',
    'X-Repeat: first',
    'X-Repeat: second',
    'Date: Thu, 01 Feb 2024 10:00:00 +0000',
    '',
    'pi-7 last seen 5 minutes ago.',
    '.a line that starts with a dot',
    '',
    'end',
    '';

# --- A plain sink: one message, two recipients ---------------------------
{
    my $sink = start_smtp();
    ok $sink->port > 0, 'the sink has a port';
    ok -d $sink->dir, 'and a directory';
    my $smtp = smtp_to($sink);
    ok $smtp, 'Net::SMTP connects';
    ok !$smtp->supports('STARTTLS'), 'no STARTTLS is offered';
    ok !$smtp->supports('AUTH'), 'nor AUTH without --auth';
    ok send_on($smtp, 'phonehome@example.org', ['ops@example.org', 'oncall@example.net'],
               $message), 'the message is accepted';
    $smtp->quit;

    my @m = $sink->wait_mails(1, 10);
    is scalar @m, 1, 'one mail stored';
    my $m = $m[0];
    is $m->{from}, 'phonehome@example.org', 'envelope sender';
    is_deeply $m->{rcpt}, ['ops@example.org', 'oncall@example.net'], 'both envelope recipients';
    is $m->{headers}{to}, 'ops@example.org, oncall@example.net', 'To header';
    is $m->{headers}{from}, 'PhoneHome <phonehome@example.org>', 'From header';
    is $m->{headers}{'x-repeat'}, 'first', 'a repeated header keeps its first value';
    is_deeply [map { $_->[0] } @{ $m->{header_list} }],
              [qw(From To Subject X-Repeat X-Repeat Date)], 'header_list in order';
    is $m->{header_list}[4][1], 'second', 'with every value';
    like $m->{headers}{subject}, qr/\A=\?UTF-8\?B\?\S+\?= =\?UTF-8\?Q\?\S+\?=\z/,
         'a folded Subject is unfolded';
    is decode_subject($m->{headers}{subject}), $subject, 'decode_subject joins B and Q words';
    is decode_subject('plain text'), 'plain text', 'decode_subject leaves plain text alone';
    is decode_subject('=?utf-8?q?a_b?= c =?UTF-8?B?w6k=?='), "a b c \x{e9}",
       'keeps text between encoded words';
    is $m->{body}, "pi-7 last seen 5 minutes ago.\n.a line that starts with a dot\n\nend\n",
       'body with LF line ends and dot-stuffing undone';
    is substr($m->{raw}, 0, index($m->{raw}, 'From: PhoneHome')),
       "X-Sink-Mail-From: <phonehome\@example.org>\r\n"
       . "X-Sink-Rcpt-To: <ops\@example.org>\r\n"
       . "X-Sink-Rcpt-To: <oncall\@example.net>\r\n"
       . "X-Sink-TLS: none\r\n"
       . "X-Sink-Auth: none\r\n", 'the file starts with the envelope, TLS and AUTH';
    is $m->{tls}, 'none', 'not over TLS';
    is $m->{auth}, 'none', 'not authenticated';
    my $stored = substr $m->{raw}, index($m->{raw}, 'From: PhoneHome');
    is $stored, $message, 'then the message exactly as sent, CRLF and all';
    like $m->{raw_headers}, qr/\AFrom: .*\r\nDate: [^\r\n]*\r\n\z/s, 'raw_headers is the header block';
    like $m->{file}, qr{/000001\.eml\z}, 'stored as 000001.eml';
    opendir my $dh, $sink->dir or die $!;
    is_deeply [sort grep { !/^\./ } readdir $dh], ['000001.eml', 'commands.log'],
              'and the command log, nothing else in the directory';
    is_deeply [map { $_->[0] } $sink->commands], [qw(EHLO MAIL)], 'which notes EHLO and MAIL';
    is $sink->log, '', 'the sink printed nothing';
    ok $sink->stop, 'stop';
}

# --- --fail-first 1: the first message gets a 4xx, the next one goes -----
{
    my $sink = start_smtp(fail_first => 1);
    my $smtp = smtp_to($sink);
    ok !send_on($smtp, 'a@example.org', ['b@example.org'], "Subject: one\r\n\r\nfirst\r\n"),
       'the first message is refused';
    like $smtp->code, qr/\A4\d\d\z/, 'with a temporary failure (' . $smtp->code . ')';
    is $smtp->code, 451, '451 exactly';
    ok send_on($smtp, 'a@example.org', ['b@example.org'], "Subject: two\r\n\r\nsecond\r\n"),
       'the second one is accepted on the same session';
    $smtp->quit;
    my @m = $sink->wait_mails(1, 10);
    is scalar @m, 1, 'only the accepted message is stored';
    is $m[0]{headers}{subject}, 'two', 'and it is the second';
    $smtp = smtp_to($sink);
    ok send_on($smtp, 'a@example.org', ['b@example.org'], "Subject: three\r\n\r\nthird\r\n"),
       'later sessions are not refused';
    $smtp->quit;
    is scalar(my @n = $sink->wait_mails(2, 10)), 2, 'two stored';
}

# --- --auth: 530 without AUTH, PLAIN and LOGIN by hand ---------------------
{
    my $sink = start_smtp(auth => 'alerts:s3cret pw');
    my $smtp = smtp_to($sink);
    ok !$smtp->supports('STARTTLS'), 'no STARTTLS with --auth either';
    like $smtp->supports('AUTH') // '', qr/\bPLAIN\b/, 'AUTH PLAIN is offered without TLS';
    like $smtp->supports('AUTH') // '', qr/\bLOGIN\b/, 'AUTH LOGIN too';
    ok !send_on($smtp, 'a@example.org', ['b@example.org'], "Subject: x\r\n\r\nx\r\n"),
       'mail without AUTH is refused';
    is $smtp->code, 530, 'with 530';

    $smtp->command('AUTH', 'PLAIN', encode_base64("\0alerts\0wrong", ''));
    $smtp->response;
    is $smtp->code, 535, 'AUTH PLAIN with a wrong password: 535';
    $smtp->command('AUTH', 'PLAIN', encode_base64("\0alerts\0s3cret pw", ''));
    $smtp->response;
    is $smtp->code, 235, 'AUTH PLAIN with the right one: 235';
    ok send_on($smtp, 'a@example.org', ['b@example.org'], "Subject: plain\r\n\r\nx\r\n"),
       'then the mail is accepted';
    $smtp->quit;

    $smtp = smtp_to($sink);
    $smtp->command('AUTH', 'LOGIN');
    $smtp->response;
    is $smtp->code, 334, 'AUTH LOGIN asks for the user';
    $smtp->command(encode_base64('alerts', ''));
    $smtp->response;
    is $smtp->code, 334, 'then for the password';
    $smtp->command(encode_base64('s3cret pw', ''));
    $smtp->response;
    is $smtp->code, 235, 'AUTH LOGIN succeeds';
    ok send_on($smtp, 'c@example.org', ['d@example.org'], "Subject: login\r\n\r\nx\r\n"),
       'and the mail is accepted';
    $smtp->quit;
    my @m = $sink->wait_mails(2, 10);
    is_deeply [map { $_->{headers}{subject} } @m], ['plain', 'login'], 'both stored, in order';
    is $sink->log, '', 'the sink printed nothing (no warnings about AUTH without TLS)';
}

# --- stop, then start on the same port: earlier mails stay ---------------
{
    my $sink = start_smtp();
    my $port = $sink->port;
    my $smtp = smtp_to($sink);
    ok send_on($smtp, 'a@example.org', ['b@example.org'], "Subject: before\r\n\r\nx\r\n"),
       'a mail before the stop';
    # A session still open must not keep the sink from stopping.
    ok $sink->stop, 'stop (with a session open)';
    ok !$sink->running, 'it is gone';
    ok !smtp_to($sink), 'nothing listens on the port';
    ok $sink->start, 'start again';
    is $sink->port, $port, 'on the same port';
    $smtp = smtp_to($sink);
    ok $smtp, 'connects again';
    ok send_on($smtp, 'a@example.org', ['b@example.org'], "Subject: after\r\n\r\nx\r\n"),
       'a mail after the restart';
    $smtp->quit;
    my @m = $sink->wait_mails(2, 10);
    is_deeply [map { $_->{headers}{subject} } @m], ['before', 'after'], 'the earlier mail is kept';
    like $m[1]{file}, qr{/000002\.eml\z}, 'numbering goes on';
    my @none = $sink->wait_mails(3, 0.3);
    is scalar @none, 2, 'wait_mails gives up at its deadline with what is there';
    my $pid = $sink->pid;
    undef $sink;
    ok !kill(0, $pid), 'dropping the object stops the sink';
}

done_testing();
