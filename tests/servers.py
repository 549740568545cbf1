"""Real servers for delivery tests: an SMTP server (aiosmtpd) and an SMS gateway (http.server).

Tests assert on what these received. Both answer as told (`reply`, `status`) so a test can
make them refuse or fail.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    """What the SMTP server received, and how it answers DATA."""

    port: int
    reply: str = "250 Message accepted"
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received, in order."""
        with self.lock:
            return [message for _sender, _to, message in self.received]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message (when accepting it) and answer with `reply`."""
        if self.reply.startswith("250"):
            message = message_from_bytes(envelope.content, policy=policy.default)
            with self.lock:
                self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return self.reply


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on a free local port, stopped after the test."""
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


@dataclass
class SmsGateway:
    """What the SMS gateway received (headers and JSON bodies), and its answer."""

    url: str = ""
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    """A generic HTTP JSON SMS gateway: POST {"to", "text"} -> {"id": "sms-N"}."""
    gateway = SmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if gateway.status == 200:
                gateway.received.append(body)
                gateway.headers.append(dict(self.headers))
                answer = {"id": f"sms-{len(gateway.received)}", "status": "queued"}
            else:
                answer = {"error": "refused"}
            data = json.dumps(answer).encode()
            self.send_response(gateway.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{httpd.server_address[1]}/messages"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield gateway
    httpd.shutdown()
    httpd.server_close()
    thread.join()
