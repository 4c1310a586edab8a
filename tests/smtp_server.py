"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, recording every message it accepts.

It can be told to answer the next DATA commands with given replies (``451 ...`` twice, then
accept), to refuse some recipients for good (``550`` at RCPT or DATA), to take its time over
DATA (so a test can kill a sender mid-message), and to stop and start again on the same port
(the "server down, then up" case).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    at: float  # time.time() when accepted

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _Behaviour:
    data_replies: list[str] = field(default_factory=list)  # answered in turn, then 250
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> reply at RCPT
    refuse_data: dict[str, str] = field(default_factory=dict)  # address -> reply at DATA
    data_delay_seconds: float = 0.0


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.server.lock:
            self.server.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.behaviour.refuse_rcpt.get(address.lower())
        if reply:
            self.server.note_refusal(reply)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        behaviour = self.server.behaviour
        self.server.data_started.set()
        if behaviour.data_delay_seconds:
            await asyncio.sleep(behaviour.data_delay_seconds)
        for address in envelope.rcpt_tos:
            reply = behaviour.refuse_data.get(address.lower())
            if reply:
                self.server.note_refusal(reply)
                return reply
        with self.server.lock:
            if behaviour.data_replies:
                reply = behaviour.data_replies.pop(0)
                self.server.refusals.append(reply)
                return reply
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, time.time())
            )
        return "250 Message accepted"


class SmtpServer:
    """Start with ``start()``; ``stop()`` closes the port (connections are refused)."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.behaviour = _Behaviour()
        self.received: list[Received] = []
        self.refusals: list[str] = []
        self.greetings = 0  # EHLOs: one per SMTP connection
        self.lock = threading.Lock()
        self.data_started = threading.Event()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        if self._controller is None:
            # A new controller each time: aiosmtpd's cannot be restarted once stopped.
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def note_refusal(self, reply: str) -> None:
        with self.lock:
            self.refusals.append(reply)

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]

    def message_ids(self) -> list[str]:
        with self.lock:
            raws = list(self.received)
        return [r.message_id for r in raws]

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= count:
                return True
            time.sleep(0.05)
        return False

    def config(self) -> dict:
        """The app settings that point smptrack at this server."""
        return {
            "SMTP_HOST": self.host,
            "SMTP_PORT": self.port,
            "SMTP_STARTTLS": False,
            "SMTP_IMPLICIT_TLS": False,
            "SMTP_USERNAME": "",
            "SMTP_TIMEOUT_SECONDS": 10,
        }

    def environment(self) -> dict[str, str]:
        """The same settings as SMPTRACK_* environment variables, for subprocesses."""
        return {
            "SMPTRACK_SMTP_HOST": self.host,
            "SMPTRACK_SMTP_PORT": str(self.port),
            "SMPTRACK_SMTP_STARTTLS": "false",
            "SMPTRACK_SMTP_TIMEOUT_SECONDS": "10",
        }


@contextmanager
def running_server(port: int | None = None) -> Iterator[SmtpServer]:
    server = SmtpServer(port).start()
    try:
        yield server
    finally:
        server.stop()
