"""Read chronology rows from a CSV or XLSX file, pasted text or a form, and check every row.

Dates are read the British way (14/03/2025 is 14 March 2025). A row may give a date and time,
a day, a month ("March 2025") or a year; that is its precision. Every bad row is reported with
its row number, the column and the reason, and never with the cell's value (it may hold personal
data). A file with any bad row imports nothing.

Limits are checked before and while reading, never by cutting: a file over MAX_UPLOAD_BYTES is
refused unread; a spreadsheet that unpacks to more than MAX_UNPACKED_BYTES, or declares more than
MAX_LINES rows, is refused before its first row is read; rows are read one at a time and the
reading stops, refusing the file, at the entry after MAX_ROWS (or the row after MAX_LINES, blank
rows included); a cell longer than its column's limit is a problem of its row and column.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, BinaryIO
from xml.parsers import expat

from dhr_engine.domain.calendar import format_date
from dhr_engine.errors import DhrError, ErrorItem, ValidationFailed
from dhr_engine.returns.upload import MAX_UPLOAD_BYTES, describe_bytes, read_limited, too_large

MAX_ROWS = 5000  # entries in one file (and in one draft)
MAX_LINES = 2 * MAX_ROWS  # rows read, blank ones included, before a file is refused
MAX_UNPACKED_BYTES = 5 * MAX_UPLOAD_BYTES  # a spreadsheet's parts, as its archive declares them
PRECISIONS = ("minute", "day", "month", "year")
LIMITS = {"source_record": 300, "event": 4000, "action_taken": 4000, "practitioner_role": 200}
EARLIEST = date(1900, 1, 1)
# The longest cell each column may hold (the text ones as stored; a date or time is short).
CELL_LIMITS = {"date": 100, "time": 50, "precision": 50, "agency": 300, **LIMITS}

FIELDS = (
    "date",
    "time",
    "precision",
    "agency",
    "source_record",
    "event",
    "action_taken",
    "practitioner_role",
)
# Columns in this order when pasted rows come without a header row.
DEFAULT_ORDER = ("date", "time", "source_record", "event", "action_taken", "practitioner_role")
HEADERS: dict[str, str] = {
    **dict.fromkeys(
        ("date", "date of contact", "date of event", "when", "date and time", "date time"), "date"
    ),
    **dict.fromkeys(("time", "time of contact", "time of event"), "time"),
    **dict.fromkeys(("precision", "date precision"), "precision"),
    **dict.fromkeys(("agency", "organisation", "organization"), "agency"),
    **dict.fromkeys(
        ("source", "source record", "record", "source of information", "record reference"), "source_record"
    ),
    **dict.fromkeys(
        ("event", "contact", "event contact", "details", "event details", "what happened", "description"),
        "event",
    ),
    **dict.fromkeys(
        ("action", "action taken", "outcome", "action outcome", "action taken outcome"), "action_taken"
    ),
    **dict.fromkeys(
        ("practitioner", "practitioner role", "role", "staff role", "professional", "role of practitioner"),
        "practitioner_role",
    ),
}

DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")
MONTH_FORMATS = ("%B %Y", "%b %Y", "%m/%Y", "%Y-%m")
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%H.%M", "%I:%M%p", "%I.%M%p", "%I%p")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field.replace('_', ' ')}: {self.reason}"


class ChronologyRejected(ValidationFailed):
    """Some rows are wrong: each one is named with its reason; nothing was imported."""

    code = "chronology_rejected"

    def __init__(self, errors: Sequence[RowError]) -> None:
        items = [ErrorItem(self.code, str(e), f"rows[{e.row}].{e.field}") for e in errors]
        super().__init__(
            f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found; nothing was imported",
            items=items,
        )
        self.errors = list(errors)


class TooManyRows(ValidationFailed):
    """The file has more rows than may be imported at once; it was not read further."""

    code = "too_many_rows"


class SpreadsheetTooLarge(ValidationFailed):
    """The spreadsheet unpacks to more than may be read (a zip bomb, or far too much data)."""

    status_code = 413
    code = "file_too_large"


@dataclass(frozen=True)
class TooLong:
    """A cell longer than its column's limit, in place of its text (never kept, never shown)."""

    limit: int


@dataclass(frozen=True)
class EntryInput:
    """One entry as typed in a form or read from a row; `when` is a date or date-and-time."""

    when: str | date
    event: str
    time: str | time | None = None
    source_record: str = ""
    action_taken: str = ""
    practitioner_role: str = ""
    precision: str = ""
    agency: str = ""


@dataclass(frozen=True)
class ParsedEntry:
    occurred_on: date
    occurred_time: time | None
    precision: str
    source_record: str
    event: str
    action_taken: str
    practitioner_role: str


@dataclass(frozen=True)
class RawRow:
    number: int  # as the user sees it in the file
    cells: Mapping[str, Any]


# --- reading ---------------------------------------------------------------------------------------


def _normal(header: Any) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(header or "").lower()).strip()


def _header_map(cells: Sequence[Any]) -> tuple[dict[int, str], list[RowError]] | None:
    """Column index -> field, when this row is a header row (else None)."""
    names = [_normal(c) for c in cells]
    fields = {HEADERS[n] for n in names if n in HEADERS}
    if not fields & {"date", "event"}:
        return None
    mapping: dict[int, str] = {}
    errors: list[RowError] = []
    for index, name in enumerate(names):
        if not name:
            continue
        field = HEADERS.get(name)
        if field is None:
            errors.append(RowError(1, f"column {index + 1}", "this column is not known; " + _known()))
        elif field in mapping.values():
            errors.append(RowError(1, field, "this column appears twice"))
        else:
            mapping[index] = field
    for required in ("date", "event"):
        if required not in mapping.values():
            errors.append(RowError(1, required, "the file has no such column"))
    return mapping, errors


def _known() -> str:
    return "use: date, time, precision, agency, source record, event, action taken, practitioner role"


def too_many_rows(field: str = "file") -> TooManyRows:
    what = "the pasted text has" if field == "text" else "the file has"
    return TooManyRows(f"{what} more than {MAX_ROWS:,} rows: split it and import the parts", field=field)


def _bounded(field: str, value: Any) -> Any:
    """The cell, or TooLong when its text passes the column's limit (check_rows reports it)."""
    limit = CELL_LIMITS[field]
    if isinstance(value, str) and len(value) > limit and len(_text(value)) > limit:
        return TooLong(limit)
    return value


def rows_from_cells(
    table: Iterable[Sequence[Any]], *, header_required: bool, field: str = "file"
) -> list[RawRow]:
    """Turn a grid of cells into rows keyed by field, taking one row at a time from `table`.

    Raises ChronologyRejected on a bad header, and TooManyRows (reading no further) at the entry
    after MAX_ROWS or the row after MAX_LINES, blank rows included. A cell longer than its
    column's limit is kept as TooLong, so that check_rows names its row and column."""
    mapping: dict[int, str] | None = None
    start = 0
    rows: list[RawRow] = []
    for index, cells in enumerate(table):
        if index >= MAX_LINES:
            raise too_many_rows(field)
        if all(_blank(c) for c in cells):
            continue
        if mapping is None:
            header = _header_map(cells)
            if header is not None:
                mapping, errors = header
                if errors:
                    raise ChronologyRejected(errors)
                start = index + 1
                continue
            if header_required:
                raise ChronologyRejected(
                    [RowError(index + 1, "header", "the first row must name the columns; " + _known())]
                )
            mapping, start = dict(enumerate(DEFAULT_ORDER)), index
        if len(rows) == MAX_ROWS:
            raise too_many_rows(field)
        extra = [i for i, c in enumerate(cells) if i not in mapping and not _blank(c)]
        data: dict[str, Any] = {
            mapping[i]: _bounded(mapping[i], c) for i, c in enumerate(cells) if i in mapping
        }
        if extra:
            data["_extra"] = extra[0] + 1
        rows.append(RawRow(index + 1, data))
    if mapping is None:
        raise ChronologyRejected([RowError(1, "file", "there are no rows")])
    if not rows:
        raise ChronologyRejected([RowError(start + 1, "file", "there are no entries under the header")])
    return rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def decode_text(content: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else Windows-1252 as Excel saves it."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="strict")


def read_delimited(text: str) -> Iterator[list[str]]:
    """Rows of CSV or of cells pasted from a spreadsheet (tab-separated), one at a time.

    The csv module's cell limit (131,072 characters by default, for the whole process) is raised
    to the upload limit: a cell can be no longer than its file, and each column's own limit is
    checked with its row and column named (`_bounded`), instead of failing the whole line."""
    sample = text[:4096]
    first_line = sample.splitlines()[0] if sample.strip() else ""
    if "\t" in first_line:
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;").delimiter
        except csv.Error:
            delimiter = ","
    if csv.field_size_limit() < MAX_UPLOAD_BYTES:
        csv.field_size_limit(MAX_UPLOAD_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error:  # e.g. a NUL character, or a quote where it cannot be
        problem = "this line cannot be read as CSV (is a quote left open or out of place?)"
        raise ChronologyRejected([RowError(reader.line_num or 1, "file", problem)]) from None


def _zip(content: bytes) -> zipfile.ZipFile | None:
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return None


def is_xlsx(content: bytes) -> bool:
    archive = _zip(content)
    if archive is None:
        return False
    with archive:
        return "xl/workbook.xml" in archive.namelist()


def _unreadable() -> ChronologyRejected:
    return ChronologyRejected([RowError(1, "file", "the spreadsheet cannot be read")])


def _worksheet_parts(archive: zipfile.ZipFile) -> set[str]:
    """The archive's worksheets: those its content types name, and any under xl/worksheets/."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, WORKSHEET_TYPE
    from openpyxl.xml.functions import fromstring

    names = set(archive.namelist())
    parts = {n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    if ARC_CONTENT_TYPES in names:
        manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
        parts |= {t.PartName.lstrip("/") for t in manifest.findall(WORKSHEET_TYPE)} & names
    return parts


class _Sized(Exception):
    """The sheet declares its size: nothing more to count."""


def _refuse_unsized_sheet_past_limit(archive: zipfile.ZipFile, part: str) -> None:
    """A sheet that does not declare its size (its <dimension>) is read by openpyxl from end to end
    when the workbook is opened, to find it: count its rows first (expat, no tree built), and stop
    at the limit."""
    rows = 0

    def start(name: str, _attributes: dict[str, str]) -> None:
        nonlocal rows
        tag = name.rpartition("}")[2]
        if tag == "dimension":
            raise _Sized
        if tag == "row":
            rows += 1
            if rows > MAX_LINES:
                raise too_many_rows()

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    with archive.open(part) as source:
        try:
            parser.ParseFile(source)
        except _Sized:
            return


def check_workbook(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook before openpyxl opens it: one that unpacks to more than
    MAX_UNPACKED_BYTES (the sizes its archive declares, which zipfile holds each member to), or
    has a sheet of undeclared size with more than MAX_LINES rows."""
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetTooLarge(
            f"the spreadsheet holds more than {describe_bytes(MAX_UNPACKED_BYTES)} once unpacked: "
            "split it and import the parts",
            field="file",
        )
    for part in sorted(_worksheet_parts(archive)):
        _refuse_unsized_sheet_past_limit(archive, part)


# warnings.catch_warnings changes the filters of the whole process: two threads inside it at once
# could leave its "ignore" in place for good, so spreadsheets are read one at a time.
_OPENPYXL_WARNINGS = threading.Lock()


def rows_from_xlsx(content: bytes) -> list[RawRow]:
    """The rows of the first worksheet (values, not formulas), read one at a time by openpyxl in
    read-only mode (rows_from_cells stops it at a limit). Refused before the first row is read
    when the workbook fails check_workbook or the sheet declares more than MAX_LINES rows."""
    from openpyxl import load_workbook

    archive = _zip(content)
    if archive is None:
        raise _unreadable()
    try:
        with archive:
            check_workbook(archive)
        with _OPENPYXL_WARNINGS, warnings.catch_warnings():
            # openpyxl warns about styles and extensions of files from other tools
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
            try:
                sheet = book.worksheets[0]
                declared = sheet.max_row - sheet.min_row + 1 if sheet.max_row is not None else 0
                if declared > MAX_LINES:
                    raise too_many_rows()
                # Every row the sheet has, not only those its (possibly wrong) dimension names: a
                # sheet is never cut short; the row limits stop the reading instead.
                sheet.reset_dimensions()
                return rows_from_cells(sheet.iter_rows(values_only=True), header_required=True)
            finally:
                book.close()
    except DhrError:
        raise
    except Exception as err:  # openpyxl raises many kinds of error for a damaged file
        raise _unreadable() from err


def rows_from_file(content: bytes) -> list[RawRow]:
    """Rows of an uploaded CSV or XLSX file (recognised by content); a header row is required.
    A file over MAX_UPLOAD_BYTES is refused unread."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise too_large(MAX_UPLOAD_BYTES)
    if not content.strip():
        raise ChronologyRejected([RowError(1, "file", "the file is empty")])
    if is_xlsx(content):
        return rows_from_xlsx(content)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ChronologyRejected(
            [RowError(1, "file", "old Excel (.xls) files cannot be read; save as .xlsx")]
        )
    if content.startswith((b"PK\x03\x04", b"%PDF")) or b"\x00" in content[:4096]:
        raise ChronologyRejected([RowError(1, "file", "only CSV and Excel (.xlsx) files can be imported")])
    try:
        text = decode_text(content)
    except UnicodeDecodeError:
        raise ChronologyRejected([RowError(1, "file", "the text is not in a known encoding")]) from None
    return rows_from_cells(read_delimited(text), header_required=True)


def rows_from_upload(stream: BinaryIO) -> list[RawRow]:
    """Rows of an uploaded file, read from `stream` a chunk at a time: refused as soon as it passes
    MAX_UPLOAD_BYTES (the rest is never read, and a cut file never parsed)."""
    return rows_from_file(read_limited(stream, MAX_UPLOAD_BYTES))


def rows_from_text(text: str) -> list[RawRow]:
    """Rows pasted from a spreadsheet or typed as CSV; the header row is optional."""
    if not text.strip():
        raise ChronologyRejected([RowError(1, "text", "nothing was pasted")])
    return rows_from_cells(read_delimited(text), header_required=False, field="text")


def rows_from_inputs(entries: Sequence[EntryInput]) -> list[RawRow]:
    """Rows typed in a form (numbered from 1)."""
    if not entries:
        raise ChronologyRejected([RowError(1, "entries", "there are no entries")])
    return [
        RawRow(
            n,
            {
                "date": e.when,
                "time": e.time,
                "precision": e.precision,
                "agency": e.agency,
                "source_record": e.source_record,
                "event": e.event,
                "action_taken": e.action_taken,
                "practitioner_role": e.practitioner_role,
            },
        )
        for n, e in enumerate(entries, start=1)
    ]


# --- checking ---------------------------------------------------------------------------------


WHEN = re.compile(r"(.+?)(?:[ T,]+(\d{1,2}[:.]\d{2}(?::\d{2})? ?(?:[ap]m)?))?", re.IGNORECASE)


def _parse_time(value: Any) -> time:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    text = str(value).strip().upper().replace(" ", "")
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).time().replace(second=0)
        except ValueError:
            continue
    raise ValueError("is not a time; write it as 14:30")


def _parse_when(value: Any) -> tuple[date, time | None, str]:
    """(first day, time or None, precision) of a date cell."""
    if isinstance(value, datetime):
        at = value.time().replace(second=0, microsecond=0)
        return (value.date(), None, "day") if at == time(0) else (value.date(), at, "minute")
    if isinstance(value, date):
        return value, None, "day"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= int(value) <= 2999:
            return date(int(value), 1, 1), None, "year"
        raise ValueError("is not a date; write it as 14/03/2025")
    text = " ".join(str(value).split())
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), None, "year"
    match = WHEN.fullmatch(text)
    day_part, time_part = (match.group(1), match.group(2)) if match else (text, None)
    if re.search(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$", day_part):
        raise ValueError("write the year in full (2025, not 25)")
    for fmt in DAY_FORMATS:
        try:
            day = datetime.strptime(day_part, fmt).date()
        except ValueError:
            continue
        return (day, _parse_time(time_part), "minute") if time_part else (day, None, "day")
    for fmt in MONTH_FORMATS:
        try:
            return datetime.strptime(text, fmt).date(), None, "month"
        except ValueError:
            continue
    raise ValueError("is not a date; write it as 14/03/2025, March 2025 or 2025")


def _coarsen(day: date, clock_time: time | None, found: str, asked: str) -> tuple[date, time | None, str]:
    """Apply a precision column: it may make the date coarser than written, never finer."""
    if asked not in PRECISIONS:
        raise ValueError("must be one of: " + ", ".join(PRECISIONS))
    if PRECISIONS.index(asked) < PRECISIONS.index(found):
        raise ValueError(f"the date is only given to the {found}")
    if asked == "minute":
        return day, clock_time, found
    if asked == "month":
        return day.replace(day=1), None, asked
    if asked == "year":
        return date(day.year, 1, 1), None, asked
    return day, None, asked


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\r\n", "\n").split(" ")).strip()


def check_rows(
    rows: Sequence[RawRow], *, agency_name: str, today: date
) -> tuple[list[ParsedEntry], list[RowError]]:
    """Check every row; the entries are returned only to be used when there are no errors."""
    entries: list[ParsedEntry] = []
    errors: list[RowError] = []
    for row in rows:
        before = len(errors)
        too_long = {name: v.limit for name, v in row.cells.items() if isinstance(v, TooLong)}
        cells = {name: v for name, v in row.cells.items() if name not in too_long}

        def bad(field: str, reason: str, number: int = row.number) -> None:
            errors.append(RowError(number, field, reason))

        for name, limit in too_long.items():
            bad(name, f"is longer than {limit:,} characters")
        if "_extra" in cells:
            bad(f"column {cells['_extra']}", "this column has no header; " + _known())
        occurred_on: date | None = None
        clock_time: time | None = None
        precision = "day"
        if "date" in too_long:
            pass
        elif _blank(cells.get("date")):
            bad("date", "is missing")
        else:
            try:
                occurred_on, clock_time, precision = _parse_when(cells["date"])
            except ValueError as err:
                bad("date", str(err))
        if occurred_on is not None and not _blank(cells.get("time")):
            if precision not in {"day", "minute"}:
                bad("time", "a time needs a full date")
            else:
                try:
                    clock_time, precision = _parse_time(cells["time"]), "minute"
                except ValueError as err:
                    bad("time", str(err))
        if occurred_on is not None and not _blank(cells.get("precision")):
            try:
                occurred_on, clock_time, precision = _coarsen(
                    occurred_on, clock_time, precision, _text(cells["precision"]).lower()
                )
            except ValueError as err:
                bad("precision", str(err))
        if occurred_on is not None and occurred_on > today:
            bad("date", f"is after today ({format_date(today)})")
        if occurred_on is not None and occurred_on < EARLIEST:
            bad("date", "is before 1900")
        agency = _text(cells.get("agency"))
        if agency and agency.casefold() != agency_name.casefold():
            bad("agency", "names another agency; each agency imports its own chronology")
        values = {name: _text(cells.get(name)) for name in LIMITS}
        if not values["event"] and "event" not in too_long:
            bad("event", "is missing")
        for name, limit in LIMITS.items():
            if len(values[name]) > limit:
                bad(name, f"is longer than {limit:,} characters")
        if len(errors) == before and occurred_on is not None:
            entries.append(ParsedEntry(occurred_on, clock_time, precision, **values))
    return entries, errors
