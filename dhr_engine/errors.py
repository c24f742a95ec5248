"""The one error hierarchy every layer raises; mapped to HTTP in api/errors.py only.

Messages never contain personal data: they name fields, codes, roles and guards, never values
that came from a person's record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorItem:
    """One problem: a stable code, a message for people, and the field it concerns."""

    code: str
    msg: str
    field: str | None = None


class DhrError(Exception):
    """Base of every error the engine raises on purpose."""

    status_code = 400
    code = "error"

    def __init__(
        self, msg: str, *, field: str | None = None, items: Sequence[ErrorItem] | None = None
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.items: list[ErrorItem] = list(items) if items else [ErrorItem(self.code, msg, field)]


class NotFound(DhrError):
    status_code = 404
    code = "not_found"


class CaseNotFound(NotFound):
    code = "case_not_found"


class PermissionDenied(DhrError):
    status_code = 403
    code = "permission_denied"


class Unauthenticated(DhrError):
    status_code = 401
    code = "not_authenticated"


class Conflict(DhrError):
    status_code = 409
    code = "conflict"


class TransitionNotAllowed(Conflict):
    """The trigger does not exist, or is not valid from the case's current stage."""

    code = "transition_not_allowed"


class TransitionBlocked(Conflict):
    """Guards failed; carries their names for the user interface."""

    code = "transition_blocked"

    def __init__(self, trigger: str, failed_guards: Sequence[str]) -> None:
        names = ", ".join(failed_guards)
        super().__init__(f"'{trigger}' is blocked by: {names}", field="trigger")
        self.trigger = trigger
        self.failed_guards = list(failed_guards)


class StaleCase(Conflict):
    """Somebody else changed the case first; reload it and try again."""

    code = "stale_version"


class ValidationFailed(DhrError):
    """Input was wrong; every item names its field."""

    status_code = 422
    code = "invalid"


class InvalidLetterContext(ValidationFailed):
    code = "invalid_letter_context"


class WorkflowDefinitionError(DhrError):
    """A workflow file is broken: names file, YAML path and problem."""

    code = "workflow_definition"

    def __init__(self, file: str, path: str, problem: str) -> None:
        super().__init__(f"{file}: {path}: {problem}")
        self.file, self.path, self.problem = file, path, problem


class WorkflowDefinitionErrors(DhrError):
    """Several broken things found in workflow files at once."""

    code = "workflow_definition"

    def __init__(self, errors: Sequence[WorkflowDefinitionError]) -> None:
        super().__init__("\n".join(e.msg for e in errors))
        self.errors = list(errors)


class LetterSpecError(DhrError):
    """A letter spec (templates/letters/national/<code>.yaml) is broken: names file, field and problem."""

    code = "letter_spec"

    def __init__(self, file: str, path: str, problem: str) -> None:
        super().__init__(f"{file}: {path}: {problem}")
        self.file, self.path, self.problem = file, path, problem


class LetterSpecErrors(DhrError):
    """Several broken things found in letter specs at once."""

    code = "letter_spec"

    def __init__(self, errors: Sequence[LetterSpecError]) -> None:
        super().__init__("\n".join(e.msg for e in errors))
        self.errors = list(errors)
