"""Lessons across reviews: themes of recommendations, and recommendations that keep coming back.

A repeat is a pair of recommendations from two DIFFERENT reviews that share at least one theme
AND whose wording is similar: the Dice coefficient of their sets of content words (lower case,
common words dropped, plural and -ing/-ed endings trimmed) is at least REPEAT_THRESHOLD. Both
conditions must hold, so two unrelated recommendations on the same theme, or similar words on
different themes, are not flagged.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from itertools import combinations

from sqlmodel import Session, col, select

from dhr_engine.persistence.tables import Case
from dhr_engine.persistence.tables_plans import Plan, PlanAction, Recommendation
from dhr_engine.plans.rag import FINISHED
from dhr_engine.plans.themes import label_of, taxonomy

REPEAT_THRESHOLD = 0.5

_COMMON_WORDS = (
    "a all also an and any are as at be been by can could each every for from has have in into is it"
    " its must of on or other our shall should so that the their them there these they this those to"
    " was were which who will with within would"
)
STOPWORDS = frozenset(_COMMON_WORDS.split())


def words(text: str) -> frozenset[str]:
    """The content words of a text, lightly stemmed so 'assessments' meets 'assessment'."""
    out = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in STOPWORDS or len(word) < 2:
            continue
        for suffix in ("ing", "ed", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        out.add(word)
    return frozenset(out)


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' content words (0 to 1)."""
    left, right = words(a), words(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


@dataclass(frozen=True)
class RecommendationView:
    id: uuid.UUID
    case_id: uuid.UUID
    case_ref: str
    number: int
    text: str
    level: str
    themes: tuple[str, ...]


def review_recommendations(session: Session, csp_id: uuid.UUID | None = None) -> list[RecommendationView]:
    """Every recommendation of every review's action plan (of one CSP, if given)."""
    query = (
        select(Recommendation, Plan, Case)
        .join(Plan, col(Plan.id) == col(Recommendation.plan_id))
        .join(Case, col(Case.id) == col(Plan.case_id))
    )
    if csp_id is not None:
        query = query.where(Plan.csp_id == csp_id)
    rows = session.exec(query).all()
    return sorted(
        (
            RecommendationView(rec.id, case.id, case.ref, rec.number, rec.text, rec.level, tuple(rec.themes))
            for rec, _plan, case in rows
        ),
        key=lambda r: (r.case_ref, r.number),
    )


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    label: str
    recommendations: int
    reviews: int
    open_actions: int
    review_refs: str


def themes_report(session: Session, csp_id: uuid.UUID | None = None) -> list[ThemeRow]:
    """For every theme of the taxonomy: how many recommendations and reviews raised it."""
    recs = review_recommendations(session, csp_id)
    open_by_rec: dict[uuid.UUID, int] = {}
    for rec_id, stage in session.exec(select(PlanAction.recommendation_id, PlanAction.stage)).all():
        if rec_id is not None and stage not in FINISHED:
            open_by_rec[rec_id] = open_by_rec.get(rec_id, 0) + 1
    rows = []
    for code in taxonomy():
        tagged = [r for r in recs if code in r.themes]
        refs = sorted({r.case_ref for r in tagged})
        rows.append(
            ThemeRow(
                theme=code,
                label=label_of(code),
                recommendations=len(tagged),
                reviews=len(refs),
                open_actions=sum(open_by_rec.get(r.id, 0) for r in tagged),
                review_refs=", ".join(refs),
            )
        )
    return sorted(rows, key=lambda r: (-r.reviews, -r.recommendations, r.label))


@dataclass(frozen=True)
class RepeatPair:
    """Two reviews telling the CSP the same thing."""

    themes: tuple[str, ...]
    similarity: float
    first_ref: str
    first_number: int
    first_text: str
    second_ref: str
    second_number: int
    second_text: str

    @property
    def theme_labels(self) -> str:
        return "; ".join(label_of(t) for t in self.themes)


def repeats_report(
    session: Session, csp_id: uuid.UUID | None = None, *, threshold: float = REPEAT_THRESHOLD
) -> list[RepeatPair]:
    """Pairs of recommendations from different reviews with a shared theme and similar wording."""
    pairs = []
    for a, b in combinations(review_recommendations(session, csp_id), 2):
        if a.case_id == b.case_id:
            continue
        shared = tuple(t for t in a.themes if t in b.themes)
        if not shared:
            continue
        score = similarity(a.text, b.text)
        if score >= threshold:
            pairs.append(
                RepeatPair(
                    shared, round(score, 2), a.case_ref, a.number, a.text, b.case_ref, b.number, b.text
                )
            )
    return sorted(pairs, key=lambda p: (-p.similarity, p.first_ref, p.first_number))
