"""Agency access follows the request: an agency's named DHR contacts are told when it is asked for a
return and may open that request (page, API, CLI) without being made case members by hand; other
agencies see nothing; an agency with no contact is named in a warning; removing a contact ends the
access; the rest of the case stays closed to a contact."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from dhr_engine.agencies import service as contact_service
from dhr_engine.auth import policy
from dhr_engine.bootstrap.app import create_app
from dhr_engine.console import app as cli_app
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DEMO_PASSWORD, Reference
from dhr_engine.domain.roles import Role
from dhr_engine.errors import CaseNotFound, NotFound, PermissionDenied, ValidationFailed
from dhr_engine.persistence.tables import Case, CaseMember, OutboxItem
from dhr_engine.persistence.tables_contacts import AgencyContact
from dhr_engine.persistence.tables_scheduler import Notification
from dhr_engine.returns import access, service
from dhr_engine.returns.chronology import add_entries
from tests.returns.helpers import entries, gathering_case

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
NO_CONTACT = "Northmoor Women's Aid has no DHR contact: nobody there will be told"
runner = CliRunner()


def new_case(ctx: AppContext, ref: Reference) -> Case:
    """A review in information gathering whose agency users are not members (the demo's builder
    makes them members: that is taken back, so only the contacts table can grant them anything)."""
    case = gathering_case(ctx, ref)
    with ctx.uow() as uow:
        for member in uow.session.exec(
            select(CaseMember).where(
                CaseMember.case_id == case.id,
                col(CaseMember.role).in_([Role.AGENCY_AUTHOR.value, Role.AGENCY_MANAGER.value]),
            )
        ).all():
            uow.session.delete(member)
        uow.commit()
    return case


def name_contacts(ctx: AppContext, ref: Reference) -> dict[str, uuid.UUID]:
    """The police and the hospital trust name their author and manager (the officer keeps them)."""
    made = {}
    for username, kind in (
        ("police.author", "imr_author"),
        ("police.manager", "senior_manager"),
        ("health.author", "imr_author"),
        ("health.manager", "senior_manager"),
    ):
        user = ref.users[username]
        assert user.agency_id is not None
        row = contact_service.add_contact(
            ctx.uow(),
            actor=ref.actor("officer"),
            clock=ctx.clock,
            agency_id=user.agency_id,
            user_id=user.id,
            kind=kind,
        )
        made[username] = row.id
    return made


def ask(
    ctx: AppContext, ref: Reference, case: Case, keys: list[str], kind: str = "chronology"
) -> list[uuid.UUID]:
    made = service.request_returns(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        case_id=case.id,
        agency_ids=[ref.agencies[k].id for k in keys],
        kind=kind,
    )
    return [r.id for r in made]


def test_contacts_are_told_and_work_on_the_request_without_being_members(
    ctx: AppContext, ref: Reference
) -> None:
    case = new_case(ctx, ref)
    name_contacts(ctx, ref)
    police, hospital = ask(ctx, ref, case, ["northmoor_police", "acute_trust"])
    with ctx.reader() as uow:
        s = uow.session
        members = s.exec(select(CaseMember.user_id).where(CaseMember.case_id == case.id)).all()
        assert not {ref.users[u].id for u in ("police.author", "police.manager", "health.author")} & set(
            members
        )
        told = s.exec(select(Notification).where(Notification.kind == "return_request")).all()
        by_user = {n.user_id: n for n in told}
        expected = {
            ref.users[u].id for u in ("police.author", "police.manager", "health.author", "health.manager")
        }
        assert set(by_user) == expected
        note = by_user[ref.users["police.author"].id]
        assert case.ref in note.title and "Northmoor Police" in note.title and "chronology" in note.title
        assert "Dawn" not in note.title + note.body  # no personal data, only the reference
        mails = s.exec(select(OutboxItem).where(OutboxItem.topic == "deadline_notice")).all()
        assert {m.payload["notification_id"] for m in mails} == {str(n.id) for n in told}
        assert all(n.email_item_id is not None for n in told)
        # each contact holds the agency role of their kind on their own agency's request only
        author = access.load_request(s, ref.actor("police.author"), police)
        manager = access.load_request(s, ref.actor("police.manager"), police)
        assert Role.AGENCY_AUTHOR in author.actor.case_roles
        assert Role.AGENCY_MANAGER in manager.actor.case_roles
        for outsider in ("council.author", "council.manager", "police.author"):
            with pytest.raises(NotFound):
                access.load_request(s, ref.actor(outsider), hospital)
        with pytest.raises(NotFound):
            access.load_request(s, ref.actor("council.author"), police)
        # and not the rest of the case
        assert not policy.can_view_case(s, ref.actor("police.author"), case)
        with pytest.raises(CaseNotFound):
            policy.require_case_access(s, ref.actor("police.author"), case)
        assert [r.id for r in access.visible_requests(s, ref.actor("police.author"), case)] == [police]
        with pytest.raises(CaseNotFound):
            access.visible_requests(s, ref.actor("council.author"), case)
    # the author writes and submits the chronology, the senior manager signs it off
    author_actor, manager_actor = ref.actor("police.author"), ref.actor("police.manager")
    service.fire_return(
        ctx.uow(), actor=author_actor, clock=ctx.clock, request_id=police, trigger="acknowledge"
    )
    add_entries(
        ctx.uow(), actor=author_actor, clock=ctx.clock, request_id=police, entries=entries(), replace=True
    )
    service.submit_return(
        ctx.uow(),
        actor=author_actor,
        clock=ctx.clock,
        request_id=police,
        submission=service.Submission(text="x"),
    )
    with pytest.raises(PermissionDenied):  # an author does not sign off
        service.fire_return(
            ctx.uow(), actor=author_actor, clock=ctx.clock, request_id=police, trigger="sign_off"
        )
    done = service.fire_return(
        ctx.uow(), actor=manager_actor, clock=ctx.clock, request_id=police, trigger="sign_off"
    )
    assert done.stage == "signed_off"


def test_removing_a_contact_ends_the_access(ctx: AppContext, ref: Reference) -> None:
    case = new_case(ctx, ref)
    contacts = name_contacts(ctx, ref)
    [police] = ask(ctx, ref, case, ["northmoor_police"])
    officer, author = ref.actor("officer"), ref.actor("police.author")
    with ctx.reader() as uow:
        access.load_request(uow.session, author, police)
    contact_service.remove_contact(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        agency_id=ref.agencies["northmoor_police"].id,
        contact_id=contacts["police.author"],
    )
    with ctx.reader() as uow:
        with pytest.raises(NotFound):
            access.load_request(uow.session, author, police)
        access.load_request(uow.session, ref.actor("police.manager"), police)  # still a contact
        row = uow.session.get(AgencyContact, contacts["police.author"])
        assert row is not None and row.removed_at is not None and row.removed_by_label == officer.label
    with pytest.raises(NotFound):
        service.fire_return(
            ctx.uow(), actor=author, clock=ctx.clock, request_id=police, trigger="acknowledge"
        )


def test_a_chase_reaches_the_contacts_and_an_escalation_their_senior_manager(
    ctx: AppContext, ref: Reference
) -> None:
    case = new_case(ctx, ref)
    name_contacts(ctx, ref)
    [police] = ask(ctx, ref, case, ["northmoor_police"])
    officer = ref.actor("officer")
    chase = service.chase_return(ctx.uow(), actor=officer, clock=ctx.clock, request_id=police)
    up = service.chase_return(ctx.uow(), actor=officer, clock=ctx.clock, request_id=police, escalate=True)
    users = ref.users
    assert chase.payload["user_ids"] == sorted(str(users[u].id) for u in ("police.author", "police.manager"))
    assert up.payload["user_ids"] == [str(users["police.manager"].id)]


def test_contacts_are_kept_by_the_csp_and_are_users_of_that_agency(ctx: AppContext, ref: Reference) -> None:
    police = ref.agencies["northmoor_police"].id
    kwargs = {"clock": ctx.clock, "agency_id": police, "kind": "imr_author"}
    with pytest.raises(PermissionDenied):
        contact_service.add_contact(
            ctx.uow(), actor=ref.actor("police.manager"), user_id=ref.users["police.author"].id, **kwargs
        )
    with pytest.raises(ValidationFailed) as refused:
        contact_service.add_contact(
            ctx.uow(), actor=ref.actor("officer"), user_id=ref.users["health.author"].id, **kwargs
        )
    assert refused.value.items[0].field == "user"
    with pytest.raises(ValidationFailed) as bad_kind:
        contact_service.add_contact(
            ctx.uow(),
            actor=ref.actor("officer"),
            clock=ctx.clock,
            agency_id=police,
            user_id=ref.users["police.author"].id,
            kind="boss",
        )
    assert bad_kind.value.items[0].field == "kind"
    with ctx.reader() as uow:
        assert uow.session.exec(select(AgencyContact)).all() == []


# --- the pages, the API and the CLI ---------------------------------------------------------------


@pytest.fixture
def asked(lite: AppContext, lite_ref: Reference) -> tuple[Case, list[uuid.UUID]]:
    case = new_case(lite, lite_ref)
    name_contacts(lite, lite_ref)
    return case, ask(lite, lite_ref, case, ["northmoor_police", "acute_trust"])


@pytest.fixture
def browsers(lite: AppContext) -> Iterator[TestClient]:
    client = TestClient(create_app(lite.settings, lite), follow_redirects=False)
    yield client
    client.close()


def sign_in(client: TestClient, username: str) -> TestClient:
    client.cookies.clear()
    form = client.get("/sign-in")
    token = TOKEN.search(form.text)
    assert token
    reply = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD}
    )
    assert reply.status_code == 303, reply.text
    return client


def bearer(client: TestClient, username: str) -> dict[str, str]:
    reply = client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert reply.status_code == 200
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def test_web_and_api__the_police_find_and_open_it_the_council_see_nothing(
    asked: tuple[Case, list[uuid.UUID]], browsers: TestClient
) -> None:
    case, (police, hospital) = asked
    for username in ("police.author", "police.manager"):
        client = sign_in(browsers, username)
        listed = client.get("/returns")
        assert listed.status_code == 200
        assert f'data-request="{police}"' in listed.text and f'data-request="{hospital}"' not in listed.text
        assert f'href="/cases/{case.ref}"' not in listed.text  # the case itself is not theirs to open
        page = client.get(f"/returns/{police}")
        assert page.status_code == 200 and "Chronology from Northmoor Police" in page.text
        assert client.get(f"/returns/{hospital}").status_code == 404
        assert client.get(f"/cases/{case.ref}").status_code == 404
        headers = bearer(client, username)
        one = client.get(f"/api/v1/returns/{police}", headers=headers)
        assert one.status_code == 200 and one.json()["agency_name"] == "Northmoor Police"
        assert "acknowledge" in one.json()["my_steps"]
        assert client.get(f"/api/v1/returns/{hospital}", headers=headers).status_code == 404
    for username in ("council.author", "council.manager"):
        client = sign_in(browsers, username)
        listed = client.get("/returns")
        assert str(police) not in listed.text and str(hospital) not in listed.text
        assert client.get(f"/returns/{police}").status_code == 404
        assert client.get(f"/api/v1/returns/{police}", headers=bearer(client, username)).status_code == 404


def test_no_contact__the_officer_is_warned_on_the_form_the_page_and_the_api(
    lite: AppContext, lite_ref: Reference, browsers: TestClient
) -> None:
    case = new_case(lite, lite_ref)
    name_contacts(lite, lite_ref)
    client = sign_in(browsers, "officer")
    form = client.get(f"/cases/{case.ref}/returns")
    assert form.status_code == 200
    assert NO_CONTACT.replace("'", "&#39;") in form.text
    assert "Northmoor Police has no DHR contact" not in form.text
    headers = bearer(client, "officer")
    made = client.post(
        f"/api/v1/cases/{case.ref}/returns",
        headers=headers,
        json={
            "kind": "chronology",
            "agency_ids": [str(lite_ref.agencies[k].id) for k in ("womens_aid", "acute_trust")],
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["warnings"] == [NO_CONTACT]
    aid = next(r["id"] for r in made.json()["items"] if r["agency_name"] == "Northmoor Women's Aid")
    page = client.get(f"/returns/{aid}")
    assert 'data-testid="no-contact"' in page.text
    with lite.reader() as uow:  # nobody at Women's Aid is told; the trust's two contacts are
        told = uow.session.exec(
            select(Notification.user_id).where(col(Notification.kind) == "return_request")
        ).all()
    assert set(told) == {lite_ref.users["health.author"].id, lite_ref.users["health.manager"].id}


def test_cli__contacts_kept_and_the_police_author_lists_the_request(
    lite: AppContext, lite_ref: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHR_DATABASE_URL", lite.settings.database_url)
    monkeypatch.setenv("DHR_STORAGE_DIR", str(lite.settings.storage_dir))
    monkeypatch.delenv("DHR_CLI_USER", raising=False)
    case = new_case(lite, lite_ref)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli_app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    police = "Northmoor Police"
    assert "has no DHR contact" in run("agencies", "contacts", "list", police, "--as", "officer")
    run("agencies", "contacts", "add", police, "police.author", "--kind", "imr_author", "--as", "officer")
    run(
        "agencies", "contacts", "add", police, "police.manager", "--kind", "senior_manager", "--as", "officer"
    )
    refused = run(
        "agencies", "contacts", "add", police, "council.author", "--kind", "spoc", "--as", "officer", code=2
    )
    assert "does not work for this agency" in refused
    run(
        "agencies",
        "contacts",
        "add",
        police,
        "police.author",
        "--kind",
        "spoc",
        "--as",
        "council.author",
        code=2,
    )
    listed = json.loads(run("agencies", "contacts", "list", police, "--json", "--as", "officer"))
    assert {(c["username"], c["kind"]) for c in listed} == {
        ("police.author", "imr_author"),
        ("police.manager", "senior_manager"),
    }
    out = run(
        "returns", "request", "--case", case.ref, "--kind", "chronology",
        "--agency", police, "--agency", "Northmoor Women's Aid", "--as", "officer",
    )  # fmt: skip
    assert NO_CONTACT in out
    mine = json.loads(run("returns", "list", "--case", case.ref, "--json", "--as", "police.author"))
    assert [r["agency"] for r in mine] == [police]
    assert "no such case" in run("returns", "list", "--case", case.ref, "--as", "council.author", code=2)
    run("agencies", "contacts", "remove", police, "police.author", "--kind", "imr_author", "--as", "officer")
    assert "no such case" in run("returns", "list", "--case", case.ref, "--as", "police.author", code=2)
