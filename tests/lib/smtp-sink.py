#!/usr/bin/python3
"""A real SMTP server for the notification tests (Debian's python3-aiosmtpd).

    /usr/bin/python3 tests/lib/smtp-sink.py DIR [PORT]

Listens on 127.0.0.1 at PORT (0 or absent: a free port), prints
"listening on 127.0.0.1:PORT" once ready, and writes each message it
accepts into DIR as NNNN.eml: the envelope as "X-Envelope-From:" and
"X-Envelope-To:" lines, then the message exactly as received. Each file is
written under a temporary name and renamed, so a reader never sees half a
message. With REFUSE in the environment set to a SMTP code (e.g. 451), every
RCPT is refused with that code instead. Exits on SIGTERM or SIGINT.
"""
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, refuse):
        self.folder = folder
        self.refuse = refuse
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"{self.refuse} Mailbox unavailable (test sink refuses)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        name = os.path.join(self.folder, f"{n:04d}.eml")
        head = (f"X-Envelope-From: {envelope.mail_from}\r\n"
                f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
        with open(name + ".tmp", "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 Message accepted for delivery"


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) == 3 else 0
    os.makedirs(folder, exist_ok=True)
    if port == 0:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    handler = Sink(folder, os.environ.get("REFUSE", ""))
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
