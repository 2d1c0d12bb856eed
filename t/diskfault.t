# ph-test: one-mpm
# (a fault test: libfiu is preloaded into httpd, which the sanitized pass's
# runtimes get in the way of)
# A failing disk (issue 15 item 3), by fault injection: libfiu (Debian's
# libfiu0, fiu-utils) preloaded into a private httpd makes every fsync fail
# with EIO, switched on and off while it runs with fiu-ctrl.  The same
# scenario as t/fulldisk.t: the Error mail goes out at once from memory,
# the error log says so once, the status page and ?metrics say the state
# directory is not writable; when it is again, what was held is on disk.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use POSIX qw(EIO);
use PhTest ();
use PhDisk qw(full_disk_scenario fiu_ctrl fiu_libs);

my $dir = PhTest::t_dir() . '/private/diskfault';
my @libs = fiu_libs($dir);
ok -e $_, "preload $_ is there (Debian's libfiu0; t/lib/fiu_warm.c)" for @libs;
ok -x '/usr/bin/fiu-ctrl', "fiu-ctrl is installed (Debian's fiu-utils)";
my $prefix = "$dir/fiu";
make_path($dir);
full_disk_scenario(
    name  => 'diskfault',
    state => "$dir/state",
    env   => { LD_PRELOAD => join(' ', @libs), FIU_CTRL_FIFO => $prefix },
    cause => qr/Input\/output error/,
    fail  => sub { fiu_ctrl($PhDisk::current, $prefix,
                            'enable name=posix/io/sync/fsync,failinfo=' . EIO) },
    heal  => sub { fiu_ctrl($PhDisk::current, $prefix,
                            'disable name=posix/io/sync/fsync') },
);
done_testing();
