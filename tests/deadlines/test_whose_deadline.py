"""Deadlines say whose they are: two agencies asked for a chronology, each return's deadline names
its agency on the case page, the dashboard, the history, the API and the CLI; `dhr deadlines
explain --agency` picks one; an agency user sees only their own agency's deadline (none of the
other agency's, none of the CSP's own) on every page, in the API and in the CLI."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dhr_engine.auth import policy
from dhr_engine.auth.tokens import issue_token
from dhr_engine.bootstrap.app import create_app
from dhr_engine.cases.queries import clock_views, history_names
from dhr_engine.console import app as cli_app
from dhr_engine.context import AppContext
from dhr_engine.deadlines import service as deadline_service
from dhr_engine.deadlines.queries import attention_for
from dhr_engine.deadlines.scheduled import sweep_all
from dhr_engine.demo.builder import DEMO_PASSWORD, Reference
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.tables import Case
from tests.returns.helpers import gathering_case, request
from tests.scheduler.helpers import noon

POLICE = "Northmoor Police"
HEALTH = "Northmoor Hospitals NHS Foundation Trust"
CHRONOLOGY = "Chronology returned"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TITLE_CELL = re.compile(r'data-testid="deadline-title">([^<]*)<')
runner = CliRunner()


@dataclass(frozen=True)
class Two:
    """A review in information gathering: the police and the hospital trust asked for a chronology."""

    ctx: AppContext
    ref: Reference
    case: Case
    police_request: uuid.UUID
    health_request: uuid.UUID


def _two(ctx: AppContext, ref: Reference) -> Two:
    case = gathering_case(ctx, ref)
    # the demo's police, hospital and council authors and managers are members of the case
    police, health = request(ctx, ref, case, "chronology", ["northmoor_police", "acute_trust"])
    with ctx.reader() as uow:
        fresh = uow.session.get_one(Case, case.id)
        uow.session.expunge(fresh)
    return Two(ctx, ref, fresh, police.id, health.id)


@pytest.fixture
def two(lite: AppContext, lite_ref: Reference, clock: FakeClock) -> Two:
    built = _two(lite, lite_ref)
    # three weeks on, the chronologies fall due within the dashboard's fortnight
    clock.advance(days=21)
    return built


def _titles(page: str) -> list[str]:
    return [html.unescape(t).strip() for t in TITLE_CELL.findall(page)]


def _chronologies(titles: list[str]) -> list[str]:
    return sorted(t for t in titles if t.startswith(CHRONOLOGY))


# --- the reads, on SQLite and PostgreSQL --------------------------------------------------------------


def test_reads_name_the_agency_and_agency_users_see_their_own(ctx: AppContext, ref: Reference) -> None:
    world = _two(ctx, ref)
    today = ctx.clock.today() + timedelta(days=21)
    with ctx.reader() as uow:
        session = uow.session
        definition = ctx.workflows.get(world.case.workflow_key, world.case.workflow_version)
        rows = deadline_service.list_for_case(session, world.case.id)
        officer = policy.require_case_access(session, ref.actor("officer"), world.case)
        police = policy.require_case_access(session, ref.actor("police.author"), world.case)
        views = clock_views(session, definition, policy.visible_deadlines(session, officer, rows), today)
        police_rows = policy.visible_deadlines(session, police, rows)
        board = attention_for(session, ref.actor("officer"), today, due_within_days=60)
        police_board = attention_for(session, ref.actor("police.author"), today, due_within_days=60)
    assert _chronologies([v.title for v in views]) == [f"{CHRONOLOGY}: {HEALTH}", f"{CHRONOLOGY}: {POLICE}"]
    assert any(v.agency is None and v.title == v.row.label for v in views)  # the case's own
    # the police author: the police chronology only, not the trust's nor the CSP's own deadlines
    assert [(r.subject_type, r.subject_id) for r in police_rows] == [("return_request", world.police_request)]
    every = board.escalated + board.overdue + board.due_soon
    assert _chronologies([i.title for i in every]) == [f"{CHRONOLOGY}: {HEALTH}", f"{CHRONOLOGY}: {POLICE}"]
    mine = police_board.escalated + police_board.overdue + police_board.due_soon
    assert [i.title for i in mine] == [f"{CHRONOLOGY}: {POLICE}"]


# --- the web pages ---------------------------------------------------------------------------------


@pytest.fixture
def browser(two: Two) -> Iterator[TestClient]:
    with TestClient(create_app(two.ctx.settings, two.ctx), follow_redirects=False) as client:
        yield client


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    form = client.get("/sign-in")
    token = TOKEN.search(form.text)
    assert token, "no CSRF token on the sign-in page"
    reply = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD}
    )
    assert reply.status_code == 303, reply.text


def test_case_page_and_dashboard_name_each_agency(two: Two, browser: TestClient) -> None:
    _sign_in(browser, "officer")
    case_page = browser.get(f"/cases/{two.case.ref}")
    assert case_page.status_code == 200
    both = [f"{CHRONOLOGY}: {HEALTH}", f"{CHRONOLOGY}: {POLICE}"]
    assert _chronologies(_titles(case_page.text)) == both
    timeline = html.unescape(case_page.text.split('id="timeline"')[1])
    assert f"<title>{CHRONOLOGY}: {POLICE}: due" in timeline
    assert f"<title>{CHRONOLOGY}: {HEALTH}: due" in timeline
    dashboard = browser.get("/")
    assert dashboard.status_code == 200
    assert _chronologies(_titles(dashboard.text)) == both


def test_agency_user_pages_show_only_their_agency(two: Two, browser: TestClient) -> None:
    _sign_in(browser, "police.author")
    case_page = browser.get(f"/cases/{two.case.ref}")
    assert case_page.status_code == 200
    assert _titles(case_page.text) == [f"{CHRONOLOGY}: {POLICE}"]
    assert HEALTH not in case_page.text.split('id="clocks"')[1].split('id="timeline"')[0]
    dashboard = browser.get("/")
    assert _titles(dashboard.text) == [f"{CHRONOLOGY}: {POLICE}"]


def test_history_names_the_agency_of_a_return_deadline_event(two: Two, clock: FakeClock) -> None:
    # the sweep's reminders carry the deadline's id, not its agency: the history finds the agency
    with two.ctx.reader() as uow:
        due = max(
            d.adjusted_due
            for d in deadline_service.list_for_case(uow.session, two.case.id)
            if d.subject_type == "return_request"
        )
    sweep_all(two.ctx, noon(clock, due))
    app = create_app(two.ctx.settings, two.ctx)
    with TestClient(app, follow_redirects=False) as client:
        _sign_in(client, "officer")
        page = html.unescape(client.get(f"/cases/{two.case.ref}").text)
    told = [line for line in page.splitlines() if "Due-day notice sent" in line]
    assert any(f"{CHRONOLOGY}: {POLICE}, due" in line for line in told), told
    assert any(f"{CHRONOLOGY}: {HEALTH}, due" in line for line in told), told
    with two.ctx.reader() as uow:
        names = history_names(uow.session, two.case.id)
    assert set(names.deadline_agencies.values()) == {POLICE, HEALTH}


# --- the API -------------------------------------------------------------------------------------


def _headers(two: Two, username: str) -> dict[str, str]:
    user = two.ref.users[username]
    token, _ = issue_token(
        user_id=user.id,
        password_hash=user.password_hash,
        secret=two.ctx.settings.secret_key,
        now=two.ctx.clock.now(),
        minutes=30,
    )
    return {"Authorization": f"Bearer {token}"}


def test_api_gives_each_deadline_its_agency(two: Two) -> None:
    two.ctx.settings.run_scheduler_in_process = False
    police_id = str(two.ref.agencies["northmoor_police"].id)
    with TestClient(create_app(two.ctx.settings, two.ctx)) as client:
        listed = client.get(
            f"/api/v1/cases/{two.case.ref}/deadlines", headers=_headers(two, "officer")
        ).json()
        agencies = {
            d["subject_id"]: d["agency"] for d in listed["items"] if d["subject_type"] == "return_request"
        }
        assert agencies == {
            str(two.police_request): {"id": police_id, "name": POLICE},
            str(two.health_request): {"id": str(two.ref.agencies["acute_trust"].id), "name": HEALTH},
        }
        assert all(d["agency"] is None for d in listed["items"] if d["subject_type"] is None)
        police_row = next(d for d in listed["items"] if d["subject_id"] == str(two.police_request))
        assert police_row["explanation"][0].startswith(f"{CHRONOLOGY}: {POLICE}")
        attention = client.get("/api/v1/me/attention?due_within_days=60", headers=_headers(two, "officer"))
        named = sorted(i["agency"]["name"] for i in attention.json()["items"] if i["agency"])
        assert named == [HEALTH, POLICE]
        # the police author: the police chronology alone, in both lists
        own = client.get(f"/api/v1/cases/{two.case.ref}/deadlines", headers=_headers(two, "police.author"))
        assert [(d["label"], d["agency"]["name"]) for d in own.json()["items"]] == [(CHRONOLOGY, POLICE)]
        theirs = client.get("/api/v1/me/attention?due_within_days=60", headers=_headers(two, "police.author"))
        assert [(i["label"], i["agency"]) for i in theirs.json()["items"]] == [
            (CHRONOLOGY, {"id": police_id, "name": POLICE})
        ]
        document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for body in ("DeadlineOut", "AttentionItemOut"):
        assert "agency" in schemas[body]["properties"], body
    assert {"id", "name"} <= set(schemas["DeadlineAgencyOut"]["properties"])


# --- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli(two: Two, monkeypatch: pytest.MonkeyPatch) -> Two:
    monkeypatch.setenv("DHR_DATABASE_URL", two.ctx.settings.database_url)
    monkeypatch.setenv("DHR_STORAGE_DIR", str(two.ctx.settings.storage_dir))
    monkeypatch.delenv("DHR_CLI_USER", raising=False)
    monkeypatch.setenv("COLUMNS", "1000")  # tables unwrapped, one line each
    return two


def _run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli_app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_cli_lists_and_shows_each_agency(cli: Two) -> None:
    ref = cli.case.ref
    table = _run("deadlines", "list", ref)
    assert f"{CHRONOLOGY}: {POLICE}" in table and f"{CHRONOLOGY}: {HEALTH}" in table
    listed = json.loads(_run("deadlines", "list", ref, "--json"))
    assert sorted(d["agency"]["name"] for d in listed if d["agency"]) == [HEALTH, POLICE]
    shown = _run("case", "show", ref)
    assert f"Deadline: {CHRONOLOGY}: {POLICE}: due" in shown
    assert f"Deadline: {CHRONOLOGY}: {HEALTH}: due" in shown


def test_cli_explain_each_or_one_agency(cli: Two) -> None:
    ref = cli.case.ref
    both = _run("deadlines", "explain", ref, "chronology_return")
    headings = [line for line in both.splitlines() if line.startswith(CHRONOLOGY)]
    assert sorted(headings) == [f"{CHRONOLOGY}: {HEALTH}: open", f"{CHRONOLOGY}: {POLICE}: open"]
    one = _run("deadlines", "explain", ref, "Chronology returned", "--agency", "northmoor police")
    assert [line for line in one.splitlines() if line.startswith(CHRONOLOGY)] == [
        f"{CHRONOLOGY}: {POLICE}: open"
    ]
    assert HEALTH not in one
    wrong = _run("deadlines", "explain", ref, "chronology_return", "--agency", "Nobody", code=1)
    assert "agency:" in wrong and POLICE in wrong and HEALTH in wrong


def test_cli_as_agency_user_shows_only_their_agency(cli: Two) -> None:
    ref = cli.case.ref
    listed = json.loads(_run("deadlines", "list", ref, "--json", "--as", "police.author"))
    assert [(d["key"], d["agency"]["name"]) for d in listed] == [("chronology_return", POLICE)]
    table = _run("deadlines", "list", ref, "--as", "police.author")
    assert HEALTH not in table and f"{CHRONOLOGY}: {POLICE}" in table
    explained = _run("deadlines", "explain", ref, "chronology_return", "--as", "police.author")
    assert POLICE in explained and HEALTH not in explained
    shown = _run("case", "show", ref, "--as", "health.manager")
    deadline_lines = [line for line in shown.splitlines() if "Deadline:" in line]
    assert len(deadline_lines) == 1 and deadline_lines[0].startswith(
        f"  Deadline: {CHRONOLOGY}: {HEALTH}: due"
    )
    # the council, asked for nothing, sees no deadline (none of the CSP's own either)
    assert json.loads(_run("deadlines", "list", ref, "--json", "--as", "council.author")) == []
