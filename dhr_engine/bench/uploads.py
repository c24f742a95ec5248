"""Metric: uploads that must be refused, and whether they hold anyone else up (one uvicorn worker).

Against the served app (bench/http_server.py: one worker; on SQLite one thread for every sync
endpoint), an agency author uploads, as a chronology import: a 1,000,000-row XLSX that declares
its size (its <dimension>), the same without the declaration, a 50 MB CSV (refused at the edge,
api/edge.py, past 25 MB) and a 21 MB one (refused by the endpoint, past 20 MB). Each is timed from
the first byte sent to the refusal received (target: 2 s), while another user (the CSP officer)
GETs a case over and over: the p50 and the slowest of those GETs (target: the slowest within 1 s).
Baselines, measured in the same run: importing a one-row CSV, and the GET with nothing else
running. The files are written to a temporary folder first (untimed), the XLSX as its XML.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from dhr_engine.api.deps import API_PREFIX
from dhr_engine.auth.tokens import issue_token
from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.http import Server
from dhr_engine.bench.results import MetricResult, Target
from dhr_engine.bench.sizes import Sizes
from dhr_engine.demo.builder import DemoBuilder
from dhr_engine.returns import service as return_service

REFUSAL_TARGET = Target(on="figure", direction="lower", value=2000.0)  # ms
OTHERS_TARGET = Target(on="figure", direction="lower", value=1000.0)  # ms, the slowest GET
IDLE_GETS = 30
UPLOADER, OTHER = "police.author", "officer"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ONE_ROW = b"Date,Event\r\n14/03/2025,Bench: a one-row chronology\r\n"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Chronology" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="sharedStrings.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    "</Relationships>"
)
_STRINGS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">'
    "<si><t>Date</t></si><si><t>Event</t></si><si><t>14/03/2025</t></si>"
    "<si><t>Contact with the family</t></si></sst>"
)


def write_rows_xlsx(path: Path, rows: int, *, declared: bool | int = True) -> None:
    """A valid chronology workbook of `rows` entries under a header (date, event), written as its
    XML a thousand rows at a time, so a million rows take seconds and little memory. `declared`:
    the sheet states its size (True), states this many rows (an int, e.g. a wrong one), or not."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", _STRINGS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            if declared is not False:
                last = rows + 1 if declared is True else int(declared)
                sheet.write(f'<dimension ref="A1:B{last}"/>'.encode())
            sheet.write(b'<sheetData><row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>')
            batch: list[str] = []
            for number in range(2, rows + 2):
                batch.append(f'<row r="{number}"><c t="s"><v>2</v></c><c t="s"><v>3</v></c></row>')
                if len(batch) == 1000:
                    sheet.write("".join(batch).encode())
                    batch.clear()
            sheet.write("".join(batch).encode() + b"</sheetData></worksheet>")


def write_csv(path: Path, size: int) -> int:
    """A valid chronology CSV of at least `size` bytes: rows of long but allowed cells (an event
    and an action of 3,900 characters each). Returns the number of rows under the header."""
    rows = 0
    with path.open("wb") as out:
        written = out.write(b"Date,Source record,Event,Action taken\r\n")
        while written < size:
            rows += 1
            event = f"Contact {rows}: " + "the family were given advice " * 134
            line = f"14/03/2025,Log {rows},{event[:3900]},{'Referred on ' * 325}\r\n"
            written += out.write(line.encode())
    return rows


@dataclass(frozen=True)
class Upload:
    label: str
    path: Path
    media_type: str


@dataclass(frozen=True)
class Round:
    seconds: float
    status: int
    code: str
    gets: list[float]  # seconds of each GET made while the upload ran


def _token(db: BenchDatabase, username: str) -> str:
    user = db.ref.users[username]
    token, _ = issue_token(
        user_id=user.id,
        password_hash=user.password_hash,
        secret=db.ctx.settings.secret_key,
        now=db.ctx.clock.now(),
        minutes=60,
    )
    return token


def _draft(db: BenchDatabase) -> tuple[str, uuid.UUID]:
    """A review in information gathering, with a chronology asked of the police: (ref, request)."""
    builder = DemoBuilder(db.ctx, db.ref, db.ctx.clock.today())
    case = builder.open("Upload bench", 120)
    builder.to_information_gathering(case, 120)
    (request,) = return_service.request_returns(
        db.ctx.uow(),
        actor=db.ref.actor("officer"),
        clock=db.ctx.clock,
        case_id=case.id,
        agency_ids=[db.ref.agencies["northmoor_police"].id],
        kind="chronology",
    )
    return case.ref, request.id


def _post(
    base: str, token: str, url: str, name: str, content: bytes | Path, media_type: str
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=120) as client:
        if isinstance(content, Path):
            with content.open("rb") as handle:
                return client.post(url, headers=headers, files={"file": (name, handle, media_type)})
        return client.post(
            url, headers=headers, files={"file": (name, content, media_type)}, data={"replace": "true"}
        )


def _get(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    reply = client.get(url)
    elapsed = time.perf_counter() - started
    if reply.status_code != 200:
        raise RuntimeError(f"GET of the case answered {reply.status_code}")
    return elapsed


def _upload_round(
    base: str, token: str, import_url: str, upload: Upload, other: httpx.Client, case_url: str
) -> Round:
    """One upload in a thread; the other user's GETs, one after another, until it is answered."""
    answer: dict[str, object] = {}

    def send() -> None:
        started = time.perf_counter()
        try:
            answer["reply"] = _post(base, token, import_url, upload.path.name, upload.path, upload.media_type)
        except httpx.HTTPError as err:
            answer["error"] = err
        answer["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=send, name="bench-upload", daemon=True)
    thread.start()
    gets = [_get(other, case_url)]  # at least one, started while the upload is on its way
    while thread.is_alive():
        gets.append(_get(other, case_url))
    thread.join()
    reply = answer.get("reply")
    if not isinstance(reply, httpx.Response):
        raise RuntimeError(f"the {upload.label} upload failed: {type(answer.get('error')).__name__}")
    if reply.status_code not in (413, 422):
        raise RuntimeError(f"the {upload.label} upload was not refused: {reply.status_code}")
    code = str(reply.json()["detail"][0]["code"])
    seconds = answer["seconds"]
    assert isinstance(seconds, float)
    return Round(seconds, reply.status_code, code, gets)


def _ms(seconds: float) -> float:
    return seconds * 1000


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    ref, request_id = _draft(db)
    uploader = _token(db, UPLOADER)
    import_url = f"{API_PREFIX}/returns/{request_id}/chronology/import"
    case_url = f"{API_PREFIX}/cases/{ref}"
    rounds = max(1, sizes.rounds)
    rows = sizes.upload_xlsx_rows
    results: list[MetricResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        uploads = [
            Upload(f"{rows:,}-row XLSX, size declared", folder / "declared.xlsx", XLSX),
            Upload(f"{rows:,}-row XLSX, size not declared", folder / "undeclared.xlsx", XLSX),
            Upload(f"{sizes.upload_csv_mb} MB CSV", folder / "large.csv", "text/csv"),
            Upload("21 MB CSV", folder / "over.csv", "text/csv"),
        ]
        write_rows_xlsx(uploads[0].path, rows, declared=True)
        write_rows_xlsx(uploads[1].path, rows, declared=False)
        write_csv(uploads[2].path, sizes.upload_csv_mb * 1024 * 1024)
        write_csv(uploads[3].path, 21 * 1024 * 1024)  # past the endpoint's limit, within the edge's
        file_bytes = [u.path.stat().st_size for u in uploads]
        server = Server(db.ctx.engine.url.render_as_string(hide_password=False))
        try:
            server.wait()
            headers = {"Authorization": f"Bearer {_token(db, OTHER)}"}
            with httpx.Client(base_url=server.base, headers=headers, timeout=120) as other:
                for _ in range(3):  # warm-up
                    _get(other, case_url)
                    _post(server.base, uploader, import_url, "one.csv", ONE_ROW, "text/csv")
                idle = [_get(other, case_url) for _ in range(IDLE_GETS)]
                small = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    reply = _post(server.base, uploader, import_url, "one.csv", ONE_ROW, "text/csv")
                    small.append(time.perf_counter() - started)
                    if reply.status_code != 201:
                        raise RuntimeError(f"the one-row import answered {reply.status_code}")
                measured = [
                    [
                        _upload_round(server.base, uploader, import_url, u, other, case_url)
                        for _ in range(rounds)
                    ]
                    for u in uploads
                ]
        finally:
            server.stop()
    idle_p50 = statistics.median(idle)
    for upload, runs, size in zip(uploads, measured, file_bytes, strict=True):
        gets = [g for r in runs for g in r.gets]
        answers = sorted({f"{r.status} {r.code}" for r in runs})
        get_p50 = _ms(statistics.median(gets))
        detail = {
            "answers": answers,
            "slowest_refusal_ms": _ms(max(r.seconds for r in runs)),
            "gets": len(gets),
            "get_p50_ms": get_p50,
            "idle_get_p50_ms": _ms(idle_p50),
            "bytes": size,
        }
        results.append(
            MetricResult.measured(
                "uploads",
                f"refuse a {upload.label} ({', '.join(answers)})",
                _ms(statistics.median(r.seconds for r in runs)),
                "ms",
                baseline=_ms(statistics.median(small)),
                baseline_name="import a one-row CSV through the same endpoint",
                target=REFUSAL_TARGET,
                rounds=rounds,
                detail=detail,
            )
        )
        results.append(
            MetricResult.measured(
                "uploads",
                f"another user's GET case meanwhile, slowest (p50 {get_p50:.1f} ms)",
                _ms(max(gets)),
                "ms",
                baseline=_ms(idle_p50),
                baseline_name="p50 of GET case with no upload running",
                target=OTHERS_TARGET,
                rounds=rounds,
                detail=detail,
            )
        )
    return results
