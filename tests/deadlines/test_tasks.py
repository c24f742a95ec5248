"""Task lists per role, on the dashboard, in the API (GET /api/v1/me/tasks) and in the CLI
(`dhr tasks --as USER`): the police and the hospital trust are asked for a chronology; the police
author submits (waiting for the police manager's sign-off, still due from the police); the trust's
return is signed off (waiting for the chair or the officer to accept); the officer drafts a delay
letter (waiting for the CSP chair's approval, never the officer's own). Another agency's tasks are
never shown."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dhr_engine.auth.tokens import issue_token
from dhr_engine.bootstrap.app import create_app
from dhr_engine.console import app as cli_app
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DEMO_PASSWORD, Reference
from dhr_engine.letters import service as letter_service
from dhr_engine.persistence.tables import Case
from dhr_engine.tasks.queries import TaskLists, tasks_for
from tests.returns.helpers import gathering_case, request, step, submit

POLICE = "Northmoor Police"
HEALTH = "Northmoor Hospitals NHS Foundation Trust"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
runner = CliRunner()


@dataclass(frozen=True)
class World:
    ctx: AppContext
    ref: Reference
    case: Case
    police: uuid.UUID  # submitted, waiting for sign-off
    health: uuid.UUID  # signed off, waiting to be accepted
    letter: uuid.UUID  # a C14 the officer drafted


def _build(ctx: AppContext, ref: Reference) -> World:
    case = gathering_case(ctx, ref)
    police, health = request(ctx, ref, case, "chronology", ["northmoor_police", "acute_trust"])
    submit(ctx, ref.actor("police.author"), police.id, kind="chronology")
    submit(ctx, ref.actor("health.author"), health.id, kind="chronology")
    step(ctx, ref.actor("health.manager"), health.id, "sign_off")
    draft = letter_service.DraftRequest(
        code="c14",
        fields={"reason": "The criminal trial is listed for March 2027.", "original_target": "2027-05-20",
                "new_expected_date": "2027-09-30"},
    )  # fmt: skip
    letter = letter_service.draft_letter(ctx, actor=ref.actor("officer"), request=draft, case_id=case.id)
    return World(ctx, ref, case, police.id, health.id, letter.id)


def _links(lists: TaskLists) -> dict[str, list[str]]:
    return {key: [t.link for t in tasks] for key, _h, _e, tasks in lists.named()}


def test_each_role_gets_its_own_lists(ctx: AppContext, ref: Reference) -> None:
    world = _build(ctx, ref)
    police, health, letter = (
        f"/returns/{world.police}",
        f"/returns/{world.health}",
        f"/letters/{world.letter}",
    )
    expected = {
        # the police manager: the police return to sign off, and it is still due from the police
        "police.manager": {"sign_off": [police], "returns_due": [police], "letters_to_approve": [],
                           "returns_to_accept": []},
        "police.author": {"sign_off": [], "returns_due": [police], "letters_to_approve": [],
                          "returns_to_accept": []},
        # the trust's return is signed off: nothing is owed, nothing of the police is shown
        "health.manager": {"sign_off": [], "returns_due": [], "letters_to_approve": [], "returns_to_accept": []},
        # the council was not asked: nothing at all
        "council.manager": {"sign_off": [], "returns_due": [], "letters_to_approve": [],
                            "returns_to_accept": []},
        # the independent chair accepts returns; C14 is approved by the partnership, not the chair
        "chair": {"sign_off": [], "returns_due": [], "letters_to_approve": [], "returns_to_accept": [health]},
        # the officer drafted the letter, so may not approve it
        "officer": {"sign_off": [], "returns_due": [], "letters_to_approve": [], "returns_to_accept": [health]},
        "cspchair": {"sign_off": [], "returns_due": [], "letters_to_approve": [letter], "returns_to_accept": []},
    }  # fmt: skip
    with ctx.reader() as uow:
        got = {who: _links(tasks_for(uow, ref.actor(who))) for who in expected}
        police_tasks = tasks_for(uow, ref.actor("police.manager"))
    assert got == expected
    task = police_tasks.sign_off[0]
    assert (task.case_ref, task.what, task.agency, task.stage) == (
        world.case.ref,
        "Chronology",
        POLICE,
        "Submitted for sign-off",
    )
    assert task.due_on is not None  # the return's deadline


# --- the dashboard, the API and the CLI --------------------------------------------------------------


@pytest.fixture
def world(lite: AppContext, lite_ref: Reference) -> World:
    lite.settings.run_scheduler_in_process = False
    return _build(lite, lite_ref)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.ctx.settings, world.ctx), follow_redirects=False) as c:
        yield c


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    token = TOKEN.search(client.get("/sign-in").text)
    assert token, "no CSRF token on the sign-in page"
    reply = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD}
    )
    assert reply.status_code == 303, reply.text


def _section(page: str, testid: str) -> str:
    """The table of one task list (empty string when the list is not shown as a table)."""
    start = page.find(f'data-testid="{testid}"')
    return "" if start < 0 else page[start : page.index("</table>", start)]


def test_dashboard_shows_each_role_its_tasks_with_links(world: World, client: TestClient) -> None:
    _sign_in(client, "police.manager")
    page = html.unescape(client.get("/").text)
    sign_off = _section(page, "tasks-sign-off")
    assert f'href="/returns/{world.police}"' in sign_off and POLICE in sign_off
    assert f'href="/returns/{world.police}"' in _section(page, "tasks-returns-due")
    assert HEALTH not in page and str(world.health) not in page  # another agency's return
    assert "Waiting for your sign-off (1)" in page

    _sign_in(client, "health.author")
    page = html.unescape(client.get("/").text)
    assert str(world.police) not in page and POLICE not in page
    assert "Nothing is due from your agency." in page

    _sign_in(client, "cspchair")
    page = html.unescape(client.get("/").text)
    assert f'href="/letters/{world.letter}"' in _section(page, "tasks-letters-to-approve")
    _sign_in(client, "officer")
    page = html.unescape(client.get("/").text)
    assert str(world.letter) not in page  # the drafter does not approve their own letter
    assert f'href="/returns/{world.health}"' in _section(page, "tasks-returns-to-accept")


def _headers(world: World, username: str) -> dict[str, str]:
    user = world.ref.users[username]
    token, _ = issue_token(
        user_id=user.id,
        password_hash=user.password_hash,
        secret=world.ctx.settings.secret_key,
        now=world.ctx.clock.now(),
        minutes=30,
    )
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_my_tasks(world: World, client: TestClient) -> None:
    assert "/api/v1/me/tasks" in client.get("/openapi.json").json()["paths"]
    body = client.get("/api/v1/me/tasks", headers=_headers(world, "police.manager")).json()
    police = f"/returns/{world.police}"
    assert [(t["list"], t["link"]) for t in body["items"]] == [("sign_off", police), ("returns_due", police)]
    first = body["items"][0]
    assert (first["agency"], first["what"], first["heading"]) == (
        POLICE,
        "Chronology",
        "Waiting for your sign-off",
    )
    assert body["total"] == 2
    health = client.get("/api/v1/me/tasks", headers=_headers(world, "health.manager")).json()
    assert health["items"] == [] and str(world.police) not in json.dumps(health)
    chair = client.get("/api/v1/me/tasks", headers=_headers(world, "chair")).json()
    assert [(t["list"], t["link"]) for t in chair["items"]] == [
        ("returns_to_accept", f"/returns/{world.health}")
    ]
    assert client.get("/api/v1/me/tasks").status_code == 401


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("DHR_DATABASE_URL", world.ctx.settings.database_url)
    monkeypatch.setenv("DHR_STORAGE_DIR", str(world.ctx.settings.storage_dir))
    monkeypatch.delenv("DHR_CLI_USER", raising=False)
    monkeypatch.setenv("COLUMNS", "1000")  # tables unwrapped, one line each
    return world


def _run(*args: str) -> str:
    result = runner.invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_lists_my_tasks(cli: World) -> None:
    shown = _run("tasks", "--as", "police.manager")
    assert "Waiting for your sign-off (1)" in shown and POLICE in shown and f"/returns/{cli.police}" in shown
    assert HEALTH not in shown
    data = json.loads(_run("tasks", "--as", "cspchair", "--json"))
    assert [(t["list"], t["link"]) for t in data] == [("letters_to_approve", f"/letters/{cli.letter}")]
    council = _run("tasks", "--as", "council.author")
    assert "Nothing is waiting for your sign-off." in council and "Northmoor" not in council
