"""The CLI's tables and explanations, run on the demo, read in plain English (tests/plain_text.py):
no stored keys, ISO dates or evidence tags; `--json` keeps the keys for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dhr_engine.console import app
from tests.plain_text import problems_in

runner = CliRunner()
pytestmark = pytest.mark.slow


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, f"dhr {' '.join(args)}: {result.output}"
    return result.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("plain-cli") / "demo.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DHR_DATABASE_URL", f"sqlite:///{path}")
        patch.setenv("DHR_STORAGE_DIR", str(path.parent / "storage"))
        run("demo")
    return f"sqlite:///{path}"


def commands(refs: list[str], deadlines: dict[str, list[str]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [("case", "list"), ("letters", "codes"), ("plans", "list")]
    out += [("agencies", "contacts", "list", name) for name in ("Northmoor Police", "Northmoor Women's Aid")]
    for ref in refs:
        out += [
            ("case", "show", ref),
            ("deadlines", "list", ref),
            ("letters", "list", ref),
            ("returns", "list", "--case", ref),
            ("scheduler", "notices", ref),
        ]
        out += [("deadlines", "explain", ref, key) for key in deadlines[ref]]
    return out


def test_the_cli_reads_in_plain_english(demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DHR_DATABASE_URL", demo)
    monkeypatch.setenv("DHR_STORAGE_DIR", str(Path(demo.removeprefix("sqlite:///")).parent / "storage"))
    refs = [c["ref"] for c in json.loads(run("case", "list", "--json"))]
    assert len(refs) >= 5
    deadlines = {
        ref: sorted({d["key"] for d in json.loads(run("deadlines", "list", ref, "--json"))}) for ref in refs
    }
    report = []
    for args in commands(refs, deadlines):
        found = problems_in(run(*args))
        if found:
            report.append(
                f"dhr {' '.join(args)}: {found[0]}"
                + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
            )
    assert not report, "\n".join(report)
