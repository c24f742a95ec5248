"""Find real names and dates of birth in text that must carry only pseudonyms.

Pure functions: the caller gives the text and the protected values (a person's registered real
name, a date of birth), and gets back findings that say what kind of value was found and where
(which line of which field or cell), never the value itself. Letters (`letters/privacy.py`) and
every export that may leave the partnership (`plans/export.py`) use it.

The text and the names are compared after the same normalisation, so writing a name differently
does not hide it:
- letter case (casefold: "SMITH", "smith", "Smith"), runs of spaces and line breaks, curly and
  straight apostrophes and possessives ("Smith's", "SMITH’S", "Jones'"), dashes of every width;
- a name is found whole, with or without its title and middle names ("Mrs Margaret Anne Sample",
  "Margaret Sample", "Mrs Sample"), and by each of its words of three letters or more, unless the
  word is allowed (the pseudonyms' words, or names the text may carry, such as a letter's subjects);
  a name word that is also an everyday English word ("Will", "Rose", "Green") counts on its own
  only when written with a capital ("Green", "GREEN"), so "green" in a RAG column or "will" in a
  sentence is not taken for a name (the whole name, "Rose Green", counts in any case); the domain
  of an e-mail or web address is not searched, since it names an organisation (the part before
  the @ is);
- a date is found in ISO form (1950-05-06), day-first numbers with / . or - and a two- or
  four-digit year (6/5/1950, 06/05/1950, 6.5.1950, 6-5-50), and in words (6 May 1950,
  6th May 1950, 6th of May 1950, May 6, 1950, 6 Sept 1950); never a different day, and never a
  month-first number (5/6/1950 is 5 June in England and Wales).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

MIN_NAME_PART = 3
TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev", "revd", "master"}
)
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# The kind of a person's real name, by their role in the case; any other role is "a real name".
NAME_KINDS = {
    "victim": "the victim's real name",
    "perpetrator": "the perpetrator's real name",
    "family": "a family member's real name",
    "friend": "a friend's real name",
}
DATE_OF_BIRTH = "a date of birth"

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u201b\u02bc\u2032\u00b4`\uff07", "'"))
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"))
_POSSESSIVE = re.compile(r"(?<=\w)'[sS]?(?!\w)")
# The domain of an e-mail or web address names an organisation ("police@agency.example"), not a person.
_DOMAIN = re.compile(r"(?:(?<=@)|(?<=://))[\w-]+(?:\.[\w-]+)+")
# Name words that are everyday English words too: alone, they count only when capitalised.
EVERYDAY_WORDS = frozenset(
    """
    will may june april august rose hope faith joy grace mark bill pat sue dawn summer autumn
    holly ivy lily daisy iris ruby pearl amber jade crystal violet heather olive hazel robin
    jack frank rich art drew gene ray dean earl guy lance miles sandy sunny star sky storm river
    brook cliff dale glen heath brown white green black grey gray young wood hill king bell hall
    hunter baker butler cook fisher mason miller porter turner walker rice long short little
    strong wise good best sharp page price law ward house stone lamb fox bird swan field lane
    marsh moss church bishop knight day friend child case court judge
    """.split()  # noqa: SIM905 (a list of words, read as one)
)


@dataclass(frozen=True)
class ProtectedName:
    """A real name as the register holds it, and the kind of name it is."""

    kind: str
    name: str


@dataclass(frozen=True)
class ProtectedDate:
    """A date that must not appear (a date of birth), and the kind of date it is."""

    kind: str
    value: date


Protected = ProtectedName | ProtectedDate


@dataclass(frozen=True)
class Finding:
    """A protected value found: its kind, where (a field or a cell) and on which line (None when
    the text has one line). Never the value."""

    kind: str
    where: str
    line: int | None = None

    def describe(self) -> str:
        at = f"{self.where}, line {self.line}" if self.line else self.where
        return f"{self.kind} in {at}" if at else self.kind


class PersonRecord(Protocol):
    """What the check reads of a person (the `person` table has these columns)."""

    @property
    def role(self) -> str: ...
    @property
    def pseudonym(self) -> str: ...
    @property
    def real_name(self) -> str: ...
    @property
    def date_of_birth(self) -> date | None: ...


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.translate(_APOSTROPHES)).translate(_APOSTROPHES)
    text = _DOMAIN.sub("", text)
    return " ".join(_POSSESSIVE.sub("", text.translate(_DASHES)).split())


def normalise(text: str) -> str:
    """One line of text as it is compared: casefolded, apostrophes and dashes straightened,
    possessives dropped and runs of whitespace made one space."""
    return _clean(text).casefold()


def words_of(text: str) -> frozenset[str]:
    """The normalised words of a text (for the words a check allows, such as a pseudonym's)."""
    return frozenset(normalise(text).split())


def name_variants(name: str) -> list[list[str]]:
    """The ways of writing a registered name, each as its normalised words: whole; without the
    title; first and last name without middle names; title and surname."""
    words = normalise(name).split()
    titles = 0
    while titles < len(words) - 1 and words[titles].rstrip(".") in TITLES:
        titles += 1
    core = words[titles:]
    variants = [words, core]
    if len(core) >= 3:
        variants.append([core[0], core[-1]])
    if titles and len(core) >= 2:
        variants.append([*words[:titles], core[-1]])
    return [v for v in variants if v]


def _any_case(phrases: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(phrases, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)") if ordered else None


def _capitalised(words: Iterable[str]) -> re.Pattern[str] | None:
    forms = sorted({form for w in words for form in (w.capitalize(), w.upper())}, key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, forms))})(?!\w)") if forms else None


def _name_patterns(name: str, allowed: Collection[str]) -> list[tuple[re.Pattern[str], bool]]:
    """(pattern, on casefolded text?): the whole name in its variants and its own words in any
    case, its everyday words only capitalised (on the text as written)."""
    core = [w for w in normalise(name).split() if w.rstrip(".") not in TITLES]
    phrases = {" ".join(v) for v in name_variants(name) if not set(v) <= set(allowed) | TITLES}
    words = {w for w in core if len(w) >= MIN_NAME_PART and w not in allowed} - phrases
    everyday = {w for w in words if w in EVERYDAY_WORDS}
    single = {p for p in phrases if " " not in p and p in EVERYDAY_WORDS}
    folded = _any_case((phrases - single) | (words - everyday))
    cased = _capitalised(everyday | single)
    return [(p, True) for p in [folded] if p] + [(p, False) for p in [cased] if p]


def _month_names(month: int) -> str:
    full = MONTHS[month - 1]
    names = {full, full[:3], *(["sept"] if month == 9 else [])}
    return "(?:" + "|".join(sorted(names, key=len, reverse=True)) + r")\.?"


def _date_pattern(day: date) -> re.Pattern[str]:
    d, m, y = rf"0?{day.day}", rf"0?{day.month}", str(day.year)
    short_year = rf"(?:{y}|{day.year % 100:02d})"
    month = _month_names(day.month)
    ordinal = r"(?:st|nd|rd|th)?"
    first = [
        rf"{y}\s*(?P<s1>[-/.])\s*{m}\s*(?P=s1)\s*{d}",  # 1950-05-06
        rf"{d}\s*(?P<s2>[-/.])\s*{m}\s*(?P=s2)\s*{short_year}",  # 6/5/1950, 06/05/1950, 6.5.1950, 6-5-50
        rf"{d}\s*{ordinal}\s*(?:of\s+)?{month},?\s*{y}",  # 6 May 1950, 6th of May, 1950
    ]
    month_first = rf"{month}\s*{d}\s*{ordinal},?\s*{y}"  # May 6, 1950
    return re.compile(rf"(?:(?<!\d)(?:{'|'.join(first)})|(?<!\w){month_first})(?!\d)")


def patterns_for(value: Protected, allowed: Collection[str] = ()) -> list[tuple[re.Pattern[str], bool]]:
    """The patterns that find the value, each with whether it searches the casefolded text (True)
    or the text as written (False); none for a name made only of allowed or too short words."""
    if isinstance(value, ProtectedDate):
        return [(_date_pattern(value.value), True)]
    return _name_patterns(value.name, allowed)


@dataclass(frozen=True)
class PrivacyCheck:
    """The patterns of some protected values, compiled once, to search many texts with."""

    patterns: tuple[tuple[str, re.Pattern[str], bool], ...]

    @classmethod
    def of(cls, protected: Iterable[Protected], allowed: Collection[str] = ()) -> PrivacyCheck:
        words = frozenset(allowed)
        return cls(tuple((v.kind, p, folded) for v in protected for p, folded in patterns_for(v, words)))

    def find(self, text: str, where: str = "") -> list[Finding]:
        """Every kind of protected value in the text, with the line it starts on (None for a text
        of one line), in the order of the lines."""
        cleaned = [_clean(line) for line in text.splitlines()] or [""]
        texts = {False: "\n".join(cleaned), True: "\n".join(line.casefold() for line in cleaned)}
        found: dict[tuple[int, int], None] = {}
        for order, (_kind, pattern, folded) in enumerate(self.patterns):
            searched = texts[folded]
            for match in pattern.finditer(searched):
                found[(searched.count("\n", 0, match.start()) + 1, order)] = None
        many = len(cleaned) > 1
        seen: dict[tuple[int, str], None] = {}
        for number, order in sorted(found):
            seen[(number, self.patterns[order][0])] = None
        return [Finding(kind, where, number if many else None) for number, kind in seen]

    def check(self, texts: Iterable[tuple[str, str]]) -> list[Finding]:
        """Findings in several texts, each given as (where, text)."""
        return [finding for where, text in texts if text for finding in self.find(text, where)]


def find_protected(
    text: str, protected: Iterable[Protected], allowed: Collection[str] = (), where: str = ""
) -> list[Finding]:
    """Every kind of protected value in one text (see `PrivacyCheck.find`)."""
    return PrivacyCheck.of(protected, allowed).find(text, where)


def protected_people(
    people: Iterable[PersonRecord], *, allowed_roles: Collection[str] = ()
) -> tuple[list[Protected], frozenset[str]]:
    """The real names and dates of birth of the people (except those of the allowed roles), and
    the words the text may use anyway: every pseudonym's words and the allowed people's names."""
    chosen = list(people)
    allowed: set[str] = set()
    protected: list[Protected] = []
    for person in chosen:
        allowed |= words_of(person.pseudonym)
        if person.role in allowed_roles:
            allowed |= words_of(person.real_name)
    for person in chosen:
        if person.role in allowed_roles:
            continue
        kind = NAME_KINDS.get(person.role, "a real name")
        if person.real_name.strip():
            protected.append(ProtectedName(kind, person.real_name))
        if person.date_of_birth is not None:
            protected.append(ProtectedDate(DATE_OF_BIRTH, person.date_of_birth))
    return protected, frozenset(allowed)


def describe_kinds(findings: Iterable[Finding]) -> str:
    """ "a family member's real name and a date of birth": the kinds found, each once."""
    kinds = list(dict.fromkeys(f.kind for f in findings))
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
