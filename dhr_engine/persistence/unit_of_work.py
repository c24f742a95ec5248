"""UnitOfWork: one session, one transaction; rolls back unless commit() is called."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from dhr_engine.errors import StaleCase
from dhr_engine.persistence.db import SQLITE_BEGIN, SessionFactory
from dhr_engine.workflow.loader import WorkflowRegistry

# Something done once a unit of work has committed (the audit's checkpoints, wired by the composition
# root: this layer knows nothing of them). It is called with the session just before the commit,
# while it still holds what the command changed, and returns what to run once the commit has
# succeeded (or None). What it returns must not raise: the command is done by then.
CommitHook = Callable[[Session], Callable[[], None] | None]
_AUDIT_KEY = "audit_key"


def session_audit_key(session: Session) -> bytes:
    """The audit key of the unit of work this session belongs to (never stored in the database)."""
    key = session.info.get(_AUDIT_KEY)
    if not isinstance(key, bytes):
        raise RuntimeError("this session has no audit key: open it with a UnitOfWork")
    return key


class UnitOfWork:
    """Context manager around one transaction.

    Writers on SQLite start with BEGIN IMMEDIATE so two processes never interleave a
    read-then-write; on PostgreSQL the case row is locked with FOR UPDATE instead.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        workflows: WorkflowRegistry,
        *,
        write: bool = True,
        holiday_subdivision: str = "ENG",
        audit_key: bytes | None = None,
        commit_hooks: Sequence[CommitHook] = (),
    ) -> None:
        self._factory = session_factory
        self._audit_key = audit_key
        self._commit_hooks = tuple(commit_hooks)
        self.workflows = workflows
        self.holiday_subdivision = holiday_subdivision
        self._write = write
        self._session: Session | None = None
        self.committed = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its 'with' block")
        return self._session

    @property
    def dialect(self) -> str:
        bind = self.session.get_bind()
        return bind.dialect.name

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        self.committed = False
        if self._audit_key is not None:
            self._session.info[_AUDIT_KEY] = self._audit_key
        options = {SQLITE_BEGIN: "IMMEDIATE"} if self._write else {}
        self._session.connection(execution_options=options)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            # A writer that did not commit throws its changes away (and expires what it loaded);
            # a reader only lets go of its connection, so what it loaded stays readable.
            if not self.committed and self._write:
                session.rollback()
        finally:
            session.close()
            self._session = None

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as err:
            raise StaleCase("the case was changed by someone else; reload it and try again") from err

    def commit(self) -> None:
        after = [done for hook in self._commit_hooks if (done := hook(self.session)) is not None]
        try:
            self.session.commit()
        except StaleDataError as err:
            raise StaleCase("the case was changed by someone else; reload it and try again") from err
        self.committed = True
        for done in after:
            done()
