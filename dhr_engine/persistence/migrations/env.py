"""Alembic environment: runs on the connection handed over by dhr_engine.persistence.schema."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from dhr_engine.persistence import all_tables  # noqa: F401  (registers every table)
from dhr_engine.persistence.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///./dhr.db")
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
