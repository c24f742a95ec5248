"""Every page of the demo, read as each demo user, says things in plain English: no stored keys or
codes (snake_case), no ISO dates, no evidence tags ("[V]", "[G]"...) and no negative day counts in
the text a person sees.

The crawl starts at the dashboard and follows every link of the site the user can reach (GET only:
nothing is changed), so a new page is covered as soon as something links to it; of pages that differ
only by a record's id (a letter, a return) it reads the first dozen of each kind.
E-mail addresses and user names (which people type as they are) are the only underscores allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import httpx
import pytest

from dhr_engine.demo.builder import USERS
from tests.plain_text import problems_in
from tests.web.conftest import Server, signed_in

pytestmark = pytest.mark.slow

NOT_PAGES = re.compile(r"\.(pdf|docx|csv|xlsx|zip|png|svg|json)$|/download|/file\b|/export")
SKIPPED_PREFIXES = ("/static", "/sign-out", "/api", "/docs", "/redoc", "/openapi")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Pages of one kind (a letter, a return, a version) are all read up to this many of each kind: the
# demo has 165 letters, and reading them all would say nothing the first dozen do not.
PER_KIND = 12
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The text a person sees (screen-reader-only text included: it is read out), and the links."""

    INVISIBLE = {"script", "style", "template", "head", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # for each open element: is it (or an ancestor) invisible?
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in {"a", "iframe"} and (found.get("href") or found.get("src")):
            self.links.append(str(found.get("href") or found.get("src")))
        if tag in VOID:
            return
        hidden = tag in self.INVISIBLE or "hidden" in found or found.get("aria-hidden") == "true"
        self.stack.append(hidden or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not (self.stack and self.stack[-1]):
            self.parts.append(" ".join(data.split()))


def crawl(client: httpx.Client, base: str) -> tuple[int, dict[str, list[str]]]:
    """Read every page reachable from the dashboard; the problems of each page by its path."""
    host = urlparse(base).netloc
    seen: set[str] = set()
    queue = ["/"]
    problems: dict[str, list[str]] = {}
    kinds: dict[str, int] = {}
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        kind = UUID.sub("{id}", path)
        if kind != path and kinds.get(kind, 0) >= PER_KIND:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        seen.add(path)
        reply = client.get(path)
        assert reply.status_code < 500, f"{path} answered {reply.status_code}"
        if "text/html" not in reply.headers.get("content-type", ""):
            continue
        page = VisibleText()
        page.feed(reply.text)
        found = problems_in(" ".join(page.parts))
        if found:
            problems[path] = found
        for href in page.links:
            target = urlparse(urljoin(base + path, href))
            if (
                target.netloc != host
                or target.path.startswith(SKIPPED_PREFIXES)
                or NOT_PAGES.search(target.path)
            ):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return len(seen), problems


def test_the_checks_catch_what_they_are_for() -> None:
    page = VisibleText()
    page.feed(
        "<p>Deadline escalated (key chronology_return, rung escalation:4, due on 2026-10-30)</p>"
        "<p>evidence [V] six months; -21 days remaining</p><div hidden>signed_off</div>"
        "<p>Write to acute_trust.manager@agency.example or sign in as police.manager</p>"
    )
    found = problems_in(" ".join(page.parts))
    assert [f.split(" '")[0] for f in found] == [
        "a stored key or code",
        "an ISO date",
        "an evidence tag",
        "a negative number of days",
    ]


@pytest.mark.parametrize("username", [u for u, *_ in USERS])
def test_every_page_reads_in_plain_english(
    username: str, server: Server, clients: Callable[[], httpx.Client]
) -> None:
    client = signed_in(clients, username)
    pages, problems = crawl(client, server.url)
    assert pages > 3, f"{username} reached only {pages} pages"
    report = [f"{path}: {found[0]}" + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
              for path, found in sorted(problems.items())]  # fmt: skip
    assert not report, f"{username}: {len(report)} of {pages} pages:\n" + "\n".join(report[:40])
