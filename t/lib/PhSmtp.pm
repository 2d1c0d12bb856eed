package PhSmtp;
# A real SMTP server for the tests (t/smtp_sink.py, on aiosmtpd) and the
# mails it received, as data.
#
#   my $smtp = start_smtp(auth => 'user:pw', fail_first => 1);
#   ... point PhoneHome's SMTP settings at 127.0.0.1:$smtp->port ...
#   my @mails = $smtp->wait_mails(1, 10);
#   is $mails[0]{headers}{to}, ...;
#   like decode_subject($mails[0]{headers}{subject}), qr/.../;
#
# Starting, stopping and polling are PhSink's.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Encode ();
use MIME::Base64 ();

use Apache::Test ();
use PhSink ();

our @EXPORT_OK = qw(start_smtp decode_subject parse_mail read_mail);

sub _t_dir { Apache::Test::vars('t_dir') }

# start_smtp(auth => 'user:pw', fail_first => N, delay => S, name => 'label',
#            tls_cert => 'cert.pem', tls_key => 'key.pem',  (offers STARTTLS)
#            port => N)
# Dies if the sink does not come up.
sub start_smtp {
    my (%o) = @_;
    my $self = PhSink::create('PhSmtp::Server', 'smtp', $o{name},
                              map { $_ => $o{$_} }
                              qw(auth fail_first delay tls_cert tls_key));
    my $dir = $self->{dir} = $self->{base};
    $self->{pidfile} = "$dir.pid";
    $self->{errfile} = "$dir.log";
    # port => N: that port (a sink that replaces another one in a test).
    if ($o{port}) {
        $self->{port} = $o{port};
        return $self->start_on_port('smtp_sink');
    }
    return $self->start_free_port('smtp_sink');
}

# The mail files of a sink directory, parsed, in arrival order.
sub _mails_in {
    my ($dir) = @_;
    opendir my $dh, $dir or return ();
    my @files = sort grep { /^\d{6,}\.eml\z/ } readdir $dh;
    closedir $dh;
    return map { read_mail("$dir/$_") } @files;
}

sub read_mail {
    my ($file) = @_;
    open my $fh, '<:raw', $file or die "$file: $!";
    local $/;
    my $raw = <$fh>;
    close $fh;
    my $m = parse_mail($raw);
    $m->{file} = $file;
    return $m;
}

# A sink file (or, without the X-Sink lines, any message) as a hashref:
# from, rcpt, tls (protocol or 'none'), auth (user or 'none'), headers,
# header_list, raw_headers, body, raw.
sub parse_mail {
    my ($raw) = @_;
    my %m = (from => undef, rcpt => [], raw => $raw);
    my $rest = $raw;
    while ($rest =~ s/\AX-Sink-(Mail-From|Rcpt-To|TLS|Auth): ?([^\r\n]*)\r?\n//) {
        my ($what, $addr) = ($1, $2);
        if ($what eq 'TLS')  { $m{tls} = $addr; next }
        if ($what eq 'Auth') { $m{auth} = $addr; next }
        $addr =~ s/\A<(.*)>\z/$1/;
        if ($what eq 'Mail-From') { $m{from} = $addr }
        else                      { push @{ $m{rcpt} }, $addr }
    }
    my ($head, $body);
    if ($rest =~ /\A(.*?\r?\n)\r?\n(.*)\z/s) {
        ($head, $body) = ($1, $2);
    } elsif ($rest =~ /\A\r?\n(.*)\z/s) {
        ($head, $body) = ('', $1);
    } else {
        ($head, $body) = ($rest, '');
    }
    $m{raw_headers} = $head;
    my (@list, %h);
    for my $field (split /\r?\n(?![ \t])/, $head) {
        next if $field eq '';
        my ($name, $value) = $field =~ /\A([^:\s]+)[ \t]*:(.*)\z/s or next;
        $value =~ s/\r?\n(?=[ \t])//g;      # unfold
        $value =~ s/\A[ \t]+//;
        $value =~ s/[ \t\r\n]+\z//;
        push @list, [$name, $value];
        $h{lc $name} = $value unless exists $h{lc $name};
    }
    $m{header_list} = \@list;
    $m{headers} = \%h;
    $body =~ s/\r\n/\n/g;
    $m{body} = $body;
    return \%m;
}

# RFC 2047: decode the encoded words of a header value (=?charset?B?...?=,
# =?charset?Q?...?=) into a Perl character string.  Whitespace between two
# adjacent encoded words is dropped; text outside encoded words is left as
# it is (so raw 8-bit text stays bytes).
sub decode_subject {
    my ($value) = @_;
    return undef unless defined $value;
    my $word = qr/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/;
    $value =~ s/(?<=\?=)[ \t\r\n]+(?==\?[^?\s]+\?[BbQq]\?)//g;
    $value =~ s/$word/_decode_word($1, $2, $3)/ge;
    return $value;
}

sub _decode_word {
    my ($charset, $enc, $text) = @_;
    $charset =~ s/\*.*//;               # RFC 2231 language tag
    my $bytes;
    if (uc $enc eq 'B') {
        $bytes = MIME::Base64::decode_base64($text);
    } else {
        ($bytes = $text) =~ tr/_/ /;
        $bytes =~ s/=([0-9A-Fa-f]{2})/chr hex $1/ge;
    }
    my $e = Encode::find_encoding($charset)
        or return "=?$charset?$enc?$text?=";
    return $e->decode($bytes, Encode::FB_DEFAULT);
}

package PhSmtp::Server;
use strict;
use warnings FATAL => 'all';

our @ISA = ('PhSink');

sub dir { $_[0]{dir} }

# What the sink wrote on stderr (its own log file, next to its directory).
sub log { $_[0]->output }

sub command {
    my $self = shift;
    my @cmd = ($PhSink::PYTHON, PhSmtp::_t_dir() . '/smtp_sink.py',
               '--port', $self->{port}, '--dir', $self->{dir},
               '--pidfile', $self->{pidfile});
    push @cmd, '--auth', $self->{auth} if defined $self->{auth};
    push @cmd, '--fail-first', $self->{fail_first} if $self->{fail_first};
    push @cmd, '--delay', $self->{delay} if $self->{delay};
    push @cmd, '--tls-cert', $self->{tls_cert} if $self->{tls_cert};
    push @cmd, '--tls-key', $self->{tls_key} if $self->{tls_key};
    return @cmd;
}

# The commands the sink saw, in order: ['EHLO', 0], ['STARTTLS', 0],
# ['AUTH', 1], ... (verb, whether the session was encrypted then).
sub commands {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/commands.log" or return ();
    return map { /^(\S+) tls=(\d)/ ? [$1, $2] : () } <$fh>;
}

# Every mail received so far, parsed, in arrival order.
sub mails { PhSmtp::_mails_in($_[0]{dir}) }

# Poll every 0.1 s until there are at least $n mails or $seconds pass.
sub wait_mails {
    my ($self, $n, $seconds) = @_;
    return $self->wait_for(sub { $self->mails }, $n, $seconds);
}

1;
