"""One letter per case, letter, recipient and purpose: queuing again drafts nothing new."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from dhr_engine.context import AppContext
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import DemoBuilder, Reference
from dhr_engine.letters import service as svc
from dhr_engine.persistence.tables import Case, OutboxItem
from dhr_engine.persistence.tables_letters import Letter
from tests.conftest import TODAY
from tests.returns.helpers import request

C02 = "c02_scoping_request"
C10 = "c10_chronology_request"


def _letters(ctx: AppContext, case: Case, code: str) -> list[Letter]:
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(Letter).where(Letter.case_id == case.id, Letter.code == code, Letter.status != "cancelled")
        ).all()
        for row in rows:
            uow.session.expunge(row)
        return list(rows)


def _queue_again(ctx: AppContext, case: Case, code: str) -> uuid.UUID:
    """Queue the same letter request once more (as a repeated transition or a second process would)."""
    with ctx.uow() as uow:
        first = uow.session.exec(
            select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.topic == code)
        ).first()
        assert first is not None
        again = OutboxItem(case_id=case.id, kind="letter", topic=code, payload=dict(first.payload))
        uow.session.add(again)
        uow.commit()
        return again.id


def _scoping_case(ctx: AppContext, ref: Reference) -> Case:
    b = DemoBuilder(ctx, ref, TODAY)
    case = b.open("Dawn", 30)
    b.fire(case, "start_scoping", 28, "officer")  # queues C02 to every agency of the partnership
    return case


def test_queuing_twice_drafts_one_letter_per_agency(lite: AppContext, lite_ref: Reference) -> None:
    case = _scoping_case(lite, lite_ref)
    svc.draft_queued_letters(lite)
    first = _letters(lite, case, C02)
    assert len(first) == len({letter.agency_id for letter in first}) > 1
    _queue_again(lite, case, C02)
    svc.draft_queued_letters(lite)
    assert sorted(letter.id for letter in _letters(lite, case, C02)) == sorted(letter.id for letter in first)


def test_queuing_again_after_sending_drafts_nothing(lite: AppContext, lite_ref: Reference) -> None:
    case = _scoping_case(lite, lite_ref)
    svc.draft_queued_letters(lite)
    letter = _letters(lite, case, C02)[0]
    svc.approve_letter(lite, actor=lite_ref.actor("cspchair"), letter_id=letter.id)
    svc.send_letter(lite, actor=lite_ref.actor("officer"), letter_id=letter.id, via="post")
    _queue_again(lite, case, C02)
    svc.draft_queued_letters(lite)
    to_agency = [x for x in _letters(lite, case, C02) if x.agency_id == letter.agency_id]
    assert [x.id for x in to_agency] == [letter.id]


def test_a_new_return_request_writes_only_to_the_agency_asked(lite: AppContext, lite_ref: Reference) -> None:
    ctx, ref = lite, lite_ref
    b = DemoBuilder(ctx, ref, TODAY)
    case = b.open("Dawn", 90)
    b.to_information_gathering(case, 90)
    request(ctx, ref, case, "chronology", ["northmoor_police"])
    svc.draft_queued_letters(ctx)
    request(ctx, ref, case, "chronology", ["housing"])
    svc.draft_queued_letters(ctx)
    to = sorted(letter.recipient_label for letter in _letters(ctx, case, C10))
    assert to == sorted([ref.agencies["northmoor_police"].name, ref.agencies["housing"].name])


def test_drafting_by_hand_twice_refreshes_the_draft(lite: AppContext, lite_ref: Reference) -> None:
    case = _scoping_case(lite, lite_ref)
    police = lite_ref.agencies["northmoor_police"].id
    draft = svc.DraftRequest(code=C02, agency_id=police)
    one = svc.draft_letter(lite, actor=lite_ref.actor("officer"), request=draft, case_id=case.id)
    two = svc.draft_letter(lite, actor=lite_ref.actor("officer"), request=draft, case_id=case.id)
    assert one.id == two.id
    assert [x.id for x in _letters(lite, case, C02) if x.agency_id == police] == [one.id]


def test_the_database_refuses_a_second_open_letter(ctx: AppContext, ref: Reference) -> None:
    case = _scoping_case(ctx, ref)
    svc.draft_queued_letters(ctx)
    original = _letters(ctx, case, C02)[0]
    copy = {k: v for k, v in original.model_dump().items() if k != "id"}
    with ctx.uow() as uow, pytest.raises(IntegrityError):
        uow.session.add(Letter(**copy))
        uow.session.flush()


def test_two_drains_racing_draft_one_letter_each(ctx: AppContext, ref: Reference) -> None:
    case = _scoping_case(ctx, ref)
    items = [_queue_again(ctx, case, C02)]
    with ctx.reader() as uow:
        items += list(
            uow.session.exec(
                select(OutboxItem.id).where(
                    OutboxItem.case_id == case.id, OutboxItem.topic == C02, col(OutboxItem.id).not_in(items)
                )
            ).all()
        )
    assert len(items) == 2
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def drain(item_id: uuid.UUID) -> None:
        start.wait()
        try:
            svc.draft_for_outbox_item(ctx, item_id)
        except Exception as err:  # a loser may see the case changed under it: it is retried later
            errors.append(err)

    threads = [threading.Thread(target=drain, args=(i,)) for i in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    svc.draft_queued_letters(ctx)  # what a later drain does with an item that lost the race
    letters = _letters(ctx, case, C02)
    assert letters and len(letters) == len({letter.agency_id for letter in letters})


def test_the_demo_holds_no_duplicate_letters(lite: AppContext) -> None:
    load_demo(lite)
    with lite.reader() as uow:
        rows = uow.session.exec(
            select(
                Case.ref,
                Letter.code,
                Letter.recipient_kind,
                Letter.agency_id,
                Letter.person_id,
                Letter.batch_key,
            )
            .join(Case, col(Case.id) == col(Letter.case_id))
            .where(Letter.status != "cancelled")
        ).all()
    counts = Counter(tuple(row) for row in rows)
    assert rows and [key for key, n in counts.items() if n > 1] == []
    c02 = [row for row in rows if row[0] == "DHR-2026-004" and row[1] == C02]
    assert 0 < len(c02) == len({row[3] for row in c02}), sorted(map(str, c02))
