"""`dhr mailcatcher` keeps what it is sent: started on a free port (waiting for its ready line), it
receives a message sent with dhr_engine/mail.py and stores it as an .eml file under its folder."""

from __future__ import annotations

import email
import os
import socket
import sys
from email import policy
from pathlib import Path

from dhr_engine.config import Settings
from dhr_engine.console.mailcatcher import READY
from dhr_engine.mail import Mail, SmtpMailer, message_id
from tests.processes import Children, lines, wait_for

DHR = Path(sys.executable).with_name("dhr")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mail_catcher_keeps_each_message_as_an_eml_file(tmp_path: Path) -> None:
    port = _free_port()
    folder = tmp_path / "mail"
    log = tmp_path / "catcher.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DHR_")}
    with Children() as children:
        catcher = children.start(
            [str(DHR), "mailcatcher", "--port", str(port), "--dir", str(folder)], log=log, env=env
        )
        wait_for(
            lambda: any(READY in line for line in lines(log)), "the mail catcher to listen", running=[catcher]
        )
        assert any(str(folder) in line for line in lines(log))  # it says where mail is kept
        mailer = SmtpMailer(
            Settings(smtp_host="127.0.0.1", smtp_port=port, mail_sender="dhr@example.invalid")
        )
        try:
            mailer.send(
                Mail(to=("officer@northmoor.example",), subject="DHR-2026-001: Chronology returned",
                     body="Reminder: due on 25 November 2026.", message_id=message_id("catcher-test"))
            )  # fmt: skip
        finally:
            mailer.close()
        wait_for(lambda: any(folder.glob("*.eml")), "the .eml file", running=[catcher])
    [saved] = list(folder.glob("*.eml"))
    message = email.message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert message["Subject"] == "DHR-2026-001: Chronology returned"
    assert message["To"] == "officer@northmoor.example"
    assert "25 November 2026" in message.get_content()
