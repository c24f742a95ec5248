"""The rungs of a deadline's reminder ladder, and which one is due on a given day.

A deadline's rule (`definition.deadlines[key].reminders`) gives its rungs:

- `before:N` for each N in `before_days`, on the day N days before the due date (a reminder);
- `due` on the due date itself, when `on_due` is set;
- `escalation:K` every `escalate_every_days` (M) while overdue: on the due date plus K x M days.

The rule for catching up (after downtime, or for a deadline opened late in its life): a sweep on a
day sends only the LATEST rung whose day has come, and only if that rung has not been claimed for
this due date yet. Earlier rungs that were missed are not sent late, because they would be wrong
by now ("due in 7 days" when it is overdue); they are listed on the notice that was sent
(`skipped`) so the record shows what the downtime cost. Escalations go to a growing audience (see
`roles_for`), so the latest escalation reaches everyone an earlier, skipped one would have. Each
(deadline, due date, rung) is claimed at most once, ever; a resumed deadline with a new due date
starts a fresh ladder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from dhr_engine.domain.calendar import BankHolidays, add_working_days
from dhr_engine.domain.roles import Role


class ReminderRule(Protocol):
    """A deadline rule's ladder, as the workflow files declare it (workflow.definition.ReminderRule)."""

    @property
    def before_days(self) -> Sequence[int]: ...
    @property
    def on_due(self) -> bool: ...
    @property
    def escalate_every_days(self) -> int | None: ...
    @property
    def notify(self) -> Sequence[Role]: ...
    @property
    def escalate_to(self) -> Sequence[Role]: ...


MAX_SKIPPED_LISTED = 20


@dataclass(frozen=True, order=True)
class Rung:
    on: date
    name: str = field(compare=False)
    kind: str = field(compare=False)  # reminder | due | escalation
    level: int = field(default=0, compare=False)  # days before, or escalation number


def reminder_rungs(rule: ReminderRule, due: date) -> list[Rung]:
    """The reminders and the due-day notice: a short, fixed list, in date order."""
    rungs = [
        Rung(due - timedelta(days=n), f"before:{n}", "reminder", n)
        for n in sorted(set(rule.before_days))
        if n > 0
    ]
    if rule.on_due:
        rungs.append(Rung(due, "due", "due"))
    return sorted(rungs)


def escalation(rule: ReminderRule, due: date, level: int) -> Rung:
    every = rule.escalate_every_days or 0
    return Rung(due + timedelta(days=level * every), f"escalation:{level}", "escalation", level)


def escalation_level(rule: ReminderRule, due: date, today: date) -> int:
    """How many escalation days have come by today (0: none yet, or the rule never escalates)."""
    if not rule.escalate_every_days or today <= due:
        return 0
    return (today - due).days // rule.escalate_every_days


def latest_on(rule: ReminderRule, due: date, today: date) -> Rung | None:
    """The most recent rung whose day has come by today, if any."""
    level = escalation_level(rule, due, today)
    if level:
        return escalation(rule, due, level)
    come = [r for r in reminder_rungs(rule, due) if r.on <= today]
    return come[-1] if come else None


def next_after(rule: ReminderRule, due: date, today: date) -> date | None:
    """The day of the first rung after today (None: the ladder has nothing more)."""
    later = [r.on for r in reminder_rungs(rule, due) if r.on > today]
    if rule.escalate_every_days:
        later.append(escalation(rule, due, escalation_level(rule, due, today) + 1).on)
    return min(later) if later else None


@dataclass(frozen=True)
class Step:
    """What the sweep does for one deadline today."""

    rung: Rung | None  # None: nothing to send today
    skipped: list[str]
    next_on: date | None


def step_for(rule: ReminderRule, due: date, today: date, claimed: set[str]) -> Step:
    """The rung to send today (the latest that has come and is not claimed) and the ones it skips."""
    latest = latest_on(rule, due, today)
    following = next_after(rule, due, today)
    if latest is None or latest.name in claimed:
        return Step(None, [], following)
    missed = [r for r in reminder_rungs(rule, due) if r.on < latest.on and r.name not in claimed]
    if latest.kind == "escalation":
        missed += [escalation(rule, due, k) for k in range(1, latest.level)]
    last_claimed = max(
        (
            r.on
            for r in [*reminder_rungs(rule, due), *_claimed_escalations(rule, due, claimed)]
            if r.name in claimed
        ),
        default=None,
    )
    skipped = [
        r.name
        for r in sorted(missed)
        if r.name not in claimed and (last_claimed is None or r.on > last_claimed)
    ]
    if len(skipped) > MAX_SKIPPED_LISTED:
        skipped = [
            *skipped[: MAX_SKIPPED_LISTED - 1],
            f"... and {len(skipped) - MAX_SKIPPED_LISTED + 1} more",
        ]
    return Step(latest, skipped, following)


def _claimed_escalations(rule: ReminderRule, due: date, claimed: set[str]) -> list[Rung]:
    levels = [int(name.split(":", 1)[1]) for name in claimed if name.startswith("escalation:")]
    return [escalation(rule, due, k) for k in levels]


def roles_for(rule: ReminderRule, rung: Rung, owner_role: str) -> list[str]:
    """Who a rung is addressed to.

    Reminders and the due-day notice go to the rule's `notify` roles (the deadline's owner if the
    rule names none). Escalation K goes to them and up the `escalate_to` ladder: the first
    escalation adds escalate_to[0], the second escalate_to[1], and so on; past the end of the
    ladder the last rung repeats. Everyone escalated to stays on later escalations.
    """
    roles = [str(r) for r in rule.notify] or [owner_role]
    if rung.kind == "escalation":
        ladder = [str(r) for r in rule.escalate_to] or [Role.CSP_CHAIR.value]
        roles += ladder[: min(rung.level, len(ladder))]
    return list(dict.fromkeys(roles))


def horizon_days(rule: ReminderRule) -> int:
    """How many days before the due date the first reminder falls (0: none before the day)."""
    return max([n for n in rule.before_days if n > 0], default=0)


HELD = "held"  # the rung of the notice that holds back a deadline opened already due (held_until)


def held_until(effective_on: date, recorded_on: date, due: date, calendar: BankHolidays) -> date | None:
    """When a deadline opened by an event recorded late may first be chased (None: at once).

    An event recorded with an effective date in the past can open a deadline that is already due
    (due on or before the day it was recorded). Chasing it that day would send everyone its latest
    escalation for something the recorder has only just written down. It is held until the next
    working day after the recording, and the ladder then resumes with its latest rung (the rungs
    that fell in the past are skipped and listed, never sent all at once: `step_for`).
    """
    if effective_on >= recorded_on or due > recorded_on:
        return None
    return add_working_days(recorded_on, 1, calendar).due


def rung_in_words(rung: str) -> str:
    """A rung as a person reads it: "before:14" -> "14 days before it is due", "escalation:3" ->
    "escalation 3", "due" -> "on the day it is due"."""
    kind, _, number = rung.partition(":")
    if kind == "before" and number.isdigit():
        days = int(number)
        return f"{days} day{'s' if days != 1 else ''} before it is due"
    if kind == "due":
        return "on the day it is due"
    if kind == "escalation" and number.isdigit():
        return f"escalation {number}"
    if kind == HELD:
        return "held until the next working day (opened already due by an event recorded late)"
    return rung.replace("_", " ").replace(":", " ")
