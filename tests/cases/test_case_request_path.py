"""The one-transaction path of GET /cases/{ref} and POST .../triggers/{trigger} (and the case
dependency of the other case routes) keeps every check of the longer path: a token used a moment
before (its signature remembered) still stops working when the account is deactivated, its password
changes or it expires; a tampered token is refused; the CSP scope comes from the account as read in
the same request, never from an earlier one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from dhr_engine.auth import policy
from dhr_engine.auth.tokens import issue_token, read_token
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.roles import Role
from dhr_engine.errors import CaseNotFound, Unauthenticated
from dhr_engine.persistence.tables import AuditEvent, Case, Csp, User
from tests.api.scenario import World

CASE_ROUTES = ("", "/timeline", "/deadlines", "/people")


def _urls(world: World) -> list[str]:
    ref = world.cases["A"].ref
    return [f"/api/v1/cases/{ref}{tail}" for tail in CASE_ROUTES]


def _fire(client: TestClient, world: World, headers: dict[str, str]) -> int:
    case = world.cases["A"]
    response = client.post(
        f"/api/v1/cases/{case.ref}/triggers/decide_to_review",
        headers=headers,
        json={"expected_version": case.version, "reason": "Criteria met"},
    )
    return response.status_code


def _events(world: World) -> int:
    with world.ctx.reader() as uow:
        return len(uow.session.exec(select(AuditEvent.id)).all())


def _set_user(world: World, username: str, **values: object) -> None:
    with world.ctx.uow() as uow:
        user = uow.session.get(User, world.ref.users[username].id)
        assert user is not None
        for name, value in values.items():
            setattr(user, name, value)
        uow.session.add(user)
        uow.commit()


def test_deactivated_account__remembered_token_refused_everywhere(any_world: World) -> None:
    world = any_world
    client = world.client()
    headers = world.headers("cspchair")
    for url in _urls(world):
        assert client.get(url, headers=headers).status_code == 200, url
    _set_user(world, "cspchair", is_active=False)
    events = _events(world)
    for url in _urls(world):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, url
        assert response.headers["www-authenticate"] == "Bearer"
    assert _fire(client, world, headers) == 401
    assert _events(world) == events  # nothing written


def test_password_change__remembered_token_refused(world: World) -> None:
    client = world.client()
    headers = world.headers("cspchair")
    assert client.get(_urls(world)[0], headers=headers).status_code == 200
    _set_user(world, "cspchair", password_hash="another-hash")
    for url in _urls(world):
        assert client.get(url, headers=headers).status_code == 401, url
    assert _fire(client, world, headers) == 401


def test_remembered_token__still_expires_and_tampering_is_refused(world: World) -> None:
    client = world.client()
    headers = world.headers("officer")
    url = _urls(world)[0]
    assert client.get(url, headers=headers).status_code == 200
    token = headers["Authorization"].removeprefix("Bearer ")
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, token + "x", token.rsplit(".", 1)[0] + ".", "garbage"):
        assert client.get(url, headers={"Authorization": f"Bearer {bad}"}).status_code == 401
    world.ctx.clock.advance(minutes=world.ctx.settings.token_minutes + 1)  # type: ignore[attr-defined]
    assert client.get(url, headers=headers).status_code == 401
    assert _fire(client, world, headers) == 401


def test_remembered_signature__only_for_the_same_secret(world: World) -> None:
    user = world.ref.users["officer"]
    now = world.ctx.clock.now()
    token, _ = issue_token(
        user_id=user.id, password_hash=user.password_hash, secret="s" * 40, now=now, minutes=30
    )
    assert read_token(token, secret="s" * 40, now=now).user_id == user.id
    with pytest.raises(Unauthenticated):
        read_token(token, secret="t" * 40, now=now)
    with pytest.raises(Unauthenticated):
        read_token(token, secret="s" * 40, now=now + timedelta(minutes=31))


def test_csp_scope__read_with_the_account_on_every_request(any_world: World) -> None:
    world = any_world
    client = world.client()
    headers = world.headers("officer")  # a CSP officer, member of no case: sees cases by partnership
    with world.ctx.uow() as uow:
        other = Csp(slug="elsewhere", name="Elsewhere Community Safety Partnership")
        uow.session.add(other)
        uow.commit()
        other_id = other.id
    url = f"/api/v1/cases/{world.cases['B'].ref}"
    assert client.get(url, headers=headers).status_code == 200
    _set_user(world, "officer", csp_id=other_id)
    events = _events(world)
    assert client.get(url, headers=headers).status_code == 404
    assert client.get(f"{url}/timeline", headers=headers).status_code == 404
    assert _fire(client, world, headers) == 404  # case A is of the demo partnership too
    assert _events(world) == events
    listed = client.get("/api/v1/cases", headers=headers).json()
    assert listed["total"] == 0
    _set_user(world, "officer", csp_id=None)  # not tied to a partnership: every case
    assert client.get(url, headers=headers).status_code == 200


def test_actor_without_its_csp__policy_reads_the_account(world: World) -> None:
    """Actors built elsewhere (web, CLI) carry no CSP: the policy still reads it from the account."""
    user = world.ref.users["officer"]
    bare = Actor(user_id=user.id, global_roles=frozenset({Role.CSP_OFFICER}))
    with world.ctx.uow() as uow:
        other = Csp(slug="elsewhere", name="Elsewhere Community Safety Partnership")
        uow.session.add(other)
        uow.commit()
        other_id = other.id
    carried = Actor.for_user(
        user_id=user.id, global_roles=["csp_officer"], agency_id=None, label="x", csp_id=other_id
    )
    with world.ctx.reader() as uow:
        case = uow.session.exec(select(Case).where(Case.id == world.cases["B"].id)).one()
        assert policy.can_view_case(uow.session, bare, case)  # read: the demo partnership
        assert not policy.can_view_case(uow.session, carried, case)  # carried: another one
        with pytest.raises(CaseNotFound):
            policy.require_case_access(uow.session, carried, case)


def test_stale_account__401_before_what_is_wrong_with_the_request(world: World) -> None:
    """The account is read after FastAPI checks the path and body, yet a stale one still comes first."""
    client = world.client()
    headers = world.headers("cspchair")
    ref = world.cases["A"].ref
    bad = {
        "long ref": lambda: client.get(f"/api/v1/cases/{'X' * 41}", headers=headers),
        "bad page": lambda: client.get(f"/api/v1/cases/{ref}/timeline?limit=0", headers=headers),
        "bad body": lambda: client.post(
            f"/api/v1/cases/{ref}/triggers/decide_to_review", headers=headers, json={"reason": 1}
        ),
    }
    for name, send in bad.items():
        assert send().status_code == 422, name  # a live account: what is wrong with the request
    _set_user(world, "cspchair", is_active=False)
    for name, send in bad.items():
        response = send()
        assert response.status_code == 401, name
        assert response.json()["detail"][0]["code"] == "not_authenticated"
        assert response.headers["www-authenticate"] == "Bearer"
