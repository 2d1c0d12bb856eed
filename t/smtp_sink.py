#!/usr/bin/python3
"""A real SMTP server for mod_phonehome's tests, built on aiosmtpd.

Run it as /usr/bin/python3 t/smtp_sink.py (aiosmtpd is Debian's
python3-aiosmtpd; another python3 on PATH may not have it).

    --port N            listen on 127.0.0.1:N (required)
    --dir DIR           store each accepted message as DIR/NNNNNN.eml (required)
    --auth USER:PASS    require AUTH PLAIN or LOGIN with these credentials
                        (offered without TLS unless --tls-cert is given, then
                        only after STARTTLS); MAIL/RCPT/DATA before it get 530
    --tls-cert FILE     offer STARTTLS with this PEM certificate (chain) ...
    --tls-key FILE      ... and this PEM key (default: the --tls-cert file)
    --fail-first N      answer the first N messages (after their DATA) with 451
    --delay S           wait S seconds before answering each DATA (a slow
                        mail server)
    --pidfile FILE      written once the server is listening

Each .eml file holds a line "X-Sink-Mail-From: <addr>", one line
"X-Sink-Rcpt-To: <addr>" per envelope recipient, "X-Sink-TLS: <protocol>"
(e.g. TLSv1.3, or "none" for a mail taken in the clear) and
"X-Sink-Auth: <user>" (or "none"), each ending in CRLF, then the message exactly as received (bytes, line endings untouched, only the SMTP
dot-stuffing undone).  NNNNNN counts accepted messages in arrival order and
goes on from the highest number already in DIR, so a restarted sink appends.
Files appear atomically: written as DIR/tmp-*, then renamed.

DIR/commands.log gets one line for each EHLO, STARTTLS, AUTH and MAIL
command, as "<VERB> tls=0|1" (whether the session was encrypted when the
command came), so a test can tell that no AUTH ever crossed in the clear,
and "SNI=<name> tls=0" for the server name a TLS client asked for.

Nothing is printed on stdout; errors go to stderr.  SIGTERM or
SIGINT stops it cleanly (exit status 0).
"""

import argparse
import asyncio
import logging
import os
import re
import signal
import ssl
import sys
import warnings

sys.dont_write_bytecode = True   # no __pycache__ in t/ (it ships whole)
import phsink  # noqa: E402  (t/phsink.py, beside this file)

# aiosmtpd warns (warnings and log.warning) about AUTH without TLS, which is
# exactly what this sink is for; keep stderr for real errors.
warnings.simplefilter("ignore")
logging.getLogger("mail.log").setLevel(logging.ERROR)

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword  # noqa: E402

EML = re.compile(r"^(\d{6,})\.eml$")


class Sink:
    def __init__(self, directory, fail_first, delay=0.0):
        self.dir = directory
        self.fail_left = fail_first
        self.delay = delay
        self.tmp_n = 0
        self.count = 0
        for name in os.listdir(directory):
            m = EML.match(name)
            if m:
                self.count = max(self.count, int(m.group(1)))

    async def handle_DATA(self, server, session, envelope):
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if self.fail_left > 0:
            self.fail_left -= 1
            return "451 4.3.0 Temporary failure (smtp_sink --fail-first)"
        data = envelope.original_content
        if data is None:
            data = envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogateescape")
        head = "X-Sink-Mail-From: <%s>\r\n" % (envelope.mail_from or "")
        for rcpt in envelope.rcpt_tos:
            head += "X-Sink-Rcpt-To: <%s>\r\n" % rcpt
        cipher = (session.ssl or {}).get("cipher")
        head += "X-Sink-TLS: %s\r\n" % (cipher[1] if cipher else "none")
        who = getattr(session.auth_data, "login", None)
        head += "X-Sink-Auth: %s\r\n" % (who.decode() if who else "none")
        self.count += 1
        self.tmp_n += 1
        final = os.path.join(self.dir, "%06d.eml" % self.count)
        tmp = os.path.join(self.dir, "tmp-%d-%d" % (os.getpid(), self.tmp_n))
        try:
            with open(tmp, "wb") as f:
                f.write(head.encode("utf-8", errors="surrogateescape"))
                f.write(data)
            os.rename(tmp, final)
        except OSError as e:
            self.count -= 1
            print("smtp_sink: %s: %s" % (final, e), file=sys.stderr)
            return "451 4.3.0 Could not store the message"
        return "250 OK stored as %s" % os.path.basename(final)


class LoggingSMTP(SMTP):
    """aiosmtpd's SMTP that notes each EHLO, STARTTLS, AUTH and MAIL."""

    def __init__(self, handler, log_path, **kw):
        super().__init__(handler, **kw)
        self.log_path = log_path

    def _note(self, verb):
        with open(self.log_path, "a") as f:
            f.write("%s tls=%d\n" % (verb, self._tls_protocol is not None))

    async def smtp_EHLO(self, arg):
        self._note("EHLO")
        return await super().smtp_EHLO(arg)

    async def smtp_STARTTLS(self, arg):
        self._note("STARTTLS")
        return await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        self._note("AUTH")
        return await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg):
        self._note("MAIL")
        return await super().smtp_MAIL(arg)


def make_authenticator(user, password):
    want = LoginPassword(user.encode(), password.encode())

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (mechanism in ("PLAIN", "LOGIN")
              and isinstance(auth_data, LoginPassword)
              and auth_data.login == want.login
              and auth_data.password == want.password)
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return authenticator


def parse_args(argv):
    p = argparse.ArgumentParser(prog="smtp_sink.py", description="SMTP sink for tests")
    phsink.add_common_args(p)
    p.add_argument("--dir", required=True)
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.add_argument("--fail-first", type=int, default=0, metavar="N")
    p.add_argument("--delay", type=float, default=0.0, metavar="S")
    p.add_argument("--tls-cert", metavar="FILE")
    p.add_argument("--tls-key", metavar="FILE")
    a = p.parse_args(argv)
    if a.auth is not None and ":" not in a.auth:
        p.error("--auth wants USER:PASSWORD")
    return a


async def serve(a):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    handler = Sink(a.dir, a.fail_first, a.delay)
    kw = dict(hostname="smtp-sink.localhost", ident="smtp_sink (aiosmtpd)")
    if a.tls_cert is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key or a.tls_cert)

        def note_sni(sslobj, name, sslctx):
            with open(os.path.join(a.dir, "commands.log"), "a") as f:
                f.write("SNI=%s tls=0\n" % (name or ""))

        ctx.sni_callback = note_sni
        kw.update(tls_context=ctx)
    if a.auth is not None:
        user, password = a.auth.split(":", 1)
        kw.update(auth_required=True, auth_require_tls=a.tls_cert is not None,
                  authenticator=make_authenticator(user, password))
    # Without --auth, AUTH is not advertised (aiosmtpd's default of
    # auth_require_tls=True hides it when there is no TLS).
    log_path = os.path.join(a.dir, "commands.log")

    server = await loop.create_server(lambda: LoggingSMTP(handler, log_path,
                                                          **kw),
                                      host="127.0.0.1", port=a.port,
                                      reuse_address=True)
    try:
        with phsink.PidFile(a.pidfile):
            await stop.wait()
    finally:
        server.close()
        # Drop sessions still open rather than wait for their clients.
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main(argv):
    a = parse_args(argv)
    if not os.path.isdir(a.dir):
        print("smtp_sink: %s is not a directory" % a.dir, file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(a))
    except OSError as e:
        return phsink.bind_failed("smtp_sink", a.port, e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
