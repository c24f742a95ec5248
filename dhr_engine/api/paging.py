"""Shapes shared by every part of the API: a page of items."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: every list in the API is paged with ?limit= and ?offset=."""

    items: list[ItemT]
    total: int = Field(ge=0, description="How many items there are in all", examples=[12])
    limit: int = Field(ge=1, description="The page size asked for", examples=[50])
    offset: int = Field(ge=0, description="How many items were skipped", examples=[0])
