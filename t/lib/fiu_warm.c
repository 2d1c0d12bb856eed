/* Preloaded into a private httpd before libfiu's preload libraries
 * (t/lib/PhDisk.pm, fiu_libs).
 *
 * libfiu 1.1's posix preload (Debian's libfiu0) can deadlock a process
 * with glibc's dynamic loader: the first pthread_exit() in a process makes
 * glibc dlopen libgcc_s (to unwind), and under the loader's lock the
 * loader calls malloc, which libfiu wraps and which then waits for
 * libfiu's own lock; meanwhile another thread holds libfiu's lock and, in
 * libfiu's strdup wrapper, waits for the loader's lock.  The event MPM's
 * start thread exits as every child comes up, so one child in four or so
 * hung for good (seen with gdb: a thread in dlsym under fiu_fail, one in
 * _dl_open under malloc), never serving, never answering fiu-ctrl.
 *
 * backtrace() loads glibc's unwinder once, here, in the single-threaded
 * process that httpd starts as, and every process forked from it inherits
 * it: no process dlopens libgcc_s later, so the deadlock cannot happen.
 * This changes nothing the module does.
 */
#include <execinfo.h>

__attribute__((constructor))
static void ph_fiu_warm(void)
{
    void *frames[2];

    backtrace(frames, 2);
}
