"""Uploads within their limits: a file over 20 MB, of more than 5,000 rows, a zip bomb or a cell
too long is refused with a message naming the limit, on the API and the web form, and nothing is
written; the limits stop the reading (counted, never timed), a file is never cut short; and one
user's upload, however slow to parse, does not hold up another user's request (a real server)."""

from __future__ import annotations

import io
import re
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from dhr_engine.bench.uploads import write_csv, write_rows_xlsx
from dhr_engine.bootstrap import build_context
from dhr_engine.bootstrap.app import create_app
from dhr_engine.config import Settings
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DEMO_PASSWORD
from dhr_engine.errors import ValidationFailed
from dhr_engine.returns import chronology_input
from dhr_engine.returns.chronology_input import MAX_ROWS
from tests.api.scenario import World
from tests.returns.files import PDF_BYTES
from tests.returns.test_returns_api import counts

MB = 1024 * 1024
GUARD = 30  # seconds: only ever a guard against hanging, never a measurement
TOO_LARGE = "larger than 20 MB: split it and upload the parts"
TOO_MANY = "more than 5,000 rows: split it and import the parts"
CSV_OK = (
    b"Date,Source record,Event\r\n02/04/2025,Log 2,Stop check\r\n20/04/2025,Log 3,Call about a neighbour\r\n"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# Sign-ins and reads of the pages are logged; those logs are not what an import writes.
LOGS = {"sensitive_read", "sign_in_lock", "sign_in_record"}


def written(ctx: AppContext) -> dict[str, Any]:
    """Every table's rows and each case's and request's version (counts), but the logs."""
    return {name: value for name, value in counts(ctx).items() if name not in LOGS}


def _path(world: World, tail: str = "") -> str:
    return f"/api/v1/returns/{world.returns['northmoor_police']}{tail}"


def _codes(response: httpx.Response) -> list[tuple[str, str | None]]:
    return [(d["code"], d.get("field")) for d in response.json()["detail"]]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The large files, written once: each is valid in every way but its size."""
    folder = tmp_path_factory.mktemp("uploads")
    made: dict[str, bytes] = {}
    for name, write in (
        ("million.xlsx", lambda p: write_rows_xlsx(p, 1_000_000, declared=True)),
        ("million-unsized.xlsx", lambda p: write_rows_xlsx(p, 1_000_000, declared=False)),
        ("6000.xlsx", lambda p: write_rows_xlsx(p, 6000, declared=True)),
        ("21mb.csv", lambda p: write_csv(p, 21 * MB)),
    ):
        write(folder / name)
        made[name] = (folder / name).read_bytes()
    return made


@dataclass
class Spy:
    """Counts the rows a reader handed on, by wrapping it."""

    rows: int = 0
    opened: int = 0


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    """Rows read from a worksheet by openpyxl, rows read from a CSV, and workbooks opened."""
    import openpyxl

    counted = Spy()
    sheet_rows = ReadOnlyWorksheet.iter_rows
    delimited = chronology_input.read_delimited
    load = openpyxl.load_workbook

    def iter_rows(self: ReadOnlyWorksheet, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for row in sheet_rows(self, *args, **kwargs):
            counted.rows += 1
            yield row

    def read_delimited(text: str) -> Iterator[list[str]]:
        for row in delimited(text):
            counted.rows += 1
            yield row

    def load_workbook(*args: Any, **kwargs: Any) -> Any:
        counted.opened += 1
        return load(*args, **kwargs)

    monkeypatch.setattr(ReadOnlyWorksheet, "iter_rows", iter_rows)
    monkeypatch.setattr(chronology_input, "read_delimited", read_delimited)
    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)
    return counted


def _sign_in(client: TestClient | httpx.Client, username: str) -> str:
    """Sign in on the web pages; the CSRF token of the session."""
    page = client.get("/sign-in")
    found = CSRF.search(page.text)
    assert found
    reply = client.post(
        "/sign-in",
        data={"csrf_token": found.group(1), "username": username, "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text[:300]
    again = CSRF.search(client.get("/").text)
    assert again
    return again.group(1)


# --- bytes ----------------------------------------------------------------------------------------


class Endless(io.RawIOBase):
    """A stream of zero bytes as long as asked, counting what was read from it."""

    def __init__(self, size: int) -> None:
        self.size, self.served = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.served)
        buffer[:n] = b"\0" * n
        self.served += n
        return n


def test_an_upload_is_read_no_further_than_one_byte_past_its_limit() -> None:
    from dhr_engine.returns.upload import FileTooLarge, read_limited

    stream = Endless(50 * MB)
    with pytest.raises(FileTooLarge) as refused:
        read_limited(stream, 20 * MB)
    assert stream.served == 20 * MB + 1
    assert refused.value.status_code == 413 and refused.value.msg == f"the file is {TOO_LARGE}"
    assert read_limited(Endless(20 * MB), 20 * MB) == b"\0" * (20 * MB)  # the limit itself is allowed


def test_a_valid_21_mb_csv_is_refused_whole__api(world: World, files: dict[str, bytes], spy: Spy) -> None:
    content = files["21mb.csv"]
    assert 20 * MB < len(content) < 22 * MB
    # Valid in every way but its size: every row would import.
    text = chronology_input.decode_text(content)
    rows = chronology_input.rows_from_cells(chronology_input.read_delimited(text), header_required=True)
    _entries, problems = chronology_input.check_rows(rows, agency_name="", today=world.ctx.clock.today())
    assert problems == [] and len(rows) > 2000
    spy.rows = 0
    before = written(world.ctx)
    client = world.client()
    reply = client.post(
        _path(world, "/chronology/import"),
        headers=world.headers("police.author"),
        files={"file": ("chronology.csv", content, "text/csv")},
    )
    assert reply.status_code == 413, reply.text[:300]
    assert _codes(reply) == [("file_too_large", "file")]
    assert reply.json()["detail"][0]["msg"] == f"the file is {TOO_LARGE}"
    assert spy.rows == 0  # never parsed
    assert written(world.ctx) == before


def test_a_valid_21_mb_csv_is_refused_whole__web_form_keeps_what_was_typed(
    world: World, files: dict[str, bytes]
) -> None:
    before = written(world.ctx)
    client = world.client()
    token = _sign_in(client, "police.author")
    rid = world.returns["northmoor_police"]
    reply = client.post(
        f"/returns/{rid}/chronology/import",
        data={"csrf_token": token, "replace": "yes", "pasted": ""},
        files={"file": ("chronology.csv", files["21mb.csv"], "text/csv")},
    )
    assert reply.status_code == 400, reply.text[:300]
    assert f"The file is {TOO_LARGE}" in reply.text
    assert re.search(r'name="replace"[^>]*value="yes"[^>]*checked', reply.text)  # as the user left it
    assert written(world.ctx) == before


@pytest.mark.parametrize("via", ["api", "web"])
def test_an_attachment_over_20_mb_is_refused_and_nothing_is_stored(world: World, via: str) -> None:
    big_pdf = PDF_BYTES[:-7] + b" " * (20 * MB) + b"\n%%EOF\n"
    before = written(world.ctx)
    client = world.client()
    rid = world.returns["northmoor_police"]
    if via == "api":
        reply = client.post(
            _path(world, "/attachments"),
            headers=world.headers("police.author"),
            files={"file": ("imr.pdf", big_pdf, "application/pdf")},
        )
        assert reply.status_code == 413 and _codes(reply) == [("file_too_large", "file")]
    else:
        token = _sign_in(client, "police.author")
        reply = client.post(
            f"/returns/{rid}/attachments",
            data={"csrf_token": token},
            files={"file": ("imr.pdf", big_pdf, "application/pdf")},
        )
        assert reply.status_code == 400 and f"The file is {TOO_LARGE}" in reply.text
    assert written(world.ctx) == before
    storage = world.ctx.settings.storage_dir / "returns"
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))


# --- rows -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["million.xlsx", "million-unsized.xlsx"])
def test_a_million_row_xlsx_is_refused_before_its_rows_are_read(
    world: World, files: dict[str, bytes], spy: Spy, name: str
) -> None:
    before = written(world.ctx)
    reply = world.client().post(
        _path(world, "/chronology/import"),
        headers=world.headers("police.author"),
        files={"file": (name, files[name], XLSX)},
    )
    assert reply.status_code == 422, reply.text[:300]
    assert _codes(reply) == [("too_many_rows", "file")]
    assert reply.json()["detail"][0]["msg"] == f"the file has {TOO_MANY}"
    assert spy.rows <= MAX_ROWS + 1
    if name == "million-unsized.xlsx":  # counted before openpyxl would read it all to size it
        assert spy.opened == 0
    assert written(world.ctx) == before


def test_rows_are_read_only_to_the_one_past_the_limit(files: dict[str, bytes], spy: Spy) -> None:
    """6,000 entries: within every size the file declares, so the reading itself must stop."""
    as_csv = ("Date,Event\r\n" + "14/03/2025,Contact\r\n" * 6000).encode()
    for content in (files["6000.xlsx"], as_csv):
        spy.rows = 0
        with pytest.raises(ValidationFailed) as refused:
            chronology_input.rows_from_file(content)
        assert refused.value.msg == f"the file has {TOO_MANY}"
        assert spy.rows == MAX_ROWS + 2  # the header and the entry past the limit, no more


def test_a_sheet_declaring_fewer_rows_than_it_has_is_read_in_full(world: World, tmp_path: Path) -> None:
    path = tmp_path / "wrong-size.xlsx"
    write_rows_xlsx(path, 12, declared=2)  # says A1:B2, holds a header and 12 entries
    reply = world.client().post(
        _path(world, "/chronology/import"),
        headers=world.headers("police.author"),
        files={"file": ("wrong-size.xlsx", path.read_bytes(), XLSX)},
    )
    assert reply.status_code == 201, reply.text[:300]
    assert reply.json()["imported"] == 12


def test_a_zip_bomb_is_refused_from_its_declared_sizes(world: World, tmp_path: Path, spy: Spy) -> None:
    path = tmp_path / "bomb.xlsx"
    write_rows_xlsx(path, 3)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(101):
            member.write(b"\0" * MB)  # 101 MB unpacked, some 100 KB packed
    content = path.read_bytes()
    assert len(content) < MB
    before = written(world.ctx)
    reply = world.client().post(
        _path(world, "/chronology/import"),
        headers=world.headers("police.author"),
        files={"file": ("bomb.xlsx", content, XLSX)},
    )
    assert reply.status_code == 413 and _codes(reply) == [("file_too_large", "file")]
    assert "more than 100 MB once unpacked" in reply.json()["detail"][0]["msg"]
    assert spy.opened == 0
    assert written(world.ctx) == before


# --- cells ----------------------------------------------------------------------------------------


def test_a_200000_character_cell_is_a_422_naming_its_row_and_column(world: World) -> None:
    secret = "Secret-Name-In-Cell " * 10_000  # 200,000 characters
    content = (
        "Date,Event,Action taken\r\n"
        f'14/03/2025,"{secret}",Advice given\r\n'
        "15/03/2025,Call to the control room,Attended\r\n"
        f"{'1' * 200_000},Visit,None\r\n"
    ).encode()
    before = written(world.ctx)
    reply = world.client().post(
        _path(world, "/chronology/import"),
        headers=world.headers("police.author"),
        files={"file": ("long.csv", content, "text/csv")},
    )
    assert reply.status_code == 422, reply.text[:300]
    assert {d["field"]: d["msg"] for d in reply.json()["detail"]} == {
        "rows[2].event": "row 2: event: is longer than 4,000 characters",
        "rows[4].date": "row 4: date: is longer than 100 characters",
    }
    assert "Secret-Name" not in reply.text
    assert written(world.ctx) == before


# --- one upload does not stall the others ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(world: World) -> Iterator[str]:
    """The whole app under uvicorn on a free loopback port, with its lifespan: on SQLite every sync
    endpoint then shares one worker thread, as in production."""
    settings = Settings(
        database_url=world.ctx.settings.database_url,
        storage_dir=world.ctx.settings.storage_dir,
        run_scheduler_in_process=False,
    )
    ctx = build_context(settings, clock=world.ctx.clock)
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, ctx), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + GUARD
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=GUARD)
    ctx.engine.dispose()


@pytest.mark.parametrize("via", ["api", "web"])
def test_an_upload_being_parsed_does_not_hold_up_another_users_case_page(
    world: World, served: str, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    parsing, release = threading.Event(), threading.Event()
    delimited = chronology_input.read_delimited

    def parse_slowly(text: str) -> Any:
        parsing.set()
        release.wait(GUARD)  # held here until the other user's pages have come back
        return delimited(text)

    monkeypatch.setattr(chronology_input, "read_delimited", parse_slowly)
    ref, rid = world.cases["A"].ref, world.returns["northmoor_police"]
    answers: dict[str, httpx.Response | Exception] = {}
    with (
        httpx.Client(base_url=served, timeout=2 * GUARD) as uploader,
        httpx.Client(base_url=served, timeout=GUARD) as other,
    ):
        _sign_in(other, "officer")
        send: Callable[[], httpx.Response]
        if via == "api":

            def send() -> httpx.Response:
                return uploader.post(
                    _path(world, "/chronology/import"),
                    headers=world.headers("police.author"),
                    files={"file": ("c.csv", CSV_OK, "text/csv")},
                )

        else:
            token = _sign_in(uploader, "police.author")

            def send() -> httpx.Response:
                return uploader.post(
                    f"/returns/{rid}/chronology/import",
                    data={"csrf_token": token},
                    files={"file": ("c.csv", CSV_OK, "text/csv")},
                )

        def upload() -> None:
            try:
                answers["upload"] = send()
            except httpx.HTTPError as err:
                answers["upload"] = err

        thread = threading.Thread(target=upload, daemon=True)
        thread.start()
        try:
            assert parsing.wait(GUARD), "the upload never reached its parser"
            page = other.get(f"/cases/{ref}")
            api = other.get(f"/api/v1/cases/{ref}", headers=world.headers("officer"))
            assert page.status_code == 200 and api.status_code == 200
            assert not release.is_set() and thread.is_alive()  # the upload is still being parsed
        finally:
            release.set()
            thread.join(GUARD)
    done = answers["upload"]
    assert isinstance(done, httpx.Response), done
    assert done.status_code == (201 if via == "api" else 303), done.text[:300]
