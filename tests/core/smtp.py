"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for outbox tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property
from typing import Any

from aiosmtpd.controller import Controller

from tests.server import free_port


@dataclass
class Received:
    content: bytes
    recipients: list[str]
    peer: Any  # the client's (host, port): one per SMTP session
    mail_options: list[str] = field(default_factory=list)  # SMTPUTF8, BODY=8BITMIME…
    sender: str = ""

    @cached_property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class Collector:
    """The aiosmtpd handler: counts sessions (EHLO greetings) and keeps every message."""

    delay: float = 0.0  # seconds spent on each message, to make workers overlap
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    received: list[Received] = field(default_factory=list)
    sessions: int = 0
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001, N802
        with self._lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, N802
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        if self.delay:
            await asyncio.sleep(self.delay)
        received = Received(
            envelope.original_content,
            list(envelope.rcpt_tos),
            session.peer,
            list(envelope.mail_options),
            envelope.mail_from,
        )
        with self._lock:
            self.received.append(received)  # parsed when a test reads it, not on the server
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]

    def outbox_ids(self) -> list[int]:
        return [int(m["X-Outbox-Id"]) for m in self.messages]


@contextmanager
def smtp_server(
    port: int | None = None, *, smtputf8: bool = False, **options: Any
) -> Iterator[Collector]:
    """Run an SMTP server on 127.0.0.1 (on `port`, or a free one) while the block runs;
    `smtputf8`: it offers SMTPUTF8 (international addresses)."""
    collector = Collector(**options)
    collector.port = port or free_port()
    controller = Controller(
        collector, hostname="127.0.0.1", port=collector.port, enable_SMTPUTF8=smtputf8
    )
    controller.start()
    try:
        yield collector
    finally:
        controller.stop()
