# ph-test: one-mpm
# (a fault test: it fills a file system, and its fallback preloads libfiu,
# which the sanitized pass's runtimes get in the way of)
# A full disk (issue 15 item 3): PhoneHomeStateDir on a 512 KiB tmpfs that
# the test fills up (t/run-httpd-tests mounts it when it runs as root and
# passes it in PH_FULLDISK_DIR).  A device that goes down meanwhile is still
# mailed at once (from memory), the error log says so once, the status page
# and ?metrics say the disk is full and what is held; when space is freed
# what was held is written to the outbox.  Not as root (no tmpfs to mount)
# the same scenario runs with libfiu making fsync fail with ENOSPC, as
# t/diskfault.t does with EIO (docs/testing.md says what runs where).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path remove_tree);
use POSIX qw(ENOSPC);
use PhTest ();
use PhDisk qw(full_disk_scenario fiu_ctrl fiu_libs);

my $mnt = $ENV{PH_FULLDISK_DIR} // '';
my $h;
if ($mnt ne '') {
    ok -d $mnt && -w $mnt, "PH_FULLDISK_DIR $mnt is a directory we may write";
    my $df = `df -k "$mnt" 2>&1`;
    like $df, qr/^tmpfs\s+512\s/m, 'it is a 512 KiB tmpfs' or diag $df;
    my $state = "$mnt/state";
    remove_tree($state, "$mnt/filler");
    make_path($state);
    my $filler = "$mnt/filler";
    $h = full_disk_scenario(
        name  => 'fulldisk',
        state => $state,
        graceful => 1,
        cause => qr/No space left on device/,
        fail  => sub {
            open my $fh, '>', $filler or die "$filler: $!";
            # Fill it to the last byte a new file could take.
            for my $chunk (65536, 4096, 512, 1) {
                my $buf = 'x' x $chunk;
                while (defined syswrite($fh, $buf)) { }
            }
            close $fh;
            open my $probe, '>', "$mnt/probe" or return 0;
            my $full = !defined syswrite($probe, 'x' x 4096);
            close $probe;
            unlink "$mnt/probe";
            return $full;
        },
        heal  => sub { unlink $filler },
    );
    remove_tree($state);
}
else {
    my $dir = PhTest::t_dir() . '/private/fulldisk';
    my @libs = fiu_libs($dir);
    ok -e $_, "preload $_ is there (Debian's libfiu0; t/lib/fiu_warm.c)" for @libs;
    my $prefix = "$dir/fiu";
    make_path($dir);
    $h = full_disk_scenario(
        name  => 'fulldisk',
        state => "$dir/state",
        env   => { LD_PRELOAD => join(' ', @libs), FIU_CTRL_FIFO => $prefix },
        cause => qr/No space left on device/,
        fail  => sub { fiu_ctrl($PhDisk::current, $prefix,
                                'enable name=posix/io/sync/fsync,failinfo=' . ENOSPC) },
        heal  => sub { fiu_ctrl($PhDisk::current, $prefix,
                                'disable name=posix/io/sync/fsync') },
    );
}
done_testing();
