"""What a scheduler job is: an id, what it does, how often, and the function it runs.

Deadlines are rows, not APScheduler jobs (ARCHITECTURE.md §10): a few static jobs run in every
scheduler process, in the in-memory job store, and claim their work in the database, so running
several schedulers (or a scheduler beside `dhr serve`) cannot send anything twice. The jobs
themselves are each domain's `scheduled.py`; the composition root (`dhr_engine.bootstrap.JOBS`)
lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dhr_engine.context import AppContext


@dataclass(frozen=True)
class JobSpec:
    id: str
    description: str
    every_seconds: int
    run: Callable[[AppContext], str]


Jobs = Mapping[str, JobSpec]
