"""Fixtures for the API tests: the small world of scenario.py on SQLite (or on both databases)."""

from __future__ import annotations

import pytest

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from tests.api.scenario import World, build_world


@pytest.fixture
def world(lite: AppContext, lite_ref: Reference) -> World:
    """The two-case world on SQLite."""
    return build_world(lite, lite_ref)


@pytest.fixture
def any_world(ctx: AppContext, ref: Reference) -> World:
    """The two-case world on SQLite and on PostgreSQL."""
    return build_world(ctx, ref)
