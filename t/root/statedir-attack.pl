#!/usr/bin/perl
# Run as root by t/run-httpd-tests before the suite (Apache::Test itself
# runs as phonehome-test): the User turning root's startup against root.
# An httpd started as root with User phonehome-test makes its state dir;
# then, as that user, events.log becomes a symlink to a root-owned 0600
# file and queue/ one to a root-owned directory; then "-k graceful".
# Nothing root-owned may change owner, and httpd must refuse, naming the
# entry.  Writes one "ok WHAT" or "not ok WHAT" line per finding to OUT;
# t/security.t reports them.
#
#   t/root/statedir-attack.pl HTTPD BASE_CONF MODULE_SO WORKDIR OUT
use strict;
use warnings;
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

my ($httpd, $base, $so, $dir, $out) = @ARGV;
die "usage: $0 HTTPD BASE_CONF MODULE_SO WORKDIR OUT\n" unless $out;
die "$0: must run as root\n" if $> != 0;
my $user = 'phonehome-test';
my (undef, undef, $uid, $gid) = getpwnam($user) or die "$0: no user $user\n";

my @results;
sub check { my ($ok, $what) = @_; push @results, ($ok ? 'ok ' : 'not ok ') . $what; return $ok }
sub poll { my ($s, $c) = @_; my $end = time + $s; while (time < $end) { my $v = $c->(); return $v if $v; sleep 0.1 } return $c->() }
sub slurp { open my $f, '<', shift or return ''; local $/; my $t = <$f>; return $t // '' }
sub owner_mode { my @st = lstat shift or return (-1, 0); return ($st[4], $st[2] & 07777) }

remove_tree($dir);
make_path("$dir/logs", "$dir/run");
chmod 0755, $dir;
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1) or die $!;
my $port = $s->sockport;
close $s;
open my $c, '>', "$dir/httpd.conf" or die $!;
print $c <<"EOC";
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile logs/httpd.pid
DefaultRuntimeDir run
ErrorLog logs/error_log
LogLevel info
TypesConfig /dev/null
Mutex file:$dir/run
User $user
Group #$gid
Include "$base"
LoadModule phonehome_module "$so"
<Location /raspberrypiPhoneHome>
    SetHandler phonehome
</Location>
PhoneHomeStateDir "$dir/state"
EOC
close $c;

my $sd = "$dir/state";
# Up when the parent says so: the port listens before post_config is done.
my $up = sub { slurp("$dir/logs/error_log") =~ /resuming normal operations/ };
if (check(system($httpd, '-f', "$dir/httpd.conf", '-k', 'start') == 0 && poll(30, $up),
          'httpd starts as root with User phonehome-test')) {
    for my $e ('', '/queue', '/outbox', '/dead') {
        my ($o, $m) = owner_mode("$sd$e");
        check($o == $uid && $m == 0750, sprintf('root made state%s for the User with mode 0750 (uid %s, %04o)', $e, $o, $m));
    }
    my ($o, $m) = owner_mode("$sd/events.log");
    check($o == $uid && $m == 0640, sprintf('root made events.log for the User with mode 0640 (uid %s, %04o)', $o, $m));
}

# The attack needs a state dir the User may write to, as a packaged
# install has it (whatever this start made of it).
chown $uid, $gid, $sd;
chmod 0750, $sd;

# Root's own things, which the User must never get.
open my $f, '>', "$dir/root-secret" or die $!;
print $f "root only\n";
close $f;
chmod 0600, "$dir/root-secret";
make_path("$dir/root-dir");
chmod 0700, "$dir/root-dir";
check(system('runuser', '-u', $user, '--', 'sh', '-c',
             "rm -f '$sd/events.log' && ln -s '$dir/root-secret' '$sd/events.log' && "
             . "rm -rf '$sd/queue' && ln -s '$dir/root-dir' '$sd/queue'") == 0,
      'as the User: events.log and queue/ replaced by symlinks to root-owned things');

my $before = () = slurp("$dir/logs/error_log") =~ /resuming normal operations/g;
system($httpd, '-f', "$dir/httpd.conf", '-k', 'graceful');
my $pid = slurp("$dir/logs/httpd.pid");
chomp $pid;
poll(30, sub {
    my $log = slurp("$dir/logs/error_log");
    my $n = () = $log =~ /resuming normal operations/g;
    $log =~ /PH00120/ || $n > $before;
});
my ($so_, $sm) = owner_mode("$dir/root-secret");
check($so_ == 0 && $sm == 0600, "after -k graceful the root-owned 0600 file is still root's (uid $so_, mode " . sprintf('%04o', $sm) . ')');
my ($do, $dm) = owner_mode("$dir/root-dir");
check($do == 0 && $dm == 0700, "and the root-owned directory too (uid $do, mode " . sprintf('%04o', $dm) . ')');
check(scalar(slurp("$dir/logs/error_log") =~ m{PH00120: PhoneHomeStateDir: \Q$sd\E/queue is a symbolic link: refusing to start}),
      'httpd refuses the restart, naming the symlinked entry');

# Stop whatever is left, as root.
if ($pid && kill 0, $pid) {
    kill 'WINCH', $pid;
    poll(30, sub { !kill 0, $pid });
}
check(!($pid && kill 0, $pid), 'the root httpd is gone');
my $crash = slurp("$dir/logs/error_log") =~ /AH00052|Segmentation fault|exit signal/;
check(!$crash, 'no child crashed');

open my $o, '>', $out or die "$out: $!";
print $o "$_\n" for @results;
close $o;
exit 0;
