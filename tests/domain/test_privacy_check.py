"""The privacy check finds a registered real name or date of birth however it is written, says
what kind of value it found and where, never the value, and does not take other dates or
everyday words for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from dhr_engine.domain.privacy import (
    DATE_OF_BIRTH,
    Finding,
    PrivacyCheck,
    ProtectedDate,
    ProtectedName,
    find_protected,
    protected_people,
)

FAMILY = "a family member's real name"
PROTECTED = [ProtectedName(FAMILY, "Mrs Margaret Anne Smith"), ProtectedDate(DATE_OF_BIRTH, date(1950, 5, 6))]
ALLOWED = frozenset({"dawn", "mother"})  # the words of the pseudonym "Dawn's mother"


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_protected(text, PROTECTED, ALLOWED)]


@pytest.mark.parametrize(
    "text",
    [
        "Margaret Smith was spoken to.",
        "MARGARET SMITH was spoken to.",  # upper case
        "margaret smith was spoken to.",  # lower case
        "MaRgArEt sMiTh was spoken to.",
        "Margaret    Smith was spoken to.",  # a run of spaces
        "Margaret\u00a0Smith was spoken to.",  # a no-break space
        "Margaret \t Smith was spoken to.",
        "Smith's house was visited.",  # possessive, straight apostrophe
        "SMITH\u2019S house was visited.",  # possessive, curly apostrophe, capitals
        "smith\u2019s house was visited.",
        "Margaret's sister was told.",
        "Margaret Anne Smith attended.",  # with the middle name
        "Mrs Smith attended.",  # title and surname
        "Anne attended.",  # the middle name alone
        "MRS MARGARET ANNE SMITH",
    ],
)
def test_a_real_name_is_found_in_any_case_spacing_or_possessive(text: str) -> None:
    assert kinds(text) == [FAMILY]


@pytest.mark.parametrize(
    "text",
    [
        "Born 1950-05-06.",  # ISO
        "Born 6/5/1950.",
        "Born 06/05/1950.",
        "Born 6.5.1950.",
        "Born 06.05.1950.",
        "Born 6-5-50.",
        "Born 06/05/50.",
        "Born 6 May 1950.",
        "Born 6th May 1950.",
        "Born 6TH MAY 1950.",
        "Born the 6th of May, 1950.",
        "Born May 6, 1950.",
        "Born may 6th 1950.",
        "Born 06 May 1950.",
    ],
)
def test_a_date_of_birth_is_found_in_every_common_form(text: str) -> None:
    assert kinds(text) == [DATE_OF_BIRTH]


@pytest.mark.parametrize(
    "text",
    [
        "Seen on 7 May 1950.",
        "Seen on 16/05/1950.",
        "Seen on 06/05/1951.",
        "Seen on 6/15/1950.",
        "Seen on 5/6/1950.",  # 5 June, written day first
        "Seen on 1950-05-16.",
        "Seen on 6 May 1951.",
        "Seen on May 16, 1950.",
        "Case DHR-2026-005 opened on 25 November 2026.",
        "Reference 6/5/19501.",
    ],
)
def test_a_different_date_is_not_taken_for_the_date_of_birth(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Dawn's mother was spoken to.",  # the pseudonym
        "Mrs Smithson attended.",  # a longer name is a different name
        "The blacksmith attended.",
        "Mrs Jones attended.",
        "",
    ],
)
def test_other_names_and_the_pseudonym_are_not_findings(text: str) -> None:
    assert kinds(text) == []


def test_a_name_word_that_is_an_everyday_word_counts_alone_only_with_a_capital() -> None:
    check = PrivacyCheck.of([ProtectedName("a real name", "Rose Green")])
    assert check.find("RAG: green; we will review it") == []
    assert [f.kind for f in check.find("Green was told")] == ["a real name"]
    assert [f.kind for f in check.find("GREEN WAS TOLD")] == ["a real name"]
    assert [f.kind for f in check.find("rose green was told")] == ["a real name"]  # the whole name


def test_a_finding_names_the_kind_and_the_line_never_the_value() -> None:
    text = "First line.\nSecond line mentions MARGARET SMITH.\nThird: born 06/05/1950."
    findings = find_protected(text, PROTECTED, ALLOWED, where="reason")
    assert findings == [Finding(FAMILY, "reason", 2), Finding(DATE_OF_BIRTH, "reason", 3)]
    described = " ".join(f.describe() for f in findings)
    assert described == f"{FAMILY} in reason, line 2 a date of birth in reason, line 3"
    assert "margaret" not in described.casefold() and "1950" not in described
    assert find_protected("Margaret Smith", PROTECTED, where="evidence") == [Finding(FAMILY, "evidence")]


@dataclass
class _Person:
    role: str
    pseudonym: str
    real_name: str
    date_of_birth: date | None = None


def test_people_give_their_names_and_dates_and_the_allowed_roles_are_left_out() -> None:
    people = [
        _Person("victim", "Dawn", "Jane Example", date(1984, 3, 14)),
        _Person("family", "Dawn's mother", "Margaret Sample", date(1950, 5, 6)),
    ]
    protected, allowed = protected_people(people, allowed_roles={"victim"})
    assert protected == [
        ProtectedName(FAMILY, "Margaret Sample"),
        ProtectedDate(DATE_OF_BIRTH, date(1950, 5, 6)),
    ]
    assert {"dawn", "mother", "jane", "example"} <= allowed
    check = PrivacyCheck.of(protected, allowed)
    assert check.find("Jane Example, born 14 March 1984, and Dawn's mother") == []
    assert [f.kind for f in check.find("SAMPLE, born 6 May 1950")] == [FAMILY, DATE_OF_BIRTH]


def test_the_domain_of_an_address_is_not_a_name_but_the_part_before_the_at_is() -> None:
    check = PrivacyCheck.of([ProtectedName("the victim's real name", "Jane Example")])
    assert check.find("By secure email: police@agency.example, see https://www.example.org/x") == []
    assert [f.kind for f in check.find("Write to jane.example@mail.example")] == ["the victim's real name"]
