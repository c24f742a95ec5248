"""Letters read the notification facts from the case record: C01 (the notification form) needs no
field typed by hand for a case opened with its facts, and prints them in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.errors import InvalidLetterContext
from dhr_engine.letters import service as svc
from dhr_engine.persistence.tables import Case, CaseAgency
from tests.letters.helpers import open_case_with_people, pdf_text

FACTS = case_service.NotificationFacts(
    notifier_organisation="Northmoor Police",
    notifier_name="DS Alex Morgan",
    place_of_death="Moorside",
    death_type="homicide",
    sio_name="DI Priya Shah",
    sio_force="Northmoor Police",
    sio_contact="01632 960 123",
    criminal_status="charged",
    children_involved=True,
    children_count=2,
)


def _police_had_contact(ctx: AppContext, ref: Reference, case: Case) -> None:
    """What scoping records: the police had contact with the people involved."""
    with ctx.uow() as uow:
        uow.session.add(
            CaseAgency(case_id=case.id, agency_id=ref.agencies["northmoor_police"].id, contact="yes")
        )
        uow.commit()


def test_c01__renders_from_the_record_with_no_field_typed(
    ctx: AppContext, ref: Reference, tmp_path: Path
) -> None:
    case = open_case_with_people(ctx, ref, facts=FACTS)
    _police_had_contact(ctx, ref, case)
    rendered = svc.preview_letter(
        ctx, actor=ref.actor("officer"), request=svc.DraftRequest(code="c01"), case_id=case.id
    )
    text = pdf_text(rendered.pdf, tmp_path)
    for printed in (
        "Moorside",
        "Homicide",
        "DI Priya Shah, Northmoor Police, 01632 960 123",
        "A suspect has been charged",
        "Yes: 2 children",
        "DS Alex Morgan, Northmoor Police, on 20 November 2026",
        "15 November 2026",
    ):
        assert printed in text, printed


def test_c01__only_what_the_facts_do_not_cover_is_left_to_type(ctx: AppContext, ref: Reference) -> None:
    case = open_case_with_people(ctx, ref, facts=FACTS)
    with pytest.raises(InvalidLetterContext) as caught:
        svc.preview_letter(
            ctx, actor=ref.actor("officer"), request=svc.DraftRequest(code="c01"), case_id=case.id
        )
    assert {item.field for item in caught.value.items} == {"known_agencies"}


def test_c03__the_decision_briefing_states_the_notified_facts(
    ctx: AppContext, ref: Reference, tmp_path: Path
) -> None:
    case = open_case_with_people(ctx, ref, facts=FACTS)
    _police_had_contact(ctx, ref, case)
    request = svc.DraftRequest(code="c03", fields={"recommendation": "The criteria are met."})
    rendered = svc.preview_letter(ctx, actor=ref.actor("officer"), request=request, case_id=case.id)
    text = pdf_text(rendered.pdf, tmp_path)
    for printed in ("Moorside", "Homicide", "A suspect has been charged", "Yes: 2 children"):
        assert printed in text, printed
