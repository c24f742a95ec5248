"""The letters API: register, draft, preview, approve, send, download, and 409 for a sent letter."""

from __future__ import annotations

import hashlib

import pytest

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from tests.api.scenario import World, build_world


@pytest.fixture
def world(lite: AppContext, lite_ref: Reference) -> World:
    return build_world(lite, lite_ref)


C14 = {"reason": "The criminal trial is listed for March 2027.", "original_target": "2027-05-05",
       "new_expected_date": "2027-09-30"}  # fmt: skip


def test_letter_lifecycle_over_the_api(world: World):
    client = world.client()
    officer, chair = world.headers("officer"), world.headers("cspchair")
    ref = world.cases["A"].ref
    missing = client.post(f"/api/v1/cases/{ref}/letters", json={"code": "c14", "fields": {}}, headers=officer)
    assert missing.status_code == 422
    assert {d["field"] for d in missing.json()["detail"]} == {
        "reason",
        "original_target",
        "new_expected_date",
    }
    assert client.get(f"/api/v1/cases/{ref}/letters", headers=officer).json()["total"] == 0

    made = client.post(f"/api/v1/cases/{ref}/letters", json={"code": "c14", "fields": C14}, headers=officer)
    assert made.status_code == 201, made.text
    letter = made.json()
    assert letter["number"] == "C14" and letter["status"] == "draft"
    preview = client.get(f"/api/v1/letter-previews/{letter['id']}", headers=officer)
    assert (
        preview.status_code == 200 and "30 September 2027" in preview.text and 'lang="en-GB"' in preview.text
    )
    assert client.post(f"/api/v1/letters/{letter['id']}/approve", headers=chair).status_code == 200
    sent = client.post(f"/api/v1/letters/{letter['id']}/send", json={"via": "email"}, headers=officer)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"

    pdf = client.get(f"/api/v1/letter-files/{letter['id']}/pdf", headers=officer)
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == sent.json()["pdf_sha256"]
    docx = client.get(f"/api/v1/letter-files/{letter['id']}/docx", headers=officer)
    assert hashlib.sha256(docx.content).hexdigest() == sent.json()["docx_sha256"]
    verify = client.get(f"/api/v1/letter-checks/{letter['id']}", headers=officer).json()
    assert verify == {"hashes_verify": True, "problems": [], "rerender_identical": True, "reasons": []}

    edit = client.patch(f"/api/v1/letters/{letter['id']}", json={"fields": {"reason": "x"}}, headers=officer)
    assert edit.status_code == 409 and edit.json()["detail"][0]["code"] == "letter_sent"
    delete = client.delete(f"/api/v1/letters/{letter['id']}", headers=officer)
    assert delete.status_code == 409 and delete.json()["detail"][0]["code"] == "letter_sent"
    register = client.get(f"/api/v1/cases/{ref}/letters", headers=officer).json()
    assert [i["status"] for i in register["items"]] == ["sent"]


def test_agency_user_cannot_read_a_home_office_letter(world: World):
    client = world.client()
    ref = world.cases["A"].ref
    made = client.post(f"/api/v1/cases/{ref}/letters", json={"code": "c14", "fields": C14},
                       headers=world.headers("officer")).json()  # fmt: skip
    police = world.headers("police.author")
    assert client.get(f"/api/v1/letters/{made['id']}", headers=police).status_code == 403
    assert client.get(f"/api/v1/cases/{ref}/letters", headers=police).json()["total"] == 0
    draft = client.post(f"/api/v1/cases/{ref}/letters", json={"code": "c14", "fields": C14}, headers=police)
    assert draft.status_code == 403
    assert client.get("/api/v1/letters/catalogue", headers=police).json()["items"][10]["number"] == "C11"
