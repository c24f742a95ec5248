"""Browser tests: the real app on uvicorn (loopback, free port) over a fresh SQLite demo database,
driven by Playwright through Debian's chromium. axe-core from npm checks every page visited.

Never runs `playwright install`: the browser is /usr/bin/chromium. Without it (or without
node_modules/axe-core) the tests skip, and fail under DHR_REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect

from dhr_engine.bootstrap import build_context
from dhr_engine.bootstrap.app import create_app
from dhr_engine.config import PROJECT_ROOT, Settings
from dhr_engine.context import AppContext
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import DEMO_PASSWORD
from dhr_engine.domain.clock import FakeClock
from dhr_engine.web import assets
from tests.conftest import TODAY, skip_or_fail
from tests.processes import GUARD_SECONDS

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}

# Failure guards for a busy machine, set once here: how long Playwright waits for a navigation, an
# action or an `expect` (its defaults are 30 s and 5 s), for the browser to start, and an HTTP
# client for a reply (httpx's default is 5 s). Nothing is timed: a slow page only takes longer. With
# both cores busy and a dozen processes queued (load average 14), the first visit to /oversight,
# which draws its charts, took more than 60 s.
TIMEOUT_MS = 180_000
LAUNCH_TIMEOUT_MS = 180_000
HTTP_TIMEOUT = httpx.Timeout(180.0)
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """Replaces pytest-playwright's (a class-based fixture pytest now warns about); each test has
    its own server, so pages are addressed by full URL."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        skip_or_fail("Debian's chromium is not installed at /usr/bin/chromium")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "timeout": LAUNCH_TIMEOUT_MS,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--no-first-run",
            "--metrics-recording-only",
        ],
    }


@pytest.fixture(scope="session")
def built_assets() -> None:
    """The GOV.UK Frontend files must come from npm (make assets); build them if node_modules is there."""
    if not AXE.exists() or not (PROJECT_ROOT / assets.PACKAGE_DIST).exists():
        skip_or_fail("node_modules is missing: run `make assets` (npm install) first")
    if not assets.is_built():
        assets.build()


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, seeded once per session on the fixed test day; each test copies it."""
    path = tmp_path_factory.mktemp("web-demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    ctx = build_context(Settings(database_url=f"sqlite:///{path}"), clock=FakeClock.on(TODAY))
    load_demo(ctx)
    with ctx.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.engine.dispose()
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    ctx: AppContext


@pytest.fixture
def server(demo_template: Path, tmp_path: Path, built_assets: None) -> Iterator[Server]:
    """uvicorn serving the app on a free loopback port, over a fresh copy of the demo database."""
    path = tmp_path / "dhr.db"
    shutil.copy(demo_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", storage_dir=tmp_path / "storage")
    ctx = build_context(settings, clock=FakeClock.on(TODAY))
    port = _free_port()
    config = uvicorn.Config(
        create_app(ctx.settings, ctx), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + GUARD_SECONDS  # uvicorn sets `started` once it listens
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", ctx)
    srv.should_exit = True
    thread.join(timeout=GUARD_SECONDS)
    ctx.engine.dispose()


@dataclass
class Browser:
    """A signed-in (or not) user in the browser; every page it lands on is checked by axe-core."""

    page: Page
    base: str
    checked: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.axe()

    def axe(self) -> None:
        """Run axe-core in the page: no serious or critical WCAG 2.x A/AA violation."""
        # Evaluated through the DevTools protocol, not added as a <script>: the pages'
        # Content-Security-Policy refuses an inline script without the response's nonce.
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values:
                  ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }"""
        )
        bad = [v for v in result if v["impact"] in SERIOUS]
        assert not bad, f"axe-core on {self.page.url}: {bad}"
        self.checked.append(self.page.url)

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.go("/sign-in")
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        self.axe()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_load_state()
        self.axe()

    def click(self, name: str | re.Pattern[str], role: str = "link") -> None:
        self.page.get_by_role(role, name=name).first.click()  # type: ignore[arg-type]
        self.page.wait_for_load_state()
        self.axe()


@pytest.fixture
def web(server: Server, page: Page) -> Browser:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    return Browser(page, server.url)


# --- HTTP clients (no browser) ------------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@pytest.fixture
def clients(server: Server) -> Iterator[Callable[[], httpx.Client]]:
    """New HTTP clients (each with its own cookies), closed after the test."""
    made: list[httpx.Client] = []

    def make() -> httpx.Client:
        made.append(httpx.Client(base_url=server.url, follow_redirects=False, timeout=HTTP_TIMEOUT))
        return made[-1]

    yield make
    for client in made:
        client.close()


def signed_in(clients: Callable[[], httpx.Client], username: str) -> httpx.Client:
    client = clients()
    page = client.get("/sign-in")
    reply = client.post(
        "/sign-in", data={"csrf_token": token(page.text), "username": username, "password": DEMO_PASSWORD}
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    return client


@pytest.fixture
def anon(clients: Callable[[], httpx.Client]) -> httpx.Client:
    return clients()
