"""Where a letter's merge fields come from: one plain function per named source, listed in SOURCES.

A letter's spec names a source for each of its fields (`source: victim_pseudonym`), with the
source's parameters beside it (`source: agency_return_due, returns: [imr]`); the spec loader checks
both against this table. A source reads what the case record already knows and invents nothing:
it gives None when the record cannot say, so validation names the field and the officer types it.
Two sources never read the record: `typed` (the officer types the value) and `standard` (standard
wording, the model's default, which the officer may change).

Due dates come from deadlines/letter_dates.py, so a letter states the date the scheduler chases.
Only sources marked `restricted` read the RESTRICTED columns of Person (real names, dates of
birth), and the loader allows them only in letters whose identity rule is `subjects`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel import Session, col, select

from dhr_engine.deadlines.letter_dates import letter_due, return_due
from dhr_engine.domain.calendar import BankHolidays, format_date
from dhr_engine.domain.notification import (
    CRIMINAL_STATUSES,
    DEATH_TYPES,
    children_text,
    notifier_text,
    sio_text,
)
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.letters.contexts import STANDARD_TEXTS
from dhr_engine.letters.recipients import Recipient, fixed_recipient
from dhr_engine.persistence.tables import (
    Agency,
    AuditEvent,
    Case,
    CaseAgency,
    Csp,
    ParallelProceeding,
    Person,
)
from dhr_engine.persistence.tables_notification import CaseNotification
from dhr_engine.persistence.tables_plans import FINISHED_ACTION_STAGES, Plan, PlanAction, Recommendation
from dhr_engine.workflow.definition import WorkflowDefinition

REVIEW_PERIOD_YEARS = 5
CRITERIA = {
    "dhr": "The death of a person aged 16 or over appears to have resulted from violence, abuse or "
    "neglect by a relative, a current or former intimate partner, or a member of the same household "
    "(section 9(1) of the Domestic Violence, Crime and Victims Act 2004).",
    "dardr": "The death of a person aged 16 or over appears to have resulted from domestic abuse, as "
    "defined in section 1 of the Domestic Abuse Act 2021, including a suicide where domestic abuse is "
    "a factor.",
}
# C16: the stage a QA outcome leaves the case in, the outcome and the deadline it opens.
QA_OUTCOMES = {
    "qa_amendments": ("approved_with_amendments", "qa_amendments"),
    "revising": ("resubmit", "qa_resubmission"),
}
CONTRIBUTION_LABELS = {
    "imr": "IMR",
    "chronology": "Chronology",
    "short_report": "Short report",
    "none": "None",
}


def quarter_label(day: date) -> str:
    """'October to December 2026' for any day of that quarter."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    last = first + relativedelta(months=2)
    return f"{first.strftime('%B')} to {last.strftime('%B %Y')}"


def standard_terms_of_reference(pseudonym: str, period: dict[str, date]) -> list[str]:
    """The usual opening terms of reference, for the panel to adapt."""
    start, end = format_date(period["start"]), format_date(period["end"])
    return [
        f"Establish what contact each agency had with {pseudonym} and the perpetrator "
        f"between {start} and {end}.",
        "Consider whether domestic abuse, including coercive and controlling behaviour, was "
        "recognised, assessed and acted on.",
        f"Involve {pseudonym}'s family, friends and colleagues in the way they choose.",
        "Identify the lessons to be learnt, how they will be acted on and by when.",
    ]


# --- what a source reads --------------------------------------------------------------------------


@dataclass
class Draw:
    """What the sources of one letter read: the case, its partnership, the recipient, the dates."""

    session: Session
    case: Case
    csp: Csp
    recipient: Recipient
    definition: WorkflowDefinition
    calendar: BankHolidays
    today: date

    def person(self, role: str) -> Person | None:
        return self.session.exec(
            select(Person).where(Person.case_id == self.case.id, Person.role == role)
        ).first()

    @cached_property
    def victim(self) -> Person | None:
        return self.person("victim")

    @cached_property
    def perpetrator(self) -> Person | None:
        return self.person("perpetrator")

    @cached_property
    def notification(self) -> CaseNotification:
        """The notification facts of the case (all blank if none were recorded)."""
        found = self.session.get(CaseNotification, self.case.id)
        return found if found is not None else CaseNotification(case_id=self.case.id)

    @cached_property
    def chair(self) -> Recipient:
        """The case's independent chair as an addressee (no fields if none is appointed)."""
        return fixed_recipient(self.session, self.case, self.csp, "chair")

    @cached_property
    def period(self) -> dict[str, date]:
        """The review period: the years before the death, to the date of death."""
        end = self.case.date_of_death
        if end is None:
            return {}
        return {"start": end - relativedelta(years=REVIEW_PERIOD_YEARS), "end": end}

    def stage_event(self, to_stage: str, *, first: bool = False) -> AuditEvent | None:
        events = self.session.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == self.case.id, AuditEvent.kind == "stage_changed")
            .order_by(col(AuditEvent.seq))
        ).all()
        matching = [e for e in events if e.data.get("to_stage") == to_stage]
        if not matching:
            return None
        return matching[0] if first else matching[-1]

    def stage_entered(self, stage: str) -> date | None:
        event = self.stage_event(stage)
        return event.effective_on if event else None

    def due(self, key: str, anchor_on: date | None) -> date | None:
        """The case's deadline `key`: its open row, else the rule applied to `anchor_on`."""
        found = letter_due(
            self.session, self.case, self.definition, key, anchor_on=anchor_on, calendar=self.calendar
        )
        return found.due if found else None

    def agency_return(self, kinds: list[str]) -> date | None:
        """The recipient agency's return of one of `kinds` (domain/return_kinds.py)."""
        found = return_due(
            self.session, self.case, self.definition, self.recipient.agency_id, kinds,
            today=self.today, calendar=self.calendar,
        )  # fmt: skip
        return found.due if found else None

    def plan_rows(self, *, open_only: bool) -> list[tuple[PlanAction, Recommendation | None]]:
        """The recipient agency's actions in the case's action plan (open ones only, if asked)."""
        query = (
            select(PlanAction, Recommendation)
            .join(Plan, col(Plan.id) == col(PlanAction.plan_id))
            .join(Recommendation, col(Recommendation.id) == col(PlanAction.recommendation_id), isouter=True)
            .where(Plan.case_id == self.case.id, PlanAction.lead_agency_id == self.recipient.agency_id)
            .order_by(col(PlanAction.number))
        )
        if open_only:
            query = query.where(col(PlanAction.stage).not_in(FINISHED_ACTION_STAGES))
        return list(self.session.exec(query).all())


# --- the parameters a source takes ----------------------------------------------------------------


class Params(BaseModel):
    """A source's parameters, written beside `source:` in the spec (unknown ones are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NoParams(Params):
    pass


class StandardParams(Params):
    """Standard wording: a named text of contexts.STANDARD_TEXTS, or the wording itself."""

    text: str | None = None
    value: str | list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> StandardParams:
        if (self.text is None) == (self.value is None):
            raise ValueError("give either `text` (a named standard text) or `value` (the wording)")
        if self.text is not None and self.text not in STANDARD_TEXTS:
            raise ValueError(f"unknown standard text '{self.text}'; known: {', '.join(STANDARD_TEXTS)}")
        return self

    @property
    def default(self) -> str | tuple[str, ...] | list[str]:
        found = STANDARD_TEXTS[self.text] if self.text is not None else self.value
        assert found is not None
        return found


class ReturnsParams(Params):
    """The kinds of return the letter asks the agency for, most likely first."""

    returns: list[str] = Field(min_length=1)

    @field_validator("returns")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [k for k in value if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown kind of return {unknown}; known: {', '.join(KINDS)}")
        return value


class DeadlineParams(Params):
    """A deadline of the case: its row, else its rule counted from the stage's start (`from_stage`),
    else from `from` (the date the case was notified, or the letter's own date)."""

    deadline: str = Field(min_length=1)
    from_stage: str | None = None
    from_: Literal["notified_on", "letter_date"] | None = Field(default=None, alias="from")

    @model_validator(mode="after")
    def _anchor(self) -> DeadlineParams:
        if self.from_stage is None and self.from_ is None:
            raise ValueError("say what the rule counts from: `from_stage`, `from`, or both")
        return self


class StageParams(Params):
    """A stage of the case: the last time it was entered (the first, with `first: true`)."""

    stage: str = Field(min_length=1)
    first: bool = False


class FactParams(Params):
    """What the letter says when the notification did not record the fact (nothing: the officer
    types it)."""

    otherwise: str | None = None


class ChairParams(Params):
    """What the letter says when no chair is appointed yet (nothing: the officer types it)."""

    otherwise: str | None = None


# --- the sources ----------------------------------------------------------------------------------


def typed(_d: Draw, _p: NoParams) -> None:
    """Typed by the officer: the case record does not hold it."""
    return None


def standard(_d: Draw, _p: StandardParams) -> None:
    """Standard wording: the model's default (from the spec), which the officer may change."""
    return None


def agency_name(d: Draw, _p: NoParams) -> str | None:
    return d.recipient.fields.get("agency_name")


def victim_pseudonym(d: Draw, _p: NoParams) -> str | None:
    return d.victim.pseudonym if d.victim else None


def deceased_name(d: Draw, _p: NoParams) -> str | None:
    """How the family names the person who died (their agreed form), else the pseudonym."""
    return d.recipient.fields.get("deceased_name") or victim_pseudonym(d, NoParams())


def victim_name(d: Draw, _p: NoParams) -> str | None:
    return d.victim.real_name if d.victim else None


def victim_date_of_birth(d: Draw, _p: NoParams) -> date | None:
    return d.victim.date_of_birth if d.victim else None


def victim_age(d: Draw, _p: NoParams) -> int | None:
    return d.victim.age_at_death if d.victim else None


def victim_gender(d: Draw, _p: NoParams) -> str | None:
    return d.victim.sex if d.victim else None


def suspect_name(d: Draw, _p: NoParams) -> str | None:
    return d.perpetrator.real_name if d.perpetrator else None


def suspect_relationship(d: Draw, _p: NoParams) -> str | None:
    return d.perpetrator.relationship if d.perpetrator else None


def subjects(d: Draw, _p: NoParams) -> list[dict[str, Any]]:
    """The victim and the perpetrator, as an agency searches its records for them."""
    rows = d.session.exec(
        select(Person).where(Person.case_id == d.case.id, col(Person.role).in_(("victim", "perpetrator")))
    ).all()
    return [
        {"role": p.role.capitalize(), "name": p.real_name, "date_of_birth": p.date_of_birth}
        for p in sorted(rows, key=lambda p: p.role != "victim")
    ]


def date_of_death(d: Draw, _p: NoParams) -> date | None:
    return d.case.date_of_death


def date_of_death_text(d: Draw, _p: NoParams) -> str | None:
    """The date of death as precisely as it is known: '15 November 2026', 'November 2026', '2026'."""
    day = d.case.date_of_death
    if day is None:
        return None
    precision = d.case.date_of_death_precision
    if precision == "year":
        return str(day.year)
    return day.strftime("%B %Y") if precision == "month" else format_date(day)


def police_force(d: Draw, _p: NoParams) -> str | None:
    return d.case.police_force_area


def notified_on(d: Draw, _p: NoParams) -> date | None:
    return d.case.notified_on


def place_of_death(d: Draw, p: FactParams) -> str | None:
    """The town or area where the person died, as notified."""
    return d.notification.place_of_death or p.otherwise


def type_of_death(d: Draw, p: FactParams) -> str | None:
    """Homicide, suicide, or other or unexplained."""
    return DEATH_TYPES.get(d.notification.death_type, p.otherwise)


def sio_contact(d: Draw, p: FactParams) -> str | None:
    """The senior investigating officer: name, force and work contact."""
    n = d.notification
    return sio_text(n.sio_name, n.sio_force, n.sio_contact) or p.otherwise


def criminal_status(d: Draw, p: FactParams) -> str | None:
    """Where the criminal proceedings stand, as the notification (or a later change) says."""
    return CRIMINAL_STATUSES.get(d.notification.criminal_status, p.otherwise)


def children_involved(d: Draw, p: FactParams) -> str | None:
    """Whether children are involved, and how many."""
    return children_text(d.notification.children_involved, d.notification.children_count) or p.otherwise


def notifier_details(d: Draw, p: FactParams) -> str | None:
    """Who notified the partnership, and when."""
    n = d.notification
    return notifier_text(n.notifier_organisation, n.notifier_name, d.case.notified_on) or p.otherwise


def known_agencies(d: Draw, _p: NoParams) -> list[str]:
    """The agencies recorded on the case as having had contact with the people involved."""
    rows = d.session.exec(
        select(Agency.name)
        .join(CaseAgency, col(CaseAgency.agency_id) == col(Agency.id))
        .where(CaseAgency.case_id == d.case.id, CaseAgency.contact == "yes")
    ).all()
    return sorted(rows)


def case_summary(d: Draw, _p: NoParams) -> str | None:
    return d.case.summary or None


def case_title(d: Draw, _p: NoParams) -> str | None:
    return d.case.title or None


def review_criteria(d: Draw, _p: NoParams) -> str | None:
    """The statutory test of the case's kind of review."""
    return CRITERIA.get(d.case.review_type)


def review_period_start(d: Draw, _p: NoParams) -> date | None:
    return d.period.get("start")


def review_period_end(d: Draw, _p: NoParams) -> date | None:
    return d.period.get("end")


def terms_of_reference(d: Draw, _p: NoParams) -> list[str] | None:
    if d.victim is None or not d.period:
        return None
    return standard_terms_of_reference(d.victim.pseudonym, d.period)


def agency_contacts(d: Draw, _p: NoParams) -> list[dict[str, str]]:
    """Each agency involved in the case: whether it had contact, and what it contributes."""
    rows = d.session.exec(
        select(CaseAgency, Agency)
        .join(Agency, col(Agency.id) == col(CaseAgency.agency_id))
        .where(CaseAgency.case_id == d.case.id)
    ).all()
    return [
        {
            "agency": a.name,
            "contact": ca.contact,
            "contribution": CONTRIBUTION_LABELS.get(ca.contribution, ca.contribution),
        }
        for ca, a in sorted(rows, key=lambda r: r[1].name)
    ]


def parallel_proceedings(d: Draw, _p: NoParams) -> str:
    """A sentence on each parallel proceeding (criminal trial, inquest, ...) and where it stands."""
    rows = d.session.exec(select(ParallelProceeding).where(ParallelProceeding.case_id == d.case.id)).all()
    if not rows:
        return "There are no parallel proceedings."
    parts = []
    for p in rows:
        kind = p.kind.replace("_", " ").capitalize()
        state = f"concluded on {format_date(p.concluded_on)}" if p.concluded_on else "not yet concluded"
        parts.append(
            f"{kind} ({p.body or 'body not recorded'}): started {format_date(p.started_on)}, {state}."
        )
    return " ".join(parts)


def csp_contact_email(d: Draw, _p: NoParams) -> str | None:
    return d.csp.contact_email or None


def stage_date(d: Draw, p: StageParams) -> date | None:
    """The date the case entered the stage (a decision, a submission), from the audit trail."""
    event = d.stage_event(p.stage, first=p.first)
    return event.effective_on if event else None


def stage_reason(d: Draw, p: StageParams) -> str | None:
    """The reason given when the case entered the stage."""
    event = d.stage_event(p.stage, first=p.first)
    return (event.data.get("reason") or None) if event else None


def chair_name(d: Draw, p: ChairParams) -> str | None:
    """The independent chair's name (or `otherwise`, if none is appointed yet)."""
    return d.chair.fields.get("recipient_name") or p.otherwise


def chair_contact(d: Draw, _p: NoParams) -> str | None:
    """The independent chair's e-mail address."""
    return d.chair.fields.get("recipient_address", "").removeprefix("By email: ") or None


def deadline_due(d: Draw, p: DeadlineParams) -> date | None:
    """The due date of a deadline of the case, as the scheduler chases it (letter_dates.py)."""
    anchor = d.stage_entered(p.from_stage) if p.from_stage else None
    if anchor is None and p.from_ == "notified_on":
        anchor = d.case.notified_on
    elif anchor is None and p.from_ == "letter_date":
        anchor = d.today
    return d.due(p.deadline, anchor)


def agency_return_due(d: Draw, p: ReturnsParams) -> date | None:
    """The due date of the recipient agency's return of one of the kinds the letter asks for."""
    return d.agency_return(p.returns)


def qa_outcome(d: Draw, _p: NoParams) -> str | None:
    """The QA Panel's outcome, read from the stage the case is in."""
    found = QA_OUTCOMES.get(d.case.stage)
    return found[0] if found else None


def qa_respond_by(d: Draw, _p: NoParams) -> date | None:
    """The deadline the QA outcome opened (amendments or resubmission)."""
    found = QA_OUTCOMES.get(d.case.stage)
    return d.due(found[1], d.stage_entered(d.case.stage)) if found else None


def agency_recommendations(d: Draw, _p: NoParams) -> list[dict[str, Any]]:
    """The recipient agency's actions in the action plan, with the recommendation each answers."""
    return [
        {"number": a.number, "text": rec.text if rec else a.description, "action": a.description,
         "target_date": a.target_date}
        for a, rec in d.plan_rows(open_only=False)
    ]  # fmt: skip


def agency_open_actions(d: Draw, _p: NoParams) -> list[dict[str, Any]]:
    """The recipient agency's open actions, with their stage."""
    return [
        {"number": a.number, "description": a.description, "target_date": a.target_date,
         "status": a.stage.replace("_", " ").capitalize()}
        for a, _rec in d.plan_rows(open_only=True)
    ]  # fmt: skip


def reporting_cadence(d: Draw, _p: NoParams) -> str:
    """How often the action plan is reported on ('every 3 months')."""
    plan = d.session.exec(select(Plan).where(Plan.case_id == d.case.id)).first()
    return f"every {plan.cadence_months if plan else 3} months"


def quarter_of_letter_date(d: Draw, _p: NoParams) -> str:
    return quarter_label(d.today)


@dataclass(frozen=True)
class Source:
    """A named source: its function, its parameters, and what it may be used for."""

    read: Callable[[Draw, Any], object]
    params: type[Params] = NoParams
    restricted: bool = False  # reads a real name or date of birth: letters with identity 'subjects' only
    recipient: str | None = None  # the recipient kind it reads ('agency', 'family'); None: any


SOURCES: Mapping[str, Source] = {
    "typed": Source(typed),
    "standard": Source(standard, StandardParams),
    "agency_name": Source(agency_name, recipient="agency"),
    "victim_pseudonym": Source(victim_pseudonym),
    "deceased_name": Source(deceased_name, recipient="family"),
    "victim_name": Source(victim_name, restricted=True),
    "victim_date_of_birth": Source(victim_date_of_birth, restricted=True),
    "victim_age": Source(victim_age),
    "victim_gender": Source(victim_gender),
    "suspect_name": Source(suspect_name, restricted=True),
    "suspect_relationship": Source(suspect_relationship),
    "subjects": Source(subjects, restricted=True),
    "date_of_death": Source(date_of_death),
    "date_of_death_text": Source(date_of_death_text),
    "police_force": Source(police_force),
    "notified_on": Source(notified_on),
    "case_summary": Source(case_summary),
    "place_of_death": Source(place_of_death, FactParams),
    "type_of_death": Source(type_of_death, FactParams),
    "sio_contact": Source(sio_contact, FactParams),
    "criminal_status": Source(criminal_status, FactParams),
    "children_involved": Source(children_involved, FactParams),
    "notifier_details": Source(notifier_details, FactParams),
    "known_agencies": Source(known_agencies),
    "case_title": Source(case_title),
    "review_criteria": Source(review_criteria),
    "review_period_start": Source(review_period_start),
    "review_period_end": Source(review_period_end),
    "terms_of_reference": Source(terms_of_reference),
    "agency_contacts": Source(agency_contacts),
    "parallel_proceedings": Source(parallel_proceedings),
    "csp_contact_email": Source(csp_contact_email),
    "stage_date": Source(stage_date, StageParams),
    "stage_reason": Source(stage_reason, StageParams),
    "chair_name": Source(chair_name, ChairParams),
    "chair_contact": Source(chair_contact),
    "deadline_due": Source(deadline_due, DeadlineParams),
    "agency_return_due": Source(agency_return_due, ReturnsParams, recipient="agency"),
    "qa_outcome": Source(qa_outcome),
    "qa_respond_by": Source(qa_respond_by),
    "agency_recommendations": Source(agency_recommendations, recipient="agency"),
    "agency_open_actions": Source(agency_open_actions, recipient="agency"),
    "reporting_cadence": Source(reporting_cadence),
    "quarter_of_letter_date": Source(quarter_of_letter_date),
}
