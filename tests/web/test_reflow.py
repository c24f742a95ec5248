"""WCAG 1.4.10 Reflow: at 320 CSS pixels wide no page of the demo scrolls sideways.

The main pages are visited as the CSP officer, the independent chair, a police IMR author and the
administrator at a 320 x 800 viewport; each must be no wider than the viewport (a layout check,
nothing is timed). A full-page screenshot of each is kept in the test's tmp_path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from dhr_engine.persistence.tables_letters import Letter
from dhr_engine.persistence.tables_plans import Plan
from tests.web.conftest import Browser, Server

pytestmark = pytest.mark.browser
WIDTH = 320
CASE = "DHR-2026-004"  # has return requests to several agencies
PLANNED = "DHR-2025-001"  # has an action plan and letters


def _ids(server: Server) -> dict[str, str]:
    """A police request on CASE, a letter and the review plan of PLANNED."""
    with server.ctx.reader() as uow:
        s = uow.session
        case = s.exec(select(Case).where(Case.ref == CASE)).one()
        planned = s.exec(select(Case).where(Case.ref == PLANNED)).one()
        police = s.exec(select(Agency).where(Agency.name == "Northmoor Police")).one()
        request = s.exec(
            select(ReturnRequest).where(
                ReturnRequest.case_id == case.id, ReturnRequest.agency_id == police.id
            )
        ).first()
        letter = s.exec(select(Letter).where(Letter.case_id == planned.id)).first()
        plan = s.exec(select(Plan).where(Plan.case_id == planned.id)).one()
    assert request is not None and letter is not None, "the demo has a police request and a letter"
    return {"request": str(request.id), "letter": str(letter.id), "plan": str(plan.id)}


# A cell of a table that stacks as a card names its column (data-label), unless it spans the row
# ("None yet.") or holds only a button (whose column heading is hidden too).
UNLABELLED = """() => [...document.querySelectorAll('td.govuk-table__cell')]
    .filter(td => !td.hasAttribute('data-label') && !td.hasAttribute('colspan')
                  && !td.querySelector('button'))
    .map(td => td.textContent.trim().slice(0, 30))"""


def _visit(web: Browser, path: str, shots: Path, overflowing: list[str]) -> None:
    web.go(path)
    width = web.page.evaluate("document.documentElement.scrollWidth")
    unlabelled = web.page.evaluate(UNLABELLED)
    if unlabelled:
        overflowing.append(f"{path} has table cells without a data-label: {unlabelled[:3]}")
    name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "dashboard"
    shot = shots / f"{len(list(shots.iterdir())):02d}-{name}.png"
    web.page.screenshot(path=str(shot), full_page=True)
    if width > WIDTH:
        overflowing.append(f"{path} is {width}px wide (screenshot {shot})")


def test_main_pages_reflow_at_320_pixels(web: Browser, server: Server, tmp_path: Path) -> None:
    ids = _ids(server)
    shots = tmp_path / "reflow"
    shots.mkdir()
    web.page.set_viewport_size({"width": WIDTH, "height": 800})
    overflowing: list[str] = []
    visits = {
        "officer": [
            "/",
            "/cases",
            f"/cases/{PLANNED}",
            f"/cases/{PLANNED}/history",
            f"/cases/{PLANNED}/letters",
            f"/letters/{ids['letter']}",
            f"/cases/{CASE}",
            f"/cases/{CASE}/returns",
            "/plans",
            f"/plans/{ids['plan']}",
            "/oversight",
        ],
        "chair": ["/", f"/cases/{CASE}", f"/cases/{CASE}/returns", f"/returns/{ids['request']}"],
        "police.author": [
            "/",
            "/returns",
            f"/returns/{ids['request']}",
            f"/returns/{ids['request']}/chronology",
        ],
        "admin": ["/admin", "/admin/reads", "/admin/sign-ins"],
    }
    for username, paths in visits.items():
        web.sign_in(username)
        for path in paths:
            _visit(web, path, shots, overflowing)
        web.sign_out()
    assert not overflowing, "pages that do not reflow at 320px:\n" + "\n".join(overflowing)
