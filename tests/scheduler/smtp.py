"""A real SMTP server for tests (aiosmtpd, in this process on a free loopback port)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import GUARD_SECONDS


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    message_id: str
    rcpt: list[str]
    subject: str
    body: str


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps what it accepted; `refuse` makes it answer with that reply."""

    messages: list[Received] = field(default_factory=list)
    refuse: str | None = None
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            with self.lock:
                self.refused += 1
            return self.refuse
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode())
        payload = parsed.get_payload(decode=True)
        body = payload.decode() if isinstance(payload, bytes) else str(parsed.get_payload())
        with self.lock:
            self.messages.append(
                Received(str(parsed["Message-ID"]), list(envelope.rcpt_tos), str(parsed["Subject"]), body)
            )
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@contextmanager
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    # start() waits for the server's own readiness signal; ready_timeout only guards a hung start
    # (aiosmtpd's 5 s default is too short on a busy machine).
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=GUARD_SECONDS)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word: an SMTP server that times out."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port: int = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(GUARD_SECONDS)
        for conn in held:
            conn.close()
        listener.close()
