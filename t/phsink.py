"""What the tests' local servers (t/http_sink.py, t/smtp_sink.py) share.

Standard library only.  t/lib/PhSink.pm is the Perl side: it starts a sink
with --port and --pidfile, takes the pid file's appearance as "listening",
and stops the sink with SIGTERM.

    p = argparse.ArgumentParser(...)
    phsink.add_common_args(p)            # --port N (required), --pidfile F
    ...
    try:
        server = listen(...)
    except OSError as e:
        return phsink.bind_failed("http_sink", a.port, e)
    with phsink.PidFile(a.pidfile):      # written once listening
        serve()                          # removed when serving ends
"""

import os
import sys


def add_common_args(parser):
    """--port (required: 127.0.0.1 only) and --pidfile."""
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pidfile")


def bind_failed(name, port, error):
    """Say why 127.0.0.1:port could not be had; the exit status (3)."""
    print("%s: 127.0.0.1:%d: %s" % (name, port, error), file=sys.stderr)
    return 3


class PidFile:
    """The pid file, written atomically on entry (the sink listens by
    then) and removed on exit; nothing when the path is None."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        if self.path:
            tmp = "%s.tmp-%d" % (self.path, os.getpid())
            with open(tmp, "w") as f:
                f.write("%d\n" % os.getpid())
            os.rename(tmp, self.path)
        return self

    def __exit__(self, *exc):
        if self.path:
            try:
                os.unlink(self.path)
            except OSError:
                pass
        return False


def append_line(path, line):
    """Append @line (bytes) to @path with one write, so that concurrent
    writers never interleave and a reader sees whole lines."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
