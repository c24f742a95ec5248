"""What one transition produced; the service layer persists it in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuditDraft:
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class DeadlineOp:
    op: str  # open | close | cancel | cancel_all | pause | resume
    key: str = ""


@dataclass
class Effects:
    events: list[AuditDraft] = field(default_factory=list)
    deadline_ops: list[DeadlineOp] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)
    failed_guards: list[str] = field(default_factory=list)

    def audit(self, kind: str, **data: Any) -> None:
        self.events.append(AuditDraft(kind, data))
