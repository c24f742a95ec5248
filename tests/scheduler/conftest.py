"""The scheduler tests' fixture for child processes (tests/processes.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.processes import Children


@pytest.fixture
def children() -> Iterator[Children]:
    """Processes started by the test; every process group is killed and reaped at teardown, also
    when the test failed or was interrupted."""
    with Children() as started:
        yield started
