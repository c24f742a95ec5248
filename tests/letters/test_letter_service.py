"""Drafting, approving and sending letters against the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import func, select

from dhr_engine.audit.service import verify_case
from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.domain.actor import Actor
from dhr_engine.errors import CaseNotFound, Conflict, InvalidLetterContext, PermissionDenied, ValidationFailed
from dhr_engine.letters import service as svc
from dhr_engine.persistence.tables import AuditEvent, Case, OutboxItem, Person
from dhr_engine.persistence.tables_letters import Letter
from tests.letters.helpers import docx_text, open_case_with_people, pdf_text

HO_FIELDS = {"reasons": "Not used"}


def _count(ctx: AppContext, model: type) -> int:
    with ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


def _decided_case(ctx: AppContext, ref: Reference) -> Case:
    case = open_case_with_people(ctx, ref)
    case_service.fire_trigger(ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id,
                              trigger="start_scoping")  # fmt: skip
    return case


def _draft_c14(ctx: AppContext, ref: Reference, case: Case) -> Letter:
    request = svc.DraftRequest(
        code="c14",
        fields={"reason": "The criminal trial is listed for March 2027.", "original_target": "2027-05-20",
                "new_expected_date": "2027-09-30"},
    )  # fmt: skip
    return svc.draft_letter(ctx, actor=ref.actor("officer"), request=request, case_id=case.id)


def test_draft_approve_send__sent_copy_is_hashed_and_verifies(ctx: AppContext, ref: Reference, tmp_path):
    case = _decided_case(ctx, ref)
    letter = _draft_c14(ctx, ref, case)
    assert letter.status == "draft" and letter.template_path == "national/c14_delay_notice.html"
    assert (
        letter.context["victim_pseudonym"] == "Dawn"
        and letter.context["security_marking"] == "OFFICIAL-SENSITIVE"
    )
    approved = svc.approve_letter(ctx, actor=ref.actor("cspchair"), letter_id=letter.id)
    assert approved.status == "approved" and approved.approved_by_label.startswith("Charles")
    sent = svc.send_letter(ctx, actor=ref.actor("officer"), letter_id=letter.id, via="email")
    assert sent.status == "sent" and len(sent.pdf_sha256) == 64 and len(sent.docx_sha256) == 64
    stored = svc.get_letter(ctx, actor=ref.actor("officer"), letter_id=letter.id)
    assert svc.verify_letter(stored) == []
    assert svc.rerender_sent(ctx, stored).identical
    assert "30 September 2027" in pdf_text(stored.pdf or b"", tmp_path)
    assert "The criminal trial is listed for March 2027." in docx_text(stored.docx or b"")
    with ctx.reader() as uow:
        kinds = [
            e.kind for e in uow.session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
        ]
        assert verify_case(uow.session, uow.session.get(Case, case.id)) == []
    assert {"letter_drafted", "letter_approved", "letter_sent"} <= set(kinds)


def test_sent_letter_cannot_be_changed_or_deleted_by_any_means(ctx: AppContext, ref: Reference):
    case = _decided_case(ctx, ref)
    letter = _draft_c14(ctx, ref, case)
    svc.approve_letter(ctx, actor=ref.actor("cspchair"), letter_id=letter.id)
    svc.send_letter(ctx, actor=ref.actor("officer"), letter_id=letter.id)
    officer = ref.actor("officer")
    with pytest.raises(svc.LetterSent):
        svc.update_draft(ctx, actor=officer, letter_id=letter.id, fields={"reason": "changed"})
    with pytest.raises(svc.LetterSent):
        svc.cancel_letter(ctx, actor=officer, letter_id=letter.id, reason="delete it")
    with pytest.raises(svc.LetterSent):
        svc.send_letter(ctx, actor=officer, letter_id=letter.id)
    with pytest.raises(Conflict):
        svc.approve_letter(ctx, actor=ref.actor("cspchair"), letter_id=letter.id)
    # Even straight SQL is refused by the database's triggers.
    for statement in (
        "UPDATE letter SET pdf_sha256 = 'x' WHERE id = :id",
        "DELETE FROM letter WHERE id = :id",
    ):
        with pytest.raises((IntegrityError, DBAPIError)), ctx.engine.begin() as conn:
            conn.execute(
                text(statement), {"id": letter.id.hex if ctx.engine.dialect.name == "sqlite" else letter.id}
            )
    with ctx.reader() as uow:
        row = uow.session.get(Letter, letter.id)
        assert row is not None and row.status == "sent" and svc.verify_letter(row) == []


def test_tampered_copy_fails_verification(ctx: AppContext, ref: Reference):
    case = _decided_case(ctx, ref)
    letter = _draft_c14(ctx, ref, case)
    svc.approve_letter(ctx, actor=ref.actor("cspchair"), letter_id=letter.id)
    sent = svc.send_letter(ctx, actor=ref.actor("officer"), letter_id=letter.id)
    sent.pdf = (sent.pdf or b"") + b"%tampered"
    assert svc.verify_letter(sent) == ["the stored PDF does not match its SHA-256 hash"]
    assert "the PDF differs from the one sent" in svc.rerender_sent(ctx, sent).reasons


def test_missing_fields__error_lists_them_and_nothing_is_stored(ctx: AppContext, ref: Reference):
    case = _decided_case(ctx, ref)
    with ctx.reader() as uow:
        before = uow.session.get(Case, case.id)
        assert before is not None
        audit_before, version_before = before.audit_count, before.version
    letters_before = _count(ctx, Letter)
    request = svc.DraftRequest(code="c14", fields={"reason": "Trial listed."})
    with pytest.raises(InvalidLetterContext) as caught:
        svc.draft_letter(ctx, actor=ref.actor("officer"), request=request, case_id=case.id)
    assert {i.field for i in caught.value.items} == {"new_expected_date", "original_target"}
    assert _count(ctx, Letter) == letters_before
    with ctx.reader() as uow:
        after = uow.session.get(Case, case.id)
        assert after is not None and (after.audit_count, after.version) == (audit_before, version_before)


def test_agency_letter_refuses_a_real_name(ctx: AppContext, ref: Reference):
    case = _decided_case(ctx, ref)
    request = svc.DraftRequest(
        code="c14",
        fields={"reason": "Margaret Sample asked for more time.", "original_target": "2027-05-20",
                "new_expected_date": "2027-09-30"},
    )  # fmt: skip
    with pytest.raises(InvalidLetterContext) as caught:
        svc.draft_letter(ctx, actor=ref.actor("officer"), request=request, case_id=case.id)
    assert [(i.code, i.field) for i in caught.value.items] == [("restricted_identity", "reason")]
    assert "Margaret" not in caught.value.msg


def test_family_letter_uses_the_agreed_form_of_address(ctx: AppContext, ref: Reference, tmp_path):
    case = _decided_case(ctx, ref)
    with ctx.reader() as uow:
        mother = uow.session.exec(
            select(Person).where(Person.case_id == case.id, Person.role == "family")
        ).one()
    with ctx.uow() as uow:
        row = uow.session.get(Person, mother.id)
        assert row is not None
        row.address = "12 Orchard Close\nNorthmoor NM4 7QT"
        uow.session.add(row)
        uow.commit()
    svc.record_address_preference(ctx, actor=ref.actor("officer"), person_id=mother.id,
                                  addressee="Mrs Margaret Sample", salutation="Dear Margaret",
                                  deceased_name="Jane")  # fmt: skip
    request = svc.DraftRequest(code="c11", person_id=mother.id,
                               fields={"chair_name": "Dr Ruth Adeyemi", "chair_contact": "01632 960 456",
                                       "sender_name": "Dr Ruth Adeyemi", "sender_role": "Independent Chair"})  # fmt: skip
    letter = svc.draft_letter(ctx, actor=ref.actor("officer"), request=request, case_id=case.id)
    assert letter.recipient_label == "Family member (Dawn's mother)"
    assert letter.context["salutation"] == "Dear Margaret" and letter.context["deceased_name"] == "Jane"
    html = svc.letter_html(ctx, letter)
    assert "Mrs Margaret Sample" in html and "Northmoor Families Bereaved by Homicide" in html
    # An agency user never sees a family letter.
    with pytest.raises((PermissionDenied, CaseNotFound)):
        svc.get_letter(ctx, actor=ref.actor("police.author"), letter_id=letter.id)


def test_approval_rules(ctx: AppContext, ref: Reference):
    case = _decided_case(ctx, ref)
    letter = _draft_c14(ctx, ref, case)
    with pytest.raises(PermissionDenied, match="someone other than its drafter"):
        svc.approve_letter(ctx, actor=ref.actor("officer"), letter_id=letter.id)
    with pytest.raises((PermissionDenied, CaseNotFound)):
        svc.approve_letter(ctx, actor=ref.actor("police.manager"), letter_id=letter.id)
    with pytest.raises(Conflict, match="only an approved letter"):
        svc.send_letter(ctx, actor=ref.actor("officer"), letter_id=letter.id)
    with pytest.raises(ValidationFailed):
        svc.send_letter(ctx, actor=ref.actor("officer"), letter_id=letter.id, via="pigeon")
    svc.approve_letter(ctx, actor=ref.actor("cspchair"), letter_id=letter.id)
    changed = svc.update_draft(ctx, actor=ref.actor("officer"), letter_id=letter.id,
                               fields={"new_expected_date": "2027-10-29"})  # fmt: skip
    assert changed.status == "draft" and changed.approved_by is None  # a change needs approving again


def test_transition_queues_letters_that_are_drafted_automatically(ctx: AppContext, ref: Reference):
    case = _decided_case(ctx, ref)  # start_scoping queues C02, one per agency of the partnership
    result = svc.draft_queued_letters(ctx)
    assert result.drafted == 10 and result.needs_input == []
    letters = svc.list_letters(ctx, actor=ref.actor("officer"), case_id=case.id)
    assert {entry.code for entry in letters} == {"c02_scoping_request"}
    assert {entry.source for entry in letters} == {"workflow"}
    police = next(entry for entry in letters if entry.recipient_label == "Northmoor Police")
    assert [s["name"] for s in police.context["subjects"]] == ["Jane Example", "John Example"]
    assert "Margaret" not in str(police.context)
    with ctx.reader() as uow:
        item = uow.session.exec(select(OutboxItem).where(OutboxItem.case_id == case.id)).one()
        assert item.status == "done"
    assert svc.draft_queued_letters(ctx).drafted == 0  # nothing drafted twice
    # An agency user sees only the letter addressed to their own agency.
    from dhr_engine.members import service as members

    members.add_member(ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id,
                       user_id=ref.users["police.author"].id, role="agency_author")  # fmt: skip
    own = svc.list_letters(ctx, actor=ref.actor("police.author"), case_id=case.id)
    assert [entry.recipient_label for entry in own] == ["Northmoor Police"]


def test_queued_letter_needing_input_is_recorded_then_settled_by_hand(ctx: AppContext, ref: Reference):
    case = _decided_case(ctx, ref)
    officer = ref.actor("officer")
    for agency in ref.agencies.values():
        from dhr_engine.persistence.tables import CaseAgency

        with ctx.uow() as uow:
            uow.session.add(
                CaseAgency(case_id=case.id, agency_id=agency.id, contact="yes", contribution="imr")
            )
            uow.commit()
    svc.draft_queued_letters(ctx)
    case_service.fire_trigger(ctx.uow(), actor=officer, clock=ctx.clock, case_id=case.id,
                              trigger="submit_decision_briefing")  # fmt: skip
    result = svc.draft_queued_letters(ctx)
    assert result.needs_input == [(case.ref, "c03_decision_briefing")]
    queued = svc.queued_letters(ctx, case_id=case.id)
    assert (
        len(queued) == 1 and "recommendation" in queued[0].last_error and "Jane" not in queued[0].last_error
    )
    request = svc.DraftRequest(code="c03", fields={"recommendation": "Hold a review: the criteria are met."})
    letter = svc.draft_letter(ctx, actor=officer, request=request, case_id=case.id)
    assert len(letter.context["agency_contacts"]) == 10
    assert svc.queued_letters(ctx, case_id=case.id) == []


def test_invisible_case_is_not_found(lite: AppContext, lite_ref: Reference):
    case = open_case_with_people(lite, lite_ref)
    outsider = Actor(
        user_id=lite_ref.users["police.author"].id, agency_id=lite_ref.agencies["northmoor_police"].id
    )
    with pytest.raises(CaseNotFound):
        svc.list_letters(lite, actor=outsider, case_id=case.id)
