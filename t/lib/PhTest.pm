package PhTest;
# Helpers shared by mod_phonehome's tests: the status page as data, beats,
# polling with a deadline, and private httpd instances with a configuration
# of their own (for what needs other global directives than the main test
# server, or must fail to start).
use strict;
use POSIX ();
use warnings FATAL => 'all';

use Exporter 'import';
use File::Path qw(make_path);
use File::Spec;
use IO::Socket::INET;
use JSON::PP ();
use LWP::UserAgent ();
use HTTP::Request ();
use Time::HiRes qw(sleep time);

use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT_OK = qw(phonehome_conf status_json device_of beat poll_until httpd_bin
                    base_conf module_so client_bin t_dir private_httpd
                    config_test free_port keepalive_beats children_of
                    parallel_beats);

sub t_dir { Apache::Test::vars('t_dir') }

# What every private server starts with: the module, DESIGN.md's two
# Locations and a state directory of its own.
sub phonehome_conf {
    return <<'EOC';
LoadModule phonehome_module "@Module@"
<Location /raspberrypiPhoneHome>
    SetHandler phonehome
</Location>
<Location /phonehome-status>
    SetHandler phonehome-status
    Require local
</Location>
PhoneHomeStateDir "@ServerRoot@/state"
EOC
}

sub module_so  { File::Spec->catfile(t_dir(), '..', 'build', 'mod_phonehome.so') }
sub client_bin { File::Spec->catfile(t_dir(), '..', 'build', 'phonehome') }
sub httpd_bin  { Apache::Test::vars('httpd') }

# The MPM's LoadModule lines, written by t/run-httpd-tests.
sub base_conf {
    my $f = $ENV{PH_BASE_CONF} or die "PH_BASE_CONF is not set: use t/run-httpd-tests\n";
    return $f;
}

my $json = JSON::PP->new->canonical;

# GET a status URL of the server at $base (default: the main test server).
sub status_json {
    my ($base) = @_;
    my $res = _ua()->get(($base // _main()) . '/phonehome-status?json');
    die "status page: " . $res->status_line . "\n" unless $res->is_success;
    return $json->decode($res->decoded_content);
}

sub device_of {
    my ($status, $name) = @_;
    my ($d) = grep { $_->{name} eq $name } @{ $status->{devices} };
    return $d;
}

# One beat: beat($path_and_query, method => 'GET', body => ..., headers => {..})
sub beat {
    my ($path, %o) = @_;
    my $base = $o{base} // _main();
    my $req = HTTP::Request->new($o{method} // 'GET', $base . $path);
    my %h = %{ $o{headers} // {} };
    $req->header($_ => $h{$_}) for keys %h;
    if (defined $o{body}) {
        $req->content($o{body});
        $req->header('Content-Type' => $o{type} // 'application/x-www-form-urlencoded')
            unless exists $h{'Content-Type'};
        $req->header('Content-Length' => length $o{body});
    }
    return _ua()->request($req);
}

# GET every path once, from $clients keep-alive connections at once (one
# forked process each, path i on connection i % $clients); true when every
# one was answered 200.
sub parallel_beats {
    my ($port, $clients, @paths) = @_;
    my @pids;
    for my $c (0 .. $clients - 1) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my @mine = @paths[grep { $_ % $clients == $c } 0 .. $#paths];
            my $ok = keepalive_beats('127.0.0.1', $port, @mine);
            # _exit: no destructor of the parent's objects (a server) runs.
            POSIX::_exit($ok == @mine ? 0 : 1);
        }
        push @pids, $pid;
    }
    my $all = 1;
    for (@pids) { waitpid $_, 0; $all = 0 if $? }
    return $all;
}

# GET each path on one keep-alive connection to $host:$port (a new one
# when the server closes it); returns how many were answered 200.
sub keepalive_beats {
    my ($host, $port, @paths) = @_;
    my ($sock, $ok) = (undef, 0);
    for my $path (@paths) {
        $sock ||= IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or return $ok;
        print $sock "GET $path HTTP/1.1\r\nHost: $host\r\n\r\n";
        my $head = '';
        while (my $line = <$sock>) {
            $head .= $line;
            last if $line eq "\r\n";
        }
        my ($len) = $head =~ /^Content-Length: (\d+)/mi;
        read($sock, my $body, $len // 0);
        $ok++ if $head =~ m{^HTTP/1\.1 200};
        undef $sock if !$head || $head =~ /^Connection: close/mi;
    }
    return $ok;
}

# Poll $code every 0.1 s until it returns true or $seconds pass.
sub poll_until {
    my ($seconds, $code) = @_;
    my $deadline = time + $seconds;
    while (time < $deadline) {
        my $v = $code->();
        return $v if $v;
        sleep 0.1;
    }
    return $code->();
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub _main { 'http://' . Apache::TestRequest::hostport() }

my $ua;
sub _ua {
    $ua //= LWP::UserAgent->new(timeout => 30, keep_alive => 0);
    return $ua;
}

# Write a private server's configuration: the MPM base, a port, its own
# ServerRoot, and $body.  Returns ($dir, $conf_file, $port).
sub _private_conf {
    my ($name, $body, %o) = @_;
    my $dir = File::Spec->catdir(t_dir(), 'private', $name);
    make_path("$dir/logs", "$dir/run", "$dir/state");
    my $port = $o{port} // free_port();
    my $conf = "$dir/httpd.conf";
    my $base = base_conf();
    my $so = module_so();
    my $modules = "Include \"$base\"";
    if ($o{without}) {
        # Inline the base without one module's LoadModule line.
        open my $b, '<', $base or die "$base: $!";
        $modules = join '', grep { !/^LoadModule $o{without}\b/ } <$b>;
    }
    elsif ($o{mpm}) {
        # Inline the base with another MPM than the run's.
        open my $b, '<', $base or die "$base: $!";
        $modules = join '', map {
            s{^LoadModule mpm_\w+_module (\S+)/mod_mpm_\w+\.so}
             {LoadModule mpm_$o{mpm}_module $1/mod_mpm_$o{mpm}.so}r
        } <$b>;
    }
    $body =~ s/\@ServerRoot\@/$dir/g;
    $body =~ s/\@Module\@/$so/g;
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh <<"EOC";
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile logs/httpd.pid
DefaultRuntimeDir run
ErrorLog logs/error_log
LogLevel info
TypesConfig /dev/null
Mutex file:$dir/run
GracefulShutdownTimeout 10
$modules
$body
EOC
    close $fh;
    return ($dir, $conf, $port);
}

# httpd -t on a configuration: (exit status, everything it printed).
# args => '-L' runs another check instead (httpd -L lists the directives
# of every module the configuration loads).
sub config_test {
    my ($name, $body, %o) = @_;
    my (undef, $conf) = _private_conf($name, $body, %o);
    my $bin = httpd_bin();
    my $args = $o{args} // '-t';
    my $out = `$bin $args -f "$conf" 2>&1`;
    return ($? >> 8, $out);
}

# The children of process $parent, from /proc.
sub children_of {
    my ($parent) = @_;
    my @kids;
    opendir my $dh, '/proc' or die "/proc: $!";
    for my $pid (grep { /^\d+\z/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh> // next;
        push @kids, $pid if $stat =~ /\)\s+\S+\s+(\d+)/ && $1 == $parent;
    }
    closedir $dh;
    return @kids;
}

# Start a private httpd; returns an object with ->base, ->log, ->graceful,
# ->stop and ->start.  It is stopped when the object goes away.
# env => { NAME => value } is added to httpd's environment (LD_PRELOAD is
# appended to any the run already has, e.g. the sanitizers' runtime).
# port => N listens there (from free_port(), for servers that must know
# each other's port before either starts); mpm => 'worker' runs it under
# that MPM whatever the run's.
sub private_httpd {
    my ($name, $body, %o) = @_;
    my ($dir, $conf, $port) = _private_conf($name, $body,
                                            port => $o{port},
                                            $o{mpm} ? (mpm => $o{mpm}) : ());
    my $self = bless { dir => $dir, conf => $conf, port => $port,
                       env => $o{env} // {} }, 'PhTest::Httpd';
    $self->start or die "private httpd '$name' did not start:\n" . $self->log;
    return $self;
}

package PhTest::Httpd;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

sub base { 'http://127.0.0.1:' . shift->{port} }
sub pid {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/logs/httpd.pid" or return;
    my $pid = <$fh>;
    chomp $pid if defined $pid;
    return $pid;
}
sub log {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/logs/error_log" or return '';
    local $/;
    return <$fh>;
}
sub _up {
    my $self = shift;
    my $res = PhTest::_ua()->get($self->base . '/phonehome-status?auto');
    return $res->is_success;
}
sub start {
    my $self = shift;
    my $bin = PhTest::httpd_bin();
    {
        local %ENV = %ENV;
        for my $k (keys %{ $self->{env} }) {
            my $v = $self->{env}{$k};
            $v = "$ENV{LD_PRELOAD} $v" if $k eq 'LD_PRELOAD' && $ENV{LD_PRELOAD};
            $ENV{$k} = $v;
        }
        system($bin, '-f', $self->{conf}, '-k', 'start') == 0 or return 0;
    }
    return PhTest::poll_until(30, sub { $self->_up });
}
sub graceful {
    my $self = shift;
    my $before = $self->log;
    my $n = () = $before =~ /resuming normal operations/g;
    kill 'USR1', $self->pid;
    # Back when the new generation says it is resuming normal operations.
    return PhTest::poll_until(30, sub {
        my $c = () = $self->log =~ /resuming normal operations/g;
        $c > $n && $self->_up;
    });
}
# A stop as Debian's apache2.service does it: graceful-stop (SIGWINCH),
# the children finishing what they do, and SIGTERM from the parent only
# after GracefulShutdownTimeout.  (A plain SIGTERM makes httpd's event MPM
# close every worker's socket from the main thread while a worker may be
# freeing its connection: a rare crash of httpd itself, seen under ASan.)
sub stop {
    my $self = shift;
    my $pid = $self->pid or return 1;
    kill 'WINCH', $pid;
    my $gone = PhTest::poll_until(30, sub { !kill 0, $pid });
    unlink "$self->{dir}/logs/httpd.pid";
    return $gone;
}
# A crash or a power cut: every process of the server killed at once (httpd
# runs them in one process group), nothing cleaned up.
sub kill9 {
    my $self = shift;
    my $pid = $self->pid or return 0;
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    return PhTest::poll_until(30, sub {
        !kill(0, $pid) && !IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                                  PeerPort => $self->{port});
    });
}
sub dir { shift->{dir} }
sub DESTROY { my $self = shift; $self->stop if $self->pid }

1;
