"""Sign-in, session and CSRF of the web pages, over HTTP against the real server (no browser)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from dhr_engine.demo.builder import DEMO_PASSWORD
from dhr_engine.persistence.case_lookup import get_case
from tests.web.conftest import Server, signed_in, token


def test_pages_need_sign_in__redirect_keeps_the_target(anon: httpx.Client) -> None:
    reply = anon.get("/cases/DHR-2026-003")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/sign-in?next=%2Fcases%2FDHR-2026-003"


def test_sign_in__without_csrf_token_is_refused(anon: httpx.Client) -> None:
    anon.get("/sign-in")
    reply = anon.post("/sign-in", data={"username": "officer", "password": DEMO_PASSWORD})
    assert reply.status_code == 403
    assert "security token" in reply.text
    assert anon.get("/").status_code == 303  # still signed out


def test_sign_in__wrong_password_keeps_user_name_and_shows_error_summary(anon: httpx.Client) -> None:
    page = anon.get("/sign-in")
    reply = anon.post(
        "/sign-in",
        data={"csrf_token": token(page.text), "username": "officer", "password": "wrong-Password-1"},
    )
    assert reply.status_code == 400
    assert "govuk-error-summary" in reply.text and 'href="#f-username"' in reply.text
    assert 'value="officer"' in reply.text
    assert "wrong-Password-1" not in reply.text  # a password is never echoed back
    assert "<title>Error: Sign in" in reply.text


def test_sign_in__repeated_wrong_passwords_slow_then_lock_the_account(
    anon: httpx.Client, server: Server
) -> None:
    for _ in range(5):
        page = anon.get("/sign-in")
        anon.post(
            "/sign-in",
            data={"csrf_token": token(page.text), "username": "panel", "password": "Nope-nope-123"},
        )
    page = anon.get("/sign-in")
    reply = anon.post(
        "/sign-in", data={"csrf_token": token(page.text), "username": "panel", "password": DEMO_PASSWORD}
    )
    assert reply.status_code == 400
    assert (
        "Too many attempts" in reply.text
    )  # slowed, then locked (auth.lockout); the right password waits too


def test_sign_in__next_never_leaves_the_site(anon: httpx.Client) -> None:
    page = anon.get("/sign-in?next=//evil.example/")
    reply = anon.post(
        "/sign-in",
        data={
            "csrf_token": token(page.text),
            "username": "officer",
            "password": DEMO_PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert reply.headers["location"] == "/"


def test_session_token_changes_at_sign_in(anon: httpx.Client) -> None:
    client = anon
    before = token(client.get("/sign-in").text)
    client.post("/sign-in", data={"csrf_token": before, "username": "officer", "password": DEMO_PASSWORD})
    after = token(client.get("/").text)
    assert after != before


def test_form_post_without_csrf_token_changes_nothing(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    client = signed_in(clients, "cspchair")
    reply = client.post("/cases/DHR-2026-003/actions/decide_to_review", data={"reason": "no token"})
    assert reply.status_code == 403
    forged = client.post(
        "/cases/DHR-2026-003/actions/decide_to_review", data={"reason": "forged", "csrf_token": "x" * 43}
    )
    assert forged.status_code == 403
    with server.ctx.reader() as uow:
        assert get_case(uow.session, ref="DHR-2026-003").stage == "decision_pending"


def test_tampered_session_cookie_is_ignored(server: Server, clients: Callable[[], httpx.Client]) -> None:
    client = signed_in(clients, "officer")
    cookie = client.cookies.get("dhr_session")
    assert cookie
    client.cookies.set("dhr_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/").status_code == 303


def test_agency_user_cannot_see_a_case_of_another_agency__not_found(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    client = signed_in(clients, "police.author")
    assert client.get("/cases/DHR-2026-003").status_code == 404  # not a member: not told it exists
    listing = client.get("/cases").text
    assert "DHR-2026-003" not in listing
    assert "DHR-2026-004" in listing  # the Dawn review, where the police are members


def test_agency_user_sees_only_own_agency_returns(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    client = signed_in(clients, "police.author")
    text = client.get("/returns").text
    assert "Northmoor Police" in text
    assert "Northmoor Hospitals" not in text and "Adult Social Care" not in text
    family = client.get("/cases/DHR-2026-004/family")
    assert family.status_code == 403


def test_sign_out_ends_the_session(server: Server, clients: Callable[[], httpx.Client]) -> None:
    client = signed_in(clients, "officer")
    page = client.get("/")
    reply = client.post("/sign-out", data={"csrf_token": token(page.text)})
    assert reply.status_code == 303
    assert client.get("/").status_code == 303
