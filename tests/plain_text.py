"""What a person should never have to read: stored keys and codes (snake_case), ISO dates, evidence
tags ("[V]", "[G]"...) and negative day counts. Shared by the page test and the CLI test."""

from __future__ import annotations

import re

CHECKS = {
    "a stored key or code": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "an ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "an evidence tag": re.compile(r"\[(?:V|G|I|L|S)\]"),
    "a negative number of days": re.compile(r"-\d+ days?\b"),
}
# What people type as it is: e-mail addresses, user names (police.manager, acute_trust.author) and
# the commands the CLI suggests, in brackets: "(dhr case fire DHR-2026-004 pause_for_proceedings)".
TYPED = re.compile(r"\S+@\S+|\b[a-z0-9_]+\.[a-z0-9_.]+\b|\(dhr [^)]*\)")


def problems_in(text: str) -> list[str]:
    """Each thing a person should not have to read, with a little of the text around it."""
    text = TYPED.sub(" ", " ".join(text.split()))
    found = []
    for what, pattern in CHECKS.items():
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 60) : match.end() + 20]
            found.append(f"{what} '{match.group(0)}' in …{around}…")
    return found
