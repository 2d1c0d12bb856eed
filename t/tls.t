# Mail over STARTTLS against a real SMTP server (t/smtp_sink.py, with
# certificates made here by openssl): many mails from one child without a
# crash, what Required, On and Off each guarantee and the exact reason when
# a mail is refused, AUTH only over a verified connection, and none of it
# depending on $HOME (the server is started with HOME=/root, and without
# HOME).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(sleep time);
use PhTest qw(phonehome_conf private_httpd status_json beat poll_until free_port);
use PhSmtp qw(start_smtp);
use PhTls qw(make_ca make_cert);

my $ca      = make_ca('tls-ca');
my $good    = make_cert('good', san => 'DNS:localhost,IP:127.0.0.1', ca => $ca);
my $selfsig = make_cert('selfsigned', san => 'DNS:localhost,IP:127.0.0.1');
my $other   = make_cert('other', san => 'DNS:mail.example.com', ca => $ca);
my $expired = make_cert('expired', san => 'DNS:localhost,IP:127.0.0.1', ca => $ca, days => -1);
my $pwfile  = PhTest::t_dir() . '/tls/smtp-password';
{
    open my $fh, '>', $pwfile or die "$pwfile: $!";
    print $fh "s3cret\n";
    close $fh;
    chmod 0600, $pwfile;
}

# A private server mailing through $host:$port; %env is its environment
# (a value of undef removes the variable).
sub server {
    my ($name, $hostport, $extra, %env) = @_;
    local %ENV = %ENV;
    for (keys %env) {
        if (defined $env{$_}) { $ENV{$_} = $env{$_} } else { delete $ENV{$_} }
    }
    return private_httpd($name, phonehome_conf() . <<"EOC" . ($extra // ''));
PhoneHomeMailFrom  pialert\@example.com
PhoneHomeMailTo    me\@example.com
PhoneHomeSMTPServer $hostport
PhoneHomeNotifyFirstBeat On
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeArmAfter 0
EOC
}

sub sink {
    my ($port, $cert, %o) = @_;
    return start_smtp(name => 'tls', port => $port,
                      $cert ? (tls_cert => $cert->{cert}, tls_key => $cert->{key}) : (), %o);
}

sub events_log {
    my ($h) = @_;
    open my $fh, '<', $h->dir . '/state/events.log' or return '';
    local $/;
    return <$fh>;
}

sub last_error { status_json($_[0]->base)->{outbox}{last_error} // '' }

my $dev = 0;
sub alert { beat('/raspberrypiPhoneHome/tls-' . ++$dev, base => $_[0]->base) }

# One mail that must arrive: returns it.
sub delivered {
    my ($h, $smtp, $what) = @_;
    my $n = () = $smtp->mails;
    alert($h);
    my @m = $smtp->wait_mails($n + 1, 30);
    ok @m > $n, "$what: the mail arrives" or diag $h->log;
    return $m[-1] // {};
}

# One mail that must be refused with $reason: in the status page's last
# error, the error log and events.log, and nothing reaches the server.
sub refused {
    my ($h, $smtp, $reason, $what) = @_;
    alert($h);
    ok poll_until(30, sub { last_error($h) =~ $reason }), "$what: the status page says why"
        or diag last_error($h);
    like $h->log, qr/PH00031: mail \S+ not sent \(attempt \d+\): [^\n]*$reason/, "$what: so does the error log";
    like events_log($h), qr/"event":"mail_failed"[^\n]*$reason/, "$what: and events.log";
    is scalar($smtp->mails), 0, "$what: nothing sent";
    is scalar(grep { $_->[0] eq 'MAIL' } $smtp->commands), 0, "$what: not even MAIL FROM";
}

# PH00030 lines: the pids of the processes that sent mail.
sub sender_pids {
    my ($h) = @_;
    my %pid;
    my $log = $h->log;
    $pid{$1}++ while $log =~ /\[pid (\d+)[^\]]*\][^\n]*PH00030: sent mail/g;
    return keys %pid;
}

for my $home ('/root', undef) {
    my $env = defined $home ? "HOME=$home" : 'no HOME';
    (my $tag = $env) =~ s/\W+/-/g;
    my $port = free_port();

    # --- Required with a trusted CA file: many mails from one child -------
    my $h = server("required-$tag", "127.0.0.1:$port",
                   "PhoneHomeSMTPStartTLS Required\nPhoneHomeSMTPCAFile $ca->{cert}\n",
                   HOME => $home);
    my $smtp = sink($port, $good);
    my $n = 12;
    for my $i (1 .. $n) {
        alert($h);
        my @m = $smtp->wait_mails($i, 30);
        last unless is scalar @m, $i, "$env: mail $i of $n over STARTTLS arrived";
    }
    my @m = $smtp->mails;
    is scalar(grep { ($_->{tls} // '') =~ /^TLSv1\.[23]$/ } @m), $n, "$env: all $n encrypted";
    my @pids = sender_pids($h);
    is scalar @pids, 1, "$env: all sent by one child";
    unlike $h->log, qr/AH00052|Segmentation fault|exit signal/, "$env: no child crashed";
    unlike $h->log, qr/PH00102/, "$env: a verified certificate warns of nothing";
    $smtp->stop;

    # --- Required refuses, and says exactly why ---------------------------
    $smtp = sink($port, $selfsig);
    refused($h, $smtp, qr/the certificate is self-signed and not trusted/, "$env: self-signed");
    $smtp->stop;
    $smtp = sink($port, $other);
    refused($h, $smtp, qr/the certificate does not name the address 127\.0\.0\.1 \(it names mail\.example\.com\)/,
            "$env: name mismatch");
    $smtp->stop;
    $smtp = sink($port, $expired);
    refused($h, $smtp, qr/the certificate expired on /, "$env: expired");
    $smtp->stop;
    $smtp = sink($port, undef);
    refused($h, $smtp, qr/127\.0\.0\.1:$port offers no STARTTLS \(PhoneHomeSMTPStartTLS Required\)/,
            "$env: no STARTTLS offered");
    $smtp->stop;
    $h->stop;

    # --- AUTH: only over verified TLS, never in the clear -----------------
    $port = free_port();
    $h = server("auth-$tag", "127.0.0.1:$port",
                "PhoneHomeSMTPAuth alert $pwfile\nPhoneHomeSMTPCAFile $ca->{cert}\n", HOME => $home);
    $smtp = sink($port, $good, auth => 'alert:s3cret');
    my $m = delivered($h, $smtp, "$env: AUTH over verified TLS");
    is $m->{auth}, 'alert', "$env: authenticated";
    like $m->{tls} // '', qr/^TLSv1\.[23]$/, "$env: encrypted";
    is_deeply [map { $_->[1] } grep { $_->[0] eq 'AUTH' } $smtp->commands], [1],
              "$env: one AUTH, after STARTTLS";
    $smtp->stop;
    # An attacker who strips STARTTLS: the server offers AUTH in the clear.
    $smtp = sink($port, undef, auth => 'alert:s3cret');
    refused($h, $smtp, qr/offers no STARTTLS \(PhoneHomeSMTPAuth sends its password only over verified TLS\)/,
            "$env: STARTTLS stripped with AUTH");
    is scalar(grep { $_->[0] eq 'AUTH' } $smtp->commands), 0, "$env: no AUTH sent in the clear";
    $smtp->stop;
    # ... or answers STARTTLS with a certificate of its own.
    $smtp = sink($port, $selfsig, auth => 'alert:s3cret');
    refused($h, $smtp, qr/self-signed[^\n]*PhoneHomeSMTPAuth sends its password only over verified TLS/,
            "$env: an unverified server with AUTH");
    is scalar(grep { $_->[0] eq 'AUTH' } $smtp->commands), 0, "$env: no AUTH sent to it";
    $smtp->stop;
    unlike $h->log, qr/s3cret/, "$env: the password is not logged";
    $h->stop;
}

# --- On: STARTTLS when offered, unverified still encrypted, warned hourly --
{
    my $port = free_port();
    my $h = server('on', "127.0.0.1:$port", '', HOME => '/root');
    my $smtp = sink($port, $selfsig);
    my $m = delivered($h, $smtp, 'On, self-signed');
    like $m->{tls} // '', qr/^TLSv1\.[23]$/, 'On, self-signed: encrypted';
    $m = delivered($h, $smtp, 'On, self-signed, again');
    like $m->{tls} // '', qr/^TLSv1\.[23]$/, 'On, self-signed, again: encrypted';
    my @w = $h->log =~ /(PH00102: [^\n]*)/g;
    is scalar @w, 1, 'one warning for two mails' or diag join "\n", @w;
    like $w[0] // '', qr/PH00102: STARTTLS to 127\.0\.0\.1:$port: the certificate is self-signed and not trusted/,
         'naming the problem';
    is last_error($h), '', 'not an error: the mail went';
    $smtp->stop;

    $smtp = sink($port, $good);     # a CA this server does not know
    delivered($h, $smtp, 'On, unknown issuer');
    @w = $h->log =~ /(PH00102: [^\n]*)/g;
    like $w[-1] // '', qr/the certificate's issuer is unknown/, 'a new problem is said at once';
    $smtp->stop;

    $smtp = sink($port, undef);
    $m = delivered($h, $smtp, 'On, no STARTTLS offered');
    is $m->{tls}, 'none', 'On without STARTTLS offered: in the clear, as On promises';
    like $h->log, qr/PH00103: 127\.0\.0\.1:$port offers no STARTTLS: mail goes in the clear/, 'and says so';
    $smtp->stop;
    $h->stop;
}

# --- Off: never STARTTLS, even when offered ---------------------------------
{
    my $port = free_port();
    my $h = server('off', "127.0.0.1:$port", "PhoneHomeSMTPStartTLS Off\n");
    my $smtp = sink($port, $good);
    my $m = delivered($h, $smtp, 'Off');
    is $m->{tls}, 'none', 'Off: in the clear';
    is scalar(grep { $_->[0] eq 'STARTTLS' } $smtp->commands), 0, 'Off: STARTTLS never asked';
    $smtp->stop;
    $h->stop;
}

# --- The system store (SSL_CERT_FILE honoured), a DNS name, SNI -------------
{
    my $port = free_port();
    my $h = server('certfile', "localhost:$port", "PhoneHomeSMTPStartTLS Required\n",
                   SSL_CERT_FILE => $ca->{cert}, HOME => undef);
    my $smtp = sink($port, $good);
    my $m = delivered($h, $smtp, 'Required, CA from SSL_CERT_FILE, server localhost');
    like $m->{tls} // '', qr/^TLSv1\.[23]$/, 'encrypted and verified';
    ok scalar(grep { $_->[0] eq 'SNI=localhost' } $smtp->commands), 'the server name is sent (SNI)';
    $smtp->stop;
    $h->stop;

    $port = free_port();
    $h = server('nostore', "localhost:$port", "PhoneHomeSMTPStartTLS Required\n",
                SSL_CERT_FILE => '/nonexistent/ca.pem', SSL_CERT_DIR => '/nonexistent');
    $smtp = sink($port, $good);
    refused($h, $smtp, qr/the certificate's issuer is unknown: not in the system trust store nor in PhoneHomeSMTPCAFile/,
            'Required, issuer unknown');
    $smtp->stop;
    $h->stop;
}

done_testing();
