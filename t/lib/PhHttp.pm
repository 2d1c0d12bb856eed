package PhHttp;
# An HTTP receiver for the channel tests (t/http_sink.py) and the requests
# it recorded, as data.
#
#   my $rx = start_http(name => 'ntfy', fail_first => 2, retry_after => 3);
#   ... PhoneHomeNotify phone http://127.0.0.1:@{[$rx->port]}/alerts kind=ntfy
#   my @r = $rx->wait_requests(1, 30);
#   is $r[0]{headers}{title}, 'Error : ...';
#
# Starting, stopping and polling are PhSink's.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use JSON::PP ();

use PhSink ();
use PhTest ();

our @EXPORT_OK = qw(start_http);

# start_http(name => 'label', status => N, fail_first => N,
#            fail_status => N, retry_after => V, hang => 1)
sub start_http {
    my (%o) = @_;
    my $self = PhSink::create('PhHttp::Server', 'http', $o{name}, %o);
    $self->{log} = "$self->{base}/requests.jsonl";
    $self->{pidfile} = "$self->{base}/pid";
    $self->{errfile} = "$self->{base}/stderr";
    return $self->start_free_port('http_sink');
}

package PhHttp::Server;
use strict;
use warnings FATAL => 'all';

our @ISA = ('PhSink');

sub url    { 'http://127.0.0.1:' . $_[0]{port} }
sub stderr { $_[0]->output }

sub command {
    my $self = shift;
    my @cmd = ($PhSink::PYTHON, PhTest::t_dir() . '/http_sink.py',
               '--port', $self->{port}, '--log', $self->{log},
               '--pidfile', $self->{pidfile});
    push @cmd, '--status', $self->{status} if $self->{status};
    push @cmd, '--fail-first', $self->{fail_first} if $self->{fail_first};
    push @cmd, '--fail-status', $self->{fail_status} if $self->{fail_status};
    push @cmd, '--retry-after', $self->{retry_after} if defined $self->{retry_after};
    push @cmd, '--hang' if $self->{hang};
    return @cmd;
}

# Every request recorded so far, in arrival order.
sub requests {
    my $self = shift;
    open my $fh, '<', $self->{log} or return ();
    my @r;
    my $json = JSON::PP->new->utf8;
    while (my $line = <$fh>) {
        next unless $line =~ /\}\s*\z/;
        push @r, $json->decode($line);
    }
    return @r;
}

# Poll until there are at least $n requests or $seconds pass.
sub wait_requests {
    my ($self, $n, $seconds) = @_;
    return $self->wait_for(sub { $self->requests }, $n, $seconds);
}

1;
