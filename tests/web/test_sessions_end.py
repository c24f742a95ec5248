"""A web session ends with sign-out, a new password, a change of roles or agency and deactivation,
also on a copy of the cookie taken before (another browser, or a stolen cookie).

Over the real application with Starlette's test client (no browser): each "browser" is a client
with its own cookie jar; `_copy` is a second browser holding the same cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from dhr_engine.accounts import service as directory
from dhr_engine.auth.sessions import end_sessions
from dhr_engine.bootstrap.app import create_app
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DEMO_PASSWORD, Reference
from dhr_engine.members import service as member_service
from dhr_engine.persistence.tables import User
from dhr_engine.web.deps import SESSION_ENDED
from dhr_engine.web.session import COOKIE, SALT
from tests.api.scenario import World

NEW_PASSWORD = "A-new-Passw0rd-for-tests"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

Browsers = Callable[[], TestClient]


@pytest.fixture
def browsers(lite: AppContext) -> Iterator[Browsers]:
    app = create_app(lite.settings, lite)
    made: list[TestClient] = []

    def make() -> TestClient:
        made.append(TestClient(app, follow_redirects=False))
        return made[-1]

    yield make
    for client in made:
        client.close()


def _token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _sign_in(browsers: Browsers, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    client = browsers()
    form = client.get("/sign-in")
    reply = client.post(
        "/sign-in", data={"csrf_token": _token(form.text), "username": username, "password": password}
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/", reply.text
    assert _signed_in(client)
    return client


def _copy(browsers: Browsers, client: TestClient) -> TestClient:
    """Another browser holding the same session cookie, taken now."""
    other = browsers()
    other.cookies.set(COOKIE, client.cookies[COOKIE])
    return other


def _signed_in(client: TestClient) -> bool:
    reply = client.get("/")
    assert reply.status_code in (200, 303), reply.status_code
    return reply.status_code == 200


def _ended(client: TestClient) -> None:
    """The session is over: sent to sign in, and the sign-in page says why, in words."""
    reply = client.get("/cases")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/sign-in?next=%2Fcases"
    page = client.get(reply.headers["location"])
    assert page.status_code == 200 and SESSION_ENDED in page.text
    assert not _signed_in(client)


def _change(ctx: AppContext, username: str, **changes: object) -> None:
    with ctx.uow() as uow:
        user = directory.get_user(uow.session, username=username)
        directory.update_user(uow.session, user, **changes)  # type: ignore[arg-type]
        uow.commit()


def test_sign_out__ends_a_copy_of_the_cookie_taken_before(browsers: Browsers, lite_ref: Reference) -> None:
    first = _sign_in(browsers, "officer")
    copy = _copy(browsers, first)
    assert _signed_in(copy)
    page = first.get("/")
    reply = first.post("/sign-out", data={"csrf_token": _token(page.text)})
    assert reply.status_code == 303 and reply.headers["location"] == "/sign-in"
    assert not _signed_in(first)
    _ended(copy)


def test_sign_out__a_form_posted_from_the_ended_session_goes_to_sign_in(
    browsers: Browsers, lite_ref: Reference
) -> None:
    first = _sign_in(browsers, "officer")
    copy = _copy(browsers, first)
    token = _token(copy.get("/").text)  # the copy's page, with the old session's token
    first.post("/sign-out", data={"csrf_token": _token(first.get("/").text)})
    reply = copy.post("/cases/DHR-0000-000/members", data={"csrf_token": token})
    assert (
        reply.status_code == 303 and reply.headers["location"] == "/sign-in"
    )  # not a 403, nor a form's target
    assert SESSION_ENDED in copy.get("/sign-in").text


def test_sign_in_again__after_sign_out_works(browsers: Browsers, lite_ref: Reference) -> None:
    first = _sign_in(browsers, "officer")
    first.post("/sign-out", data={"csrf_token": _token(first.get("/").text)})
    again = _sign_in(browsers, "officer")
    assert _signed_in(again)


def test_password_reset__ends_the_session_and_the_new_password_signs_in(
    browsers: Browsers, lite: AppContext, lite_ref: Reference
) -> None:
    browser = _sign_in(browsers, "panel")
    with lite.uow() as uow:
        directory.reset_password(uow.session, directory.get_user(uow.session, username="panel"), NEW_PASSWORD)
        uow.commit()
    _ended(browser)
    assert _signed_in(_sign_in(browsers, "panel", NEW_PASSWORD))


@pytest.mark.parametrize(
    "changes",
    [{"global_roles": ["csp_chair"]}, {"global_roles": []}, {"agency_id": None, "set_agency": True}],
    ids=["role-added", "role-removed", "agency-changed"],
)
def test_account_role_or_agency_change__ends_the_session(
    browsers: Browsers, lite: AppContext, lite_ref: Reference, changes: dict[str, object]
) -> None:
    username = "panel" if "agency_id" in changes else "officer"
    browser = _sign_in(browsers, username)
    _change(lite, username, **changes)
    _ended(browser)


def test_account_change_of_name_or_the_same_roles__keeps_the_session(
    browsers: Browsers, lite: AppContext, lite_ref: Reference
) -> None:
    browser = _sign_in(browsers, "officer")
    _change(lite, "officer", display_name="Olivia Officer", global_roles=["csp_officer"])
    assert _signed_in(browser)


def test_deactivation__ends_the_session_for_good_even_once_reactivated(
    browsers: Browsers, lite: AppContext, lite_ref: Reference
) -> None:
    browser = _sign_in(browsers, "chair")
    copy = _copy(browsers, browser)
    _change(lite, "chair", is_active=False)
    assert not _signed_in(browser)
    _change(lite, "chair", is_active=True)
    _ended(copy)  # reactivating the account does not bring the old cookie back
    assert _signed_in(_sign_in(browsers, "chair"))


def test_one_users_change__leaves_another_users_session_alone(
    browsers: Browsers, lite: AppContext, lite_ref: Reference
) -> None:
    officer = _sign_in(browsers, "officer")
    chair = _sign_in(browsers, "cspchair")
    _change(lite, "officer", global_roles=[])
    _ended(officer)
    assert _signed_in(chair)


def test_case_membership_removed_or_changed__ends_the_members_session(world: World) -> None:
    ctx, ref = world.ctx, world.ref
    app = create_app(ctx.settings, ctx)
    officer = ref.actor("officer")
    case_id = world.cases["A"].id

    def sign_in(username: str) -> TestClient:
        return _sign_in(lambda: TestClient(app, follow_redirects=False), username)

    removed, changed, added, untouched = (sign_in(u) for u in ("panel", "author", "chair", "police.author"))
    member_service.remove_member(
        ctx.uow(), actor=officer, clock=ctx.clock, case_id=case_id, member_id=world.members["panel"]
    )
    member_service.change_role(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        case_id=case_id,
        member_id=world.members["author"],
        role="panel_member",
    )
    # Being given a further role takes nothing away: that session goes on.
    member_service.add_member(
        ctx.uow(),
        actor=officer,
        clock=ctx.clock,
        case_id=world.cases["B"].id,
        user_id=ref.users["chair"].id,
        role="independent_chair",
    )
    _ended(removed)
    _ended(changed)
    assert _signed_in(added)
    assert _signed_in(untouched)


def test_a_cookie_from_before_session_versions__is_signed_out(
    browsers: Browsers, lite: AppContext, lite_ref: Reference
) -> None:
    """A cookie without a version (made before migration 0007) ends once."""
    signer = URLSafeTimedSerializer(lite.settings.secret_key, salt=SALT)
    old = signer.dumps({"csrf": "x" * 43, "uid": str(lite_ref.users["officer"].id)})
    browser = browsers()
    browser.cookies.set(COOKIE, old)
    _ended(browser)


def test_api_token__survives_a_web_sign_out_but_not_a_new_password(
    browsers: Browsers, lite: AppContext, lite_ref: Reference
) -> None:
    """Tokens are not bound to the session version (the account is re-read on every call); a new
    password still ends them."""
    api = browsers()
    token = api.post("/api/v1/auth/token", data={"username": "officer", "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    web = _sign_in(browsers, "officer")
    web.post("/sign-out", data={"csrf_token": _token(web.get("/").text)})
    assert api.get("/api/v1/auth/me", headers=bearer).status_code == 200
    with lite.uow() as uow:
        user = uow.session.get(User, lite_ref.users["officer"].id)
        assert user is not None
        directory.reset_password(uow.session, user, NEW_PASSWORD)
        uow.commit()
    assert api.get("/api/v1/auth/me", headers=bearer).status_code == 401


def test_end_sessions__counts_each_time_on_sqlite_and_postgresql(ctx: AppContext, ref: Reference) -> None:
    officer, chair = ref.users["officer"].id, ref.users["cspchair"].id
    with ctx.uow() as uow:
        end_sessions(uow.session, officer)
        end_sessions(uow.session, officer)
        uow.commit()
    with ctx.reader() as uow:
        versions = {
            u.id: u.session_version
            for u in (uow.session.get(User, officer), uow.session.get(User, chair))
            if u
        }
    assert versions == {officer: 2, chair: 0}
