package PhSink;
# What the tests' local servers (t/http_sink.py, t/smtp_sink.py) share:
# a directory of their own under t_dir, a free port (another one if a race
# lost it), start as a child with its output in a file, readiness by the
# pid file the sink writes once it listens, stop with SIGTERM (then
# SIGKILL), polling for what it recorded.  PhHttp and PhSmtp subclass it
# with their sink's command line and what it records.
#
#   package PhFoo::Server; our @ISA = ('PhSink');
#   sub command { my $self = shift; ($PYTHON, ..., '--port', $self->port) }
#   my $self = PhSink::create('PhFoo::Server', 'foo', $label, %fields);
#   $self->start_free_port('foo_sink');
#
# Every path derives from Apache::Test's t_dir, since the suite runs from a
# copy of t/.
use strict;
use warnings FATAL => 'all';

use File::Path qw(make_path);
use File::Spec;
use File::Temp ();
use POSIX ();
use Time::HiRes qw(sleep time);

use PhTest ();

our $PYTHON = '/usr/bin/python3';       # Debian's, which has aiosmtpd

# A new server object of $class with a fresh directory
# t_dir/$kind/$label-PID-XXXXXX (in {base}) and %fields.
sub create {
    my ($class, $kind, $label, %fields) = @_;
    my $top = File::Spec->catdir(PhTest::t_dir(), $kind);
    make_path($top);
    $label = 'sink' unless defined $label;
    $label =~ s/[^\w.-]+/_/g;
    my $base = File::Temp::tempdir("$label-$$-XXXXXX", DIR => $top,
                                   CLEANUP => 0);
    return bless { %fields, base => $base, owner => $$ }, $class;
}

# Start on a free port, trying another when a race took it; dies with the
# sink's output if it does not come up.
sub start_free_port {
    my ($self, $what) = @_;
    for my $try (1 .. 5) {
        $self->{port} = PhTest::free_port();
        return $self if $self->start;
        last if $self->output !~ /address already in use/i;
    }
    die "$what did not start:\n" . $self->output;
}

# Start on the port already set, waiting (up to 15 s) for it to be free.
sub start_on_port {
    my ($self, $what) = @_;
    my $deadline = time + 15;
    until ($self->start) {
        die "$what did not start:\n" . $self->output
            if time > $deadline || $self->output !~ /address already in use/i;
        sleep 0.1;
    }
    return $self;
}

sub port { $_[0]{port} }
sub pid  { $_[0]{pid} }

# What the sink wrote on stdout and stderr.
sub output {
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
        $self->{status} = $?;
        delete $self->{pid};
        return 0;
    }
    return 1;
}

# (Re)start the sink on the same port and files.  True once it listens.
sub start {
    my $self = shift;
    return 1 if $self->running;
    unlink $self->{pidfile};
    my @cmd = $self->command;
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

# SIGTERM and wait (up to 15 s, then SIGKILL).  True if it went by itself.
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

# Poll every 0.1 s until $list->() returns at least $n items or $seconds
# (default 10) pass; the items.
sub wait_for {
    my ($self, $list, $n, $seconds) = @_;
    my $deadline = time + ($seconds // 10);
    while (1) {
        my @r = $list->();
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
