"""All the agencies of a return request at once: draft, approve (a second person), send by e-mail.

Sending e-mails the letter through the outbox, with its PDF (and Word file if chosen) attached, to
the agency's secure address; the drain records the delivery, or why it failed, on the letter.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlmodel import select

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DemoBuilder, Reference
from dhr_engine.errors import PermissionDenied, ValidationFailed
from dhr_engine.letters import service as svc
from dhr_engine.outbox.service import drain_outbox
from dhr_engine.persistence.tables import Agency, ReturnRequest
from dhr_engine.persistence.tables_letters import Letter, LetterDelivery
from tests.conftest import TODAY
from tests.returns.helpers import request
from tests.scheduler.smtp import Recorder, free_port, smtp_server

AGENCIES = ["northmoor_police", "housing", "acute_trust"]


class Keeper(Recorder):
    """The test catcher, keeping each whole message to read its attachments."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if not self.refuse:
            raw = envelope.original_content or envelope.content
            with self.lock:
                data = raw if isinstance(raw, bytes) else raw.encode()
                parsed = message_from_bytes(data, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                self.raw.append(parsed)
        return answer


@pytest.fixture
def catcher(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Keeper, int]]:
    monkeypatch.setattr("tests.scheduler.smtp.Recorder", Keeper)
    with smtp_server() as (recorder, port):
        assert isinstance(recorder, Keeper)
        yield recorder, port


def _asked(ctx: AppContext, ref: Reference) -> ReturnRequest:
    b = DemoBuilder(ctx, ref, TODAY)
    case = b.open("Dawn", 90)
    b.to_information_gathering(case, 90)
    made = request(ctx, ref, case, "chronology", AGENCIES)
    return made[0]


def _deliveries(ctx: AppContext) -> list[LetterDelivery]:
    with ctx.reader() as uow:
        return list(uow.session.exec(select(LetterDelivery)).all())


def test_bulk_draft_approve_send_emails_every_agency(
    ctx: AppContext, ref: Reference, catcher: tuple[Keeper, int]
) -> None:
    recorder, port = catcher
    ctx.settings.smtp_port = port
    first = _asked(ctx, ref)
    drafted = svc.draft_for_request(ctx, actor=ref.actor("chair"), request_id=first.id)
    assert len(drafted.letters) == 3 and {x.status for x in drafted.letters} == {"draft"}
    again = svc.draft_for_request(ctx, actor=ref.actor("chair"), request_id=first.id)  # idempotent
    assert {x.id for x in again.letters} == {x.id for x in drafted.letters}
    with pytest.raises(PermissionDenied, match="someone other than its drafter"):
        svc.approve_for_request(ctx, actor=ref.actor("chair"), request_id=first.id)
    approved = svc.approve_for_request(ctx, actor=ref.actor("cspchair"), request_id=first.id)
    assert {x.status for x in approved.letters} == {"approved"}
    sent = svc.send_for_request(ctx, actor=ref.actor("officer"), request_id=first.id, with_docx=True)
    assert {x.status for x in sent.letters} == {"sent"} and {x.sent_via for x in sent.letters} == {"email"}
    assert recorder.count() == 0  # nothing leaves inside the command's transaction
    assert {d.status for d in _deliveries(ctx)} == {"queued"}

    drain_outbox(ctx)

    with ctx.reader() as uow:
        managers = {
            a.senior_manager_email
            for a in uow.session.exec(select(Agency)).all()
            if a.id in {ref.agencies[k].id for k in AGENCIES}
        }
    assert {r for m in recorder.messages for r in m.rcpt} == managers
    assert len(recorder.raw) == 3
    for message in recorder.raw:
        files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
        pdfs = [data for name, data in files.items() if name and name.endswith(".pdf")]
        assert len(pdfs) == 1 and isinstance(pdfs[0], bytes) and pdfs[0].startswith(b"%PDF")
        assert any(name and name.endswith(".docx") for name in files)
        assert "C10" in str(message["Subject"])
    rows = _deliveries(ctx)
    assert len(rows) == 3 and {d.status for d in rows} == {"sent"} and all(d.sent_at for d in rows)


def test_a_failing_mail_server_is_recorded_on_the_letter(ctx: AppContext, ref: Reference) -> None:
    ctx.settings.smtp_port = free_port()  # nobody listening: the connection is refused
    first = _asked(ctx, ref)
    svc.draft_for_request(ctx, actor=ref.actor("chair"), request_id=first.id)
    svc.approve_for_request(ctx, actor=ref.actor("cspchair"), request_id=first.id)
    svc.send_for_request(ctx, actor=ref.actor("officer"), request_id=first.id)
    drain_outbox(ctx)
    rows = _deliveries(ctx)
    assert len(rows) == 3 and {d.status for d in rows} == {"queued"}
    assert {d.failure for d in rows} == {"the SMTP server refused the connection"}


def test_e_mail_needs_an_address_on_record(lite: AppContext, lite_ref: Reference) -> None:
    first = _asked(lite, lite_ref)
    svc.draft_for_request(lite, actor=lite_ref.actor("chair"), request_id=first.id)
    svc.approve_for_request(lite, actor=lite_ref.actor("cspchair"), request_id=first.id)
    with lite.uow() as uow:
        agency = uow.session.get(Agency, lite_ref.agencies["housing"].id)
        assert agency is not None
        agency.senior_manager_email, agency.email = "", ""
        uow.session.add(agency)
        uow.commit()
    with pytest.raises(ValidationFailed, match="no secure e-mail address"):
        svc.send_for_request(lite, actor=lite_ref.actor("officer"), request_id=first.id)
    with lite.reader() as uow:
        statuses = {
            x.status for x in uow.session.exec(select(Letter).where(Letter.code == "c10_chronology_request"))
        }
    assert statuses == {"approved"}  # all or none: nothing was sent


def test_the_cli_drafts_approves_and_sends_a_request_s_letters(
    lite: AppContext, lite_ref: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from dhr_engine.console import app

    monkeypatch.setenv("DHR_DATABASE_URL", lite.settings.database_url)
    first = _asked(lite, lite_ref)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["letters", "request", *args])
        return result.exit_code, result.output

    code, out = run("draft", str(first.id)[:13], "--as", "chair")
    assert code == 0 and out.count("draft") >= 3, out
    code, out = run("approve", str(first.id), "--as", "chair")
    assert code != 0 and "someone other than its drafter" in out
    assert run("approve", str(first.id), "--as", "cspchair")[0] == 0
    code, out = run("send", str(first.id), "--as", "officer")
    assert code == 0 and out.count("queued, not sent yet") == 3, out
    assert {d.status for d in _deliveries(lite)} == {"queued"} and len(_deliveries(lite)) == 3
