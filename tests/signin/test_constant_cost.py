"""Finding 3 (user-name enumeration by timing): a sign-in with an unknown name, or for a disabled
account, pays for exactly the argon2 check a known name pays for, through the API and the web form.

No timing: a spy on argon2's verifier counts the checks and reads the parameters of the hash each
is made against (memory, passes, lanes), which is what the cost is."""

from __future__ import annotations

from collections.abc import Callable

import argon2
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col

from dhr_engine.auth.passwords import hash_password
from dhr_engine.persistence.tables import User
from dhr_engine.signin import service
from tests.api.scenario import World
from tests.signin.support import Clients, api_sign_in, web_sign_in

WRONG = "Not-The-Password-1"


def _parameters(encoded: str) -> str:
    """ "$argon2id$v=19$m=65536,t=3,p=4$salt$hash" -> "argon2id v=19 m=65536,t=3,p=4"."""
    kind, version, params = encoded.split("$")[1:4]
    return f"{kind} {version} {params}"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parameters of every hash argon2 verifies a password against, in order."""
    seen: list[str] = []
    real = argon2.PasswordHasher.verify

    def spy(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        seen.append(_parameters(hash if isinstance(hash, str) else hash.decode()))
        return real(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
    return seen


def _disable(world: World, username: str) -> None:
    with world.ctx.uow() as uow:
        uow.session.exec(update(User).where(col(User.username) == username).values(is_active=False))
        uow.commit()


SignIn = Callable[[TestClient, str, str], httpx.Response]


@pytest.mark.parametrize("sign_in", [api_sign_in, web_sign_in], ids=["api", "web"])
def test_unknown_and_disabled_names__cost_one_real_argon2_check_as_a_known_name_does(
    world: World, checks: list[str], sign_in: SignIn
) -> None:
    _disable(world, "council.author")
    clients = Clients(world.ctx)
    real = _parameters(hash_password("Any-Password-123"))
    answers = {}
    for name, address in (
        ("officer", "192.0.2.1"),  # known, wrong password
        ("no-such-user", "192.0.2.2"),  # unknown
        ("council.author", "192.0.2.3"),  # known but disabled
    ):
        before = len(checks)
        response = sign_in(clients.at(address), name, WRONG)
        assert len(checks) == before + 1, f"{name}: {len(checks) - before} argon2 checks, not 1"
        assert checks[-1] == real, name  # the same memory, passes and lanes as a real hash
        assert service.WRONG in response.text, name
        answers[name] = response.status_code
    assert answers["officer"] == answers["no-such-user"] == answers["council.author"]


def test_an_account_without_a_password__costs_the_same_check(world: World, checks: list[str]) -> None:
    with world.ctx.uow() as uow:
        uow.session.exec(update(User).where(col(User.username) == "panel").values(password_hash=""))
        uow.commit()
    api_sign_in(Clients(world.ctx).at("192.0.2.4"), "panel", WRONG)
    assert checks == [_parameters(hash_password("Any-Password-123"))]


def test_the_decoy_hash__is_made_once_per_process_with_the_real_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service.decoy_hash.cache_clear()
    made: list[str] = []
    real_hash = service.hash_password

    def counting(password: str) -> str:
        made.append(password)
        return real_hash(password)

    monkeypatch.setattr(service, "hash_password", counting)
    first = service.decoy_hash()
    assert service.decoy_hash() == first and len(made) == 1  # lazily, once
    assert _parameters(first) == _parameters(hash_password("Any-Password-123"))
    assert not service.verify_password("", first) and not service.verify_password(made[0] + "x", first)
    service.decoy_hash.cache_clear()
