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
# Every path derives from Apache::Test's t_dir, since the suite runs from a
# copy of t/.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Encode ();
use File::Path qw(make_path);
use File::Spec;
use File::Temp ();
use IO::Socket::INET;
use MIME::Base64 ();
use POSIX ();
use Time::HiRes qw(sleep time);

use Apache::Test ();

our @EXPORT_OK = qw(start_smtp decode_subject parse_mail read_mail);

my $PYTHON = '/usr/bin/python3';

sub _t_dir { Apache::Test::vars('t_dir') }

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# start_smtp(auth => 'user:pw', fail_first => N, delay => S, name => 'label',
#            tls_cert => 'cert.pem', tls_key => 'key.pem',  (offers STARTTLS)
#            port => N)
# Dies if the sink does not come up.
sub start_smtp {
    my (%o) = @_;
    my $top = File::Spec->catdir(_t_dir(), 'smtp');
    make_path($top);
    my $label = defined $o{name} ? $o{name} : 'sink';
    $label =~ s/[^\w.-]+/_/g;
    my $dir = File::Temp::tempdir("$label-$$-XXXXXX", DIR => $top, CLEANUP => 0);
    my $self = bless {
        dir        => $dir,
        pidfile    => "$dir.pid",
        logfile    => "$dir.log",
        auth       => $o{auth},
        fail_first => $o{fail_first},
        delay      => $o{delay},
        tls_cert   => $o{tls_cert},
        tls_key    => $o{tls_key},
        owner      => $$,
    }, 'PhSmtp::Server';
    # port => N: that port (a sink that replaces another one in a test).
    if ($o{port}) {
        $self->{port} = $o{port};
        my $deadline = time + 15;
        until ($self->start) {
            die "smtp_sink did not start:\n" . $self->log
                if time > $deadline || $self->log !~ /address already in use/i;
            sleep 0.1;
        }
        return $self;
    }
    # free_port() then bind is racy: on a lost race, try another port.
    for my $try (1 .. 5) {
        $self->{port} = _free_port();
        return $self if $self->start;
        last if $self->log !~ /address already in use/i;
    }
    die "smtp_sink did not start:\n" . $self->log;
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
use POSIX ();
use Time::HiRes qw(sleep time);

sub port { $_[0]{port} }
sub dir  { $_[0]{dir} }
sub pid  { $_[0]{pid} }

# What the sink wrote on stderr (its own log file, next to its directory).
sub log {
    my $self = shift;
    open my $fh, '<', $self->{logfile} or return '';
    local $/;
    return scalar <$fh>;
}

sub running {
    my $self = shift;
    my $pid = $self->{pid} or return 0;
    my $r = waitpid $pid, POSIX::WNOHANG();
    if ($r == $pid || $r < 0) {
        $self->{status} = $?;
        delete $self->{pid};
        return 0;
    }
    return 1;
}

# (Re)start the sink on the same port and directory.  True once it listens.
sub start {
    my $self = shift;
    return 1 if $self->running;
    unlink $self->{pidfile};
    my @cmd = ($PYTHON, PhSmtp::_t_dir() . '/smtp_sink.py',
               '--port', $self->{port}, '--dir', $self->{dir},
               '--pidfile', $self->{pidfile});
    push @cmd, '--auth', $self->{auth} if defined $self->{auth};
    push @cmd, '--fail-first', $self->{fail_first} if $self->{fail_first};
    push @cmd, '--delay', $self->{delay} if $self->{delay};
    push @cmd, '--tls-cert', $self->{tls_cert} if $self->{tls_cert};
    push @cmd, '--tls-key', $self->{tls_key} if $self->{tls_key};
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $self->{logfile};
        open STDERR, '>>', $self->{logfile};
        { exec { $cmd[0] } @cmd }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    my $deadline = time + 15;
    while (time < $deadline) {
        if (open my $fh, '<', $self->{pidfile}) {
            my $p = <$fh>;
            return 1 if defined $p && $p =~ /^(\d+)/ && $1 == $pid;
        }
        return 0 unless $self->running;
        sleep 0.05;
    }
    $self->stop;
    return 0;
}

# SIGTERM and wait (up to 15 s, then SIGKILL).  True if it is gone.
sub stop {
    my $self = shift;
    my $pid = $self->{pid} or return 1;
    kill 'TERM', $pid;
    my $deadline = time + 15;
    while (time < $deadline) {
        last unless $self->running;
        sleep 0.02;
    }
    if ($self->{pid}) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
        delete $self->{pid};
        unlink $self->{pidfile};
        return 0;
    }
    unlink $self->{pidfile};
    return 1;
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
    $seconds = 10 unless defined $seconds;
    my $deadline = time + $seconds;
    while (1) {
        my @m = $self->mails;
        return @m if @m >= $n || time >= $deadline;
        sleep 0.1;
    }
}

sub DESTROY {
    my $self = shift;
    local ($?, $!, $@);
    $self->stop if $self->{pid} && $self->{owner} == $$;
}

1;
