"""A date a letter states is the due date of the deadline the scheduler chases (deadlines/letter_dates.py).

Every date merge field of every letter is declared below: either the deadline it is the date of,
or why it is not a time limit. A new date field that is neither fails the first test.
"""

from __future__ import annotations

import re
import types
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from sqlmodel import col, select

from dhr_engine.cases import service as case_service
from dhr_engine.config import PROJECT_ROOT
from dhr_engine.context import AppContext
from dhr_engine.deadlines.service import bank_holidays, compute_due, effective_rule
from dhr_engine.demo.builder import DemoBuilder, Reference
from dhr_engine.demo.returns import walk_returns
from dhr_engine.domain.calendar import BankHolidays, add_working_days, format_date
from dhr_engine.domain.clock import FakeClock
from dhr_engine.domain.letter_codes import LetterCode
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.errors import InvalidLetterContext
from dhr_engine.letters import service as svc
from dhr_engine.letters.catalogue import CATALOGUE, spec_for
from dhr_engine.letters.samples import load_sample
from dhr_engine.persistence.case_lookup import csp_overrides
from dhr_engine.persistence.tables import Case, Csp, Deadline, Person, ReturnRequest
from dhr_engine.persistence.tables_letters import Letter
from dhr_engine.persistence.tables_plans import Plan, PlanAction, Recommendation
from dhr_engine.returns import service as returns
from dhr_engine.workflow.definition import Duration
from dhr_engine.workflow.loader import load_definition
from tests.conftest import TODAY
from tests.letters.helpers import open_case_with_people

L = LetterCode
TEMPLATES = PROJECT_ROOT / "templates"

# Every date a letter states as a time limit, and the deadline (workflows/*.yaml) it is the date of.
STATED: dict[tuple[LetterCode, str], str] = {
    (L.C02_SCOPING_REQUEST, "reply_by"): "scoping_reply",
    (L.C03_DECISION_BRIEFING, "decision_due"): "csp_decision",
    (L.C04_HO_DECISION_PROCEED, "expected_completion"): "review_completion",
    (L.C07_CHAIR_COMMISSION, "expected_completion"): "review_completion",
    (L.C07_CHAIR_COMMISSION, "reply_by"): "chair_commission_reply",
    (L.C09_IMR_REQUEST, "due_date"): "imr_return",
    (L.C10_CHRONOLOGY_REQUEST, "due_date"): "chronology_return",
    (L.C13_DRAFT_REPORT_FAMILY, "comments_by"): "family_draft_comments",
    (L.C14_DELAY_NOTICE, "original_target"): "review_completion",
    (L.C16_QA_FEEDBACK, "respond_by"): "qa_amendments",
    (L.C18_PUBLICATION_NOTICE, "publication_date"): "publication",
    (L.C20_RECOMMENDATION_LETTER, "first_report_due"): "action_plan_review",
    (L.C21_ACTION_PLAN_PROGRESS_REQUEST, "return_by"): "action_plan_progress_return",
    (L.C23_FAMILY_PUBLICATION_NOTICE, "publication_date"): "publication",
}

# The other date fields: facts of the case or dates someone supplies, not time limits.
NOT_A_DEADLINE: dict[tuple[LetterCode | None, str], str] = {
    (None, "date"): "the date of the letter itself",
    (L.C01_NOTIFICATION_FORM, "victim_date_of_birth"): "a fact about the victim",
    (L.C01_NOTIFICATION_FORM, "date_of_death"): "a fact of the case",
    (L.C02_SCOPING_REQUEST, "subjects[].date_of_birth"): "a fact about a subject",
    (L.C02_SCOPING_REQUEST, "search_period_start"): "the review period, from the date of death",
    (L.C02_SCOPING_REQUEST, "search_period_end"): "the review period: the date of death",
    (L.C03_DECISION_BRIEFING, "notified_on"): "the date the death was notified",
    (L.C04_HO_DECISION_PROCEED, "decision_date"): "the date of the decision (audit trail)",
    (L.C05_HO_DECISION_NOT_PROCEED, "decision_date"): "the date of the decision (audit trail)",
    (L.C06_HO_RESPONSE, "response_date"): "the date the Home Office replied",
    (L.C08_PANEL_INVITATION, "meeting_date"): "the date of a meeting the chair arranges",
    (L.C09_IMR_REQUEST, "review_period_start"): "the review period, from the date of death",
    (L.C09_IMR_REQUEST, "review_period_end"): "the review period: the date of death",
    (L.C10_CHRONOLOGY_REQUEST, "review_period_start"): "the review period, from the date of death",
    (L.C10_CHRONOLOGY_REQUEST, "review_period_end"): "the review period: the date of death",
    (L.C12_ADVOCACY_REFERRAL, "family_consent_date"): "the date the family agreed",
    (L.C14_DELAY_NOTICE, "new_expected_date"): "the chair's new estimate, given with the reason",
    (L.C16_QA_FEEDBACK, "panel_meeting_date"): "the date the QA Panel met",
    (L.C17_QA_RESUBMISSION, "original_submission_date"): "the date of the first submission",
    (L.C17_QA_RESUBMISSION, "panel_meeting_date"): "the date the QA Panel met",
    (L.C19_REPORT_COPY_SOS_DAC, "completion_date"): "the date the review was completed",
    (L.C20_RECOMMENDATION_LETTER, "recommendations[].target_date"): "the action's own target date",
    (L.C21_ACTION_PLAN_PROGRESS_REQUEST, "actions[].target_date"): "the action's own target date",
    (L.C22_FAMILY_NO_REVIEW, "decision_date"): "the date of the decision (audit trail)",
}


def _date_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The date fields of a context model, nested models and lists of them included."""
    found = []
    for name, info in model.model_fields.items():
        pending: list[Any] = [info.annotation]
        while pending:
            kind = pending.pop()
            if kind is date:
                found.append(prefix + name)
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                found += _date_fields(kind, f"{prefix}{name}.")
            elif get_origin(kind) is list:
                (item,) = get_args(kind)
                if isinstance(item, type) and issubclass(item, BaseModel):
                    found += _date_fields(item, f"{prefix}{name}[].")
                else:
                    pending.append(item)
            elif get_origin(kind) in (Union, types.UnionType):
                pending += list(get_args(kind))
    return found


def test_every_date_field_of_every_letter_is_declared() -> None:
    covered = set(STATED) | {k for k in NOT_A_DEADLINE if k[0] is not None}
    common = {name for (code, name) in NOT_A_DEADLINE if code is None}
    undeclared = [
        f"{code.value}.{name}"
        for code, spec in CATALOGUE.items()
        for name in _date_fields(spec.context_model)
        if name not in common and (code, name) not in covered
    ]
    assert undeclared == [], "declare each date field in STATED (a deadline) or NOT_A_DEADLINE (why not)"
    every = {(code, name) for code, spec in CATALOGUE.items() for name in _date_fields(spec.context_model)}
    stale = [k for k in covered if k not in every]
    assert stale == [], "declared date fields that no letter has"
    for path in ("dhr_2016.yaml", "dardr_2024.yaml"):
        definition = load_definition(PROJECT_ROOT / "workflows" / path)
        missing = sorted({key for key in STATED.values() if key not in definition.deadlines})
        assert missing == [], f"{path} has no rule for {missing}"
        assert all(definition.deadlines[key].evidence for key in STATED.values())
    for code, name in STATED:
        template = (TEMPLATES / "letters/national" / spec_for(code).template).read_text()
        assert re.search(rf"\b{name}\b", template), f"{code.value} does not state {name}"


# --- drafting letters from real cases -------------------------------------------------------------


@dataclass
class Checks:
    """What each letter stated against what the deadline says; every mismatch is reported at once."""

    ctx: AppContext
    ref: Reference
    seen: set[tuple[LetterCode, str]] = field(default_factory=set)
    wrong: list[str] = field(default_factory=list)

    def draft(
        self, case: Case, code: LetterCode, *, agency: str | None = None, person_id: uuid.UUID | None = None
    ) -> Letter:
        """Draft the letter from the case; only what the case cannot know comes from the sample."""
        agency_id = self.ref.agencies[agency].id if agency else None
        request = svc.DraftRequest(code=code.value, agency_id=agency_id, person_id=person_id)
        officer = self.ref.actor("officer")
        try:
            return svc.draft_letter(self.ctx, actor=officer, request=request, case_id=case.id)
        except InvalidLetterContext as err:
            missing = {str(item.field).split(".")[0].split("[")[0] for item in err.items}
        typed_in = missing & {name for c, name in STATED if c is code}
        assert not typed_in, f"{code.value}: the case did not supply {typed_in}"
        sample = load_sample(TEMPLATES, spec_for(code)).context
        request = svc.DraftRequest(
            code=code.value, agency_id=agency_id, person_id=person_id, fields={k: sample[k] for k in missing}
        )
        return svc.draft_letter(self.ctx, actor=officer, request=request, case_id=case.id)

    def check(self, letter: Letter, name: str, expected: date) -> None:
        """The letter's field is the expected due date, and the letter prints it in British form."""
        code = LetterCode(letter.code)
        assert (code, name) in STATED, f"{code.value}.{name} is not declared as a stated due date"
        self.seen.add((code, name))
        stated = date.fromisoformat(letter.context[name])
        if stated != expected:
            self.wrong.append(f"{code.value}.{name}: letter says {stated}, the deadline is {expected}")
        if format_date(expected) not in svc.letter_html(self.ctx, letter):
            self.wrong.append(f"{code.value}: '{format_date(expected)}' is not in the letter")


def _open_row(ctx: AppContext, case: Case, key: str, agency_id: uuid.UUID | None = None) -> Deadline:
    """The open deadline row the scheduler chases (for an agency: its return request's row)."""
    with ctx.reader() as uow:
        query = select(Deadline).where(
            Deadline.case_id == case.id, Deadline.key == key, Deadline.status == "open"
        )
        if agency_id is not None:
            requests = select(ReturnRequest.id).where(
                ReturnRequest.case_id == case.id, ReturnRequest.agency_id == agency_id
            )
            query = query.where(col(Deadline.subject_id).in_(requests))
        (row,) = uow.session.exec(query).all()
        uow.session.expunge(row)
        return row


def _by_rule(ctx: AppContext, case: Case, key: str, anchor: date) -> date:
    """The case's workflow rule, with the CSP's overrides, applied to the anchor on the statutory calendar."""
    definition = ctx.workflows.get(case.workflow_key, case.workflow_version)
    with ctx.reader() as uow:
        rule = effective_rule(definition, key, csp_overrides(uow.session, case.csp_id))
        return compute_due(rule.add, anchor, bank_holidays(uow.session)).due


def _request(
    ctx: AppContext, ref: Reference, case: Case, agency: str, kind: str, on: date | None = None
) -> None:
    returns.request_returns(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id,
        agency_ids=[ref.agencies[agency].id], kind=kind, requested_on=on,
    )  # fmt: skip


def _family_member(ctx: AppContext, case: Case) -> uuid.UUID:
    with ctx.reader() as uow:
        return uow.session.exec(
            select(Person.id).where(Person.case_id == case.id, Person.role == "family")
        ).one()


def _add_plan(ctx: AppContext, ref: Reference, case: Case, *agencies: str) -> None:
    with ctx.uow() as uow:
        plan = Plan(csp_id=ref.csp.id, case_id=case.id, kind="review", title="Action plan", created_on=TODAY)
        uow.session.add(plan)
        uow.session.flush()
        rec = Recommendation(plan_id=plan.id, number=1, text="Risk-assess every repeat incident.",
                             level="single_agency", created_on=TODAY)  # fmt: skip
        uow.session.add(rec)
        uow.session.flush()
        for n, agency in enumerate(agencies, 1):
            uow.session.add(PlanAction(plan_id=plan.id, recommendation_id=rec.id, number=f"1.{n}",
                                       description=f"Action 1.{n}", lead_agency_id=ref.agencies[agency].id,
                                       target_date=date(2027, 6, 30), stage="in_progress",
                                       stage_entered_on=TODAY, created_on=TODAY))  # fmt: skip
        uow.commit()


def _set_overrides(ctx: AppContext, ref: Reference, overrides: dict[str, dict[str, int]]) -> None:
    with ctx.uow() as uow:
        csp = uow.session.get(Csp, ref.csp.id)
        assert csp is not None
        csp.deadline_overrides = overrides
        uow.session.add(csp)
        uow.commit()


def test_every_stated_date_is_the_due_date_the_scheduler_chases(
    lite: AppContext, lite_ref: Reference
) -> None:
    ctx, ref = lite, lite_ref
    checks = Checks(ctx, ref)
    b = DemoBuilder(ctx, ref, TODAY)

    # A review from notification to information gathering; each letter is drafted where it is sent.
    case = b.open("Dawn", 30)
    b.fire(case, "start_scoping", 29, "officer")
    b.fire(case, "submit_decision_briefing", 20, "officer")
    checks.check(
        checks.draft(case, L.C03_DECISION_BRIEFING),
        "decision_due",
        _open_row(ctx, case, "csp_decision").adjusted_due,
    )
    b.fire(case, "decide_to_review", 15, "cspchair")
    completion = _open_row(ctx, case, "review_completion").adjusted_due
    checks.check(checks.draft(case, L.C04_HO_DECISION_PROCEED), "expected_completion", completion)
    b.fire(case, "notify_home_office_of_review", 15, "officer")
    b.staff(case, 14)
    b.fire(case, "appoint_chair", 14, "officer")
    c07 = checks.draft(case, L.C07_CHAIR_COMMISSION)
    checks.check(c07, "expected_completion", completion)
    checks.check(c07, "reply_by", _by_rule(ctx, case, "chair_commission_reply", TODAY))
    b.fire(case, "establish_panel", 12, "chair")
    b.fire(case, "start_information_gathering", 12, "chair")
    police, housing = ref.agencies["northmoor_police"].id, ref.agencies["housing"].id
    _request(ctx, ref, case, "northmoor_police", "imr")
    _request(ctx, ref, case, "housing", "chronology")
    checks.check(checks.draft(case, L.C09_IMR_REQUEST, agency="northmoor_police"), "due_date",
                 _open_row(ctx, case, "imr_return", police).adjusted_due)  # fmt: skip
    checks.check(checks.draft(case, L.C10_CHRONOLOGY_REQUEST, agency="housing"), "due_date",
                 _open_row(ctx, case, "chronology_return", housing).adjusted_due)  # fmt: skip
    checks.check(checks.draft(case, L.C14_DELAY_NOTICE), "original_target", completion)
    checks.check(checks.draft(case, L.C13_DRAFT_REPORT_FAMILY, person_id=_family_member(ctx, case)),
                 "comments_by", _by_rule(ctx, case, "family_draft_comments", TODAY))  # fmt: skip
    # Scoping: an agency asked has its row; an agency not yet asked is given the rule from today.
    _request(ctx, ref, case, "northmoor_police", "scoping_reply", b.day(10))
    asked = _open_row(ctx, case, "scoping_reply", police).adjusted_due
    checks.check(checks.draft(case, L.C02_SCOPING_REQUEST, agency="northmoor_police"), "reply_by", asked)
    not_asked = _by_rule(ctx, case, "scoping_reply", TODAY)
    assert not_asked != asked  # another agency's row is not this agency's date
    checks.check(checks.draft(case, L.C02_SCOPING_REQUEST, agency="acute_trust"), "reply_by", not_asked)

    # A review walked on to QA, publication and monitoring of its action plan.
    late = b.open("Grace", 400)
    b.to_information_gathering(late, 400)
    walk_returns(b, late, {"northmoor_police": "imr"}, "accepted", 330)
    b.family(late, "first_letter_sent", 335)
    b.fire(late, "complete_information_gathering", 300, "chair")
    b.fire(late, "start_drafting", 290, "chair")
    b.family(late, "draft_shared", 230)
    b.fire(late, "share_draft_with_family", 230, "chair")
    b.fire(late, "agree_report_at_panel", 200, "chair")
    b.fire(late, "sign_off_report", 190, "cspchair")
    b.fire(late, "submit_to_qa", 185, "officer")
    b.fire(late, "record_qa_approved_with_amendments", 120, "officer")
    c16 = checks.draft(late, L.C16_QA_FEEDBACK)
    assert c16.context["outcome"] == "approved_with_amendments"
    checks.check(c16, "respond_by", _open_row(ctx, late, "qa_amendments").adjusted_due)
    b.fire(late, "complete_amendments", 100, "chair")
    b.fire(late, "send_publication_notices", 90, "officer")
    checks.check(checks.draft(late, L.C18_PUBLICATION_NOTICE), "publication_date",
                 _open_row(ctx, late, "publication").adjusted_due)  # fmt: skip
    checks.check(checks.draft(late, L.C23_FAMILY_PUBLICATION_NOTICE, person_id=_family_member(ctx, late)),
                 "publication_date", _open_row(ctx, late, "publication").adjusted_due)  # fmt: skip
    b.fire(late, "publish_report", 70, "officer")
    b.fire(late, "start_action_plan_monitoring", 60, "officer")
    _add_plan(ctx, ref, late, "northmoor_police", "acute_trust")
    checks.check(checks.draft(late, L.C20_RECOMMENDATION_LETTER, agency="northmoor_police"), "first_report_due",
                 _open_row(ctx, late, "action_plan_review").adjusted_due)  # fmt: skip
    _request(ctx, ref, late, "northmoor_police", "action_plan_progress", b.day(20))
    asked = _open_row(ctx, late, "action_plan_progress_return", police).adjusted_due
    checks.check(
        checks.draft(late, L.C21_ACTION_PLAN_PROGRESS_REQUEST, agency="northmoor_police"), "return_by", asked
    )
    not_asked = _by_rule(ctx, late, "action_plan_progress_return", TODAY)
    assert not_asked != asked
    checks.check(
        checks.draft(late, L.C21_ACTION_PLAN_PROGRESS_REQUEST, agency="acute_trust"), "return_by", not_asked
    )

    assert checks.wrong == []
    assert checks.seen == set(STATED), f"not checked: {sorted(set(STATED) - checks.seen)}"


def test_csp_override_moves_the_letter_date_with_the_deadline(lite: AppContext, lite_ref: Reference) -> None:
    ctx, ref = lite, lite_ref
    overrides = {
        "chronology_return": {"working_days": 25},
        "scoping_reply": {"working_days": 7},
        "family_draft_comments": {"days": 21},
        "chair_commission_reply": {"working_days": 5},
    }
    _set_overrides(ctx, ref, overrides)
    checks = Checks(ctx, ref)
    b = DemoBuilder(ctx, ref, TODAY)
    case = b.open("Dawn", 30)
    b.fire(case, "start_scoping", 29, "officer")
    b.fire(case, "submit_decision_briefing", 20, "officer")
    b.fire(case, "decide_to_review", 15, "cspchair")
    b.fire(case, "notify_home_office_of_review", 15, "officer")
    b.staff(case, 14)
    b.fire(case, "appoint_chair", 14, "officer")
    _request(ctx, ref, case, "housing", "chronology")
    row = _open_row(ctx, case, "chronology_return", ref.agencies["housing"].id)
    assert row.rule == "25 working days"  # the row the scheduler chases has the local duration
    national = load_definition(PROJECT_ROOT / "workflows/dhr_2016.yaml").deadlines
    holidays = BankHolidays()
    expected = {
        (L.C10_CHRONOLOGY_REQUEST, "due_date"): row.adjusted_due,
        (L.C02_SCOPING_REQUEST, "reply_by"): _by_rule(ctx, case, "scoping_reply", TODAY),
        (L.C13_DRAFT_REPORT_FAMILY, "comments_by"): _by_rule(ctx, case, "family_draft_comments", TODAY),
        (L.C07_CHAIR_COMMISSION, "reply_by"): _by_rule(ctx, case, "chair_commission_reply", TODAY),
    }
    letters = {
        L.C10_CHRONOLOGY_REQUEST: checks.draft(case, L.C10_CHRONOLOGY_REQUEST, agency="housing"),
        L.C02_SCOPING_REQUEST: checks.draft(case, L.C02_SCOPING_REQUEST, agency="acute_trust"),
        L.C13_DRAFT_REPORT_FAMILY: checks.draft(
            case, L.C13_DRAFT_REPORT_FAMILY, person_id=_family_member(ctx, case)
        ),
        L.C07_CHAIR_COMMISSION: checks.draft(case, L.C07_CHAIR_COMMISSION),
    }
    for (code, name), due in expected.items():
        checks.check(letters[code], name, due)
        key = STATED[(code, name)]
        anchor = row.anchor_on if code is L.C10_CHRONOLOGY_REQUEST else TODAY
        assert due == compute_due(Duration.model_validate(overrides[key]), anchor, holidays).due
        assert due != compute_due(national[key].add, anchor, holidays).due, f"{key}: override had no effect"
    assert checks.wrong == []


def test_imr_due_date_across_christmas__letter_and_row_skip_the_same_bank_holidays(
    lite: AppContext, lite_ref: Reference, clock: FakeClock
) -> None:
    ctx, ref = lite, lite_ref
    checks = Checks(ctx, ref)
    case = open_case_with_people(ctx, ref)
    _request(ctx, ref, case, "northmoor_police", "imr")  # asked on Wednesday 25 November 2026
    row = _open_row(ctx, case, "imr_return", ref.agencies["northmoor_police"].id)
    skipped = {date.fromisoformat(day) for day, _name in row.holidays_skipped}
    assert {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)} <= skipped
    assert row.adjusted_due == add_working_days(TODAY, 30, BankHolidays()).due == date(2027, 1, 11)
    # Drafted a week after the request (the outbox drains later), the letter still gives the row's date,
    # not a count of its own from the day it was drafted ("8 weeks" would be 20 January 2027).
    clock.advance(days=7)
    letter = checks.draft(case, L.C09_IMR_REQUEST, agency="northmoor_police")
    checks.check(letter, "due_date", row.adjusted_due)
    assert "11 January 2027" in svc.letter_html(ctx, letter)
    assert checks.wrong == []
    # A short report is asked for with the same letter (C9) and has its own deadline.
    _request(ctx, ref, case, "housing", "short_report")
    short = checks.draft(case, L.C09_IMR_REQUEST, agency="housing")
    expected = _open_row(ctx, case, "short_report_return", ref.agencies["housing"].id).adjusted_due
    assert date.fromisoformat(short.context["due_date"]) == expected
    assert KINDS["short_report"].letter == L.C09_IMR_REQUEST.value


def test_case_on_the_2024_draft_workflow__letter_gives_that_version_s_target(
    lite: AppContext, lite_ref: Reference
) -> None:
    ctx, ref = lite, lite_ref
    checks = Checks(ctx, ref)
    case = open_case_with_people(ctx, ref, workflow_version="2024.draft")
    for trigger, who in (("start_scoping", "officer"), ("submit_decision_briefing", "officer"),
                         ("decide_to_review", "cspchair")):  # fmt: skip
        case_service.fire_trigger(ctx.uow(), actor=ref.actor(who), clock=ctx.clock, case_id=case.id,
                                  trigger=trigger)  # fmt: skip
    row = _open_row(ctx, case, "review_completion")
    assert row.workflow_version == "2024.draft" and row.adjusted_due == date(2027, 11, 25)  # 12 months
    checks.check(checks.draft(case, L.C04_HO_DECISION_PROCEED), "expected_completion", row.adjusted_due)
    checks.check(checks.draft(case, L.C14_DELAY_NOTICE), "original_target", row.adjusted_due)
    assert checks.wrong == []
