"""Take the README's screenshots of the web pages: `python -m dhr_engine.console.screenshots`.

Builds a fresh demo database (fixed day: 25 November 2026) in a temporary folder, serves the app
on a free loopback port and photographs pages with Debian's chromium through Playwright.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import uvicorn

from dhr_engine.bootstrap import build_context
from dhr_engine.bootstrap.app import create_app
from dhr_engine.config import PROJECT_ROOT, Settings
from dhr_engine.demo import load_demo
from dhr_engine.demo.builder import DEMO_PASSWORD
from dhr_engine.domain.clock import FakeClock
from dhr_engine.persistence.schema import upgrade
from dhr_engine.web import assets

DAY = date(2026, 11, 25)
# (file name, user, path)
SHOTS = [
    ("dashboard.png", "officer", "/"),
    ("case-page.png", "chair", "/cases/DHR-2026-005"),
    ("returns-page.png", "officer", "/returns"),
    ("merged-chronology.png", "chair", "/cases/DHR-2026-004/chronology"),
    ("plans-page.png", "cspchair", "/plans"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def take(out: Path, chromium: str = "/usr/bin/chromium") -> list[Path]:
    from playwright.sync_api import sync_playwright

    if not assets.is_built():
        assets.build()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/demo.db",
            storage_dir=Path(tmp) / "storage",
            run_scheduler_in_process=False,
        )
        ctx = build_context(settings, clock=FakeClock.on(DAY))
        upgrade(ctx.engine)
        load_demo(ctx)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(ctx.settings, ctx), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        written = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
                for name, user, path in SHOTS:
                    page = browser.new_page(viewport={"width": 1200, "height": 900})
                    base = f"http://127.0.0.1:{port}"
                    page.goto(base + "/sign-in")
                    page.get_by_label("User name").fill(user)
                    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_load_state()
                    page.goto(base + path)
                    target = out / name
                    page.screenshot(path=str(target), full_page=True)
                    written.append(target)
                    page.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            ctx.engine.dispose()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Take the web interface's screenshots for the README.")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    for path in take(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
