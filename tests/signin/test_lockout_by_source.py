"""The lockout counts wrong passwords per address: an outsider cannot lock someone else out, an
address spraying many accounts is slowed and then made to wait, an unknown name is treated exactly
as an account, and the messages are plain and never say whether a name exists."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from dhr_engine.bootstrap import build_context
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DEMO_PASSWORD, Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.tables_signin import SignInRecord
from dhr_engine.signin import service as lockout
from dhr_engine.signin.service import client_address, source_key
from tests.api.scenario import USERS, World
from tests.signin.support import Clients, api_sign_in, web_sign_in

OUTSIDER = "203.0.113.66"
OFFICE = "198.51.100.10"
WRONG = "Not-The-Password-1"
LOCKED_MESSAGE = "Too many attempts from this device: wait 15 minutes and try again"


def test_five_wrong_passwords_for_admin_from_one_address__do_not_stop_admin_elsewhere(world: World) -> None:
    clients = Clients(world.ctx)
    outsider, office = clients.at(OUTSIDER), clients.at(OFFICE)
    codes = []
    for _ in range(lockout.MAX_FAILURES):
        codes.append(api_sign_in(outsider, "admin", WRONG).status_code)
        world.ctx.clock.advance(seconds=5)  # type: ignore[attr-defined]  # past each short wait
    assert codes == [401, 401, 401, 401, 429]  # the fifth brings on the wait, from this address only
    refused = api_sign_in(outsider, "admin", DEMO_PASSWORD)  # even the right password waits there
    assert refused.status_code == 429
    assert (
        refused.json()["detail"][0]["msg"]
        == "Too many attempts from this device: wait 15 minutes and try again"
    )
    assert api_sign_in(office, "admin", DEMO_PASSWORD).status_code == 200  # the owner, elsewhere
    assert web_sign_in(office, "admin", DEMO_PASSWORD).status_code == 303
    # The administrator's own account list does not show it locked for everyone, only waiting somewhere.
    listed = office.get("/api/v1/users?limit=200", headers=world.headers("admin")).json()["items"]
    assert next(u for u in listed if u["username"] == "admin")["locked"] is True
    world.ctx.clock.advance(minutes=lockout.LOCK_MINUTES)  # type: ignore[attr-defined]
    assert api_sign_in(outsider, "admin", DEMO_PASSWORD).status_code == 200


def test_one_address_spraying_ten_accounts__is_slowed_then_made_to_wait(world: World) -> None:
    clients = Clients(world.ctx)
    sprayer, office = clients.at(OUTSIDER), clients.at(OFFICE)
    names = [u for u in USERS if u != "officer"][:10]
    assert len(names) == 10
    for name in names:  # one wrong password each: no account is near its own limit
        assert api_sign_in(sprayer, name, WRONG).status_code == 401
    slowed = api_sign_in(sprayer, "officer", DEMO_PASSWORD)  # the right password, another account
    assert slowed.status_code == 429
    assert (
        slowed.json()["detail"][0]["msg"]
        == "Too many attempts from this device: wait 2 seconds and try again"
    )
    assert slowed.headers["retry-after"] == "2"
    page = web_sign_in(sprayer, "officer", DEMO_PASSWORD)
    assert page.status_code == 400 and "Too many attempts from this device" in page.text
    assert api_sign_in(office, "officer", DEMO_PASSWORD).status_code == 200  # nobody else waits
    # Each further wrong password from the address (a new name each time) makes it wait longer,
    # up to a minute, and then 15 minutes.
    waits = []
    for n in range(lockout.SOURCE_MAX_FAILURES - lockout.SOURCE_SLOW_AFTER):
        world.ctx.clock.advance(seconds=lockout.SOURCE_MAX_WAIT + 1)  # type: ignore[attr-defined]
        answer = lockout.check_sign_in(world.ctx, f"nobody-{n}", WRONG, source=OUTSIDER, interface="api")
        assert answer.outcome == "unknown_name"
        waits.append(answer.retry_after)
    assert waits[:6] == [4, 8, 16, 32, 60, 60] and waits[-1] == lockout.LOCK_MINUTES * 60
    world.ctx.clock.advance(minutes=lockout.LOCK_MINUTES - 1)  # type: ignore[attr-defined]
    locked = api_sign_in(sprayer, "officer", DEMO_PASSWORD)
    assert locked.status_code == 429
    assert (
        locked.json()["detail"][0]["msg"] == "Too many attempts from this device: wait 1 minute and try again"
    )
    world.ctx.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert api_sign_in(sprayer, "officer", DEMO_PASSWORD).status_code == 200


def test_an_unknown_name__is_slowed_and_locked_exactly_as_an_account(world: World) -> None:
    """Otherwise the sixth attempt would tell whether the name exists."""
    clients = Clients(world.ctx)
    answers: dict[str, list[tuple[int, str, str]]] = {}
    for name, address in (("officer", "192.0.2.10"), ("not-an-account", "192.0.2.11")):
        client = clients.at(address)
        answers[name] = []
        for _ in range(lockout.MAX_FAILURES + 1):
            response = api_sign_in(client, name, WRONG)
            answers[name].append(
                (response.status_code, response.text, response.headers.get("retry-after", ""))
            )
            world.ctx.clock.advance(seconds=5)  # type: ignore[attr-defined]
        world.ctx.clock.advance(seconds=-5 * (lockout.MAX_FAILURES + 1))  # type: ignore[attr-defined]
    assert answers["officer"] == answers["not-an-account"]
    assert [code for code, _, _ in answers["officer"]] == [401, 401, 401, 401, 429, 429]
    for _, text, _ in answers["officer"]:
        assert "officer" not in text and "account" not in text.lower()


def test_x_forwarded_for__believed_only_from_a_trusted_proxy() -> None:
    assert client_address("203.0.113.5", ["198.51.100.1"]) == "203.0.113.5"  # no proxy is trusted
    assert client_address("203.0.113.5", ["198.51.100.1"], "10.0.0.0/8") == "203.0.113.5"
    trusted = "10.0.0.5, 10.1.0.0/16"
    assert client_address("10.0.0.5", ["198.51.100.1"], trusted) == "198.51.100.1"
    # A client's own X-Forwarded-For is on the left: the nearest untrusted hop is the client.
    assert client_address("10.0.0.5", ["6.6.6.6, 198.51.100.1, 10.1.2.3"], trusted) == "198.51.100.1"
    assert client_address("10.0.0.5", ["6.6.6.6", "198.51.100.1"], trusted) == "198.51.100.1"
    assert client_address("10.0.0.5", ["not-an-address"], trusted) == "10.0.0.5"
    assert client_address("10.0.0.5", [], trusted) == "10.0.0.5"
    assert client_address(None) == "unknown address"
    assert client_address("x" * 200) == "unknown address"
    assert source_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"  # one /64 is one source
    assert source_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert source_key("192.0.2.1") == "192.0.2.1"


def test_x_forwarded_for__from_an_untrusted_peer_changes_nothing(world: World) -> None:
    client = Clients(world.ctx).at(OUTSIDER)
    for n in range(lockout.MAX_FAILURES):  # a new made-up address each time: still one source
        client.post(
            "/api/v1/auth/token",
            data={"username": "admin", "password": WRONG},
            headers={"X-Forwarded-For": f"192.0.2.{n + 1}"},
        )
    assert api_sign_in(client, "admin", DEMO_PASSWORD).status_code == 429
    with world.ctx.reader() as uow:
        sources = set(uow.session.exec(select(SignInRecord.source)).all())
    assert sources == {OUTSIDER}


def test_behind_a_trusted_proxy__each_client_is_its_own_source(lite: AppContext, lite_ref: Reference) -> None:
    settings = lite.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    ctx = build_context(settings, clock=lite.clock)
    try:
        proxy = Clients(ctx).at("127.0.0.1")

        def attempt(client_ip: str, password: str) -> int:
            return proxy.post(
                "/api/v1/auth/token",
                data={"username": "admin", "password": password},
                headers={"X-Forwarded-For": client_ip},
            ).status_code

        for _ in range(lockout.MAX_FAILURES):
            attempt("198.51.100.20", WRONG)
        assert attempt("198.51.100.20", DEMO_PASSWORD) == 429
        assert attempt("198.51.100.21", DEMO_PASSWORD) == 200
    finally:
        ctx.engine.dispose()


@pytest.fixture
def second_process(ctx: AppContext, clock: FakeClock) -> Iterator[AppContext]:
    """Another context on the same database, as another process would have."""
    other = build_context(ctx.settings, clock=clock)
    yield other
    other.engine.dispose()


def test_the_lockout_holds_across_processes(
    ctx: AppContext, ref: Reference, second_process: AppContext, clock: FakeClock
) -> None:
    for _ in range(lockout.MAX_FAILURES):
        assert lockout.check_sign_in(ctx, "officer", WRONG, source=OUTSIDER, interface="api").outcome == (
            "wrong_password"
        )
        clock.advance(seconds=5)  # past each short wait
    refused = lockout.check_sign_in(
        second_process, "officer", DEMO_PASSWORD, source=OUTSIDER, interface="api"
    )
    assert refused.refused and refused.outcome == "locked" and refused.problem == LOCKED_MESSAGE
    assert lockout.check_sign_in(second_process, "officer", DEMO_PASSWORD, source=OFFICE, interface="web").ok


def test_attempts_sent_at_once__are_not_all_heard(ctx: AppContext, ref: Reference) -> None:
    """Each attempt is counted before its password is checked, so however the attempts interleave,
    no more than MAX_FAILURES of them reach argon2 before the lock."""
    attempts = lockout.MAX_FAILURES + 3
    start = threading.Barrier(attempts)
    results: list[lockout.SignInResult] = []
    failed: list[BaseException] = []

    def attempt() -> None:
        try:
            start.wait(timeout=60)
            results.append(lockout.check_sign_in(ctx, "officer", WRONG, source=OUTSIDER, interface="api"))
        except BaseException as err:  # reported by the assertion below
            failed.append(err)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failed and len(results) == attempts
    heard = [r for r in results if r.outcome == "wrong_password"]
    assert 1 <= len(heard) <= lockout.MAX_FAILURES
    with ctx.reader() as uow:
        recorded = uow.session.exec(select(SignInRecord.outcome).order_by(col(SignInRecord.at))).all()
    assert len(recorded) == attempts  # every attempt is recorded, heard or not
