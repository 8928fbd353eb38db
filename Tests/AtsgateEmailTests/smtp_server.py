"""A real SMTP server (aiosmtpd) for the email connector's tests.

Every message it accepts is stored in the spool folder as N.eml (the raw DATA) and N.json
(envelope, whether TLS and AUTH were used, and the message as Python's email package parses
it: decoded headers and MIME parts). Once listening it writes ready.json with its port.

It stops on SIGTERM or SIGINT, when standard input closes (with --stop-on-eof), and by itself
after --lifetime seconds.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def parsed(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "content": part.get_content(),
        })
    return {
        "headers": [[name, str(value)] for name, value in message.items()],
        "content_type": message.get_content_type(),
        "defects": [type(defect).__name__ for defect in message.defects],
        "parts": parts,
    }


class RecordingHandler:
    def __init__(self, spool, replies, data_reply, drop_after_data, stall_after_data):
        self.spool = spool
        self.stall_after_data = stall_after_data
        self.replies = replies
        self.data_reply = data_reply
        self.drop_after_data = drop_after_data
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.replies.get(address.lower())
        if code is not None:
            kind = "try again later" if code.startswith("4") else "no such mailbox"
            return f"{code} {code[0]}.1.1 <{address}>: {kind}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "helo": session.host_name,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": session.authenticated,
            "login": login_of(session),
            "message": parsed(envelope.original_content),
        }
        write_atomically(os.path.join(self.spool, f"{number}.eml"), envelope.original_content)
        write_atomically(os.path.join(self.spool, f"{number}.json"), json.dumps(record, indent=2).encode())
        if self.stall_after_data:
            # Stored, but the answer comes too late: the client's timeout after DATA.
            await asyncio.sleep(self.stall_after_data)
        if self.drop_after_data:
            # The message is stored, but the client never hears so: the crash window after DATA.
            server.transport.close()
            return "421 closing"
        return self.data_reply or "250 2.0.0 OK: queued as ATSGATE-TEST-%d" % number


def login_of(session):
    data = getattr(session, "auth_data", None)
    return data.login.decode() if isinstance(data, LoginPassword) else None


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        good = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=good, handled=False, auth_data=auth_data if good else None)
    return authenticate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spool", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (smtps)")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--auth", help="USER:PASSWORD; AUTH is then required before MAIL")
    parser.add_argument("--auth-plaintext", action="store_true", help="offer AUTH without TLS")
    parser.add_argument("--reply", action="append", default=[], help="ADDRESS=CODE answered to RCPT TO")
    parser.add_argument("--data-reply", help="the full reply to the end of DATA, e.g. '554 5.7.1 spam'")
    parser.add_argument("--drop-after-data", action="store_true")
    parser.add_argument("--stall-after-data", type=float, default=0, help="seconds to wait before answering DATA")
    parser.add_argument("--lifetime", type=float, default=120)
    parser.add_argument("--stop-on-eof", action="store_true", help="stop when standard input closes (the parent went away)")
    arguments = parser.parse_args()

    replies = {}
    for rule in arguments.reply:
        address, code = rule.rsplit("=", 1)
        replies[address.lower()] = code

    tls_context = None
    if arguments.cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(arguments.cert, arguments.key)

    smtp_options = {
        "require_starttls": arguments.require_starttls,
        "auth_require_tls": not arguments.auth_plaintext,
    }
    if arguments.auth:
        user, password = arguments.auth.split(":", 1)
        smtp_options["authenticator"] = authenticator_for(user, password)
        smtp_options["auth_required"] = True
    if tls_context is not None and not arguments.implicit_tls:
        smtp_options["tls_context"] = tls_context

    handler = RecordingHandler(
        arguments.spool, replies, arguments.data_reply, arguments.drop_after_data, arguments.stall_after_data
    )
    port = free_port()
    controller_options = {}
    if arguments.implicit_tls:
        controller_options["ssl_context"] = tls_context
        controller_options["server_hostname"] = "127.0.0.1"
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ready_timeout=10, **controller_options, **smtp_options
    )
    controller.start()

    # Every way of stopping exits at once. Not controller.stop(): it can wait forever for a
    # client connection still open, and every message is already on disk. Not an Event set from
    # the signal handler either: the handler runs on the main thread, which may hold the Event's
    # lock in wait() just as standard input closes, and the process then deadlocks.
    # A parent may spawn us with these blocked; its tests would then wait for --lifetime.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    if arguments.stop_on_eof:
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
    write_atomically(os.path.join(arguments.spool, "ready.json"), json.dumps({"port": port}).encode())
    threading.Event().wait(arguments.lifetime)  # nothing sets it: the ways above end the process sooner
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
