"""Every sign-in attempt (web and API) and every sign-out is recorded with its outcome, address,
interface and time; an unknown name is never kept. The administrator reads the records on a page,
through the API and on the command line; nobody else may; nothing of it reaches the ordinary logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlmodel import col, select
from typer.testing import CliRunner

from dhr_engine.console import app as dhr
from dhr_engine.demo.builder import DEMO_PASSWORD
from dhr_engine.persistence.tables_signin import SignInRecord
from dhr_engine.signin import pages as signin_pages
from tests.api.scenario import USERS, World
from tests.signin.support import Clients, api_sign_in, csrf_of, web_sign_in

HOME = "198.51.100.30"
AWAY = "203.0.113.40"
UNKNOWN = "fiona.family-secret"  # a name typed that is no account's: it must never be kept
WRONG = "Not-The-Password-1"
SIGN_INS = "/api/v1/admin/sign-ins"


def _attempts(world: World) -> None:
    """Sign-ins of every kind, through both interfaces, a minute apart."""
    clients = Clients(world.ctx)
    home, away = clients.at(HOME), clients.at(AWAY)
    clock = world.ctx.clock
    steps = [
        lambda: api_sign_in(home, "officer", DEMO_PASSWORD),  # 12:00 signed in (API)
        lambda: api_sign_in(away, "officer", WRONG),  # 12:01 wrong password (API)
        lambda: api_sign_in(away, UNKNOWN, WRONG),  # 12:02 unknown name (API)
        lambda: web_sign_in(home, "chair", WRONG),  # 12:03 wrong password (web)
        lambda: web_sign_in(home, "chair", DEMO_PASSWORD),  # 12:04 signed in (web)
        lambda: home.post("/sign-out", data={"csrf_token": csrf_of(home.get("/").text)}),  # 12:05
        lambda: web_sign_in(away, UNKNOWN, WRONG),  # 12:06 unknown name (web)
    ]
    for step in steps:
        step()
        clock.advance(minutes=1)  # type: ignore[attr-defined]


EXPECTED = [  # newest first: (outcome, interface, source, username)
    ("unknown_name", "web", AWAY, ""),
    ("signed_out", "web", HOME, "chair"),
    ("signed_in", "web", HOME, "chair"),
    ("wrong_password", "web", HOME, "chair"),
    ("unknown_name", "api", AWAY, ""),
    ("wrong_password", "api", AWAY, "officer"),
    ("signed_in", "api", HOME, "officer"),
]


def test_records__written_for_web_and_api_and_sign_out__unknown_names_never_kept(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _attempts(world)
    with world.ctx.reader() as uow:
        rows = uow.session.exec(
            select(SignInRecord).order_by(col(SignInRecord.at).desc(), col(SignInRecord.id).desc())
        ).all()
        every_value = " ".join(
            str(value)
            for row in uow.session.connection().execute(text("SELECT * FROM sign_in_record"))
            for value in row
        ) + " ".join(
            str(value)
            for row in uow.session.connection().execute(text("SELECT * FROM sign_in_lock"))
            for value in row
        )
    assert [(r.outcome, r.interface, r.source, r.username) for r in rows] == EXPECTED
    assert [r.user_id is None for r in rows] == [u == "" for *_, u in EXPECTED]
    assert rows[-1].user_id == world.ref.users["officer"].id
    assert UNKNOWN not in every_value  # neither in the records nor in the lockout's counts
    # Kept out of the ordinary logs: no attempt, name, address or outcome is logged.
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in (UNKNOWN, "officer", "chair", HOME, AWAY, WRONG, "wrong_password", "unknown_name"):
        assert secret not in logged, secret


def test_admin_reads_them__page_newest_first_dated_plainly_and_paged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _attempts(world)
    admin = Clients(world.ctx).at(HOME)
    assert web_sign_in(admin, "admin", DEMO_PASSWORD).status_code == 303  # 12:07, the eighth
    index = admin.get("/admin")
    assert 'href="/admin/sign-ins"' in index.text  # linked from the administration page
    page = admin.get("/admin/sign-ins")
    assert page.status_code == 200
    html = page.text
    order = [
        html.index("25 November 2026 at 12:07"),
        html.index("25 November 2026 at 12:06"),
        html.index("25 November 2026 at 12:00"),
    ]
    assert order == sorted(order)  # newest first
    for label in ("Signed in", "Wrong password", "Unknown name", "Signed out", "Web page", "API", AWAY):
        assert label in html, label
    assert UNKNOWN not in html and "wrong_password" not in html and "2026-11-25" not in html
    monkeypatch.setattr(signin_pages, "PER_PAGE", 3)
    first = admin.get("/admin/sign-ins").text
    assert "page 1 of 3" in first and 'href="/admin/sign-ins?page=2"' in first
    last = admin.get("/admin/sign-ins?page=3").text
    assert "25 November 2026 at 12:01" in last and "25 November 2026 at 12:00" in last
    assert "25 November 2026 at 12:02" not in last
    one = admin.get("/admin/sign-ins?user=chair").text
    assert "3 records for this account" in one
    assert admin.get("/admin/sign-ins?page=0").status_code == 400
    assert "there is no user" in admin.get("/admin/sign-ins?user=nobody").text.lower()


def test_admin_reads_them__api_newest_first_and_paged(world: World) -> None:
    _attempts(world)
    client = world.client()
    body = client.get(f"{SIGN_INS}?limit=2", headers=world.headers("admin")).json()
    assert body["total"] == len(EXPECTED) and body["limit"] == 2
    newest = body["items"][0]
    assert newest["outcome"] == "unknown_name" and newest["username"] is None and newest["user_id"] is None
    assert newest["when"] == "25 November 2026 at 12:06" and newest["outcome_label"] == "Unknown user name"
    assert newest["source"] == AWAY and newest["interface"] == "web"
    rest = client.get(f"{SIGN_INS}?limit=50&offset=2", headers=world.headers("admin")).json()["items"]
    assert [(i["outcome"], i["interface"], i["source"], i["username"] or "") for i in rest] == EXPECTED[2:]
    chair = client.get(f"{SIGN_INS}?user=chair", headers=world.headers("admin")).json()
    assert chair["total"] == 3 and {i["username"] for i in chair["items"]} == {"chair"}
    unknown = client.get(f"{SIGN_INS}?user=nobody", headers=world.headers("admin"))
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "user"
    operation = client.get("/openapi.json").json()["paths"][SIGN_INS]["get"]
    assert operation["summary"] == "Sign-in records"


def test_admin_reads_them__command_line(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _attempts(world)
    monkeypatch.setenv("DHR_DATABASE_URL", world.ctx.settings.database_url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    shown = runner.invoke(dhr, ["user", "sign-ins"])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert out.index("25 November 2026 at 12:06") < out.index("25 November 2026 at 12:00")
    for label in ("Unknown name", "Wrong password", "Signed out", AWAY, "Web page", "API"):
        assert label in out, label
    assert UNKNOWN not in out
    chair = runner.invoke(dhr, ["user", "sign-ins", "--user", "chair", "--limit", "1"])
    assert chair.exit_code == 0 and "Signed out" in chair.output and "Signed in" not in chair.output
    as_admin = runner.invoke(dhr, ["user", "sign-ins", "--as", "admin"])
    assert as_admin.exit_code == 0


def test_api__only_the_administrator_may_read_them(world: World) -> None:
    client = world.client()
    answers = {name: client.get(SIGN_INS, headers=world.headers(name)).status_code for name in USERS}
    assert {name for name, status in answers.items() if status == 200} == {"admin"}
    assert {status for name, status in answers.items() if name != "admin"} == {403}
    assert client.get(SIGN_INS).status_code == 401


@pytest.mark.parametrize("username", ["officer", "cspchair", "chair", "police.author"])
def test_nobody_else_may_read_them(world: World, username: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _attempts(world)
    client = world.client()
    assert client.get(SIGN_INS, headers=world.headers(username)).status_code == 403
    browser = Clients(world.ctx).at(HOME)
    assert web_sign_in(browser, username, DEMO_PASSWORD).status_code == 303
    refused = browser.get("/admin/sign-ins")
    assert refused.status_code == 403 and "You cannot do this" in refused.text
    assert AWAY not in refused.text
    assert 'href="/admin/sign-ins"' not in browser.get("/admin").text
    monkeypatch.setenv("DHR_DATABASE_URL", world.ctx.settings.database_url)
    cli = CliRunner().invoke(dhr, ["user", "sign-ins", "--as", username])
    assert cli.exit_code == 2 and AWAY not in cli.output


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    reply = Clients(world.ctx).at(HOME).get("/admin/sign-ins")
    assert reply.status_code == 303 and reply.headers["location"].startswith("/sign-in?next=")
