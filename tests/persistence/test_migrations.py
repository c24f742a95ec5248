"""The Alembic migrations build exactly the tables the code declares, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from dhr_engine.context import AppContext
from dhr_engine.persistence import all_tables  # noqa: F401


def test_migrations__match_the_table_models(ctx: AppContext) -> None:
    with ctx.engine.connect() as conn:
        migration = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(migration, SQLModel.metadata)
    # Tables the benchmarks create for their own floor measurements are not part of the product.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("bench_"))]
    assert diff == []


def test_migrations__form_one_linear_history_with_one_head(ctx: AppContext) -> None:
    from alembic.script import ScriptDirectory

    from dhr_engine.persistence.schema import alembic_config

    script = ScriptDirectory.from_config(alembic_config(ctx.engine))
    heads = script.get_heads()
    assert len(heads) == 1, heads
    with ctx.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)
