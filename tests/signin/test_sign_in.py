"""Sign-in, tokens and the lockout: wrong, expired, tampered and revoked tokens are 401;
repeated wrong passwords slow and then lock the account at the address they come from (the rest of
the lockout by address: test_lockout_by_source.py); passwords and tokens never appear in logs or in
any response but the one that issues the token."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from fastapi.testclient import TestClient

from dhr_engine.auth.tokens import issue_token
from dhr_engine.demo.builder import DEMO_PASSWORD
from dhr_engine.signin import service as lockout
from tests.api.scenario import World

TOKEN_URL = "/api/v1/auth/token"


def sign_in(client: TestClient, username: str, password: str):
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def test_sign_in__token_works_and_expires(world: World) -> None:
    client = world.client()
    response = sign_in(client, "officer", DEMO_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == world.ctx.settings.token_minutes * 60
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["username"] == "officer"
    world.ctx.clock.advance(minutes=world.ctx.settings.token_minutes - 1)  # type: ignore[attr-defined]
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    world.ctx.clock.advance(minutes=2)  # type: ignore[attr-defined]
    expired = client.get("/api/v1/auth/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["detail"][0]["code"] == "not_authenticated"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "00000000-0000-0000-0000-000000000001"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_bad_tokens__401(world: World) -> None:
    client = world.client()
    good = world.headers("officer")["Authorization"].removeprefix("Bearer ")
    user = world.ref.users["officer"]
    other_secret, _ = issue_token(
        user_id=user.id,
        password_hash=user.password_hash,
        secret="x" * 40,
        now=world.ctx.clock.now(),
        minutes=30,
    )
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    for bad in ("garbage", "a.b.c", _tamper(good), other_secret, flipped, ""):
        response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_password_reset__ends_old_tokens(world: World) -> None:
    client = world.client()
    old = world.headers("police.author")
    response = client.put(
        f"/api/v1/users/{world.ref.users['police.author'].id}/password",
        headers=world.headers("admin"),
        json={"password": "A-Fresh-Password-9"},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401
    assert sign_in(client, "police.author", DEMO_PASSWORD).status_code == 401
    assert sign_in(client, "police.author", "A-Fresh-Password-9").status_code == 200


def test_weak_password__422_names_the_field_and_never_echoes_it(world: World) -> None:
    client = world.client()
    response = client.put(
        f"/api/v1/users/{world.ref.users['police.author'].id}/password",
        headers=world.headers("admin"),
        json={"password": "weakpass"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "password"
    assert "weakpass" not in response.text


def test_inactive_user__cannot_sign_in_and_token_stops_working(world: World) -> None:
    client = world.client()
    headers = world.headers("council.author")
    user_id = world.ref.users["council.author"].id
    off = client.patch(f"/api/v1/users/{user_id}", headers=world.headers("admin"), json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert sign_in(client, "council.author", DEMO_PASSWORD).status_code == 401


def test_lockout__slowed_after_three_then_locked_after_five(world: World) -> None:
    client = world.client()
    clock = world.ctx.clock
    codes = []
    for _ in range(3):
        codes.append(sign_in(client, "chair", "wrong-password").status_code)
    assert codes == [401, 401, 401]
    # Third failure: the next attempt must wait, even with the right password.
    slowed = sign_in(client, "chair", DEMO_PASSWORD)
    assert slowed.status_code == 429
    assert slowed.json()["detail"][0]["code"] == "too_many_attempts"
    assert int(slowed.headers["retry-after"]) >= 1
    clock.advance(seconds=3)  # type: ignore[attr-defined]
    assert sign_in(client, "chair", "wrong-password").status_code == 401  # the fourth
    clock.advance(seconds=5)  # type: ignore[attr-defined]
    locked = sign_in(client, "chair", "wrong-password")  # the fifth locks the account
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= lockout.LOCK_MINUTES * 60 - 1
    clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert sign_in(client, "chair", DEMO_PASSWORD).status_code == 429  # still locked
    clock.advance(minutes=lockout.LOCK_MINUTES)  # type: ignore[attr-defined]
    assert sign_in(client, "chair", DEMO_PASSWORD).status_code == 200
    # A success clears the count: one more wrong password is an ordinary 401.
    assert sign_in(client, "chair", "wrong-password").status_code == 401
    assert sign_in(client, "chair", DEMO_PASSWORD).status_code == 200


def test_admin_unlocks_a_locked_account(world: World) -> None:
    client = world.client()
    for _ in range(lockout.MAX_FAILURES):
        sign_in(client, "author", "wrong-password")
        world.ctx.clock.advance(seconds=10)  # type: ignore[attr-defined]
    assert sign_in(client, "author", DEMO_PASSWORD).status_code == 429
    listed = client.get("/api/v1/users?limit=200", headers=world.headers("admin")).json()["items"]
    assert next(u for u in listed if u["username"] == "author")["locked"] is True
    user_id = world.ref.users["author"].id
    assert (
        client.patch(
            f"/api/v1/users/{user_id}", headers=world.headers("admin"), json={"unlock": True}
        ).status_code
        == 200
    )
    assert sign_in(client, "author", DEMO_PASSWORD).status_code == 200


def test_unknown_user__same_answer_as_wrong_password(world: World) -> None:
    client = world.client()
    unknown = sign_in(client, "nobody", "whatever-password")
    wrong = sign_in(client, "officer", "whatever-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_passwords_and_tokens_never_logged_or_returned(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = world.client()
    secret_password = "Not-The-Password-123"
    bodies = [sign_in(client, "officer", secret_password).text]
    response = sign_in(client, "officer", DEMO_PASSWORD)
    token = response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    ref = world.cases["A"].ref
    for path in (
        "/api/v1/auth/me",
        "/api/v1/cases",
        f"/api/v1/cases/{ref}",
        f"/api/v1/cases/{ref}/timeline",
        "/api/v1/users",
    ):
        bodies.append(client.get(path, headers=headers).text)
    bodies.append(
        client.post(
            "/api/v1/users",
            headers=world.headers("admin"),
            json={"username": "x", "display_name": "X", "password": secret_password},
        ).text
    )
    bodies.append(client.post(TOKEN_URL, data={"username": "officer"}).text)  # 422: missing password
    bodies.append(client.post(TOKEN_URL, data={"password": secret_password}).text)  # 422: missing username
    bodies.append(client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}x"}).text)
    for body in bodies:
        assert token not in body
        assert secret_password not in body and DEMO_PASSWORD not in body
        assert "password_hash" not in body and "$argon2" not in body
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert token not in logged
    assert secret_password not in logged and DEMO_PASSWORD not in logged
