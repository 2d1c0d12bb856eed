package PhHttp;
# An HTTP receiver for the channel tests (t/http_sink.py) and the requests
# it recorded, as data.
#
#   my $rx = start_http(name => 'ntfy', fail_first => 2, retry_after => 3);
#   ... PhoneHomeNotify phone http://127.0.0.1:@{[$rx->port]}/alerts kind=ntfy
#   my @r = $rx->wait_requests(1, 30);
#   is $r[0]{headers}{title}, 'Error : ...';
#
# Every path derives from Apache::Test's t_dir, since the suite runs from a
# copy of t/.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Path qw(make_path);
use File::Spec;
use File::Temp ();
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

use Apache::Test ();
use PhTest ();

our @EXPORT_OK = qw(start_http);

my $PYTHON = '/usr/bin/python3';

# start_http(name => 'label', status => N, fail_first => N,
#            fail_status => N, retry_after => V, hang => 1)
sub start_http {
    my (%o) = @_;
    my $top = File::Spec->catdir(PhTest::t_dir(), 'http');
    make_path($top);
    my $label = defined $o{name} ? $o{name} : 'sink';
    $label =~ s/[^\w.-]+/_/g;
    my $base = File::Temp::tempdir("$label-$$-XXXXXX", DIR => $top, CLEANUP => 0);
    my $self = bless {
        %o,
        log     => "$base/requests.jsonl",
        pidfile => "$base/pid",
        errfile => "$base/stderr",
        owner   => $$,
    }, 'PhHttp::Server';
    for my $try (1 .. 5) {
        $self->{port} = PhTest::free_port();
        return $self if $self->start;
        last if $self->stderr !~ /address already in use/i;
    }
    die "http_sink did not start:\n" . $self->stderr;
}

package PhHttp::Server;
use strict;
use warnings FATAL => 'all';
use POSIX ();
use Time::HiRes qw(sleep time);

sub port { $_[0]{port} }
sub url  { 'http://127.0.0.1:' . $_[0]{port} }

sub stderr {
    my $self = shift;
    open my $fh, '<', $self->{errfile} or return '';
    local $/;
    return scalar <$fh>;
}

sub running {
    my $self = shift;
    my $pid = $self->{pid} or return 0;
    my $r = waitpid $pid, POSIX::WNOHANG();
    if ($r == $pid || $r < 0) {
        delete $self->{pid};
        return 0;
    }
    return 1;
}

# (Re)start on the same port and log.  True once it listens.
sub start {
    my $self = shift;
    return 1 if $self->running;
    unlink $self->{pidfile};
    my @cmd = ($PYTHON, PhTest::t_dir() . '/http_sink.py',
               '--port', $self->{port}, '--log', $self->{log},
               '--pidfile', $self->{pidfile});
    push @cmd, '--status', $self->{status} if $self->{status};
    push @cmd, '--fail-first', $self->{fail_first} if $self->{fail_first};
    push @cmd, '--fail-status', $self->{fail_status} if $self->{fail_status};
    push @cmd, '--retry-after', $self->{retry_after} if defined $self->{retry_after};
    push @cmd, '--hang' if $self->{hang};
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $self->{errfile};
        open STDERR, '>>', $self->{errfile};
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

sub stop {
    my $self = shift;
    my $pid = $self->{pid} or return 1;
    kill 'TERM', $pid;
    my $deadline = time + 10;
    while (time < $deadline) {
        last unless $self->running;
        sleep 0.02;
    }
    if ($self->{pid}) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
        delete $self->{pid};
    }
    unlink $self->{pidfile};
    return 1;
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
    my $deadline = time + ($seconds // 10);
    while (1) {
        my @r = $self->requests;
        return @r if @r >= $n || time >= $deadline;
        sleep 0.1;
    }
}

sub DESTROY {
    my $self = shift;
    local ($?, $!, $@);
    $self->stop if $self->{pid} && $self->{owner} == $$;
}

1;
