"""Helpers that move a case along, reloading it from the database between steps."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from dhr_engine.cases import service as cases
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.roles import Role
from dhr_engine.family import service as family
from dhr_engine.members import service as members
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.tables import AuditEvent, Case, Deadline, ReturnRequest
from dhr_engine.proceedings import service as proceedings


class Walker:
    def __init__(self, ctx: AppContext, ref: Reference, case: Case) -> None:
        self.ctx, self.ref, self.case_id = ctx, ref, case.id

    def fire(self, trigger: str, on: date, who: str, reason: str = "") -> Case:
        cases.fire_trigger(
            self.ctx.uow(),
            actor=self.ref.actor(who),
            clock=self.ctx.clock,
            case_id=self.case_id,
            trigger=trigger,
            effective_on=on,
            reason=reason or f"test: {trigger}",
        )
        return self.reload()

    def reload(self) -> Case:
        with self.ctx.reader() as uow:
            return case_lookup.get_case(uow.session, case_id=self.case_id)

    @property
    def stage(self) -> str:
        return self.reload().stage

    def deadline(self, key: str) -> Deadline:
        with self.ctx.reader() as uow:
            rows = uow.session.exec(
                select(Deadline).where(Deadline.case_id == self.case_id, Deadline.key == key)
            ).all()
        assert rows, f"no deadline {key}"
        return sorted(rows, key=lambda r: r.opened_at)[-1]

    def audit_kinds(self) -> list[str]:
        with self.ctx.reader() as uow:
            rows = uow.session.exec(
                select(AuditEvent).where(AuditEvent.case_id == self.case_id).order_by(AuditEvent.seq)  # type: ignore[arg-type]
            ).all()
        return [r.kind for r in rows]

    def member(self, username: str, role: Role, on: date) -> None:
        members.add_member(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=self.case_id,
            user_id=self.ref.users[username].id,
            role=role.value,
            effective_on=on,
        )

    def family(self, kind: str, on: date) -> None:
        family.record_family_contact(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=self.case_id,
            kind=kind,
            occurred_on=on,
        )

    def accepted_returns(self, on: date, *agencies: str) -> None:
        with self.ctx.uow() as uow:
            for key in agencies:
                uow.session.add(
                    ReturnRequest(
                        case_id=self.case_id,
                        agency_id=self.ref.agencies[key].id,
                        kind="imr",
                        stage="accepted",
                        requested_on=on,
                    )
                )
            uow.commit()

    def proceeding(self, kind: str, on: date) -> str:
        row = proceedings.record_proceeding(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=self.case_id,
            kind=kind,
            started_on=on,
        )
        return str(row.id)

    def conclude(self, proceeding_id: str, on: date) -> None:
        import uuid

        proceedings.conclude_proceeding(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=self.case_id,
            proceeding_id=uuid.UUID(proceeding_id),
            concluded_on=on,
        )


def open_case(ctx: AppContext, ref: Reference, notified_on: date, version: str | None = None) -> Walker:
    case = cases.open_case(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        notified_on=notified_on,
        workflow_version=version,
        date_of_death=notified_on - timedelta(days=6),
        date_of_death_precision="month",
        people=[
            cases.PersonInput(
                role="victim", pseudonym="Zara", real_name="Real Victim-Name", date_of_birth=date(1980, 2, 3)
            )
        ],
    )
    return Walker(ctx, ref, case)
