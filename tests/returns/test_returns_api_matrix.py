"""Every agency-returns operation x every role of tests/api/scenario.py, as a member of the case
(A) and as a non-member (B), and agency A (Northmoor Police, whose returns these are) against the
other agencies: the exact set of callers who get a 2xx, and the status everybody else gets.

The table is written out by hand from workflows/agency_return.yaml and returns/access.py as they
describe themselves; it does not read the policy. Another agency's request is "not found" (404),
never "forbidden": its existence is not told. Writes that succeed run on their own copy of the
database; every refused one runs on a shared copy that is checked to be unchanged afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dhr_engine.persistence.tables import ReturnRequest
from dhr_engine.persistence.tables_returns import ReturnAttachment, ReturnVersion
from dhr_engine.returns import attachments, chronology, service
from dhr_engine.returns.chronology_input import EntryInput
from tests.api.scenario import GLOBAL_USERS, USERS, World
from tests.api.test_authorisation_matrix import database_state, snapshot  # noqa: F401 (fixture)
from tests.returns.files import PDF_BYTES

POLICE = frozenset({"police.author", "police.manager"})
OTHER_AGENCIES = frozenset({"health.author", "health.manager", "council.author", "council.manager"})
# Who sees every agency's returns of a case they may see: CSP staff and case staff.
STAFF = frozenset({"admin", "officer", "cspchair", "chair", "author", "panel"})
READERS = STAFF | POLICE  # who may read a police request on case A
REVIEWERS = frozenset({"officer", "chair"})  # accept, ask for changes, withdraw
REQUESTERS = frozenset({"admin", "officer", "chair"})
CSV_FILE = b"Date,Event\r\n14/03/2025,Call to the control room\r\n"


@dataclass(frozen=True)
class Op:
    """One operation: who gets `ok` on case A, who gets 404 there (the rest get 403); who gets `ok`
    on case B, where only the global users can see the case (the rest of them get 403)."""

    name: str
    method: str
    path: str  # {ref}, {imr}, {submitted}, {signed_off}, {file} are filled in per case
    ok_on_a: frozenset[str]
    hidden_on_a: frozenset[str]
    ok_on_b: frozenset[str]
    ok: int = 200
    body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    files: dict[str, tuple[str, bytes]] | None = None
    writes: bool = False


def versioned(which: str, reason: str = "") -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda ids: {"expected_version": ids[f"{which}.version"], "reason": reason}


OPS = [
    Op("list returns", "GET", "/cases/{ref}/returns", frozenset(USERS), frozenset(), frozenset(GLOBAL_USERS)),
    Op("request returns", "POST", "/cases/{ref}/returns", REQUESTERS, frozenset(), frozenset({"admin", "officer"}),
       ok=201, body=lambda ids: {"kind": "scoping_reply", "agency_ids": [ids["housing"]]}, writes=True),
    Op("read request", "GET", "/returns/{imr}", READERS, OTHER_AGENCIES, frozenset(GLOBAL_USERS)),
    Op("acknowledge", "POST", "/returns/{imr}/triggers/acknowledge", POLICE, OTHER_AGENCIES, frozenset(),
       body=versioned("imr"), writes=True),
    Op("withdraw", "POST", "/returns/{imr}/triggers/withdraw", REVIEWERS, OTHER_AGENCIES, frozenset({"officer"}),
       body=versioned("imr", "no longer needed"), writes=True),
    Op("submit a version", "POST", "/returns/{imr}/versions", POLICE, OTHER_AGENCIES, frozenset(), ok=201,
       body=lambda ids: {"expected_version": ids["imr.version"], "text": "The report"}, writes=True),
    Op("sign off", "POST", "/returns/{submitted}/triggers/sign_off", frozenset({"police.manager"}), OTHER_AGENCIES,
       frozenset(), body=versioned("submitted"), writes=True),
    Op("send back to the author", "POST", "/returns/{submitted}/triggers/return_to_author",
       frozenset({"police.manager"}), OTHER_AGENCIES, frozenset(), body=versioned("submitted", "check the dates"),
       writes=True),
    Op("accept", "POST", "/returns/{signed_off}/triggers/accept", REVIEWERS, OTHER_AGENCIES, frozenset({"officer"}),
       body=versioned("signed_off"), writes=True),
    Op("ask for changes", "POST", "/returns/{signed_off}/triggers/request_changes", REVIEWERS, OTHER_AGENCIES,
       frozenset({"officer"}), body=versioned("signed_off", "add May"), writes=True),
    Op("list versions", "GET", "/returns/{signed_off}/versions", READERS, OTHER_AGENCIES, frozenset(GLOBAL_USERS)),
    Op("read version", "GET", "/returns/{signed_off}/versions/1", READERS, OTHER_AGENCIES,
       frozenset(GLOBAL_USERS)),
    Op("list attachments", "GET", "/returns/{imr}/attachments", READERS, OTHER_AGENCIES, frozenset(GLOBAL_USERS)),
    Op("upload attachment", "POST", "/returns/{imr}/attachments", POLICE, OTHER_AGENCIES, frozenset(), ok=201,
       files={"file": ("imr.pdf", PDF_BYTES)}, writes=True),
    Op("download attachment", "GET", "/return-attachments/{file}", READERS, OTHER_AGENCIES,
       frozenset(GLOBAL_USERS)),
    Op("list entries", "GET", "/returns/{imr}/chronology", READERS, OTHER_AGENCIES, frozenset(GLOBAL_USERS)),
    Op("add entries", "POST", "/returns/{imr}/chronology", POLICE, OTHER_AGENCIES, frozenset(), ok=201,
       body=lambda ids: {"entries": [{"when": "14/03/2025", "event": "Call"}]}, writes=True),
    Op("import entries", "POST", "/returns/{imr}/chronology/import", POLICE, OTHER_AGENCIES, frozenset(), ok=201,
       files={"file": ("c.csv", CSV_FILE)}, writes=True),
    # Agency roles read their own returns, not the merged chronology: 403, as they see the case.
    Op("merged chronology", "GET", "/cases/{ref}/chronology", STAFF, frozenset(), frozenset(GLOBAL_USERS)),
    Op("export merged chronology", "GET", "/cases/{ref}/chronology-files/csv", STAFF, frozenset(),
       frozenset(GLOBAL_USERS)),
]  # fmt: skip


def expected(op: Op, username: str, case: str) -> int:
    if case == "B":
        if username not in GLOBAL_USERS:
            return 404  # a case you may not see does not exist for you, nor anything on it
        return op.ok if username in op.ok_on_b else 403
    if username in op.ok_on_a:
        return op.ok
    return 404 if username in op.hidden_on_a else 403


def _insert_b(world: World, sha256: str) -> dict[str, Any]:
    """Case B (no agency user on it): police returns at the same stages, written directly."""
    ctx, case = world.ctx, world.cases["B"]
    police = world.ref.agencies["northmoor_police"].id
    ids: dict[str, Any] = {}
    with ctx.uow() as uow:
        s = uow.session
        for key, kind, stage, version in (
            ("imr", "imr", "requested", 1),
            ("submitted", "chronology", "submitted", 2),
            ("signed_off", "short_report", "signed_off", 3),
        ):
            row = ReturnRequest(
                case_id=case.id,
                agency_id=police,
                kind=kind,
                stage=stage,
                version=version,
                requested_on=date(2026, 11, 20),
            )
            s.add(row)
            s.flush()
            ids[key], ids[f"{key}.version"] = str(row.id), version
            if version > 1:
                s.add(
                    ReturnVersion(
                        request_id=row.id,
                        case_id=case.id,
                        agency_id=police,
                        number=1,
                        submitted_on=date(2026, 11, 21),
                        content={"text": "Report", "attachments": [], "chronology_entries": 0},
                        signed_off_on=date(2026, 11, 22) if stage == "signed_off" else None,
                    )
                )
            if key == "imr":
                file = ReturnAttachment(
                    request_id=row.id,
                    case_id=case.id,
                    agency_id=police,
                    filename="imr.pdf",
                    media_type=attachments.PDF,
                    size=len(PDF_BYTES),
                    sha256=sha256,
                    uploaded_on=date(2026, 11, 21),
                )
                s.add(file)
                s.flush()
                ids["file"] = str(file.id)
        uow.commit()
    return ids


@pytest.fixture
def ids(world: World) -> dict[str, dict[str, Any]]:
    """Police returns on case A at each stage a step starts from (through the services), the
    same on case B, and the ids to fill the paths with, by case."""
    ctx, ref, case = world.ctx, world.ref, world.cases["A"]
    officer, author, manager = ref.actor("officer"), ref.actor("police.author"), ref.actor("police.manager")
    police = ref.agencies["northmoor_police"].id
    imr = world.returns["northmoor_police"]
    file = attachments.upload_attachment(
        ctx.uow(),
        actor=author,
        clock=ctx.clock,
        storage_dir=ctx.settings.storage_dir,
        request_id=imr,
        filename="imr.pdf",
        content=PDF_BYTES,
    )
    made: dict[str, uuid.UUID] = {}
    for kind in ("chronology", "short_report"):
        (request,) = service.request_returns(
            ctx.uow(), actor=officer, clock=ctx.clock, case_id=case.id, agency_ids=[police], kind=kind
        )
        chronology.add_entries(
            ctx.uow(),
            actor=author,
            clock=ctx.clock,
            request_id=request.id,
            entries=[EntryInput(when="14/03/2025", event="Call to the control room")],
        )
        service.submit_return(
            ctx.uow(),
            actor=author,
            clock=ctx.clock,
            request_id=request.id,
            submission=service.Submission(text="Report"),
        )
        made[kind] = request.id
    service.fire_return(
        ctx.uow(), actor=manager, clock=ctx.clock, request_id=made["short_report"], trigger="sign_off"
    )
    on_a: dict[str, Any] = {"imr": str(imr), "submitted": str(made["chronology"]), "file": str(file.id)}
    on_a["signed_off"] = str(made["short_report"])
    with ctx.reader() as uow:
        for key in ("imr", "submitted", "signed_off"):
            on_a[f"{key}.version"] = uow.session.get_one(ReturnRequest, uuid.UUID(on_a[key])).version
    assert (on_a["imr.version"], on_a["submitted.version"], on_a["signed_off.version"]) == (1, 2, 3)
    on_b = _insert_b(world, file.sha256)
    housing = str(ref.agencies["housing"].id)
    with ctx.engine.connect() as conn:  # the copies are taken from the database file itself
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "A": {**on_a, "ref": case.ref, "housing": housing},
        "B": {**on_b, "ref": world.cases["B"].ref, "housing": housing},
    }


def fill(path: str, values: dict[str, Any]) -> str:
    for key in ("ref", "imr", "submitted", "signed_off", "file"):
        path = path.replace("{" + key + "}", str(values[key]))
    return f"/api/v1{path}"


def call(client: TestClient, op: Op, world: World, values: dict[str, Any], username: str | None) -> Any:
    headers = world.headers(username) if username else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if op.body is not None:
        kwargs["json"] = op.body(values)
    if op.files is not None:
        kwargs["files"] = op.files
    return client.request(op.method, fill(op.path, values), **kwargs)


def test_returns_matrix__exact_allowed_sets_other_agencies_see_nothing(
    world: World, ids: dict[str, dict[str, Any]], request: pytest.FixtureRequest
) -> None:
    copies = request.getfixturevalue("snapshot")  # the fixture of test_authorisation_matrix
    shared = copies()
    before = database_state(shared)
    failures: list[str] = []
    cells = 0
    for op in OPS:
        for case in ("A", "B"):
            for username in USERS:
                want = expected(op, username, case)
                client = copies() if op.writes and want < 300 else shared
                response = call(client, op, world, ids[case], username)
                cells += 1
                if response.status_code != want:
                    failures.append(
                        f"{op.name} on {case} as {username}: {response.status_code} (want {want}) "
                        f"{response.text[:200]}"
                    )
                    continue
                if want >= 300:
                    body = response.json()
                    assert set(body) == {"detail"} and body["detail"][0]["code"], body
                    if want == 404:  # nothing of the request is told, not even its agency or kind
                        assert "police" not in response.text.lower() and "imr" not in response.text
    assert not failures, "\n".join(failures)
    assert database_state(shared) == before, "a refused request wrote something"
    assert cells == len(OPS) * 2 * len(USERS)


def test_returns_matrix__lists_hold_only_the_callers_agency(
    world: World, ids: dict[str, dict[str, Any]]
) -> None:
    client = world.client()
    ref = world.cases["A"].ref
    police = str(world.ref.agencies["northmoor_police"].id)
    health = str(world.ref.agencies["acute_trust"].id)
    expected_agencies = {
        **{u: {police, health} for u in STAFF},
        "police.author": {police},
        "police.manager": {police},
        "health.author": {health},
        "health.manager": {health},
        "council.author": set(),
        "council.manager": set(),
    }
    assert set(expected_agencies) == set(USERS)
    for username, agencies in expected_agencies.items():
        response = client.get(f"/api/v1/cases/{ref}/returns", headers=world.headers(username))
        assert response.status_code == 200, (username, response.text)
        items = response.json()["items"]
        assert {i["agency_id"] for i in items} == agencies, username
        if username in OTHER_AGENCIES:
            assert police not in response.text and "Northmoor Police" not in response.text
    # Case staff see the police returns' steps they may take, the police only their own.
    steps = {
        u: next(
            i["my_steps"]
            for i in client.get(f"/api/v1/cases/{ref}/returns", headers=world.headers(u)).json()["items"]
            if i["id"] == ids["A"]["signed_off"]
        )
        for u in ("chair", "officer", "panel", "police.manager")
    }
    assert steps == {
        "chair": ["accept", "request_changes"],
        "officer": ["accept", "request_changes"],
        "panel": [],
        "police.manager": [],
    }


def test_returns_matrix__not_signed_in_is_401_everywhere(
    world: World, ids: dict[str, dict[str, Any]]
) -> None:
    client = world.client()
    for op in OPS:
        response = call(client, op, world, ids["A"], None)
        assert response.status_code == 401, (op.name, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
