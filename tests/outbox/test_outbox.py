"""E-mail from the outbox to a real local SMTP server (aiosmtpd): sent once after commit; a server
that refuses, is not there or times out leaves the e-mail queued and retried with back-off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from dhr_engine.context import AppContext
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.outbox.service import LEASE, MAX_ATTEMPTS, backoff, claim, drain_outbox
from dhr_engine.persistence.tables import OutboxItem
from dhr_engine.persistence.tables_scheduler import Notification
from dhr_engine.returns import service as returns_service
from tests.scheduler.helpers import add_member, email_items, noon, open_case
from tests.scheduler.smtp import Recorder, free_port, silent_server, smtp_server

DUE = date(2026, 12, 25)


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server() as running:
        yield running


def _queue_two(ctx: AppContext, ref: Reference, clock: FakeClock) -> None:
    open_case(ctx, ref, date(2026, 11, 25))
    assert sweep_all(ctx, noon(clock, DUE)).emails == 2  # the CSP officer and the CSP chair


def test_emails_are_sent_once_after_commit(
    ctx: AppContext, ref: Reference, clock: FakeClock, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    ctx.settings.smtp_port = port
    _queue_two(ctx, ref, clock)
    assert recorder.count() == 0  # nothing is sent inside the sweep's transaction
    result = drain_outbox(ctx)
    assert result.done == 2 and result.retried == 0
    assert drain_outbox(ctx).taken == 0
    assert recorder.count() == 2
    with ctx.reader() as uow:
        notes = uow.session.exec(select(Notification)).all()
    assert {m.message_id for m in recorder.messages} == {f"<{n.id}@dhr-engine.invalid>" for n in notes}
    assert {r for m in recorder.messages for r in m.rcpt} == {
        "officer@northmoor.example",
        "cspchair@northmoor.example",
    }
    for message in recorder.messages:
        assert message.subject.startswith("[OFFICIAL-SENSITIVE] DHR-2026-")
        assert "due today, 25 December 2026" in message.subject
        assert "Victim" not in message.body and "Olivia" not in message.body
    items = email_items(ctx)
    assert {i.status for i in items} == {"done"} and all(i.attempts == 1 for i in items)


def test_a_refusing_server_leaves_the_email_queued_and_retried(
    lite: AppContext, lite_ref: Reference, clock: FakeClock, server: tuple[Recorder, int]
) -> None:
    ctx = lite
    recorder, port = server
    ctx.settings.smtp_port = port
    _queue_two(ctx, lite_ref, clock)
    recorder.refuse = "451 4.3.0 Mailbox busy, try again later"
    first = drain_outbox(ctx)
    assert first.retried == 2 and first.done == 0
    items = email_items(ctx)
    assert {i.status for i in items} == {"pending"} and {i.attempts for i in items} == {1}
    assert all("451" in i.last_error for i in items)
    assert drain_outbox(ctx).taken == 0  # backing off: not before a minute has passed
    clock.advance(minutes=1)
    assert drain_outbox(ctx).retried == 2
    assert {i.attempts for i in email_items(ctx)} == {2}
    clock.advance(minutes=1)
    assert drain_outbox(ctx).taken == 0  # the second wait is two minutes
    recorder.refuse = None
    clock.advance(minutes=1)
    assert drain_outbox(ctx).done == 2
    assert recorder.count() == 2 and recorder.refused == 4
    assert {(i.status, i.attempts, i.last_error) for i in email_items(ctx)} == {("done", 3, "")}


def test_no_server_or_a_silent_one_keeps_retrying_nothing_lost(
    lite: AppContext, lite_ref: Reference, clock: FakeClock, server: tuple[Recorder, int]
) -> None:
    ctx = lite
    recorder, port = server
    _queue_two(ctx, lite_ref, clock)
    ctx.settings.smtp_port = free_port()  # nobody listening: connection refused
    assert drain_outbox(ctx).retried == 2
    assert all("refused the connection" in i.last_error for i in email_items(ctx))
    with silent_server() as silent_port:
        ctx.settings.smtp_port = silent_port
        ctx.settings.smtp_timeout_seconds = 0.3
        clock.advance(minutes=1)
        assert drain_outbox(ctx).retried == 2
    assert all("did not answer in time" in i.last_error for i in email_items(ctx))
    ctx.settings.smtp_port = port
    clock.advance(minutes=2)
    assert drain_outbox(ctx).done == 2
    assert recorder.count() == 2


def test_gives_up_after_the_last_attempt_or_a_refused_recipient(
    lite: AppContext, lite_ref: Reference, clock: FakeClock, server: tuple[Recorder, int]
) -> None:
    ctx = lite
    recorder, port = server
    ctx.settings.smtp_port = port
    _queue_two(ctx, lite_ref, clock)
    recorder.refuse = "421 4.7.0 Try again later"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = drain_outbox(ctx)
        assert result.taken == 2, attempt
        clock.advance(seconds=backoff(attempt).total_seconds())
    items = email_items(ctx)
    assert {i.status for i in items} == {"failed"}
    assert all(i.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts") for i in items)
    # A recipient the server refuses for good (5xx) is failed at once, with the reason.
    with ctx.uow() as uow:
        note = uow.session.exec(select(Notification)).first()
        assert note is not None
        uow.session.add(OutboxItem(kind="email", topic="deadline_notice", payload={"notification_id": str(note.id)},
                                   available_at=clock.now()))  # fmt: skip
        uow.commit()

    async def refuse_rcpt(
        server: object, session: object, envelope: object, address: str, options: object
    ) -> str:
        return "550 5.1.1 No such user here"

    recorder.refuse = None
    recorder.handle_RCPT = refuse_rcpt
    result = drain_outbox(ctx)
    assert result.failed == 1
    [fresh] = [i for i in email_items(ctx) if i.attempts == 1]
    assert fresh.status == "failed" and "550" in fresh.last_error


def test_a_drain_that_died_mid_item_is_taken_again_after_its_lease(
    lite: AppContext, lite_ref: Reference, clock: FakeClock, server: tuple[Recorder, int]
) -> None:
    ctx = lite
    recorder, port = server
    ctx.settings.smtp_port = port
    _queue_two(ctx, lite_ref, clock)
    leased = claim(ctx, clock.now(), 10, ["email"])  # a drain leases both, then dies
    assert len(leased) == 2
    assert drain_outbox(ctx).taken == 0
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert drain_outbox(ctx).taken == 0
    clock.advance(seconds=1)
    assert drain_outbox(ctx).done == 2
    assert recorder.count() == 2
    assert {i.attempts for i in email_items(ctx)} == {2}


def test_return_chase_email_is_sent_without_personal_data(
    lite: AppContext, lite_ref: Reference, clock: FakeClock, server: tuple[Recorder, int]
) -> None:
    ctx, ref = lite, lite_ref
    recorder, port = server
    ctx.settings.smtp_port = port
    case = open_case(ctx, ref, date(2026, 11, 25))
    add_member(ctx, ref, case.id, "police.manager", "agency_manager")
    with ctx.uow() as uow:
        from dhr_engine.persistence.tables import ReturnRequest

        request = ReturnRequest(case_id=case.id, agency_id=ref.agencies["northmoor_police"].id, kind="imr",
                                requested_on=date(2026, 11, 25))  # fmt: skip
        uow.session.add(request)
        uow.commit()
    item = returns_service.chase_return(
        ctx.uow(), actor=ref.actor("officer"), clock=clock, request_id=request.id, escalate=True,
        note="Ms Real-Name's records",
    )  # fmt: skip
    clock.set(
        datetime.now(UTC) + timedelta(minutes=1)
    )  # the returns service stamps the item with the wall clock
    assert drain_outbox(ctx).done == 1
    [message] = recorder.messages
    assert set(message.rcpt) == {
        "police.manager@northmoor.example",
        "cspchair@northmoor.example",
        "northmoor_police.manager@agency.example",
    }
    assert case.ref in message.subject and "escalation" in message.subject
    assert "Real-Name" not in message.body
    assert message.message_id == f"<{item.id}@dhr-engine.invalid>"
