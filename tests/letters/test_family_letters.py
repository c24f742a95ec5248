"""The family is told of every decision: a decision not to review (C22) and the publication date
(C23) are queued to the family contact by the transitions that make them, and render to Word and
PDF from the demo cases with nothing typed but what the case cannot know."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import select

from dhr_engine.context import AppContext
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import DemoBuilder, Reference
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.letter_codes import LetterCode
from dhr_engine.letters import service as svc
from dhr_engine.persistence.tables import Case, OutboxItem, Person
from dhr_engine.persistence.tables_letters import Letter
from tests.conftest import TODAY
from tests.letters.helpers import docx_text, pdf_text

C22 = LetterCode.C22_FAMILY_NO_REVIEW
C23 = LetterCode.C23_FAMILY_PUBLICATION_NOTICE
REASON = "Criteria not met: no domestic relationship found"


def _family_member(ctx: AppContext, case: Case) -> Person:
    with ctx.reader() as uow:
        people = uow.session.exec(
            select(Person).where(Person.case_id == case.id, Person.role == "family")
        ).all()
    assert len(people) == 1
    return people[0]


def test_deciding_not_to_review_queues_the_family_letter_to_the_family_contact(
    lite: AppContext, lite_ref: Reference
) -> None:
    b = DemoBuilder(lite, lite_ref, TODAY)
    case = b.open("Hannah", 40)
    b.fire(case, "start_scoping", 39, "officer")
    b.fire(case, "submit_decision_briefing", 20, "officer")
    b.fire(case, "decide_no_review", 15, "cspchair", REASON)
    with lite.reader() as uow:
        items = uow.session.exec(
            select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.topic == C22.value)
        ).all()
    assert len(items) == 1 and items[0].kind == "letter"

    [letter] = svc.draft_for_outbox_item(lite, items[0].id)
    family = _family_member(lite, case)
    assert letter.code == C22.value and letter.person_id == family.id
    assert letter.recipient_label == "Family member (Hannah's sister)"
    assert letter.context["reasons"] == REASON
    assert letter.context["decision_date"] == (TODAY - timedelta(days=15)).isoformat()
    assert letter.context["recipient_name"] == "Ms Jo Hannahson"


def _text_of(ctx: AppContext, letter: Letter, tmp_path: Path) -> tuple[str, str]:
    return docx_text(svc.letter_file(ctx, letter, "docx")), pdf_text(
        svc.letter_file(ctx, letter, "pdf"), tmp_path
    )


def test_family_letters_render_from_the_demo_cases(lite: AppContext, tmp_path: Path) -> None:
    ref = load_demo(lite)
    officer = ref.actor("officer")
    with lite.reader() as uow:
        no_review = uow.session.exec(select(Case).where(Case.ref == "DHR-2026-006")).one()
        published = uow.session.exec(select(Case).where(Case.stage == "action_plan_monitoring")).one()
    assert no_review.stage == "closed_no_review"

    # C22: the demo's own decision queued it and the outbox drain drafted it for the family contact.
    family = _family_member(lite, no_review)
    with lite.reader() as uow:
        queued = uow.session.exec(
            select(Letter).where(Letter.case_id == no_review.id, Letter.code == C22.value)
        ).all()
    assert [(x.person_id, x.source) for x in queued] == [(family.id, "workflow")]
    # By hand, only the recipient is chosen: everything else comes from the case.
    letter = svc.draft_letter(
        lite, actor=officer, request=svc.DraftRequest(code="c22", person_id=family.id), case_id=no_review.id
    )
    decided = format_date(TODAY - timedelta(days=125))
    for text in _text_of(lite, letter, tmp_path):
        assert f"on {decided} the Northmoor" in text
        assert REASON in text and "We have told the Home Office of our decision" in text
        assert "dhr@northmoor.example" in text and "Samaritans" in text
        assert "Dear Ms Jo Hannahson" in text and "Demo-Victim" not in text

    # C23: the publication notices told the family too; the web address is typed by the officer.
    relative = _family_member(lite, published)
    with lite.reader() as uow:
        items = uow.session.exec(
            select(OutboxItem).where(OutboxItem.case_id == published.id, OutboxItem.topic == C23.value)
        ).all()
    assert len(items) == 1
    letter = svc.draft_letter(
        lite,
        actor=officer,
        request=svc.DraftRequest(
            code="c23", person_id=relative.id, fields={"url": "https://www.northmoor.example/dhr/grace"}
        ),
        case_id=published.id,
    )
    published_on = letter.context["publication_date"]
    for text in _text_of(lite, letter, tmp_path):
        assert f"will publish the review on {format_date(date.fromisoformat(published_on))}" in text
        assert "www.northmoor.example/dhr/grace" in text and "dhr@northmoor.example" in text
        assert "Dear Ms Jo Graceson" in text and "Demo-Victim" not in text
