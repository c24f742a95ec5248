"""Fill a letter's merge fields from the case: what the record already knows, nothing invented.

Fields the case cannot supply (a meeting venue, a reason for delay, the panel's feedback) are left
out, so validation names them and the officer supplies them when drafting by hand.
Only letters whose identity rule allows it read the RESTRICTED columns of Person.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from dhr_engine.deadlines.letter_dates import letter_due, return_due
from dhr_engine.domain.calendar import BankHolidays, format_date
from dhr_engine.domain.letter_codes import LetterCode
from dhr_engine.letters.catalogue import LetterSpec
from dhr_engine.letters.recipients import Recipient, fixed_recipient, short_name
from dhr_engine.persistence.tables import (
    Agency,
    AuditEvent,
    Case,
    CaseAgency,
    Csp,
    ParallelProceeding,
    Person,
)
from dhr_engine.persistence.tables_plans import FINISHED_ACTION_STAGES, Plan, PlanAction, Recommendation
from dhr_engine.workflow.definition import WorkflowDefinition

L = LetterCode
REVIEW_PERIOD_YEARS = 5
CRITERIA = {
    "dhr": "The death of a person aged 16 or over appears to have resulted from violence, abuse or "
    "neglect by a relative, a current or former intimate partner, or a member of the same household "
    "(section 9(1) of the Domestic Violence, Crime and Victims Act 2004).",
    "dardr": "The death of a person aged 16 or over appears to have resulted from domestic abuse, as "
    "defined in section 1 of the Domestic Abuse Act 2021, including a suicide where domestic abuse is "
    "a factor.",
}


def quarter_label(day: date) -> str:
    """'October to December 2026' for any day of that quarter."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    last = first + relativedelta(months=2)
    return f"{first.strftime('%B')} to {last.strftime('%B %Y')}"


def _person(session: Session, case: Case, role: str) -> Person | None:
    return session.exec(select(Person).where(Person.case_id == case.id, Person.role == role)).first()


def _death_text(case: Case) -> str | None:
    if case.date_of_death is None:
        return None
    precision = case.date_of_death_precision
    if precision == "year":
        return str(case.date_of_death.year)
    return case.date_of_death.strftime("%B %Y") if precision == "month" else format_date(case.date_of_death)


def _stage_event(session: Session, case: Case, to_stage: str, *, first: bool = False) -> AuditEvent | None:
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.kind == "stage_changed")
        .order_by(col(AuditEvent.seq))
    ).all()
    matching = [e for e in events if e.data.get("to_stage") == to_stage]
    if not matching:
        return None
    return matching[0] if first else matching[-1]


def _period(case: Case) -> dict[str, date]:
    if case.date_of_death is None:
        return {}
    end = case.date_of_death
    return {"start": end - relativedelta(years=REVIEW_PERIOD_YEARS), "end": end}


def _subjects(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Person).where(Person.case_id == case.id, col(Person.role).in_(("victim", "perpetrator")))
    ).all()
    return [
        {"role": p.role.capitalize(), "name": p.real_name, "date_of_birth": p.date_of_birth}
        for p in sorted(rows, key=lambda p: p.role != "victim")
    ]


def _agency_contacts(session: Session, case: Case) -> list[dict[str, str]]:
    rows = session.exec(
        select(CaseAgency, Agency)
        .join(Agency, col(Agency.id) == col(CaseAgency.agency_id))
        .where(CaseAgency.case_id == case.id)
    ).all()
    labels = {"imr": "IMR", "chronology": "Chronology", "short_report": "Short report", "none": "None"}
    return [
        {
            "agency": a.name,
            "contact": ca.contact,
            "contribution": labels.get(ca.contribution, ca.contribution),
        }
        for ca, a in sorted(rows, key=lambda r: r[1].name)
    ]


def _proceedings(session: Session, case: Case) -> str:
    rows = session.exec(select(ParallelProceeding).where(ParallelProceeding.case_id == case.id)).all()
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


def _plan_rows(
    session: Session, case: Case, agency_id: Any, *, open_only: bool
) -> list[tuple[PlanAction, Any]]:
    query = (
        select(PlanAction, Recommendation)
        .join(Plan, col(Plan.id) == col(PlanAction.plan_id))
        .join(Recommendation, col(Recommendation.id) == col(PlanAction.recommendation_id), isouter=True)
        .where(Plan.case_id == case.id, PlanAction.lead_agency_id == agency_id)
        .order_by(col(PlanAction.number))
    )
    if open_only:
        query = query.where(col(PlanAction.stage).not_in(FINISHED_ACTION_STAGES))
    return list(session.exec(query).all())


def _plan_cadence(session: Session, case: Case) -> int:
    plan = session.exec(select(Plan).where(Plan.case_id == case.id)).first()
    return plan.cadence_months if plan else 3


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


class _Dates:
    """The due dates this letter states, read as the scheduler chases them (deadlines/letter_dates.py)."""

    def __init__(
        self,
        session: Session,
        case: Case,
        definition: WorkflowDefinition,
        calendar: BankHolidays,
        today: date,
    ) -> None:
        self.session, self.case, self.definition = session, case, definition
        self.calendar, self.today = calendar, today

    def due(self, key: str, anchor_on: date | None) -> date | None:
        """The case's deadline `key`: its open row, else the rule applied to `anchor_on`."""
        found = letter_due(
            self.session, self.case, self.definition, key, anchor_on=anchor_on, calendar=self.calendar
        )
        return found.due if found else None

    def reply(self, key: str) -> date | None:
        """A reply the letter itself asks for: the rule counted from the letter's date."""
        return self.due(key, self.today)

    def stage_entered(self, stage: str) -> date | None:
        event = _stage_event(self.session, self.case, stage)
        return event.effective_on if event else None

    def agency_return(self, recipient: Recipient, *kinds: str) -> date | None:
        """The recipient agency's return of one of `kinds` (domain/return_kinds.py)."""
        found = return_due(
            self.session, self.case, self.definition, recipient.agency_id, kinds,
            today=self.today, calendar=self.calendar,
        )  # fmt: skip
        return found.due if found else None


# C16: the stage a QA outcome leaves the case in, the outcome and the deadline it opens.
QA_OUTCOMES = {
    "qa_amendments": ("approved_with_amendments", "qa_amendments"),
    "revising": ("resubmit", "qa_resubmission"),
}


def _specific(
    session: Session, case: Case, csp: Csp, spec: LetterSpec, recipient: Recipient, dates: _Dates
) -> dict[str, Any]:
    code, today = spec.code, dates.today
    victim = _person(session, case, "victim")
    fields: dict[str, Any] = {"victim_pseudonym": victim.pseudonym if victim else None}
    fields["date_of_death_text"] = _death_text(case)
    period = _period(case)
    if code in {L.C07_CHAIR_COMMISSION, L.C08_PANEL_INVITATION} and victim and period:
        fields["terms_of_reference"] = standard_terms_of_reference(victim.pseudonym, period)
    if code is L.C01_NOTIFICATION_FORM:
        perpetrator = _person(session, case, "perpetrator")
        fields.update(
            victim_name=victim.real_name if victim else None,
            victim_date_of_birth=victim.date_of_birth if victim else None,
            victim_age=victim.age_at_death if victim else None,
            victim_gender=victim.sex if victim else None,
            suspect_name=perpetrator.real_name if perpetrator else None,
            suspect_relationship=perpetrator.relationship if perpetrator else None,
            date_of_death=case.date_of_death,
            police_force=case.police_force_area,
        )
    elif code is L.C02_SCOPING_REQUEST:
        fields.update(
            subjects=_subjects(session, case),
            search_period_start=period.get("start"),
            search_period_end=period.get("end"),
            reply_by=dates.agency_return(recipient, "scoping_reply"),
        )
    elif code is L.C03_DECISION_BRIEFING:
        fields.update(
            notified_on=case.notified_on,
            decision_due=dates.due("csp_decision", case.notified_on),
            summary_of_facts=case.summary,
            criteria=CRITERIA.get(case.review_type),
            agency_contacts=_agency_contacts(session, case),
        )
    elif code in {L.C04_HO_DECISION_PROCEED, L.C05_HO_DECISION_NOT_PROCEED}:
        stage = "decided_proceed" if code is L.C04_HO_DECISION_PROCEED else "decided_not_proceed"
        event = _stage_event(session, case, stage)
        fields["decision_date"] = event.effective_on if event else None
        if code is L.C04_HO_DECISION_PROCEED:
            chair_name = fixed_recipient(session, case, csp, "chair").fields.get("recipient_name")
            fields["chair_name"] = chair_name or "Not yet appointed"
            fields["expected_completion"] = dates.due(
                "review_completion", dates.stage_entered("decided_proceed")
            )
        else:
            fields["reasons"] = (event.data.get("reason") or None) if event else None
    elif code in {L.C07_CHAIR_COMMISSION, L.C12_ADVOCACY_REFERRAL}:
        fields["case_summary"] = case.summary or None
        if code is L.C07_CHAIR_COMMISSION:
            fields["expected_completion"] = dates.due(
                "review_completion", dates.stage_entered("decided_proceed")
            )
            fields["reply_by"] = dates.reply("chair_commission_reply")
    elif code in {L.C09_IMR_REQUEST, L.C10_CHRONOLOGY_REQUEST}:
        fields.update(
            review_period_start=period.get("start"),
            review_period_end=period.get("end"),
            due_date=dates.agency_return(recipient, "imr", "short_report")
            if code is L.C09_IMR_REQUEST
            else dates.agency_return(recipient, "chronology"),
        )
    elif code in {L.C11_FAMILY_FIRST_LETTER, L.C13_DRAFT_REPORT_FAMILY}:
        chair = fixed_recipient(session, case, csp, "chair")
        fields["deceased_name"] = recipient.fields.get("deceased_name") or fields["victim_pseudonym"]
        fields["chair_name"] = chair.fields.get("recipient_name")
        if code is L.C11_FAMILY_FIRST_LETTER:
            address = chair.fields.get("recipient_address", "")
            fields["chair_contact"] = address.removeprefix("By email: ") or None
        else:
            fields["comments_by"] = dates.reply("family_draft_comments")
    elif code is L.C14_DELAY_NOTICE:
        fields["original_target"] = dates.due("review_completion", dates.stage_entered("decided_proceed"))
    elif code is L.C15_QA_SUBMISSION:
        fields["parallel_proceedings"] = _proceedings(session, case)
        fields["contact_email"] = csp.contact_email or None
    elif code is L.C16_QA_FEEDBACK and case.stage in QA_OUTCOMES:
        outcome, key = QA_OUTCOMES[case.stage]
        fields["outcome"] = outcome
        fields["respond_by"] = dates.due(key, dates.stage_entered(case.stage))
    elif code is L.C17_QA_RESUBMISSION:
        first = _stage_event(session, case, "qa_submitted", first=True)
        fields["original_submission_date"] = first.effective_on if first else None
    elif code is L.C18_PUBLICATION_NOTICE:
        fields["review_name"] = case.title or None
        fields["publication_date"] = dates.due("publication", dates.stage_entered("pre_publication") or today)
    elif code is L.C20_RECOMMENDATION_LETTER:
        rows = _plan_rows(session, case, recipient.agency_id, open_only=False)
        cadence = _plan_cadence(session, case)
        fields["recommendations"] = [
            {"number": a.number, "text": rec.text if rec else a.description, "action": a.description,
             "target_date": a.target_date}
            for a, rec in rows
        ]  # fmt: skip
        fields["reporting_cadence"] = f"every {cadence} months"
        fields["first_report_due"] = dates.due(
            "action_plan_review", dates.stage_entered("action_plan_monitoring") or today
        )
    elif code is L.C21_ACTION_PLAN_PROGRESS_REQUEST:
        rows = _plan_rows(session, case, recipient.agency_id, open_only=True)
        fields["actions"] = [
            {"number": a.number, "description": a.description, "target_date": a.target_date,
             "status": a.stage.replace("_", " ").capitalize()}
            for a, _rec in rows
        ]  # fmt: skip
        fields["period"] = quarter_label(today)
        fields["return_by"] = dates.agency_return(recipient, "action_plan_progress")
    return fields


def case_fields(
    session: Session,
    case: Case,
    csp: Csp,
    spec: LetterSpec,
    recipient: Recipient,
    *,
    today: date,
    marking: str,
    sender: tuple[str, str] | None,
    calendar: BankHolidays,
    definition: WorkflowDefinition,
) -> dict[str, Any]:
    """Every merge field the case record can supply for this letter and recipient (None: unknown).

    Due dates come from the case's deadlines under its workflow `definition` (deadlines/letter_dates.py).
    """
    fields: dict[str, Any] = {
        "case_ref": case.ref,
        "csp_name": csp.name,
        "csp_address": csp.address,
        "date": today,
        "security_marking": marking,
    }
    if sender is not None:
        fields["sender_name"], fields["sender_role"] = short_name(sender[0]), sender[1]
    fields.update(recipient.fields)
    dates = _Dates(session, case, definition, calendar, today)
    fields.update(_specific(session, case, csp, spec, recipient, dates))
    names = set(spec.context_model.model_fields)
    # Unknown values are left out (so validation reports them as missing); blanks count as unknown.
    return {k: v for k, v in fields.items() if k in names and v not in (None, "", [])}
