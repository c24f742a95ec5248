"""Pages tell the truth about e-mail: chasing a return no longer says "a reminder is on its way";
the flash and the return's page show the delivery state of each e-mail: "queued, not sent: no mail
server is configured" (DHR_SMTP_HOST empty), the last try's failure while nothing answers, and
"sent 1 December 2026" once the server took it."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator
from datetime import UTC, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from dhr_engine.bootstrap.app import create_app
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DEMO_PASSWORD, Reference
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import FakeClock
from dhr_engine.outbox.delivery import delivery_state
from dhr_engine.outbox.service import drain_outbox
from dhr_engine.persistence.tables import OutboxItem
from tests.returns.helpers import gathering_case, request

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
STATE = re.compile(r'data-testid="email-state">([^<]*)<')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_delivery_state_words(lite: AppContext) -> None:
    settings = lite.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 8025})
    now = lite.clock.now()
    sent = OutboxItem(kind="email", topic="return_chase", status="done", done_at=now)
    assert delivery_state(sent, settings) == f"sent {format_date(lite.clock.today())}"
    queued = OutboxItem(kind="email", topic="return_chase")
    assert delivery_state(queued, settings) == "queued, not sent yet"
    assert delivery_state(queued, settings.model_copy(update={"smtp_host": ""})) == (
        "queued, not sent: no mail server is configured"
    )
    refused = OutboxItem(kind="email", topic="return_chase", attempts=1,
                         last_error="the SMTP server refused the connection")  # fmt: skip
    assert delivery_state(refused, settings) == (
        "queued, not sent: the last try failed (no mail server is answering at 127.0.0.1:8025); "
        "it will be tried again"
    )
    failed = OutboxItem(kind="email", topic="return_chase", status="failed",
                        last_error="gave up after 12 attempts: the SMTP server refused the connection")  # fmt: skip
    assert delivery_state(failed, settings) == "not sent: no mail server is answering at 127.0.0.1:8025"


@pytest.fixture
def client(lite: AppContext) -> Iterator[TestClient]:
    lite.settings.run_scheduler_in_process = False
    with TestClient(create_app(lite.settings, lite), follow_redirects=False) as c:
        yield c


def _chase(client: TestClient, request_id: object) -> str:
    page = client.get(f"/returns/{request_id}")
    token = TOKEN.search(page.text)
    assert token
    reply = client.post(
        f"/returns/{request_id}/chase",
        data={"csrf_token": token.group(1), "escalate": "no", "chase_note": ""},
    )
    assert reply.status_code == 303, reply.text
    return html.unescape(client.get(f"/returns/{request_id}").text)


def _try_again(ctx: AppContext, clock: FakeClock) -> None:
    """Move the clock to when the queued e-mail is due to be tried (the chase queues it at the
    real time), and drain the outbox once."""
    with ctx.reader() as uow:
        item = uow.session.exec(select(OutboxItem).where(OutboxItem.kind == "email")).one()
    due = item.available_at if item.available_at.tzinfo else item.available_at.replace(tzinfo=UTC)
    clock.set(max(clock.now(), due) + timedelta(minutes=1))
    drain_outbox(ctx, max_batches=1)


def _states(page: str) -> list[str]:
    return [html.unescape(s) for s in STATE.findall(page)]


def test_chasing_shows_the_e_mail_delivery_state(
    lite: AppContext, lite_ref: Reference, clock: FakeClock, client: TestClient
) -> None:
    case = gathering_case(lite, lite_ref)
    [police] = request(lite, lite_ref, case, "chronology", ["northmoor_police"])
    token = TOKEN.search(client.get("/sign-in").text)
    assert token
    client.post(
        "/sign-in", data={"csrf_token": token.group(1), "username": "officer", "password": DEMO_PASSWORD}
    )

    # no mail server configured: the reminder stays queued, and the page says so
    lite.settings.smtp_host = ""
    page = _chase(client, police.id)
    assert "on its way" not in page
    assert "A reminder to the agency&#39;s author and manager" not in page  # unescaped above
    assert (
        "A reminder to the agency's author and manager: queued, not sent: no mail server is configured."
        in page
    )
    _try_again(lite, clock)
    assert _states(page) == ["Queued, not sent: no mail server is configured"]
    assert _states(html.unescape(client.get(f"/returns/{police.id}").text)) == [
        "Queued, not sent: no mail server is configured"
    ]

    # a server is configured, but nothing answers there: the last try's failure is shown
    port = _free_port()
    lite.settings.smtp_host, lite.settings.smtp_port = "127.0.0.1", port
    _try_again(lite, clock)
    told = f"Queued, not sent: the last try failed (no mail server is answering at 127.0.0.1:{port}); it will be tried again"
    assert _states(html.unescape(client.get(f"/returns/{police.id}").text)) == [told]

    # the server takes it: sent, with the day
    lite.outbox_handlers["email"] = lambda ctx, item: None
    _try_again(lite, clock)
    assert _states(html.unescape(client.get(f"/returns/{police.id}").text)) == [
        f"Sent {format_date(clock.today())}"
    ]
