#!/usr/bin/python3
"""An HTTP receiver for mod_phonehome's channel tests (PhoneHomeNotify).

Run it as /usr/bin/python3 t/http_sink.py; it needs the standard library
only.  It accepts any method on any path and records each request.

    --port N            listen on 127.0.0.1:N (required)
    --log FILE          append one JSON line per request (required)
    --status N          answer every request with N (default 200)
    --fail-first N      answer the first N requests with --fail-status
    --fail-status N     (default 503)
    --retry-after V     send "Retry-After: V" with every non-2xx answer
    --hang              never answer: keep every connection open
    --pidfile FILE      written once the server is listening

Each line of FILE is an object: "time" (epoch seconds, a float), "method",
"path" (with the query), "headers" (an object, names in lower case; a
repeated header keeps its last value), "body" (the body decoded as UTF-8,
invalid bytes as U+FFFD) and "status" (what it answered, null when it
hangs).  A line is written with one write before the answer is sent, so a
request is on record by the time its sender learns the answer.

Requests are served in threads, so a hanging request does not hold up
others.  SIGTERM or SIGINT stops it (exit status 0).
"""

import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True   # no __pycache__ in t/ (it ships whole)
import phsink  # noqa: E402  (t/phsink.py, beside this file)


class Recorder:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.fail_left = a.fail_first

    def answer_for(self):
        with self.lock:
            if self.fail_left > 0:
                self.fail_left -= 1
                return self.a.fail_status
        return self.a.status

    def record(self, entry):
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
        with self.lock:
            phsink.append_line(self.a.log, line)


def make_handler(rec):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "http_sink"
        sys_version = ""

        def log_message(self, fmt, *args):
            pass

        def handle_any(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n > 0 else b""
            status = None if rec.a.hang else rec.answer_for()
            rec.record({
                "time": time.time(),
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", errors="replace"),
                "status": status,
            })
            if status is None:
                while True:
                    time.sleep(3600)
            reply = b'{"ok":true}\n' if 200 <= status < 300 else (
                b'{"error":"http_sink answers %d"}\n' % status)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            if rec.a.retry_after and not 200 <= status < 300:
                self.send_header("Retry-After", rec.a.retry_after)
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    return Handler


def parse_args(argv):
    p = argparse.ArgumentParser(prog="http_sink.py",
                                description="HTTP receiver for tests")
    phsink.add_common_args(p)
    p.add_argument("--log", required=True)
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--fail-first", type=int, default=0, metavar="N")
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--retry-after")
    p.add_argument("--hang", action="store_true")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", a.port),
                                     make_handler(Recorder(a)))
    except OSError as e:
        return phsink.bind_failed("http_sink", a.port, e)
    server.daemon_threads = True

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        with phsink.PidFile(a.pidfile):
            server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
