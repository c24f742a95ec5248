"""The agency-returns JSON API, end to end on SQLite and PostgreSQL: request, acknowledge, build
the draft (entries, a CSV and an XLSX import, a PDF), submit, sign off, ask for changes, resubmit,
send back, accept, and the chair's merged chronology; bad input is a 422 naming its field, and a
refused request leaves the database exactly as it was."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from dhr_engine.context import AppContext
from dhr_engine.returns.attachments import blob_path
from tests.api.scenario import World
from tests.returns.files import PDF_BYTES, docx_bytes, xlsx_bytes

CSV_OK = (
    b"Date,Time,Source record,Event,Action taken,Practitioner role\r\n"
    b"02/04/2025,14:30,Log 2,Stop check,Words of advice,Officer\r\n"
    b"20/04/2025,,Log 3,Call about a neighbour,Attended,Call handler\r\n"
)
CSV_BAD = b"Date,Event\r\n03/04/2025,Fine row\r\n31/02/2025,Secret-Name-In-Cell\r\n,No date\r\n"


def counts(ctx: AppContext) -> dict[str, Any]:
    """Rows of every table and each case's version and audit count."""
    state: dict[str, Any] = {}
    with ctx.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            state[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        state["cases"] = sorted(conn.execute(text("SELECT ref, version, audit_count FROM dhr_case")).all())
        state["requests"] = sorted(conn.execute(text("SELECT id, stage, version FROM return_request")).all())
    return state


def fields(response: Any) -> set[str]:
    return {item["field"] for item in response.json()["detail"]}


class Api:
    def __init__(self, world: World) -> None:
        self.world = world
        self.client: TestClient = world.client()

    def __call__(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(method, f"/api/v1{path}", headers=self.world.headers(user), **kwargs)

    def step(self, user: str, request_id: str, trigger: str, reason: str = "") -> Any:
        version = self("officer", "GET", f"/returns/{request_id}").json()["version"]
        body = {"expected_version": version, "reason": reason}
        return self(user, "POST", f"/returns/{request_id}/triggers/{trigger}", json=body)

    def submit(self, user: str, request_id: str, **body: Any) -> Any:
        version = self("officer", "GET", f"/returns/{request_id}").json()["version"]
        return self(
            user, "POST", f"/returns/{request_id}/versions", json={"expected_version": version, **body}
        )


def test_returns_api__the_whole_journey(any_world: World) -> None:
    world, ctx = any_world, any_world.ctx
    api = Api(world)
    ref = world.cases["A"].ref
    police, health = world.ref.agencies["northmoor_police"], world.ref.agencies["acute_trust"]

    # The CSP officer asks both agencies for a chronology.
    made = api(
        "officer",
        "POST",
        f"/cases/{ref}/returns",
        json={"kind": "chronology", "agency_ids": [str(police.id), str(health.id)], "note": "2024 on"},
    )
    assert made.status_code == 201, made.text
    items = made.json()["items"]
    assert [i["agency_name"] for i in items] == [police.name, health.name]
    assert all(i["stage"] == "requested" and i["due"] and i["due_status"] == "open" for i in items)
    rid, health_rid = items[0]["id"], items[1]["id"]
    again = api(
        "officer",
        "POST",
        f"/cases/{ref}/returns",
        json={"kind": "chronology", "agency_ids": [str(police.id)]},
    )
    assert again.status_code == 409 and fields(again) == {"agency_ids"}

    # Each agency sees its own requests only; case staff see every agency's.
    mine = api("police.author", "GET", f"/cases/{ref}/returns").json()
    assert {i["agency_id"] for i in mine["items"]} == {str(police.id)} and mine["total"] == 2
    assert {i["agency_id"] for i in api("chair", "GET", f"/cases/{ref}/returns").json()["items"]} == {
        str(police.id),
        str(health.id),
    }
    only = api("chair", "GET", f"/cases/{ref}/returns?kind=chronology").json()
    assert only["total"] == 2
    assert api("health.author", "GET", f"/returns/{rid}").status_code == 404
    assert api("police.author", "GET", f"/returns/{health_rid}").status_code == 404
    assert api("police.author", "GET", f"/returns/{rid}").json()["my_steps"] == ["acknowledge", "submit"]

    # Acknowledge; a stale version is a 409 and changes nothing.
    ack = api.step("police.author", rid, "acknowledge")
    assert ack.status_code == 200 and ack.json()["stage"] == "acknowledged", ack.text
    before = counts(ctx)
    stale = api("police.author", "POST", f"/returns/{rid}/triggers/acknowledge", json={"expected_version": 1})
    assert stale.status_code == 409 and fields(stale) == {"expected_version"}
    assert counts(ctx) == before

    # Entries typed in: all or none, each bad one named by row and column.
    bad = api(
        "police.author",
        "POST",
        f"/returns/{rid}/chronology",
        json={"entries": [{"when": "14/03/2025", "event": "Fine"}, {"when": "31/02/2025", "event": "Bad"}]},
    )
    assert bad.status_code == 422 and fields(bad) == {"rows[2].date"}, bad.text
    invalid = api("police.author", "POST", f"/returns/{rid}/chronology", json={"entries": [{"event": "x"}]})
    assert invalid.status_code == 422 and "entries.0.when" in fields(invalid)
    assert counts(ctx) == before
    added = api(
        "police.author",
        "POST",
        f"/returns/{rid}/chronology",
        json={"entries": [{"when": "14/03/2025", "time": "09:05", "event": "Call to the control room"}]},
    )
    assert added.status_code == 201 and added.json() == {"imported": 1, "replaced": 0, "total": 1}

    # A CSV file, then a file with bad rows (nothing imported, the cell never echoed back).
    imported = api(
        "police.author",
        "POST",
        f"/returns/{rid}/chronology/import",
        files={"file": ("c.csv", CSV_OK, "text/csv")},
    )
    assert imported.status_code == 201 and imported.json()["total"] == 3, imported.text
    before = counts(ctx)
    rejected = api(
        "police.author",
        "POST",
        f"/returns/{rid}/chronology/import",
        files={"file": ("c.csv", CSV_BAD, "text/csv")},
    )
    assert rejected.status_code == 422 and fields(rejected) == {"rows[3].date", "rows[4].date"}
    assert "Secret-Name-In-Cell" not in rejected.text
    assert counts(ctx) == before
    no_file = api("police.author", "POST", f"/returns/{rid}/chronology/import")
    assert no_file.status_code == 422 and fields(no_file) == {"file"}
    draft = api("police.author", "GET", f"/returns/{rid}/chronology").json()
    assert draft["total"] == 3 and draft["items"][0]["when"] == "14 March 2025 at 09:05"

    # An XLSX replacing the draft.
    sheet = xlsx_bytes(
        [
            ["Date", "Event", "Source record"],
            ["01/03/2025", "Home visit", "R1"],
            ["15/09/2025", "Arrest", "R2"],
        ]
    )
    replaced = api(
        "police.author",
        "POST",
        f"/returns/{rid}/chronology/import",
        files={"file": ("c.xlsx", sheet, "application/octet-stream")},
        data={"replace": "true"},
    )
    assert replaced.json() == {"imported": 2, "replaced": 3, "total": 2}, replaced.text

    # A PDF attached; anything else refused by its content, with nothing stored.
    uploaded = api(
        "police.author", "POST", f"/returns/{rid}/attachments", files={"file": ("../imr.pdf", PDF_BYTES)}
    )
    assert uploaded.status_code == 201, uploaded.text
    file_out = uploaded.json()
    assert file_out["filename"] == "imr.pdf" and file_out["media_type"] == "application/pdf"
    before = counts(ctx)
    for name, content in (("fake.pdf", b"not a pdf at all"), ("empty.docx", b"")):
        refused = api("police.author", "POST", f"/returns/{rid}/attachments", files={"file": (name, content)})
        assert refused.status_code == 422 and fields(refused) == {"file"}, refused.text
    assert counts(ctx) == before
    listed = api("police.author", "GET", f"/returns/{rid}/attachments").json()
    assert [a["id"] for a in listed["items"]] == [file_out["id"]]
    download = api("chair", "GET", f"/return-attachments/{file_out['id']}")
    assert download.status_code == 200 and download.content == PDF_BYTES
    assert download.headers["content-type"] == "application/pdf"
    assert 'filename="imr.pdf"' in download.headers["content-disposition"]
    assert api("health.manager", "GET", f"/return-attachments/{file_out['id']}").status_code == 404
    assert blob_path(ctx.settings.storage_dir, file_out["sha256"]).exists()

    # Submit version 1; only the agency's senior manager signs it off.
    submitted = api.submit("police.author", rid, text="Chronology of Northmoor Police")
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["number"] == 1 and submitted.json()["chronology_entries"] == 2
    assert submitted.json()["attachments"][0]["sha256"] == file_out["sha256"]
    refused = api.step("police.author", rid, "sign_off")
    assert refused.status_code == 403 and fields(refused) == {"role"}
    assert api.step("health.manager", rid, "sign_off").status_code == 404
    signed = api.step("police.manager", rid, "sign_off")
    assert signed.json()["stage"] == "signed_off" and signed.json()["due_status"] in {"met", "met_late"}

    # The chair asks for changes (a comment is needed); the agency resubmits with a change note.
    no_reason = api.step("chair", rid, "request_changes")
    assert no_reason.status_code == 422 and fields(no_reason) == {"reason"}
    changes = api.step("chair", rid, "request_changes", "Please add the contacts of May 2025")
    assert changes.json()["stage"] == "changes_requested" and changes.json()["due_status"] == "open"
    no_note = api.submit("police.author", rid, text="v2")
    assert no_note.status_code == 422 and fields(no_note) == {"change_note"}
    v2 = api.submit("police.author", rid, text="v2", change_note="May 2025 added")
    assert v2.status_code == 201 and v2.json()["number"] == 2

    # The manager sends it back to the author; the author submits again; signed off and accepted.
    back = api.step("police.manager", rid, "return_to_author", "The dates of April need checking")
    assert back.status_code == 200 and back.json()["stage"] == "acknowledged", back.text
    v3 = api.submit("police.author", rid, text="v3", change_note="April checked")
    assert v3.json()["number"] == 3
    assert api.step("police.manager", rid, "sign_off").status_code == 200
    assert api.step("police.author", rid, "accept").status_code == 403
    accepted = api.step("chair", rid, "accept")
    assert accepted.json()["stage"] == "accepted" and accepted.json()["my_steps"] == []
    assert api.step("chair", rid, "accept").status_code == 409  # nothing to accept from there

    # The versions as frozen.
    versions = api("police.manager", "GET", f"/returns/{rid}/versions").json()
    assert [v["number"] for v in versions["items"]] == [1, 2, 3]
    outcomes = [v["review_outcome"] for v in versions["items"]]
    assert outcomes == ["changes_requested", "", "accepted"]  # version 2 went back before review
    assert versions["items"][2]["signed_off_on"] and versions["items"][1]["signed_off_on"] is None
    one = api("chair", "GET", f"/returns/{rid}/versions/1").json()
    assert one["text"] == "Chronology of Northmoor Police"
    assert api("chair", "GET", f"/returns/{rid}/versions/9").status_code == 404
    frozen = api("chair", "GET", f"/returns/{rid}/chronology?version=1").json()
    assert [e["event"] for e in frozen["items"]] == ["Home visit", "Arrest"]

    # The merged chronology: for case staff, in time order, gaps over the limit highlighted.
    merged = api("chair", "GET", f"/cases/{ref}/chronology?gap_days=30")
    assert merged.status_code == 200, merged.text
    rows = merged.json()["items"]
    assert [r["event"] for r in rows] == ["Home visit", "Arrest"]
    assert rows[0]["agency"] == police.name and rows[1]["gap_before_days"] == 198
    assert api("chair", "GET", f"/cases/{ref}/chronology?start=2025-06-01").json()["total"] == 1
    reversed_period = api("chair", "GET", f"/cases/{ref}/chronology?start=2025-06-01&end=2025-01-01")
    assert reversed_period.status_code == 422 and fields(reversed_period) == {"end"}
    assert api("chair", "GET", f"/cases/{ref}/chronology?gap_days=0").status_code == 422
    assert api("police.author", "GET", f"/cases/{ref}/chronology").status_code == 403
    exported = api("chair", "GET", f"/cases/{ref}/chronology-files/csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[6] for r in table[1:]] == ["Home visit", "Arrest"]
    word = api("officer", "GET", f"/cases/{ref}/chronology-files/docx")
    assert word.status_code == 200 and word.content.startswith(b"PK")
    assert api("officer", "GET", f"/cases/{ref}/chronology-files/pdf").status_code == 422

    # The other agency's request is withdrawn by the chair, with a reason.
    withdrawn = api.step("chair", health_rid, "withdraw", "No contact with the family")
    assert withdrawn.json()["stage"] == "withdrawn" and withdrawn.json()["due_status"] == "cancelled"


def test_returns_api__bad_requests_name_their_field_and_write_nothing(any_world: World) -> None:
    world, ctx = any_world, any_world.ctx
    api = Api(world)
    ref = world.cases["A"].ref
    rid = str(world.returns["northmoor_police"])
    before = counts(ctx)
    cases: list[tuple[str, str, str, dict[str, Any], int, set[str]]] = [
        ("officer", "POST", f"/cases/{ref}/returns", {"kind": "imr", "agency_ids": []}, 422, {"agency_ids"}),
        ("officer", "POST", f"/cases/{ref}/returns", {"kind": "report", "agency_ids": [rid]}, 422, {"kind"}),
        (
            "officer",
            "POST",
            f"/cases/{ref}/returns",
            {"kind": "imr", "agency_ids": [str(world.ref.agencies["housing"].id)], "requested_on": "2030-01-01"},
            422,
            {"effective_on"},
        ),
        ("officer", "POST", f"/cases/{ref}/returns", {"kind": "imr", "agency_ids": [rid]}, 404, {"agency_ids"}),
        ("cspchair", "POST", f"/cases/{ref}/returns", {"kind": "scoping_reply", "agency_ids": [rid]}, 403, {"role"}),
        ("police.author", "POST", f"/returns/{rid}/triggers/submit", {"expected_version": 1}, 422, {"trigger"}),
        ("police.author", "POST", f"/returns/{rid}/triggers/acknowledge", {}, 422, {"expected_version"}),
        ("police.author", "POST", f"/returns/{rid}/triggers/sign_off", {"expected_version": 1}, 409, {"trigger"}),
        ("police.author", "POST", f"/returns/{rid}/versions", {"expected_version": 1}, 422, {"text"}),
        (
            "police.author",
            "POST",
            f"/returns/{rid}/versions",
            {"expected_version": 1, "text": "x", "contact": "maybe"},
            422,
            {"contact"},
        ),
        ("police.author", "POST", f"/returns/{rid}/chronology", {"entries": []}, 422, {"entries"}),
        ("police.author", "POST", f"/returns/{rid}/chronology", {"entries": [{"when": "x", "event": "e"}]}, 422,
         {"rows[1].date"}),
    ]  # fmt: skip
    for user, method, path, body, want, named in cases:
        response = api(user, method, path, json=body)
        assert response.status_code == want, (path, body, response.text)
        assert set(response.json()) == {"detail"} and fields(response) == named, (path, response.text)
    assert counts(ctx) == before
    # Another agency's or an unknown request: 404, the same for every id.
    for path in (f"/returns/{rid}", "/returns/00000000-0000-4000-8000-000000000000"):
        response = api("health.author", "GET", path)
        assert response.status_code == 404 and fields(response) == {"request_id"}
    assert api("officer", "GET", "/returns/not-a-uuid").status_code == 422
    assert api("officer", "GET", "/cases/DHR-1999-999/returns").status_code == 404


def test_returns_api__another_agencys_attachment_is_not_found(any_world: World) -> None:
    world = any_world
    api = Api(world)
    rid = str(world.returns["northmoor_police"])
    word = api(
        "police.manager", "POST", f"/returns/{rid}/attachments", files={"file": ("imr.docx", docx_bytes())}
    )
    assert word.status_code == 201, word.text
    assert word.json()["media_type"].endswith("wordprocessingml.document")
    file_id = word.json()["id"]
    for user, want in (
        ("police.author", 200),
        ("panel", 200),
        ("health.author", 404),
        ("council.manager", 404),
    ):
        assert api(user, "GET", f"/return-attachments/{file_id}").status_code == want, user
    assert api("health.author", "GET", f"/returns/{rid}/attachments").status_code == 404
    health_list = api("health.author", "GET", f"/cases/{world.cases['A'].ref}/returns").json()
    assert {i["id"] for i in health_list["items"]} == {str(world.returns["acute_trust"])}
