"""`dhr bench --populate`: a national-scale database built with bulk inserts.

100,000 cases across 300 partnerships since 2011, 1,000,000 deadlines (of which a set number are
open and overdue, for the sweep) and 5,000,000 audit events, one case far larger than the rest.
Every audit chain is real (each event hashed with the product's own event_hash), so
`dhr audit verify` passes on it. Ids are sequential UUIDs, so the inserts append to the indexes.
The data set is built once and reused while the database says it holds the same sizes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Connection, Table
from sqlmodel import SQLModel, select

from dhr_engine.audit.service import GENESIS, event_hash
from dhr_engine.bench.baseline_tables import BenchMeta
from dhr_engine.bench.bulk import BulkInsert
from dhr_engine.bench.database import BenchDatabase, open_bench_database, reset_database
from dhr_engine.bench.sizes import Sizes
from dhr_engine.persistence.tables import AuditEvent, Case, CaseMember, Csp, Deadline, User

SCALE_KEY = "scale"
PARTNERSHIPS = 300
CHAIRS = 400
FIRST_DAY = date(2011, 4, 13)  # statutory DHRs began on 13 April 2011
ACTIVE_DAYS = 730  # cases notified in the last two years are still running
CHUNK = 1_000  # cases per transaction
EVENT_KINDS = ("stage_changed", "deadline_opened", "letter_queued", "member_added", "deadline_met")
ACTIVE_STAGES = (
    "scoping",
    "decision_pending",
    "chair_appointed",
    "information_gathering",
    "analysis",
    "draft_report",
    "qa_submitted",
    "action_plan_monitoring",
)

CASE_COLUMNS = [
    "id", "ref", "csp_id", "workflow_key", "workflow_version", "review_type", "stage", "stage_entered_on",
    "version", "title", "notified_on", "date_of_death", "date_of_death_precision", "police_force_area",
    "summary", "created_at", "closed_on", "audit_count", "audit_head",
]  # fmt: skip
MEMBER_COLUMNS = ["id", "case_id", "user_id", "role", "added_at"]
DEADLINE_COLUMNS = [
    "id", "case_id", "key", "label", "owner_role", "rule", "workflow_version", "anchor_on", "anchor_event",
    "statutory_due", "adjusted_due", "status", "pause_log", "holidays_skipped", "opened_at", "closed_on",
]  # fmt: skip
EVENT_COLUMNS = [
    "id", "case_id", "seq", "kind", "actor_user_id", "actor_label", "effective_on", "recorded_at", "data",
    "prev_hash", "hash",
]  # fmt: skip


def spec(sizes: Sizes) -> dict[str, int]:
    return {
        "cases": sizes.scale_cases,
        "deadlines": sizes.scale_deadlines,
        "events": sizes.scale_events,
        "largest_events": sizes.scale_largest_events,
        "due": sizes.sweep_due,
    }


def largest_index(cases: int) -> int:
    """The position of the one case far larger than the rest (a recent, running one)."""
    return cases - max(1, cases // 10)


class _Event:
    """The attributes event_hash reads, without building an ORM object per event."""

    __slots__ = (
        "actor_label",
        "actor_user_id",
        "case_id",
        "data",
        "effective_on",
        "kind",
        "prev_hash",
        "recorded_at",
        "seq",
    )  # fmt: skip

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


class _Ids:
    """Sequential UUIDs, one series per table, so every insert lands at the end of its index."""

    def __init__(self, table_no: int) -> None:
        self.base = (0xBE4C << 112) | (table_no << 96)
        self.n = 0

    def next(self) -> uuid.UUID:
        self.n += 1
        return uuid.UUID(int=self.base | self.n)


class Populator:
    def __init__(self, db: BenchDatabase, sizes: Sizes) -> None:
        self.db = db
        self.sizes = sizes
        self.today = db.ctx.clock.today()
        self.now = db.ctx.clock.now()
        self.span = (self.today - FIRST_DAY).days
        self.officer = db.ref.users["officer"]
        self.demo_chair = db.ref.users["chair"]
        definition = db.ctx.workflows.get("dhr", "2016.1")
        self.deadline_rules = list(definition.deadlines.items())
        self.ids = {name: _Ids(n) for n, name in enumerate(("case", "member", "deadline", "event"), 1)}
        self.due_left = sizes.sweep_due
        self.ref_numbers: dict[int, int] = {}
        cases = sizes.scale_cases
        rest_events = sizes.scale_events - sizes.scale_largest_events
        self.events_base, self.events_extra = divmod(rest_events, cases - 1)
        self.deadlines_base, self.deadlines_extra = divmod(sizes.scale_deadlines, cases)

    # --- reference rows (few; through the ORM) ---------------------------------------------

    def reference(self) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        with self.db.ctx.uow() as uow:
            session = uow.session
            csps = [self.db.ref.csp.id]
            for n in range(2, PARTNERSHIPS + 1):
                csp = Csp(slug=f"bench-{n:03d}", name=f"Partnership {n:03d} Community Safety Partnership")
                session.add(csp)
                csps.append(csp.id)
            chairs = []
            for n in range(1, CHAIRS + 1):
                user = User(username=f"bench.chair{n:03d}", display_name=f"Bench chair {n:03d}")
                session.add(user)
                chairs.append(user.id)
            uow.commit()
        return csps, chairs

    # --- one case and its rows ---------------------------------------------------------------

    def notified_on(self, i: int) -> date:
        return FIRST_DAY + timedelta(days=(i * self.span) // self.sizes.scale_cases)

    def events_for(self, i: int) -> int:
        if i == largest_index(self.sizes.scale_cases):
            return self.sizes.scale_largest_events
        return self.events_base + (1 if i < self.events_extra else 0)

    def case_rows(
        self, i: int, csp_id: uuid.UUID, chair_id: uuid.UUID
    ) -> tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        case_id = self.ids["case"].next()
        notified = self.notified_on(i)
        age = (self.today - notified).days
        active = age <= ACTIVE_DAYS
        year = notified.year
        self.ref_numbers[year] = self.ref_numbers.get(year, 0) + 1
        ref = f"DHR-{year}-{self.ref_numbers[year]:03d}"
        if active:
            stage = ACTIVE_STAGES[i % len(ACTIVE_STAGES)]
        else:
            stage = "closed_no_review" if i % 10 == 0 else "closed"
        closed_on = None if active else notified + timedelta(days=min(age - 1, 600))
        stage_entered = closed_on or notified + timedelta(days=age // 2)
        events = self.event_rows(case_id, ref, notified, min(age, 900), self.events_for(i))
        head = events[-1][-1]
        case = (
            case_id, ref, csp_id, "dhr", "2016.1", "dhr", stage, stage_entered, len(events) + 1,
            f"Bench {i + 1} - Partnership - {year} - DHR", notified, notified - timedelta(days=5), "month",
            "Benchshire", "", datetime.combine(notified, time(9), UTC), closed_on, len(events), head,
        )  # fmt: skip
        member = (self.ids["member"].next(), case_id, chair_id, "independent_chair", case[15])
        return case, member, self.deadline_rows(case_id, notified, active, i), events

    def event_rows(
        self, case_id: uuid.UUID, ref: str, notified: date, days: int, count: int
    ) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        prev = GENESIS
        start = datetime.combine(notified, time(9), UTC)
        for seq in range(1, count + 1):
            kind = "case_opened" if seq == 1 else EVENT_KINDS[seq % len(EVENT_KINDS)]
            data: dict[str, Any] = (
                {"stage": "notified", "workflow_version": "2016.1", "ref": ref}
                if seq == 1
                else {"trigger": "bench", "step": seq}
            )
            effective = notified + timedelta(days=(seq * days) // max(count, 1))
            recorded = start + timedelta(days=(seq * days) // max(count, 1), seconds=seq)
            event = _Event(
                case_id=case_id, seq=seq, kind=kind, actor_user_id=self.officer.id,
                actor_label=self.officer.display_name, effective_on=effective, recorded_at=recorded,
                data=data, prev_hash=prev,
            )  # fmt: skip
            digest = event_hash(cast(AuditEvent, event))
            rows.append(
                (self.ids["event"].next(), case_id, seq, kind, self.officer.id, self.officer.display_name,
                 effective, recorded, data, prev, digest)
            )  # fmt: skip
            prev = digest
        return rows

    def deadline_rows(
        self, case_id: uuid.UUID, notified: date, active: bool, i: int
    ) -> list[tuple[Any, ...]]:
        count = self.deadlines_base + (1 if i < self.deadlines_extra else 0)
        rows: list[tuple[Any, ...]] = []
        for n in range(count):
            key, rule = self.deadline_rules[n % len(self.deadline_rules)]
            anchor = notified + timedelta(days=n * 20)
            due = anchor + timedelta(days=30)
            status = "met"
            closed_on: date | None = due - timedelta(days=2)
            if active and n >= count - 2:
                status, closed_on = "open", None
                if self.due_left > 0:
                    self.due_left -= 1
                    due = self.today - timedelta(days=1 + (self.due_left % 20))
                else:
                    due = self.today + timedelta(days=10 + (i + n) % 50)
            rows.append(
                (self.ids["deadline"].next(), case_id, key, rule.label, rule.owner.value, rule.add.describe(),
                 "2016.1", anchor, "bench", due, due, status, [], [],
                 datetime.combine(anchor, time(9), UTC), closed_on)
            )  # fmt: skip
        return rows

    # --- the whole data set ------------------------------------------------------------------

    def chunks(self, csps: list[uuid.UUID], chairs: list[uuid.UUID]) -> Iterator[dict[str, list[Any]]]:
        total = self.sizes.scale_cases
        largest = largest_index(total)
        for start in range(0, total, CHUNK):
            out: dict[str, list[Any]] = {"case": [], "member": [], "deadline": [], "event": []}
            for i in range(start, min(start + CHUNK, total)):
                chair = self.demo_chair.id if i % 100 == 0 else chairs[i % len(chairs)]
                csp = csps[0] if i == largest else csps[i % len(csps)]  # the officer can open it
                case, member, deadlines, events = self.case_rows(i, csp, chair)
                out["case"].append(case)
                out["member"].append(member)
                out["deadline"].extend(deadlines)
                out["event"].extend(events)
            yield out

    def run(self, console: Console) -> None:
        csps, chairs = self.reference()
        tables = {
            "case": (_table(Case), CASE_COLUMNS),
            "member": (_table(CaseMember), MEMBER_COLUMNS),
            "deadline": (_table(Deadline), DEADLINE_COLUMNS),
            "event": (_table(AuditEvent), EVENT_COLUMNS),
        }
        total = self.sizes.scale_cases + self.sizes.scale_deadlines + self.sizes.scale_events
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("Populating cases, deadlines, audit events", total=total)
            with self.db.ctx.engine.connect() as conn:
                _tune(conn)
                for chunk in self.chunks(csps, chairs):
                    with conn.begin():
                        for name, (table, cols) in tables.items():
                            BulkInsert(conn, table, cols).insert(chunk[name])
                    done = len(chunk["case"]) + len(chunk["deadline"]) + len(chunk["event"])
                    progress.advance(task, done)
        if self.due_left:
            raise RuntimeError(f"{self.due_left} due deadlines found no running case; raise the sizes")


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _tune(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB while building
    conn.commit()


def recorded_spec(db: BenchDatabase) -> dict[str, int] | None:
    with db.ctx.reader() as uow:
        row = uow.session.get(BenchMeta, SCALE_KEY)
        return json.loads(row.value) if row else None


def ensure(db: BenchDatabase, sizes: Sizes, *, rebuild: bool, console: Console) -> BenchDatabase:
    """Reuse the scale data set if this database holds it at these sizes; else build it."""
    wanted = spec(sizes)
    recorded = recorded_spec(db)
    if recorded == wanted and not rebuild:
        console.print(f"Reusing the scale data set: {_describe(wanted)}")
        return db
    if recorded is not None or db.case_count() > 0:
        console.print("Dropping the bench database's tables to rebuild the scale data set")
        db = open_bench_database(reset_database(db))
    console.print(f"Building the scale data set: {_describe(wanted)}")
    Populator(db, sizes).run(console)
    with db.ctx.uow() as uow:
        uow.session.add(BenchMeta(key=SCALE_KEY, value=json.dumps(wanted)))
        uow.commit()
    _analyse(db)
    return db


def _analyse(db: BenchDatabase) -> None:
    """Fresh planner statistics, as a maintained database would have."""
    with db.ctx.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _describe(wanted: dict[str, int]) -> str:
    return (
        f"{wanted['cases']:,} cases, {wanted['deadlines']:,} deadlines "
        f"({wanted['due']:,} overdue), {wanted['events']:,} audit events"
    )


def largest_case_ref(db: BenchDatabase) -> str:
    with db.ctx.reader() as uow:
        query = select(Case.ref).order_by(Case.audit_count.desc()).limit(1)  # type: ignore[attr-defined]
        return str(uow.session.exec(query).one())
