"""A user's 'what needs my attention' list (service and API) and their notifications."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from dhr_engine.auth.tokens import issue_token
from dhr_engine.bootstrap.app import create_app
from dhr_engine.context import AppContext
from dhr_engine.deadlines.queries import attention_for
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.clock import FakeClock
from tests.scheduler.helpers import add_member, deadline, noon, open_case, request_imr

NOTIFIED = date(2026, 11, 25)
DECISION_DUE = date(2026, 12, 25)


def _world(ctx: AppContext, ref: Reference) -> tuple[object, object, object]:
    case = open_case(ctx, ref, NOTIFIED)
    for username, role in [("police.manager", "agency_manager"), ("health.manager", "agency_manager")]:
        add_member(ctx, ref, case.id, username, role)
    police = request_imr(ctx, ref, case.id, "northmoor_police", NOTIFIED)
    health = request_imr(ctx, ref, case.id, "acute_trust", NOTIFIED)
    return case, police, health


def _keys(items: list[object]) -> list[tuple[str, str]]:
    return [(i.case_ref, i.key) for i in items]  # type: ignore[attr-defined]


def test_attention_groups_and_agency_scoping(ctx: AppContext, ref: Reference, clock: FakeClock) -> None:
    case, police, health = _world(ctx, ref)
    imr_due = police.adjusted_due  # type: ignore[attr-defined]
    assert imr_due > DECISION_DUE + timedelta(days=14)
    today = DECISION_DUE + timedelta(days=7)  # the decision a week late: escalated by the sweep
    sweep_all(ctx, noon(clock, today))
    with ctx.reader() as uow:
        officer = attention_for(uow.session, ref.actor("officer"), today, due_within_days=60)
        police_view = attention_for(uow.session, ref.actor("police.manager"), today, due_within_days=60)
        chair_view = attention_for(uow.session, ref.actor("cspchair"), today, due_within_days=5)
    [escalated] = officer.escalated
    assert escalated.key == "csp_decision" and escalated.escalation_level == 1 and escalated.days == -7
    assert escalated.mine  # the officer was told
    assert officer.overdue == []
    assert {i.deadline_id for i in officer.due_soon} == {police.id, health.id}  # type: ignore[attr-defined]
    # The police manager sees the police IMR, not the hospital's, and owns it.
    assert [i.deadline_id for i in police_view.due_soon] == [police.id]  # type: ignore[attr-defined]
    assert police_view.due_soon[0].mine
    assert [i.key for i in chair_view.escalated] == ["csp_decision"] and chair_view.due_soon == []
    # Overdue, not yet escalated: the IMR on the day after its due date.
    later = imr_due + timedelta(days=1)
    with ctx.reader() as uow:
        police_later = attention_for(uow.session, ref.actor("police.manager"), later)
    assert [(i.key, i.days) for i in police_later.overdue] == [("imr_return", -1)]
    assert deadline(ctx, case.id).status == "open"  # type: ignore[attr-defined]


def test_attention_and_notifications_over_the_api(
    lite: AppContext, lite_ref: Reference, clock: FakeClock
) -> None:
    ctx, ref = lite, lite_ref
    _world(ctx, ref)
    sweep_all(ctx, noon(clock, DECISION_DUE + timedelta(days=7)))
    lite.settings.run_scheduler_in_process = False

    def headers(username: str) -> dict[str, str]:
        user = ref.users[username]
        token, _ = issue_token(user_id=user.id, password_hash=user.password_hash, secret=ctx.settings.secret_key,
                               now=clock.now(), minutes=30)  # fmt: skip
        return {"Authorization": f"Bearer {token}"}

    client = TestClient(create_app(ctx.settings, ctx))
    page = client.get("/api/v1/me/attention?due_within_days=60", headers=headers("officer")).json()
    assert [(i["group"], i["key"]) for i in page["items"]] == [
        ("escalated", "csp_decision"),
        ("due_soon", "imr_return"),
        ("due_soon", "imr_return"),
    ]
    assert page["total"] == 3 and page["items"][0]["escalation_level"] == 1
    police = client.get("/api/v1/me/attention?due_within_days=60", headers=headers("police.manager")).json()
    # The police IMR only: not the hospital's, nor the CSP's own decision (issue 18).
    assert [(i["group"], i["key"], i["mine"]) for i in police["items"]] == [("due_soon", "imr_return", True)]
    assert client.get("/api/v1/me/attention").status_code == 401

    notes = client.get("/api/v1/me/notifications", headers=headers("officer")).json()
    assert notes["total"] == 1
    [note] = notes["items"]
    assert note["kind"] == "escalation" and note["email"] == "queued" and note["read"] is False
    assert "escalation 1" in note["title"]
    assert client.get("/api/v1/me/notifications", headers=headers("police.manager")).json()["total"] == 0
    other = client.post(f"/api/v1/me/notifications/{note['id']}/read", headers=headers("cspchair"))
    assert other.status_code == 404  # someone else's notification
    assert (
        client.post(f"/api/v1/me/notifications/{note['id']}/read", headers=headers("officer")).status_code
        == 204
    )
    unread = client.get("/api/v1/me/notifications?unread=true", headers=headers("officer")).json()
    assert unread["total"] == 0
    assert client.post("/api/v1/me/notifications/read-all", headers=headers("cspchair")).json() == {
        "marked": 1
    }
