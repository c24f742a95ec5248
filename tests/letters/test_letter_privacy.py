"""The letter flow refuses a family member's real name or date of birth however it is typed (in
capitals, lower case, possessive; 06/05/1950, 6 May 1950), naming the field and the kind of
value, never the value; nothing is stored (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from dhr_engine.cases import service as case_service
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.errors import InvalidLetterContext
from dhr_engine.letters import service as svc
from dhr_engine.persistence.tables import Case
from dhr_engine.persistence.tables_letters import Letter

FAMILY = "a family member's real name"
BIRTH = "a date of birth"


def _case(ctx: AppContext, ref: Reference) -> Case:
    people = [
        case_service.PersonInput(role="victim", pseudonym="Dawn", real_name="Jane Example",
                                 date_of_birth=date(1984, 3, 14), age_at_death=42, sex="Female"),
        case_service.PersonInput(role="perpetrator", pseudonym="the perpetrator", real_name="John Example",
                                 date_of_birth=date(1980, 8, 2), relationship="Husband"),
        case_service.PersonInput(role="family", pseudonym="Dawn's mother", real_name="Margaret Sample",
                                 date_of_birth=date(1950, 5, 6)),
    ]  # fmt: skip
    case = case_service.open_case(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        csp_id=ref.csp.id,
        notified_on=date(2026, 11, 20),
        date_of_death=date(2026, 11, 15),
        summary="Dawn was killed at home; her husband has been charged with murder.",
        people=people,
    )
    case_service.fire_trigger(ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id,
                              trigger="start_scoping")  # fmt: skip
    return case


def _draft(ctx: AppContext, ref: Reference, case: Case, reason: str) -> Letter:
    request = svc.DraftRequest(
        code="c14",
        fields={"reason": reason, "original_target": "2027-05-20", "new_expected_date": "2027-09-30"},
    )
    return svc.draft_letter(ctx, actor=ref.actor("officer"), request=request, case_id=case.id)


def _letters(ctx: AppContext) -> int:
    with ctx.reader() as uow:
        return int(uow.session.exec(select(func.count()).select_from(Letter)).one())


@pytest.mark.parametrize(
    ("reason", "kinds"),
    [
        ("MARGARET SAMPLE, born 06/05/1950, asked for more time.", [FAMILY, BIRTH]),
        ("margaret sample asked for more time.", [FAMILY]),
        ("SAMPLE\u2019S statement is awaited.", [FAMILY]),
        ("Her mother (born 6 May 1950) asked for more time.", [BIRTH]),
        ("The trial is listed for March 2027.\nDOB 06/05/50 was checked.", [BIRTH]),
    ],
)
def test_a_family_members_name_or_birth_date_in_any_form_is_refused(
    ctx: AppContext, ref: Reference, reason: str, kinds: list[str]
) -> None:
    case = _case(ctx, ref)
    before = _letters(ctx)
    with pytest.raises(InvalidLetterContext) as caught:
        _draft(ctx, ref, case, reason)
    [item] = caught.value.items
    assert (item.code, item.field) == ("restricted_identity", "reason")
    assert all(kind in item.msg and kind in caught.value.msg for kind in kinds)
    if "\n" in reason:
        assert "(line 2)" in item.msg
    for text in (item.msg, caught.value.msg):
        assert "margaret" not in text.casefold() and "sample" not in text.casefold()
        assert "1950" not in text and "06/05" not in text
    assert _letters(ctx) == before


def test_a_different_date_and_the_pseudonym_pass(ctx: AppContext, ref: Reference) -> None:
    case = _case(ctx, ref)
    letter = _draft(ctx, ref, case, "Dawn's mother asked on 06/05/2026 for the trial to finish first.")
    assert letter.status == "draft"
