"""Every module that writes a CSV or an Excel workbook goes through the shared cell function
(`dhr_engine/domain/spreadsheet.py`), so no export can carry a live formula."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dhr_engine"
SHARED = "dhr_engine.domain.spreadsheet"
EXCLUDED = ("bench",)  # `dhr bench` writes its own timings, no user's text
WRITERS = {("csv", "writer"), ("csv", "DictWriter"), ("openpyxl", "Workbook"), ("xlsxwriter", "Workbook")}
KNOWN_WRITERS = {"plans/export.py", "returns/export.py"}


def _writes_spreadsheets(tree: ast.Module) -> bool:
    """True if the module makes a CSV writer or a workbook (`csv.writer`, `from openpyxl import
    Workbook`, `import xlsxwriter`, ...)."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in WRITERS
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and any((node.module.split(".")[0], alias.name) in WRITERS for alias in node.names)
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "xlsxwriter" for a in node.names):
            return True
    return False


def _uses_shared_function(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == SHARED:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "dhr_engine.domain"
            and any(alias.name == "spreadsheet" for alias in node.names)
        ):
            return True
    return False


def _writers() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name.split("/")[0] in EXCLUDED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _writes_spreadsheets(tree):
            found[name] = tree
    return found


def test_the_scan_finds_the_exports() -> None:
    assert set(_writers()) >= KNOWN_WRITERS


def test_every_csv_or_xlsx_writer_imports_the_shared_cell_function() -> None:
    missing = [name for name, tree in _writers().items() if not _uses_shared_function(tree)]
    assert missing == [], f"write cells through {SHARED}.safe_cell: {missing}"


def test_the_scan_recognises_a_writer_that_bypasses_it() -> None:
    bypass = ast.parse("import csv\n\ndef out(handle):\n    csv.writer(handle).writerow(['=1'])\n")
    book = ast.parse("from openpyxl import Workbook\n\nbook = Workbook()\n")
    safe = ast.parse("import csv\nfrom dhr_engine.domain.spreadsheet import safe_cell\n")
    assert _writes_spreadsheets(bypass) and not _uses_shared_function(bypass)
    assert _writes_spreadsheets(book) and not _uses_shared_function(book)
    assert _uses_shared_function(safe)
    reader = ast.parse("import csv\nrows = csv.reader(open('x'))\n")
    assert not _writes_spreadsheets(reader)
