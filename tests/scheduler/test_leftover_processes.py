"""A test that starts processes leaves none behind, whatever happens to it: a failed test's
children (and theirs) are killed and reaped at teardown, so no later test trips over a `Popen`
warning at garbage collection; and a leftover connection holding a lock never blocks the next
PostgreSQL test's TRUNCATE."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _truncate_all
from tests.processes import GUARD_SECONDS, Children, lines, wait_for

ROOT = Path(__file__).resolve().parents[2]

# A child that starts a grandchild, says which processes they are and that it is ready, then waits.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    print("pids", grandchild.pid, flush=True)
    print("ready", flush=True)
    time.sleep(3600)
    """
)

INNER_CONFTEST = "from tests.scheduler.conftest import children  # noqa: F401\n"
INNER_TESTS = textwrap.dedent(
    f"""
    import gc
    import os
    import sys
    from pathlib import Path

    from tests.processes import lines, wait_for

    PIDS = Path(os.environ["DHR_TEST_PIDS"])


    def test_fails_while_its_processes_run(children, tmp_path):
        log = tmp_path / "parent.log"
        parent = children.start([sys.executable, "-c", {PARENT!r}], log=log)
        wait_for(lambda: "ready" in lines(log), "the child to be ready", running=[parent])
        grandchild = int(lines(log)[0].split()[1])
        PIDS.write_text(f"{{parent.pid}} {{grandchild}}")
        raise AssertionError("this test fails on purpose")


    def test_a_later_test_collects_garbage():
        gc.collect()
    """
)


def _alive(pid: int) -> bool:
    """Running or stopped; a zombie (dead, not yet reaped by its new parent) counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_a_failed_test_kills_its_children_and_theirs__and_leaves_no_warning(
    children: Children, tmp_path: Path
) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "conftest.py").write_text(INNER_CONFTEST)
    (inner / "test_inner.py").write_text(INNER_TESTS)
    pids = tmp_path / "pids"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DHR_TEST_PIDS": str(pids)}
    log = tmp_path / "inner.log"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "-p",
        "no:randomly",
    ]
    run = children.start([*command, str(inner)], log=log, cwd=inner, env=env)
    wait_for(lambda: run.poll() is not None, "the inner test run", progress=lambda: len(lines(log)))
    started = [int(p) for p in pids.read_text().split()] if pids.exists() else []
    try:
        output = "\n".join(lines(log))
        assert len(started) == 2, output
        assert [pid for pid in started if _alive(pid)] == [], "a child of the failed test is still running"
        assert "1 failed, 1 passed" in output, output  # the later test saw no unraisable exception
        assert "still running" not in output
    finally:
        for pid in started:  # never leave anything behind, even when this test fails
            if _alive(pid):
                os.kill(pid, 9)


STRAY = textwrap.dedent(
    """
    import sys, time
    import psycopg
    with psycopg.connect(sys.argv[1], application_name="dhr-test-stray") as conn:
        conn.execute("LOCK TABLE dhr_case IN ACCESS SHARE MODE")  # held until the transaction ends
        print("ready", flush=True)
        time.sleep(3600)
    """
)


@pytest.mark.postgres
def test_truncate_ends_a_leftover_connection_holding_a_lock(
    postgres_url: str, children: Children, tmp_path: Path
) -> None:
    log = tmp_path / "stray.log"
    plain_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    stray = children.start([sys.executable, "-c", STRAY, plain_url], log=log)
    wait_for(lambda: "ready" in lines(log), "the stray connection to hold its lock", running=[stray])
    done = threading.Event()
    errors: list[BaseException] = []

    def truncate() -> None:
        try:
            _truncate_all(postgres_url)
        except BaseException as err:  # surfaced below
            errors.append(err)
        finally:
            done.set()

    worker = threading.Thread(target=truncate, daemon=True)
    worker.start()
    # A failure guard only: before the fix the TRUNCATE waited for the lock for ever. (If it does,
    # the children fixture kills the stray process at teardown, which lets the thread finish.)
    assert done.wait(GUARD_SECONDS), "the TRUNCATE waited for the stray connection's lock"
    assert errors == []
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dhr-test-stray'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert left == 0  # its connection was ended (the process itself is killed at teardown)
