"""`dhr members add|list|remove`: who holds which role on a case.

The same commands as the JSON API and the web pages (`members/service.py`), behind the same access
policy: a case the acting user may not see is "no such case", and only the roles that may manage
members may change them.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any, NoReturn

import typer
from rich.table import Table
from sqlmodel import Session, col, func, select

from dhr_engine.accounts.service import get_user
from dhr_engine.auth import policy
from dhr_engine.auth.policy import Action
from dhr_engine.cli.common import AsOption, acting_user, console, context, parse_day, print_json, report
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.clock import LONDON
from dhr_engine.domain.roles import AGENCY_ROLES, CASE_ROLES, Role, role_label, roles_in_words
from dhr_engine.errors import CaseNotFound, DhrError, ErrorItem, NotFound, PermissionDenied, ValidationFailed
from dhr_engine.members import service as member_service
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.persistence.tables import Agency, Case, CaseMember, User

app = typer.Typer(no_args_is_help=True)

ROLE_NAMES = ", ".join(sorted(r.value for r in CASE_ROLES))
RoleOption = typer.Option(..., "--role", help=f"The role on the case: {ROLE_NAMES}", show_default=False)
# What the service's fields are called on the command line.
FIELDS = {"user_id": "username", "member_id": "role", "effective_on": "--on"}


def _refuse(err: DhrError) -> NoReturn:
    """Report a refusal naming the command line's own fields."""
    items = [ErrorItem(i.code, i.msg, FIELDS.get(i.field or "", i.field)) for i in err.items]
    report(DhrError(err.msg, items=items))


def _role(value: str) -> Role:
    """A per-case role, or a refusal naming the field and the roles there are."""
    try:
        role = Role(value)
    except ValueError:
        raise ValidationFailed(f"unknown role '{value}'; give one of {ROLE_NAMES}", field="role") from None
    if role not in CASE_ROLES:
        raise ValidationFailed(f"'{value}' is not a per-case role; give one of {ROLE_NAMES}", field="role")
    return role


def _access(session: Session, actor: Actor, ref: str, action: Action, doing: str) -> tuple[Case, Actor]:
    """The case and the actor's roles on it, as the access policy allows: a case the actor may not
    see is "no such case", as it is to the API and the web pages."""
    try:
        case = get_case(session, ref=ref)
        return case, policy.require_case_access(session, actor, case, action)
    except CaseNotFound:
        raise CaseNotFound("no such case", field="ref") from None
    except PermissionDenied:
        who = roles_in_words(policy.POLICY[action])
        raise PermissionDenied(f"only {who} may {doing}", field="role") from None


def _agency(session: Session, value: str) -> Agency:
    """An agency by id or by exact name (case-insensitive)."""
    try:
        found = session.get(Agency, uuid.UUID(value))
    except ValueError:
        found = session.exec(select(Agency).where(func.lower(Agency.name) == value.strip().lower())).first()
    if found is None:
        raise NotFound(f"no agency '{value}'; give its name or id", field="--agency")
    return found


def _added_on(member: CaseMember) -> str:
    added = member.added_at if member.added_at.tzinfo else member.added_at.replace(tzinfo=UTC)
    return format_date(added.astimezone(LONDON).date())


def _row(member: CaseMember, user: User, agency: Agency | None) -> dict[str, Any]:
    return {
        "id": str(member.id),
        "user_id": str(member.user_id),
        "username": user.username,
        "display_name": user.display_name,
        "role": member.role,
        "role_label": role_label(member.role),
        "agency_id": str(member.agency_id) if member.agency_id else None,
        "agency": agency.name if agency else None,
        "added_at": member.added_at.isoformat(),
        "added_on": _added_on(member),
    }


@app.command("add")
def add(
    ref: str = typer.Argument(..., metavar="REF", help="The case reference, e.g. DHR-2026-008"),
    username: str = typer.Argument(..., metavar="USERNAME", help="The user who takes the role"),
    role: str = RoleOption,
    agency: str | None = typer.Option(
        None,
        "--agency",
        help="For an agency role: the agency it is held for (name or id); it must be the user's own",
    ),
    on: str | None = typer.Option(None, "--on", help="Day they took the role (YYYY-MM-DD); default today"),
    as_user: str | None = AsOption,
) -> None:
    """Give a user a role on one case; an agency role is held for the user's own agency."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    effective_on = parse_day(on, "--on")
    try:
        case_role = _role(role)
        with ctx.reader() as uow:
            s = uow.session
            case, acting = _access(s, actor, ref, Action.MEMBERS_MANAGE, "change case members")
            user = get_user(s, username=username)
            if agency is not None:
                if case_role not in AGENCY_ROLES:
                    raise ValidationFailed(
                        f"the role of {role_label(role)} is not held for an agency", field="--agency"
                    )
                if user.agency_id != _agency(s, agency).id:
                    raise ValidationFailed(
                        "this user is not of that agency; an agency role is held for the user's own agency",
                        field="--agency",
                    )
        member = member_service.add_member(
            ctx.uow(),
            actor=acting,
            clock=ctx.clock,
            case_id=case.id,
            user_id=user.id,
            role=case_role.value,
            effective_on=effective_on,
        )
    except DhrError as err:
        _refuse(err)
    typer.echo(f"{username} now holds the role of {role_label(member.role)} on {ref}")


@app.command("list")
def list_members(
    ref: str = typer.Argument(..., metavar="REF", help="The case reference, e.g. DHR-2026-008"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
    as_user: str | None = AsOption,
) -> None:
    """Who holds which role on the case."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    with ctx.reader() as uow:
        s = uow.session
        try:
            case, _acting = _access(s, actor, ref, Action.MEMBERS_VIEW, "see the members of a case")
        except DhrError as err:
            _refuse(err)
        found = s.exec(
            select(CaseMember, User)
            .join(User, col(User.id) == col(CaseMember.user_id))
            .where(CaseMember.case_id == case.id)
            .order_by(col(CaseMember.role), col(User.username))
        ).all()
        agencies = {a.id: a for a in s.exec(select(Agency)).all()}
        rows = [_row(m, u, agencies.get(m.agency_id) if m.agency_id else None) for m, u in found]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"{ref} has no members yet.")
        return
    table = Table(title=f"Members of {ref}")
    table.add_column("user", no_wrap=True)  # whole: `dhr members remove` needs it
    for column in ("name", "role", "agency", "recorded"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["username"], row["display_name"], row["role_label"], row["agency"] or "", row["added_on"]
        )
    console.print(table)


@app.command("remove")
def remove(
    ref: str = typer.Argument(..., metavar="REF", help="The case reference, e.g. DHR-2026-008"),
    username: str = typer.Argument(..., metavar="USERNAME", help="The user who holds the role"),
    role: str = RoleOption,
    as_user: str | None = AsOption,
) -> None:
    """Take a role on one case away from a user."""
    ctx = context()
    actor = acting_user(ctx, as_user)
    try:
        case_role = _role(role)
        with ctx.reader() as uow:
            s = uow.session
            case, acting = _access(s, actor, ref, Action.MEMBERS_MANAGE, "change case members")
            user = get_user(s, username=username)
            member = s.exec(
                select(CaseMember).where(
                    CaseMember.case_id == case.id,
                    CaseMember.user_id == user.id,
                    CaseMember.role == case_role.value,
                )
            ).first()
            if member is None:
                raise NotFound("that user does not hold that role on this case", field="role")
        member_service.remove_member(
            ctx.uow(), actor=acting, clock=ctx.clock, case_id=case.id, member_id=member.id
        )
    except DhrError as err:
        _refuse(err)
    typer.echo(f"{username} no longer holds the role of {role_label(case_role.value)} on {ref}")
