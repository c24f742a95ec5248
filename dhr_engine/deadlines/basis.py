"""How sure a deadline's rule is, in words: the workflow files keep evidence tags and source numbers
for the people who maintain them ("[V] six months (S10); from the decision to proceed [G]"); a chair
reads "six months (published source); from the decision to proceed (our reading of the 2016 guidance)"."""

from __future__ import annotations

import re

TAG_WORDS = {
    "V": "published source",
    "G": "our reading of the 2016 guidance",
    "L": "local practice",
    "I": "our estimate",
}
TAG = re.compile(r"\[([VGLIS])\]")
LEADING_TAGS = re.compile(r"^((?:\[[VGLIS]\])+)\s*")
SOURCE_NOTE = re.compile(r"\s*\((?:S\d+(?:/S\d+)*|DHR-PROCESS\.md[^)]*)\)")
SOURCE_PREFIX = re.compile(r"\bS\d+(?:/S\d+)*:\s*")


def _words(tags: str) -> str:
    names = [TAG_WORDS.get(t, "") for t in TAG.findall(tags)]
    return "; ".join(n for n in names if n)


def basis_in_words(evidence: str) -> str:
    """The evidence of a rule without tags or source numbers, each claim followed by how sure it is."""
    text = SOURCE_PREFIX.sub("", SOURCE_NOTE.sub("", evidence.strip()))
    clauses = []
    for clause in text.split("; "):
        clause = clause.strip()
        leading = LEADING_TAGS.match(clause)
        if leading:
            clause = clause[leading.end() :].rstrip()
            words = _words(leading.group(1))
            clause = f"{clause} ({words})" if clause and words else clause
        clause = TAG.sub(lambda m: f"({TAG_WORDS.get(m.group(1), '')})", clause)
        if clause:
            clauses.append(clause)
    return "; ".join(clauses)
