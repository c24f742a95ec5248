"""Refusals of the returns, letters and plans pages over HTTP against the real server: the web
pages give the same answers as the services' own access rules, and a refused form changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlmodel import select

from dhr_engine.persistence.tables import Agency, Case, ReturnRequest
from dhr_engine.persistence.tables_letters import Letter
from dhr_engine.persistence.tables_returns import ReturnVersion
from tests.web.conftest import Server, signed_in, token


def _request(server: Server, agency: str, kind: str, ref: str = "DHR-2026-004") -> ReturnRequest:
    with server.ctx.reader() as uow:
        s = uow.session
        case = s.exec(select(Case).where(Case.ref == ref)).one()
        agency_id = s.exec(select(Agency.id).where(Agency.name == agency)).one()
        row = s.exec(
            select(ReturnRequest).where(
                ReturnRequest.case_id == case.id,
                ReturnRequest.agency_id == agency_id,
                ReturnRequest.kind == kind,
            )
        ).one()
        s.expunge(row)
        return row


def test_another_agencys_request_version_and_chronology_are_not_found(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    mental_health = _request(server, "Northmoor Mental Health NHS Trust", "imr")
    client = signed_in(clients, "police.author")
    for path in ("", "/versions/1", "/chronology", "/compare", "/submit"):
        reply = client.get(f"/returns/{mental_health.id}{path}")
        assert reply.status_code == 404, path
        assert "Mental Health" not in reply.text
    # The case staff see it.
    chair = signed_in(clients, "chair")
    assert chair.get(f"/returns/{mental_health.id}/versions/2").status_code == 200


def test_merged_chronology_is_for_case_staff(server: Server, clients: Callable[[], httpx.Client]) -> None:
    agency = signed_in(clients, "police.author")
    reply = agency.get("/cases/DHR-2026-004/chronology")
    assert reply.status_code == 403
    assert "agencies see their own" in reply.text
    assert agency.get("/cases/DHR-2026-004/chronology.csv").status_code == 403
    chair = signed_in(clients, "chair")
    csv = chair.get("/cases/DHR-2026-004/chronology.csv")
    assert csv.status_code == 200 and csv.content.startswith("\ufeffDate,Time".encode())


def test_agency_author_cannot_sign_off_or_accept__nothing_changes(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    signed_off = _request(server, "Northmoor Mental Health NHS Trust", "imr")
    council = _request(server, "Northmoor Council Adult Social Care", "chronology")
    client = signed_in(clients, "council.author")
    page = client.get(f"/returns/{council.id}")
    assert page.status_code == 200 and "Sign off as senior manager" not in page.text
    reply = client.post(
        f"/returns/{council.id}/step", data={"csrf_token": token(page.text), "trigger": "sign_off"}
    )
    assert reply.status_code == 409
    assert "You cannot take that step on this return now." in reply.text
    mh = signed_in(clients, "mental_health.author")
    mh_page = mh.get(f"/returns/{signed_off.id}")
    refused = mh.post(
        f"/returns/{signed_off.id}/step", data={"csrf_token": token(mh_page.text), "trigger": "accept"}
    )
    assert refused.status_code == 409
    with server.ctx.reader() as uow:
        assert uow.session.get(ReturnRequest, council.id).stage == "acknowledged"  # type: ignore[union-attr]
        assert uow.session.get(ReturnRequest, signed_off.id).stage == "signed_off"  # type: ignore[union-attr]


def test_chair_asking_for_changes_needs_a_comment(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    signed_off = _request(server, "Northmoor Mental Health NHS Trust", "imr")
    chair = signed_in(clients, "chair")
    page = chair.get(f"/returns/{signed_off.id}")
    reply = chair.post(
        f"/returns/{signed_off.id}/step", data={"csrf_token": token(page.text), "trigger": "request_changes"}
    )
    assert reply.status_code == 400
    assert 'href="#f-reason_request_changes"' in reply.text  # the error summary links to the field
    done = chair.post(
        f"/returns/{signed_off.id}/step",
        data={
            "csrf_token": token(page.text),
            "trigger": "request_changes",
            "reason_request_changes": "Add the missed appointments in May.",
        },
    )
    assert done.status_code == 303
    with server.ctx.reader() as uow:
        version = uow.session.exec(
            select(ReturnVersion).where(ReturnVersion.request_id == signed_off.id, ReturnVersion.number == 2)
        ).one()
        assert version.review_outcome == "changes_requested"
        assert version.review_comment == "Add the missed appointments in May."


def test_attachment_must_be_word_or_pdf_by_content(
    server: Server, clients: Callable[[], httpx.Client]
) -> None:
    council = _request(server, "Northmoor Council Adult Social Care", "chronology")
    client = signed_in(clients, "council.author")
    page = client.get(f"/returns/{council.id}")
    reply = client.post(
        f"/returns/{council.id}/attachments",
        data={"csrf_token": token(page.text)},
        files={"file": ("report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert reply.status_code == 400
    assert "Only Word (.docx) and PDF files can be attached" in reply.text


def test_drafter_cannot_approve_own_letter(server: Server, clients: Callable[[], httpx.Client]) -> None:
    officer = signed_in(clients, "officer")
    form = officer.get("/cases/DHR-2026-004/letters/new?code=c14_delay_notice")
    reply = officer.post(
        "/cases/DHR-2026-004/letters/new",
        data={
            "csrf_token": token(form.text),
            "code": "c14_delay_notice",
            "action": "draft",
            "reason": "The inquest is not yet listed.",
            "new_expected_date-day": "1",
            "new_expected_date-month": "10",
            "new_expected_date-year": "2027",
        },
    )
    assert reply.status_code == 303
    letter_url = reply.headers["location"]
    page = officer.get(letter_url)
    refused = officer.post(letter_url + "/approve", data={"csrf_token": token(page.text)})
    assert refused.status_code == 403
    assert "approved by someone other than its drafter" in refused.text
    agency = signed_in(clients, "police.author")
    assert agency.get(letter_url).status_code == 403  # a Home Office letter is not the police's
    with server.ctx.reader() as uow:
        letter_id = letter_url.rsplit("/", 1)[1]
        assert {r.status for r in uow.session.exec(select(Letter)).all() if str(r.id) == letter_id} == {
            "draft"
        }
