"""Loading a case row: by id or reference, for reading or for an update (row lock or version check).

Every domain that acts on a case loads it here, so the lock and the optimistic version check are
written once (ARCHITECTURE.md §9)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from dhr_engine.errors import CaseNotFound, StaleCase
from dhr_engine.persistence.tables import Case, Csp
from dhr_engine.persistence.unit_of_work import UnitOfWork

CSP_OVERRIDES = Csp.__table__.c.deadline_overrides  # type: ignore[attr-defined]


def get_case(session: Session, *, case_id: uuid.UUID | None = None, ref: str | None = None) -> Case:
    """Return one case by id or reference, or raise CaseNotFound."""
    case = None
    if case_id is not None:
        case = session.get(Case, case_id)
    elif ref is not None:
        case = session.exec(select(Case).where(Case.ref == ref)).first()
    if case is None:
        raise CaseNotFound("no such case", field="ref" if ref else "case_id")
    return case


def _case_for_update_query(*, by_ref: bool, lock: bool) -> Select[Case, Any]:
    """The case (by id or reference) with its CSP's local deadline durations, in one statement."""
    key: BindParameter[Any] = bindparam("key")
    query = (
        select(Case, CSP_OVERRIDES)
        .join(Csp, col(Csp.id) == col(Case.csp_id))
        .where(col(Case.ref) == key if by_ref else col(Case.id) == key)
    )
    return query.with_for_update(of=Case) if lock else query


# Built once: the statements every command runs, keyed by (by reference, lock the row).
_CASE_FOR_UPDATE = {
    (by_ref, lock): _case_for_update_query(by_ref=by_ref, lock=lock)
    for by_ref in (False, True)
    for lock in (False, True)
}


def get_case_for_update(
    uow: UnitOfWork, case_id: uuid.UUID | None, ref: str | None, *, expected_version: int | None = None
) -> Case:
    """Load the case for a write and raise its version once for this command.

    On PostgreSQL the row is locked until commit; on both databases the UPDATE also checks the
    version it read, so a concurrent writer gets StaleCase instead of overwriting. The CSP's local
    deadline durations come with it, for the deadlines the command may open.
    """
    query = _CASE_FOR_UPDATE[(case_id is None, uow.dialect == "postgresql")]
    found = uow.session.execute(query, {"key": case_id if case_id is not None else ref}).first()
    if found is None:
        raise CaseNotFound("no such case", field="ref" if ref else "case_id")
    case: Case = found[0]
    overrides: dict[str, Any] | None = found[1]
    remember_csp_overrides(uow.session, case.csp_id, overrides)
    if expected_version is not None and case.version != expected_version:
        raise StaleCase(
            f"the case is at version {case.version}, not {expected_version}; reload it and try again",
            field="expected_version",
        )
    case.version += 1
    return case


_OVERRIDES = "csp_overrides"


def csp_overrides(session: Session, csp_id: uuid.UUID) -> dict[str, Any]:
    """The CSP's local deadline durations, read once per session without flushing pending rows."""
    cache: dict[uuid.UUID, dict[str, Any]] = session.info.setdefault(_OVERRIDES, {})
    if csp_id not in cache:
        column = Csp.__table__.c.deadline_overrides  # type: ignore[attr-defined]
        query = select(column).where(Csp.__table__.c.id == csp_id)  # type: ignore[attr-defined]
        cache[csp_id] = dict(session.connection().execute(query).scalar_one_or_none() or {})
    return cache[csp_id]


def remember_csp_overrides(session: Session, csp_id: uuid.UUID, overrides: Mapping[str, Any] | None) -> None:
    """Keep durations read with the case (get_case_for_update) so csp_overrides need not read them."""
    session.info.setdefault(_OVERRIDES, {})[csp_id] = dict(overrides or {})
