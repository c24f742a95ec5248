"""The read log of sensitive records (issue 14, finding 9): every successful read of real names, the
family log, a chronology, a submitted return, an attachment, the merged chronology or its export,
or a letter naming the family or the subjects, through the API, the web pages or the commands,
leaves one row saying who read what of which case, when and how; an ordinary read and a refused
read leave none; the administrator (and only they) reads the log on a page, the API and the CLI;
the log never goes through `logging` and holds no personal data."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from dhr_engine.bootstrap.app import create_app
from dhr_engine.console import app as dhr
from dhr_engine.demo.builder import DEMO_PASSWORD
from dhr_engine.letters import service as letter_service
from dhr_engine.persistence.tables import Person
from dhr_engine.persistence.tables_reads import SensitiveRead
from dhr_engine.returns import attachments as attachment_service
from tests.api.scenario import SECRETS, World
from tests.returns.files import PDF_BYTES
from tests.returns.helpers import step, submit

runner = CliRunner()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHAIR_FIELDS = {
    "chair_name": "Dr Ruth Adeyemi",
    "chair_contact": "01632 960 456",
    "sender_name": "Dr Ruth Adeyemi",
    "sender_role": "Independent Chair",
}


@dataclass
class Scene:
    """Case A of the API world with something sensitive of every kind to read."""

    world: World
    police: uuid.UUID  # the police IMR request: entries, a file, two submitted versions
    attachment: uuid.UUID
    family_letter: uuid.UUID  # C11 to the sister
    named_letter: uuid.UUID  # C02 to the police: names the victim and the perpetrator
    plain_letter: uuid.UUID  # C14 to the Home Office: pseudonyms only

    @property
    def ctx(self) -> Any:
        return self.world.ctx

    def ids(self) -> dict[str, str]:
        return {
            "ref": self.world.cases["A"].ref,
            "ref_b": self.world.cases["B"].ref,
            "police": str(self.police),
            "attachment": str(self.attachment),
            "family_letter": str(self.family_letter),
            "named_letter": str(self.named_letter),
            "plain_letter": str(self.plain_letter),
        }

    def reads(self) -> list[SensitiveRead]:
        with self.ctx.reader() as uow:
            rows = list(
                uow.session.exec(
                    select(SensitiveRead).order_by(col(SensitiveRead.read_at), col(SensitiveRead.id))
                ).all()
            )
            for row in rows:
                uow.session.expunge(row)
            return rows


def _scene(world: World) -> Scene:
    ctx, ref = world.ctx, world.ref
    case = world.cases["A"]
    police = world.returns["northmoor_police"]
    author, manager = ref.actor("police.author"), ref.actor("police.manager")
    attachment = attachment_service.upload_attachment(
        ctx.uow(),
        actor=author,
        clock=ctx.clock,
        storage_dir=ctx.settings.storage_dir,
        request_id=police,
        filename="imr.pdf",
        content=PDF_BYTES,
    )
    submit(ctx, author, police, kind="imr", text="First account")
    step(ctx, manager, police, "sign_off")
    step(ctx, ref.actor("chair"), police, "request_changes", reason="More detail")
    letter_service_fields = dict(CHAIR_FIELDS)
    with ctx.uow() as uow:
        sister = uow.session.exec(
            select(Person).where(Person.case_id == case.id, Person.role == "family")
        ).one()
        perpetrator = uow.session.exec(
            select(Person).where(Person.case_id == case.id, Person.role == "perpetrator")
        ).one()
        perpetrator.date_of_birth = date(1975, 6, 7)  # the scoping request (C02) names both subjects
        uow.session.add(perpetrator)
        uow.session.flush()
        uow.session.expunge(sister)
        uow.commit()
    officer = ref.actor("officer")
    family = letter_service.draft_letter(
        ctx,
        actor=officer,
        request=letter_service.DraftRequest(code="c11", person_id=sister.id, fields=letter_service_fields),
        case_id=case.id,
    )
    named = letter_service.draft_letter(
        ctx,
        actor=officer,
        request=letter_service.DraftRequest(code="c02", agency_id=ref.agencies["northmoor_police"].id),
        case_id=case.id,
    )
    plain = letter_service.draft_letter(
        ctx,
        actor=officer,
        request=letter_service.DraftRequest(
            code="c14",
            fields={
                "reason": "The criminal trial is listed for March 2027.",
                "original_target": "2027-05-20",
                "new_expected_date": "2027-09-30",
            },
        ),
        case_id=case.id,
    )
    return Scene(world, police, attachment.id, family.id, named.id, plain.id)


@pytest.fixture
def scene(world: World) -> Scene:
    return _scene(world)


def _api(scene: Scene) -> TestClient:
    return TestClient(create_app(scene.ctx.settings, scene.ctx))


def _get(client: TestClient, scene: Scene, username: str, path: str) -> Any:
    return client.get("/api/v1" + path.format(**scene.ids()), headers=scene.world.headers(username))


def _web(scene: Scene, app: Any, username: str) -> TestClient:
    """A browser-less web session of one user (the sign-in form, its CSRF token and cookie)."""
    client = TestClient(app, follow_redirects=False)
    form = client.get("/sign-in")
    token = CSRF.search(form.text)
    assert token, "no CSRF token on the sign-in page"
    reply = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD}
    )
    assert reply.status_code == 303, reply.text[:300]
    return client


def _expect_one_new(scene: Scene, before: int, what: str, username: str, kind: str, interface: str,
                    record: str | None) -> None:  # fmt: skip
    rows = scene.reads()
    assert len(rows) == before + 1, f"{what}: {len(rows) - before} reads recorded, want 1"
    row = rows[-1]
    user = scene.world.ref.users[username] if username != "console" else None
    assert row.kind == kind, what
    assert row.interface == interface, what
    assert row.case_id == scene.world.cases["A"].id, what
    assert row.user_id == (user.id if user else None), what
    assert row.user_label == (user.display_name if user else "console operator"), what
    want = uuid.UUID(scene.ids()[record]) if record else None
    assert row.record_id == want, what
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert not [s for s in SECRETS if s in stored], what  # ids and codes only


# --- every kind, every interface ------------------------------------------------------------------

# (what, who reads it, path, kind, which id is the record)
API_READS = [
    ("people with real names", "officer", "/cases/{ref}/people", "real_names", None),
    ("subjects' real names", "panel", "/cases/{ref}/people", "real_names", None),
    ("family log", "chair", "/cases/{ref}/family-log", "family_log", None),
    ("chronology draft", "police.author", "/returns/{police}/chronology", "chronology", "police"),
    ("chronology of a version", "chair", "/returns/{police}/chronology?version=1", "chronology", "police"),
    ("versions", "chair", "/returns/{police}/versions", "return_version", "police"),
    ("one version", "police.manager", "/returns/{police}/versions/1", "return_version", "police"),
    ("attachment", "chair", "/return-attachments/{attachment}", "attachment", "attachment"),
    ("merged chronology", "chair", "/cases/{ref}/chronology", "merged_chronology", None),
    ("merged export", "officer", "/cases/{ref}/chronology-files/csv", "merged_chronology_export", None),
    ("family letter", "officer", "/letters/{family_letter}", "family_letter", "family_letter"),
    ("family letter preview", "author", "/letter-previews/{family_letter}", "family_letter", "family_letter"),
    ("family letter file", "chair", "/letter-files/{family_letter}/docx", "family_letter", "family_letter"),
    ("letter naming the victim", "police.author", "/letters/{named_letter}", "named_letter", "named_letter"),
]


def test_each_sensitive_read_through_the_api__one_read_with_who_and_how(scene: Scene) -> None:
    client = _api(scene)
    for what, username, path, kind, record in API_READS:
        before = len(scene.reads())
        response = _get(client, scene, username, path)
        assert response.status_code == 200, (what, response.text[:300])
        _expect_one_new(scene, before, what, username, kind, "api", record)


def test_the_api_register__one_read_per_letter_whose_merge_data_it_shows(scene: Scene) -> None:
    client = _api(scene)
    response = _get(client, scene, "officer", "/cases/{ref}/letters")
    assert response.status_code == 200 and response.json()["total"] == 3
    rows = scene.reads()
    assert sorted((r.kind, str(r.record_id)) for r in rows) == sorted(
        [("family_letter", str(scene.family_letter)), ("named_letter", str(scene.named_letter))]
    )  # the C14 to the Home Office names nobody
    assert {r.interface for r in rows} == {"api"}


WEB_READS = [
    ("family log page", "chair", "/cases/{ref}/family", "family_log", None),
    ("chronology page", "police.author", "/returns/{police}/chronology", "chronology", "police"),
    ("version page", "chair", "/returns/{police}/versions/1", "return_version", "police"),
    ("attachment download", "officer", "/returns/{police}/attachments/{attachment}", "attachment", "attachment"),
    ("merged chronology page", "chair", "/cases/{ref}/chronology", "merged_chronology", None),
    ("merged export", "chair", "/cases/{ref}/chronology.csv", "merged_chronology_export", None),
    ("merged Word export", "officer", "/cases/{ref}/chronology.docx", "merged_chronology_export", None),
    ("family letter page", "author", "/letters/{family_letter}", "family_letter", "family_letter"),
    ("family letter download", "officer", "/letters/{family_letter}/download/pdf", "family_letter",
     "family_letter"),
    ("letter naming the victim", "cspchair", "/letters/{named_letter}", "named_letter", "named_letter"),
]  # fmt: skip


def test_each_sensitive_read_through_the_web__one_read_with_who_and_how(scene: Scene) -> None:
    app = create_app(scene.ctx.settings, scene.ctx)
    clients: dict[str, TestClient] = {}
    for what, username, path, kind, record in WEB_READS:
        client = clients.get(username) or clients.setdefault(username, _web(scene, app, username))
        before = len(scene.reads())
        response = client.get(path.format(**scene.ids()))
        assert response.status_code == 200, (what, response.text[:300])
        _expect_one_new(scene, before, what, username, kind, "web", record)


def _second_version(scene: Scene) -> None:
    """The police resubmit after the chair asked for changes: two versions to compare."""
    author = scene.world.ref.actor("police.author")
    submit(scene.ctx, author, scene.police, kind="imr", text="Second account", change_note="More detail")


def test_the_compare_page_and_a_refused_family_form__read_what_they_show(scene: Scene) -> None:
    world = scene.world
    _second_version(scene)
    app = create_app(scene.ctx.settings, scene.ctx)
    chair = _web(scene, app, "chair")
    before = len(scene.reads())
    assert chair.get(f"/returns/{scene.police}/compare").status_code == 200
    _expect_one_new(scene, before, "compare", "chair", "return_version", "web", "police")
    # The family form sent back with its errors shows the log again: a read; a good entry is a write.
    form = chair.get(f"/cases/{world.cases['A'].ref}/family")
    token = CSRF.search(form.text)
    assert token
    before = len(scene.reads())
    bad = chair.post(f"/cases/{world.cases['A'].ref}/family", data={"csrf_token": token.group(1), "kind": ""})
    assert bad.status_code == 400
    _expect_one_new(scene, before, "family form with errors", "chair", "family_log", "web", None)


@pytest.fixture
def cli(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    monkeypatch.setenv("DHR_DATABASE_URL", scene.ctx.settings.database_url)
    yield scene


def _dhr(*args: str) -> str:
    result = runner.invoke(dhr, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_each_sensitive_read_through_the_cli__one_read_with_who_and_how(cli: Scene, tmp_path: Path) -> None:
    scene, ids = cli, cli.ids()
    _second_version(scene)
    out = str(tmp_path / "out")
    commands = [
        ("letter download", "officer", ["letters", "download", ids["family_letter"], "--format", "html",
                                        "--out", out], "family_letter", "family_letter"),
        ("letter download, console", "console", ["letters", "download", ids["named_letter"], "--format", "html",
                                                  "--out", out], "named_letter", "named_letter"),
        ("family letter rendered", "officer", ["letters", "render", ids["ref"], "c11", "--person", "Sister",
                                               "--format", "html", "--out", out,
                                               *[f"-f{k}={v}" for k, v in CHAIR_FIELDS.items()]],
         "family_letter", None),
        ("merged export", "chair", ["returns", "merged-chronology", "--case", ids["ref"], "--format", "csv",
                                    "--out", out], "merged_chronology_export", None),
        ("compare versions", "police.manager", ["returns", "compare", ids["police"], "1", "2"],
         "return_version", "police"),
        ("family log", "chair", ["family", "list", ids["ref"]], "family_log", None),
    ]  # fmt: skip
    for what, username, args, kind, record in commands:
        before = len(scene.reads())
        _dhr(*args, *(["--as", username] if username != "console" else []))
        _expect_one_new(scene, before, what, username, kind, "cli", record)


# --- what is not recorded -------------------------------------------------------------------------


def test_ordinary_reads__record_nothing(scene: Scene) -> None:
    client = _api(scene)
    for username, path in (
        ("officer", "/cases/{ref}"),
        ("admin", "/cases/{ref}/people"),  # the administrator sees pseudonyms only
        ("chair", "/cases/{ref}/timeline"),
        ("chair", "/returns/{police}"),
        ("chair", "/returns/{police}/attachments"),  # the files' names, not their content
        ("officer", "/letters/{plain_letter}"),  # pseudonyms only
        ("officer", "/letter-files/{plain_letter}/pdf"),
        ("officer", "/letter-checks/{family_letter}"),  # hashes, not the letter
    ):
        assert _get(client, scene, username, path).status_code == 200, path
    app = create_app(scene.ctx.settings, scene.ctx)
    officer = _web(scene, app, "officer")
    for path in ("/cases/{ref}", "/returns/{police}", "/cases/{ref}/letters", "/cases/{ref}/returns"):
        assert officer.get(path.format(**scene.ids())).status_code == 200, path
    assert scene.reads() == []
    # ... while the same user reading the people with their real names is recorded.
    assert _get(client, scene, "officer", "/cases/{ref}/people").status_code == 200
    assert [r.kind for r in scene.reads()] == ["real_names"]


def test_refused_reads__record_nothing(cli: Scene, tmp_path: Path) -> None:
    scene = cli
    client = _api(scene)
    for username, path, status in (
        ("police.author", "/cases/{ref}/family-log", 403),
        ("chair", "/cases/{ref_b}/people", 404),
        ("chair", "/cases/{ref_b}/family-log", 404),
        ("health.author", "/returns/{police}/chronology", 404),
        ("health.author", "/return-attachments/{attachment}", 404),
        ("police.author", "/cases/{ref}/chronology", 403),
        ("police.author", "/letters/{family_letter}", 403),
        ("panel", "/letter-files/{family_letter}/pdf", 403),
        ("health.author", "/letters/{named_letter}", 403),
    ):
        assert _get(client, scene, username, path).status_code == status, (username, path)
    app = create_app(scene.ctx.settings, scene.ctx)
    agency = _web(scene, app, "police.author")
    for path, status in (
        ("/cases/{ref}/family", 403),
        ("/cases/{ref}/chronology.csv", 403),
        ("/letters/{family_letter}/download/pdf", 403),
    ):
        assert agency.get(path.format(**scene.ids())).status_code == status, path
    refused = runner.invoke(
        dhr,
        ["letters", "download", str(scene.family_letter), "--format", "html", "--out", str(tmp_path / "x"),
         "--as", "police.author"],
    )  # fmt: skip
    assert refused.exit_code == 2
    assert scene.reads() == []
    # ... while the same read by someone allowed is recorded.
    assert _get(client, scene, "chair", "/cases/{ref}/family-log").status_code == 200
    assert [r.kind for r in scene.reads()] == ["family_log"]


# --- the administrator reads the log --------------------------------------------------------------


def _three_reads(scene: Scene) -> TestClient:
    """The chair reads the family log at 12:00, the officer the people at 14:05, the chair the merged
    chronology at 14:06 (25 November 2026, London)."""
    client = _api(scene)
    clock = scene.ctx.clock
    assert _get(client, scene, "chair", "/cases/{ref}/family-log").status_code == 200
    clock.advance(hours=2, minutes=5)
    assert _get(client, scene, "officer", "/cases/{ref}/people").status_code == 200
    clock.advance(minutes=1)
    assert _get(client, scene, "chair", "/cases/{ref}/chronology").status_code == 200
    return client


def test_admin_reads_the_log_through_the_api__newest_first_filtered_paged(any_world: World) -> None:
    scene = _scene(any_world)
    client = _three_reads(scene)
    everything = _get(client, scene, "admin", "/audit/reads").json()
    assert everything["total"] == 3
    assert [(i["username"], i["kind"], i["when"]) for i in everything["items"]] == [
        ("chair", "merged_chronology", "25 November 2026 at 14:06"),
        ("officer", "real_names", "25 November 2026 at 14:05"),
        ("chair", "family_log", "25 November 2026 at 12:00"),
    ]
    first = everything["items"][0]
    assert first["case_ref"] == scene.world.cases["A"].ref and first["interface"] == "api"
    assert first["kind_label"] == "Merged chronology" and first["interface_label"] == "API"
    assert first["user_label"] == scene.world.ref.users["chair"].display_name
    by_chair = _get(client, scene, "admin", "/audit/reads?user=chair").json()
    assert [i["kind"] for i in by_chair["items"]] == ["merged_chronology", "family_log"]
    of_a = _get(client, scene, "admin", "/audit/reads?case={ref}&user=officer").json()
    assert [i["kind"] for i in of_a["items"]] == ["real_names"]
    assert _get(client, scene, "admin", "/audit/reads?case={ref_b}").json()["total"] == 0
    paged = _get(client, scene, "admin", "/audit/reads?limit=1&offset=1").json()
    assert paged["total"] == 3 and [i["kind"] for i in paged["items"]] == ["real_names"]
    unknown = _get(client, scene, "admin", "/audit/reads?case=DHR-1999-999")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "case"
    nobody = _get(client, scene, "admin", "/audit/reads?user=nobody")
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["field"] == "user"
    too_long = _get(client, scene, "admin", "/audit/reads?case=" + "X" * 41)
    assert too_long.status_code == 422
    for username in ("officer", "cspchair", "chair", "police.author"):
        assert _get(client, scene, username, "/audit/reads").status_code == 403, username
    assert client.get("/api/v1/audit/reads").status_code == 401
    assert "/api/v1/audit/reads" in client.get("/openapi.json").json()["paths"]


def test_admin_reads_the_log_on_a_page__linked_from_the_admin_pages(scene: Scene) -> None:
    _three_reads(scene)
    app = create_app(scene.ctx.settings, scene.ctx)
    admin = _web(scene, app, "admin")
    assert 'href="/admin/reads"' in admin.get("/admin").text
    page = admin.get("/admin/reads")
    assert page.status_code == 200
    text = page.text
    for shown in ("25 November 2026 at 14:06", "25 November 2026 at 12:00", "Family engagement log",
                  "Real names of the people", scene.world.cases["A"].ref,
                  scene.world.ref.users["officer"].display_name, "3 reads"):  # fmt: skip
        assert shown in text, shown
    assert text.index("at 14:06") < text.index("at 14:05") < text.index("at 12:00")  # newest first
    for code in ("family_log", "real_names", "2026-11-25"):
        assert code not in text.split("<main", 1)[-1], code  # words and dates, not codes
    filtered = admin.get("/admin/reads", params={"user": "officer"}).text
    assert "1 read match the filters" in filtered and "Family engagement log" not in filtered
    unknown = admin.get("/admin/reads", params={"case": "DHR-1999-999"})
    assert unknown.status_code == 400 and "There is no case with this reference" in unknown.text
    for username in ("officer", "chair", "police.author"):
        other = _web(scene, app, username)
        refused = other.get("/admin/reads")
        assert refused.status_code == 403 and "You cannot do this" in refused.text, username
        assert 'href="/admin/reads"' not in other.get("/admin").text


def test_admin_reads_the_log_on_the_command_line__others_refused(cli: Scene) -> None:
    scene = cli
    _three_reads(scene)
    ref = scene.world.cases["A"].ref
    assert "Reads 1 to 3 of 3." in _dhr("audit", "reads", "--case", ref)  # a table, newest first
    listed = json.loads(_dhr("audit", "reads", "--case", ref, "--json"))
    assert listed["total"] == 3
    newest = listed["items"][0]
    assert (newest["when"], newest["kind_label"], newest["interface_label"]) == (
        "25 November 2026 at 14:06",
        "Merged chronology",
        "API",
    )
    chair_only = json.loads(_dhr("audit", "reads", "--user", "chair", "--json", "--as", "admin"))
    assert [i["kind"] for i in chair_only["items"]] == ["merged_chronology", "family_log"]
    second = json.loads(_dhr("audit", "reads", "--limit", "1", "--page", "2", "--json"))
    assert second["total"] == 3 and [i["kind"] for i in second["items"]] == ["real_names"]
    refused = runner.invoke(dhr, ["audit", "reads", "--as", "officer"])
    assert refused.exit_code == 2 and "audit:reads" in refused.output
    unknown = runner.invoke(dhr, ["audit", "reads", "--user", "nobody"])
    assert unknown.exit_code == 2 and "user:" in unknown.output


def test_reads_never_reach_the_ordinary_logs(scene: Scene, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = _api(scene)
    chair = scene.world.ref.users["chair"]
    assert _get(client, scene, "chair", "/cases/{ref}/family-log").status_code == 200
    assert _get(client, scene, "chair", "/letters/{family_letter}").status_code == 200
    assert [r.kind for r in scene.reads()] == ["family_log", "family_letter"]  # recorded, in the table
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in (chair.display_name, str(chair.id), chair.id.hex, "family_log", "family_letter",
                  "Family engagement log", *SECRETS):  # fmt: skip
        assert value not in logged, value
    assert not [r for r in caplog.records if r.name.startswith("dhr_engine.audit")]
