"""`dhr mailcatcher`: a local SMTP server (aiosmtpd) that keeps every message it is sent as an .eml
file, for a demo or a developer's machine where no real mail server is configured. `make run`
starts it in the background on the default smtp_port (127.0.0.1:8025) before `dhr serve`, so the
e-mails the outbox sends can be opened from var/mail/.

It accepts anything and relays nothing. It is not for a live service: a real deployment sets
DHR_SMTP_HOST and DHR_SMTP_PORT to its own mail server.
"""

from __future__ import annotations

import signal
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from aiosmtpd.controller import Controller

from dhr_engine.cli.common import load_settings

MAIL_DIR = Path("var/mail")
READY = "Mail catcher listening on"


class SaveToFolder:
    """An aiosmtpd handler that writes each message, as received, to its own .eml file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode("utf-8")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(data)
        partial.replace(self.folder / name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


def register(app: typer.Typer) -> None:
    app.command("mailcatcher")(mailcatcher)


def mailcatcher(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port to listen on (default: the smtp_port setting, 8025)"
    ),
    folder: Path = typer.Option(MAIL_DIR, "--dir", help="Folder that keeps one .eml file per message"),
) -> None:
    """Run a local mail catcher: every message sent to it is kept as an .eml file (until stopped)."""
    port = port or load_settings().smtp_port
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(SaveToFolder(folder), hostname=host, port=port)
    try:
        controller.start()  # returns once the server answers
    except (OSError, RuntimeError) as err:
        typer.echo(f"dhr mailcatcher could not listen on {host}:{port}: {type(err).__name__}", err=True)
        raise typer.Exit(1) from None
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo(f"{READY} {host}:{port}; mail is kept in {folder} (one .eml file per message)")
    try:
        stop.wait()
    finally:
        controller.stop()
        typer.echo("Mail catcher stopped.")
