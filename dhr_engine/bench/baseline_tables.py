"""The floor's own tables: one row read and updated, one row added, as in LIBRARIES.md §8 row b.

They live in their own MetaData, so they never enter the product's schema or its migrations.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, MetaData
from sqlmodel import Field, SQLModel

BASELINE_METADATA = MetaData()


class BaselineBase(SQLModel):
    metadata = BASELINE_METADATA


class BaselineReview(BaselineBase, table=True):
    __tablename__ = "bench_review"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    status: str = Field(default="a", max_length=20)
    counter: int = 0
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class BaselineEvent(BaselineBase, table=True):
    __tablename__ = "bench_event"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    review_id: uuid.UUID = Field(foreign_key="bench_review.id", index=True)
    kind: str = Field(max_length=60)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime


class BenchMeta(BaselineBase, table=True):
    """What `dhr bench` has put in this database (a scratch database of its own)."""

    __tablename__ = "bench_meta"
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(default="", max_length=2000)
