"""Child processes for tests, and waiting on them by what they do, never by a fixed sleep.

Every child starts in its own session (so in its own process group) and `Children` kills the whole
group with SIGKILL and reaps it when it closes: at the fixture's teardown, which pytest runs when
the test failed, raised or was interrupted, and at interpreter exit for anything still left. A
reaped child leaves no `Popen` warning ("subprocess N is still running") for a later test's
garbage collection to raise, and no worker holding locks that a later test waits for.

`wait_for` polls a condition; its guard is a failure guard only: it fails when nothing has moved
for GUARD_SECONDS (a hung process), however slow a busy machine makes the work.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

GUARD_SECONDS = 300.0
POLL_SECONDS = 0.05

_LIVE: set[subprocess.Popen[bytes]] = set()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (the child and anything it started) and reap the child."""
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=GUARD_SECONDS)
    _LIVE.discard(process)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_LIVE):
        kill_group(process)


class Children:
    """The processes one test started; `close()` (or leaving the `with`) kills every group."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self,
        command: Sequence[str],
        *,
        log: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start `command` in a new session, its stdout and stderr appended to `log`."""
        with log.open("ab") as out:
            process = subprocess.Popen(
                list(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append(process)
        _LIVE.add(process)
        return process

    def close(self) -> None:
        for process in self.started:
            kill_group(process)

    def __enter__(self) -> Children:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []


def wait_for(
    condition: Callable[[], bool],
    what: str,
    *,
    progress: Callable[[], object] = lambda: None,
    running: Sequence[subprocess.Popen[bytes]] = (),
    guard: float = GUARD_SECONDS,
) -> None:
    """Poll until `condition()` holds. Fails if a process in `running` exits first, or if
    `progress()` (a count of rows, the size of a log) has not changed for `guard` seconds."""
    seen = progress()
    moved = time.monotonic()
    while not condition():
        stopped = [p.returncode for p in running if p.poll() is not None]
        assert not stopped, f"waiting for {what}: a process stopped early (exit codes {stopped})"
        now = progress()
        if now != seen:
            seen, moved = now, time.monotonic()
        assert time.monotonic() - moved < guard, f"waiting for {what}: nothing moved for {guard:.0f} s"
        time.sleep(POLL_SECONDS)
