"""The notification facts of a case (who notified, the death, the investigation, the children):
stored with the case when it is opened, refused field by field when wrong (nothing stored), changed
later with an audited event that names the facts and never their values, and the same through the
JSON API (POST /api/v1/cases, GET and PATCH /api/v1/cases/{ref}/notification)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import col, func, select

from dhr_engine.audit.service import verify_case
from dhr_engine.audit.wording import describe
from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.errors import PermissionDenied, StaleCase, ValidationFailed
from dhr_engine.persistence.tables import AuditEvent, Case
from dhr_engine.persistence.tables_notification import CaseNotification
from tests.api.scenario import World

FACTS = case_service.NotificationFacts(
    notifier_organisation="Northmoor Police",
    notifier_name="DS Alex Morgan",
    place_of_death="Moorside",
    death_type="homicide",
    sio_name="DI Priya Shah",
    sio_force="Northmoor Police",
    sio_contact="01632 960 123",
    criminal_status="charged",
    children_involved=True,
    children_count=2,
)
BODY: dict[str, Any] = {
    "notified_on": "2026-11-20",
    "date_of_death": "2026-11-14",
    "people": [
        {"role": "victim", "pseudonym": "Jane", "real_name": "Janet Example"},
        {"role": "perpetrator", "pseudonym": "Mark"},
    ],
    "notification": {
        "notifier_organisation": "Northmoor Police",
        "notifier_name": "DS Alex Morgan",
        "place_of_death": "Moorside",
        "death_type": "suicide",
        "sio_name": "DI Priya Shah",
        "sio_force": "Northmoor Police",
        "sio_contact": "priya.shah@police.example",
        "criminal_status": "investigation",
        "children_involved": False,
    },
}


def _open(ctx: AppContext, ref: Reference, facts: case_service.NotificationFacts = FACTS) -> Case:
    return case_service.open_case(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        csp_id=ref.csp.id,
        notified_on=date(2026, 11, 20),
        date_of_death=date(2026, 11, 14),
        people=[case_service.PersonInput(role="victim", pseudonym="Jane")],
        facts=facts,
    )


def _cases(ctx: AppContext) -> int:
    with ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(Case)).one())


def test_open_case__stores_every_fact(ctx: AppContext, ref: Reference) -> None:
    case = _open(ctx, ref)
    with ctx.reader() as uow:
        row = uow.session.get(CaseNotification, case.id)
        assert row is not None
        stored = {k: getattr(row, k) for k in case_service.NotificationFacts.__dataclass_fields__}
    assert stored == FACTS.__dict__


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"death_type": "accident"}, "death_type"),
        ({"criminal_status": "pending"}, "criminal_status"),
        ({"place_of_death": "12 High Street"}, "place_of_death"),
        ({"children_involved": False, "children_count": 2}, "children_count"),
        ({"children_count": 31}, "children_count"),
        ({"sio_contact": "x" * 201}, "sio_contact"),
    ],
)
def test_open_case__a_bad_fact_is_refused_by_name_and_nothing_is_stored(
    ctx: AppContext, ref: Reference, change: dict[str, Any], field: str
) -> None:
    before = _cases(ctx)
    with pytest.raises(ValidationFailed) as caught:
        _open(ctx, ref, case_service.NotificationFacts(**{**FACTS.__dict__, **change}))
    assert caught.value.items[0].field == field
    assert _cases(ctx) == before


def test_update_notification__changes_facts_and_the_history_names_them_not_their_values(
    ctx: AppContext, ref: Reference
) -> None:
    case = _open(ctx, ref)
    changed = case_service.update_notification(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        ref=case.ref,
        facts=case_service.NotificationFacts(**{**FACTS.__dict__, "criminal_status": "trial"}),
        date_of_death=date(2026, 11, 13),
        expected_version=case.version,
    )
    assert changed == ["criminal_status", "date_of_death"]
    with ctx.reader() as uow:
        session = uow.session
        row = session.get(CaseNotification, case.id)
        fresh = session.get(Case, case.id)
        assert row is not None and fresh is not None
        assert row.criminal_status == "trial" and fresh.date_of_death == date(2026, 11, 13)
        event = session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.seq).desc())
        ).first()
        assert event is not None and event.kind == "notification_changed"
        assert "trial" not in str(event.data) and "2026-11-13" not in str(event.data)
        assert verify_case(session, fresh) == []
    definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
    words = describe(event, definition, {})
    assert words == "Notification facts changed: the criminal proceedings, the date of death"


def test_update_notification__stale_version_and_non_officer_are_refused(
    ctx: AppContext, ref: Reference
) -> None:
    case = _open(ctx, ref)
    with pytest.raises(StaleCase):
        case_service.update_notification(
            ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, ref=case.ref, facts=FACTS,
            date_of_death=None, expected_version=case.version + 5,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        case_service.update_notification(
            ctx.uow(), actor=ref.actor("cspchair"), clock=ctx.clock, ref=case.ref, facts=FACTS,
            date_of_death=None,
        )  # fmt: skip


def test_api__open_with_facts_read_them_and_patch_one(any_world: World) -> None:
    client = any_world.client()
    officer = any_world.headers("officer")
    opened = client.post("/api/v1/cases", json=BODY, headers=officer)
    assert opened.status_code == 201, opened.text
    ref = opened.json()["ref"]
    facts = client.get(f"/api/v1/cases/{ref}/notification", headers=officer)
    assert facts.status_code == 200, facts.text
    body = facts.json()
    assert body["death_type"] == "suicide" and body["children_involved"] is False
    assert body["date_of_death"] == "2026-11-14" and body["place_of_death"] == "Moorside"
    patched = client.patch(
        f"/api/v1/cases/{ref}/notification",
        json={"expected_version": body["version"], "criminal_status": "charged"},
        headers=officer,
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["criminal_status"] == "charged" and after["death_type"] == "suicide"  # the rest stays
    assert after["version"] == body["version"] + 1
    stale = client.patch(
        f"/api/v1/cases/{ref}/notification",
        json={"expected_version": body["version"], "criminal_status": "trial"},
        headers=officer,
    )
    assert stale.status_code == 409
    version = after["version"]
    for change, count in (
        ({"children_involved": True, "children_count": 3}, 3),
        ({"children_involved": False}, None),
    ):
        reply = client.patch(
            f"/api/v1/cases/{ref}/notification", json={"expected_version": version, **change}, headers=officer
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["children_count"] == count  # "no children" clears the number
        version = reply.json()["version"]
    # the people came in by pseudonym; the real name stays restricted
    people = client.get(f"/api/v1/cases/{ref}/people", headers=any_world.headers("cspchair")).json()
    assert {p["pseudonym"] for p in people["items"]} == {"Jane", "Mark"}


def test_api__a_bad_fact_names_its_field(any_world: World) -> None:
    client = any_world.client()
    bad = {**BODY, "notification": {**BODY["notification"], "death_type": "accident"}}
    reply = client.post("/api/v1/cases", json=bad, headers=any_world.headers("officer"))
    assert reply.status_code == 422
    assert "death_type" in reply.text
    ref = any_world.cases["A"].ref
    digits = client.patch(
        f"/api/v1/cases/{ref}/notification",
        json={"expected_version": any_world.cases["A"].version, "place_of_death": "1 High Street"},
        headers=any_world.headers("officer"),
    )
    assert digits.status_code in (400, 422) and "place_of_death" in digits.text


def test_api__agency_users_neither_read_nor_change_the_facts(any_world: World) -> None:
    client = any_world.client()
    ref = any_world.cases["A"].ref
    police = any_world.headers("police.author")
    assert client.get(f"/api/v1/cases/{ref}/notification", headers=police).status_code == 403
    reply = client.patch(
        f"/api/v1/cases/{ref}/notification",
        json={"expected_version": any_world.cases["A"].version, "criminal_status": "trial"},
        headers=police,
    )
    assert reply.status_code == 403


def test_openapi__documents_the_facts(world: World) -> None:
    document = world.client().get("/openapi.json").json()
    operations = document["paths"]["/api/v1/cases/{ref}/notification"]
    assert {"get", "patch"} <= set(operations)
    opening = document["components"]["schemas"]["CaseOpenIn"]["properties"]
    assert "notification" in opening
    facts = document["components"]["schemas"]["NotificationFactsIn"]["properties"]
    assert {"place_of_death", "death_type", "sio_contact", "criminal_status", "children_count"} <= set(facts)
