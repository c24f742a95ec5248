"""Every endpoint x every role, as a member of the case (A) and as a non-member (B): the exact
set of callers who get a 2xx, the status everybody else gets, and no field leaks by name.

The expected table below is written out by hand from the issue and the workflow files; it does
not read the policy table, so a change to the policy that widens access makes this test fail.
Writes run each on a fresh copy of the database, so one caller's change cannot affect another's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from dhr_engine.context import AppContext
from dhr_engine.persistence.tables_reads import SensitiveRead
from tests.api.scenario import AGENCY_USERS, GLOBAL_USERS, SECRETS, SUMMARY, USERS, World, database_copies

EVERYONE = frozenset(USERS)
OFFICER_CHAIR = frozenset({"officer", "chair"})
MEMBER_MANAGERS = frozenset({"admin", "officer", "chair"})
FAMILY_READERS = frozenset({"officer", "cspchair", "chair", "author"})
# Who may read everything about every person; and who reads the full timeline and proceeding notes.
FULL_IDENTITY = frozenset({"officer", "chair", "author"})
FULL_RECORD = frozenset({"admin", "officer", "cspchair", "chair", "author"})
SUBJECT_IDENTITY = FULL_IDENTITY | {"cspchair", "panel", *AGENCY_USERS}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {ref}, {member:<username>}, {proceeding}, {user}, {agency} are filled in
    allowed: frozenset[str]  # who gets a 2xx on case A
    ok: int = 200
    denied: int = 403  # what the others who can see the case get
    body: Callable[[World], dict[str, Any]] | None = None
    form: dict[str, str] | None = None
    case_scoped: bool = True
    writes: bool = False


def version(world: World) -> dict[str, Any]:
    return {"expected_version": world.cases["A"].version, "reason": "matrix"}


ENDPOINTS = [
    Endpoint("read case", "GET", "/api/v1/cases/{ref}", EVERYONE),
    Endpoint("people", "GET", "/api/v1/cases/{ref}/people", EVERYONE),
    Endpoint("triggers", "GET", "/api/v1/cases/{ref}/triggers", EVERYONE),
    Endpoint("timeline", "GET", "/api/v1/cases/{ref}/timeline", EVERYONE),
    Endpoint("deadlines", "GET", "/api/v1/cases/{ref}/deadlines", EVERYONE),
    Endpoint("members", "GET", "/api/v1/cases/{ref}/members", EVERYONE),
    Endpoint("proceedings", "GET", "/api/v1/cases/{ref}/proceedings", EVERYONE),
    Endpoint("family log", "GET", "/api/v1/cases/{ref}/family-log", FAMILY_READERS),
    Endpoint("notification facts", "GET", "/api/v1/cases/{ref}/notification", FULL_RECORD | {"panel"}),
    Endpoint(
        "change notification facts",
        "PATCH",
        "/api/v1/cases/{ref}/notification",
        frozenset({"admin", "officer"}),
        body=lambda w: {"expected_version": w.cases["A"].version, "criminal_status": "trial"},
        writes=True,
    ),
    Endpoint(
        "fire decide_to_review",
        "POST",
        "/api/v1/cases/{ref}/triggers/decide_to_review",
        frozenset({"cspchair"}),
        body=version,
        writes=True,
    ),
    Endpoint("pause", "POST", "/api/v1/cases/{ref}/pause", OFFICER_CHAIR, body=version, writes=True),
    # Case A is not paused: resuming is not a move from its stage, for anybody who can see it.
    Endpoint(
        "resume", "POST", "/api/v1/cases/{ref}/resume", frozenset(), denied=409, body=version, writes=True
    ),
    Endpoint(
        "add member",
        "POST",
        "/api/v1/cases/{ref}/members",
        MEMBER_MANAGERS,
        ok=201,
        body=lambda w: {"username": "author", "role": "panel_member"},
        writes=True,
    ),
    Endpoint(
        "change member role",
        "PATCH",
        "/api/v1/cases/{ref}/members/{member:panel}",
        MEMBER_MANAGERS,
        body=lambda w: {"role": "overview_author"},
        writes=True,
    ),
    Endpoint(
        "remove member",
        "DELETE",
        "/api/v1/cases/{ref}/members/{member:council.manager}",
        MEMBER_MANAGERS,
        ok=204,
        writes=True,
    ),
    Endpoint(
        "record proceeding",
        "POST",
        "/api/v1/cases/{ref}/proceedings",
        OFFICER_CHAIR,
        ok=201,
        body=lambda w: {"kind": "inquest", "started_on": "2026-11-20", "body": "Coroner"},
        writes=True,
    ),
    Endpoint(
        "conclude proceeding",
        "POST",
        "/api/v1/cases/{ref}/proceedings/{proceeding}/conclude",
        OFFICER_CHAIR,
        body=lambda w: {"concluded_on": "2026-11-24"},
        writes=True,
    ),
    Endpoint(
        "add family log entry",
        "POST",
        "/api/v1/cases/{ref}/family-log",
        OFFICER_CHAIR,
        ok=201,
        body=lambda w: {"kind": "advocacy_offered", "occurred_on": "2026-11-24"},
        writes=True,
    ),
    # Not about one case: the same answer whether or not the caller is a member of a case.
    Endpoint("who am I", "GET", "/api/v1/auth/me", EVERYONE, case_scoped=False),
    Endpoint("list cases", "GET", "/api/v1/cases", EVERYONE, case_scoped=False),
    Endpoint(
        "open case",
        "POST",
        "/api/v1/cases",
        frozenset({"admin", "officer"}),
        ok=201,
        body=lambda w: {"notified_on": "2026-11-24", "people": [{"role": "victim", "pseudonym": "New"}]},
        case_scoped=False,
        writes=True,
    ),
    Endpoint("agencies", "GET", "/api/v1/agencies", frozenset(GLOBAL_USERS), case_scoped=False),
    Endpoint(
        "agency contacts",
        "GET",
        "/api/v1/agencies/{agency}/contacts",
        frozenset(GLOBAL_USERS),
        case_scoped=False,
    ),
    Endpoint(
        "add agency",
        "POST",
        "/api/v1/agencies",
        frozenset({"admin"}),
        ok=201,
        body=lambda w: {"name": "Northmoor Fire and Rescue", "kind": "other"},
        case_scoped=False,
        writes=True,
    ),
    Endpoint(
        "change agency",
        "PATCH",
        "/api/v1/agencies/{agency}",
        frozenset({"admin"}),
        body=lambda w: {"email": "changed@agency.example"},
        case_scoped=False,
        writes=True,
    ),
    Endpoint("users", "GET", "/api/v1/users", frozenset({"admin", "officer"}), case_scoped=False),
    Endpoint("read log", "GET", "/api/v1/audit/reads", frozenset({"admin"}), case_scoped=False),
    Endpoint(
        "add user",
        "POST",
        "/api/v1/users",
        frozenset({"admin"}),
        ok=201,
        body=lambda w: {"username": "new.user", "display_name": "New User", "password": "Brand-New-Pass-1"},
        case_scoped=False,
        writes=True,
    ),
    Endpoint(
        "change user",
        "PATCH",
        "/api/v1/users/{user}",
        frozenset({"admin"}),
        body=lambda w: {"is_active": False},
        case_scoped=False,
        writes=True,
    ),
    Endpoint(
        "reset password",
        "PUT",
        "/api/v1/users/{user}/password",
        frozenset({"admin"}),
        ok=204,
        body=lambda w: {"password": "Another-Secret-77"},
        case_scoped=False,
        writes=True,
    ),
]


def expected_status(endpoint: Endpoint, username: str, case: str) -> int:
    if endpoint.case_scoped and case == "B" and username not in GLOBAL_USERS:
        return 404  # a case you may not see does not exist for you
    return endpoint.ok if username in endpoint.allowed else endpoint.denied


def fill(path: str, world: World, case: str) -> str:
    out = path.replace("{ref}", world.cases[case].ref)
    for username, member_id in world.members.items():
        # On case B the only membership is the outsider's: managers change that one.
        target = member_id if case == "A" else world.outsider_member
        out = out.replace("{member:" + username + "}", str(target))
    victim = "Alma" if case == "A" else "Bess"
    out = out.replace("{proceeding}", str(world.proceedings[victim]))
    out = out.replace("{user}", str(world.ref.users["police.manager"].id))
    return out.replace("{agency}", str(world.ref.agencies["housing"].id))


@pytest.fixture
def snapshot(world: World, tmp_path: Path) -> Iterator[Callable[[], TestClient]]:
    """A factory of clients, each on its own fresh copy of the world's database."""
    yield from database_copies(world, tmp_path)


def call(client: TestClient, endpoint: Endpoint, world: World, username: str, case: str) -> Any:
    path = fill(endpoint.path, world, case)
    body = endpoint.body(world) if endpoint.body else None
    if body is not None and "expected_version" in body:
        body["expected_version"] = world.cases[case].version
    return client.request(endpoint.method, path, headers=world.headers(username), json=body)


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def check_no_leak(endpoint: Endpoint, username: str, data: Any, world: World, case: str) -> None:
    """Field-level checks by field name (and by value for the secrets of the scenario)."""
    keys = keys_in(data)
    text = str(data)
    if username not in FULL_IDENTITY:
        assert not keys & {"address", "contact_details"}, (endpoint.name, username, keys)
    if username in (*AGENCY_USERS, "panel"):
        for secret in SECRETS:
            if secret == SUMMARY and username == "panel":
                continue  # panel members read the case summary; agencies do not
            assert secret not in text, (endpoint.name, username, secret)
        assert "summary" not in keys or username == "panel", (endpoint.name, username)
        assert "note" not in keys, (endpoint.name, username)  # proceeding notes, family log
        assert "reason" not in keys, (endpoint.name, username)  # timeline data of other kinds
    if endpoint.name == "people":
        for person in data["items"]:
            restricted = {"real_name", "date_of_birth"} & set(person)
            if username in FULL_IDENTITY:
                assert {"real_name", "date_of_birth", "address", "contact_details"} <= set(person)
            elif person["role"] in ("victim", "perpetrator") and username in SUBJECT_IDENTITY:
                assert restricted == {"real_name", "date_of_birth"}
            else:
                assert not restricted, (username, person)
    if endpoint.name == "deadlines" and case == "A":
        subjects = {d["subject_id"] for d in data["items"] if d["subject_type"] == "return_request"}
        police, health = str(world.returns["northmoor_police"]), str(world.returns["acute_trust"])
        if username.startswith("police."):
            assert subjects == {police}
        elif username.startswith("health."):
            assert subjects == {health}
        elif username.startswith("council."):
            assert subjects == set()
        else:
            assert subjects == {police, health}
    if endpoint.name == "timeline" and username not in FULL_RECORD:
        assert {e["kind"] for e in data["items"]} <= {"case_opened", "stage_changed"}
    if endpoint.name == "list cases":
        refs = {c["ref"] for c in data["items"]}
        expected = {world.cases["A"].ref}
        if username in GLOBAL_USERS:
            expected.add(world.cases["B"].ref)
        assert refs == expected, (username, refs)


def database_state(client: TestClient) -> dict[str, Any]:
    """Every case's version and audit count, and the number of rows of every table."""
    ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
    state: dict[str, Any] = {}
    with ctx.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == SensitiveRead.__tablename__:
                continue  # an allowed read of a sensitive record is recorded there (audit/reads.py)
            state[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        state["cases"] = sorted(
            conn.execute(text("SELECT ref, version, audit_count, stage FROM dhr_case")).all()
        )
        state["users"] = sorted(
            conn.execute(text("SELECT username, password_hash, is_active FROM user_account")).all()
        )
        state["members"] = sorted(conn.execute(text("SELECT id, role FROM case_member")).all())
        state["agencies"] = sorted(conn.execute(text("SELECT name, email FROM agency")).all())
    return state


def test_authorisation_matrix__exact_allowed_sets_and_no_leaks(world: World, snapshot: Any) -> None:
    shared = snapshot()
    before = database_state(shared)
    failures: list[str] = []
    cells = 0
    for endpoint in ENDPOINTS:
        for case in ("A", "B") if endpoint.case_scoped else ("A",):
            granted = set()
            for username in USERS:
                want = expected_status(endpoint, username, case)
                # A write expected to succeed gets its own copy; every refused one runs on the
                # shared database, which is checked below to be unchanged.
                client = snapshot() if endpoint.writes and want < 300 else shared
                response = call(client, endpoint, world, username, case)
                cells += 1
                if response.status_code != want:
                    failures.append(
                        f"{endpoint.name} on {case} as {username}: {response.status_code} (want {want}) "
                        f"{response.text[:200]}"
                    )
                    continue
                if response.status_code < 300:
                    granted.add(username)
                    if response.status_code != 204:
                        check_no_leak(endpoint, username, response.json(), world, case)
                else:
                    body = response.json()
                    assert set(body) == {"detail"} and body["detail"][0]["code"], body
            if case == "A":
                assert granted == set(endpoint.allowed) or failures, endpoint.name
    assert not failures, "\n".join(failures)
    assert database_state(shared) == before, "a refused request wrote something"
    assert cells == sum(len(USERS) * (2 if e.case_scoped else 1) for e in ENDPOINTS)


def test_unknown_case__404_for_everybody(world: World) -> None:
    client = world.client()
    for username in USERS:
        response = client.get("/api/v1/cases/DHR-1999-999", headers=world.headers(username))
        assert response.status_code == 404
        assert response.json()["detail"][0]["code"] == "case_not_found"


def test_not_signed_in__401_on_every_endpoint(world: World) -> None:
    client = world.client()
    for endpoint in ENDPOINTS:
        path = fill(endpoint.path, world, "A")
        body = endpoint.body(world) if endpoint.body else None
        response = client.request(endpoint.method, path, json=body)
        assert response.status_code == 401, (endpoint.name, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
