"""Two requests fire the same trigger on the same case version at the same moment: exactly one
succeeds, the other gets 409, and the timeline records the move once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from sqlmodel import col, select

from dhr_engine.persistence.tables import AuditEvent
from tests.api.scenario import World


def test_concurrent_fire__one_wins_one_409_one_event(any_world: World) -> None:
    world = any_world
    case = world.cases["A"]
    headers = world.headers("cspchair")
    clients = [world.client(), world.client()]
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict[str, object]]] = []
    lock = threading.Lock()

    def go(index: int) -> None:
        barrier.wait()
        response = clients[index].post(
            f"/api/v1/cases/{case.ref}/triggers/decide_to_review",
            headers=headers,
            json={"expected_version": case.version, "reason": f"request {index}"},
        )
        with lock:
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    loser = next(body for code, body in results if code == 409)
    assert loser["detail"][0]["code"] == "stale_version"  # type: ignore[index]
    with world.ctx.reader() as uow:
        moves = uow.session.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id, AuditEvent.kind == "stage_changed")
            .order_by(col(AuditEvent.seq))
        ).all()
    decided = [e for e in moves if e.data.get("trigger") == "decide_to_review"]
    assert len(decided) == 1
    timeline = clients[0].get(f"/api/v1/cases/{case.ref}/timeline?limit=200", headers=headers).json()
    moved = [e for e in timeline["items"] if e["kind"] == "stage_changed"]
    assert [e["data"]["trigger"] for e in moved].count("decide_to_review") == 1


def test_fire__stale_version_and_blocked_trigger_write_nothing(world: World) -> None:
    client = world.client()
    case = world.cases["A"]
    ref = case.ref
    officer = world.headers("officer")
    before = client.get(f"/api/v1/cases/{ref}", headers=officer).json()
    stale = client.post(
        f"/api/v1/cases/{ref}/triggers/decide_to_review",
        headers=world.headers("cspchair"),
        json={"expected_version": case.version - 1, "reason": "late"},
    )
    assert stale.status_code == 409 and stale.json()["detail"][0]["code"] == "stale_version"
    # Case A has an open proceeding, so it may pause; conclude it and the pause is blocked by its guard.
    proceeding = world.proceedings["Alma"]
    done = client.post(
        f"/api/v1/cases/{ref}/proceedings/{proceeding}/conclude",
        headers=officer,
        json={"concluded_on": "2026-11-24"},
    )
    assert done.status_code == 200
    middle = client.get(f"/api/v1/cases/{ref}", headers=officer).json()
    blocked = client.post(
        f"/api/v1/cases/{ref}/pause",
        headers=officer,
        json={"expected_version": middle["version"], "reason": "trial"},
    )
    assert blocked.status_code == 409
    detail = blocked.json()["detail"][0]
    assert detail["code"] == "transition_blocked"
    assert detail["guards"] == ["open_proceeding_recorded"]
    after = client.get(f"/api/v1/cases/{ref}", headers=officer).json()
    assert after["version"] == middle["version"] and after["stage"] == before["stage"]
    events = client.get(f"/api/v1/cases/{ref}/timeline?limit=200", headers=officer).json()
    assert events["total"] == before_events(world) + 1  # only the conclusion was recorded


def before_events(world: World) -> int:
    return world.cases["A"].audit_count


def test_pause_and_resume__round_trip(world: World) -> None:
    client = world.client()
    ref = world.cases["A"].ref
    chair = world.headers("chair")
    case = client.get(f"/api/v1/cases/{ref}", headers=chair).json()
    paused = client.post(
        f"/api/v1/cases/{ref}/pause",
        headers=chair,
        json={"expected_version": case["version"], "reason": "Trial listed"},
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["stage"] == "paused"
    deadlines = client.get(f"/api/v1/cases/{ref}/deadlines?open_only=true", headers=chair).json()["items"]
    assert deadlines and all((d["due"] == "paused") == (d["adjusted_due"] is None) for d in deadlines)
    blocked = client.post(
        f"/api/v1/cases/{ref}/resume",
        headers=chair,
        json={"expected_version": paused.json()["version"], "reason": "done"},
    )
    assert blocked.status_code == 409 and blocked.json()["detail"][0]["guards"] == ["no_open_proceedings"]
    proceeding = world.proceedings["Alma"]
    assert (
        client.post(
            f"/api/v1/cases/{ref}/proceedings/{proceeding}/conclude",
            headers=chair,
            json={"concluded_on": "2026-11-25", "outcome": "Verdict"},
        ).status_code
        == 200
    )
    now = client.get(f"/api/v1/cases/{ref}", headers=chair).json()
    resumed = client.post(
        f"/api/v1/cases/{ref}/resume",
        headers=chair,
        json={"expected_version": now["version"], "reason": "Trial over"},
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["stage"] == case["stage"]
