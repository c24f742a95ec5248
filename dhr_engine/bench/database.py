"""The benchmark database: the product's schema and reference data, plus the baseline's own tables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData, func
from sqlmodel import select

from dhr_engine.auth.passwords import hash_password
from dhr_engine.bench.baseline_tables import BASELINE_METADATA, BenchMeta
from dhr_engine.bootstrap import build_context
from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference, load_reference, seed_reference_data
from dhr_engine.errors import ValidationFailed
from dhr_engine.persistence.schema import upgrade
from dhr_engine.persistence.tables import Case, Csp

DEFAULT_SQLITE_URL = "sqlite:///./var/bench/bench.db"
BENCH_PASSWORD = "Bench-Password-2026"  # the bench database's users only; printed in docs
BENCH_MARK = "bench"


@dataclass
class BenchDatabase:
    """The context the metrics run in, and the demo partnership's reference data."""

    ctx: AppContext
    ref: Reference

    @property
    def dialect(self) -> str:
        return self.ctx.engine.dialect.name

    def case_count(self) -> int:
        with self.ctx.reader() as uow:
            return int(uow.session.exec(select(func.count()).select_from(Case)).one())


def open_bench_database(database_url: str) -> BenchDatabase:
    """Connect, upgrade the schema, add the reference data if missing and the baseline's tables."""
    settings = Settings(database_url=database_url, run_scheduler_in_process=False)
    ctx = build_context(settings)
    upgrade(ctx.engine)
    BASELINE_METADATA.create_all(ctx.engine)
    with ctx.uow() as uow:
        if uow.session.get(BenchMeta, BENCH_MARK) is None:
            if uow.session.exec(select(Case.id)).first() is not None:
                ctx.engine.dispose()
                raise ValidationFailed(
                    "this database holds cases that dhr bench did not create; "
                    "point --database-url at a scratch database",
                    field="database_url",
                )
            uow.session.add(BenchMeta(key=BENCH_MARK, value="dhr bench scratch database"))
        if uow.session.exec(select(Csp)).first() is None:
            seed_reference_data(uow.session, password_hash=hash_password(BENCH_PASSWORD))
        uow.commit()
    with ctx.reader() as uow:
        ref = load_reference(uow.session)
    return BenchDatabase(ctx=ctx, ref=ref)


def reset_database(db: BenchDatabase) -> str:
    """Drop every table of a bench database (it must carry the bench mark) and return its URL."""
    url = db.ctx.engine.url.render_as_string(hide_password=False)
    with db.ctx.reader() as uow:
        if uow.session.get(BenchMeta, BENCH_MARK) is None:
            raise ValidationFailed("not a dhr bench database; nothing dropped", field="database_url")
    everything = MetaData()
    everything.reflect(db.ctx.engine)
    everything.drop_all(db.ctx.engine)
    db.ctx.engine.dispose()
    return url
