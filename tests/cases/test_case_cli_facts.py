"""`dhr case new` takes the notification facts and the people involved as options, refuses a bad
one naming it (nothing stored), and `dhr case show --json` lists the case's people by pseudonym,
never by real name."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from dhr_engine.console import app
from dhr_engine.persistence.db import make_engine

runner = CliRunner()
NOTIFIED = date.today() - timedelta(days=3)
FACTS = (
    "--notifier-organisation", "Northmoor Police", "--notifier-name", "DS Alex Morgan",
    "--place-of-death", "Moorside", "--death-type", "homicide", "--sio-name", "DI Priya Shah",
    "--sio-force", "Northmoor Police", "--sio-contact", "01632 960 123",
    "--criminal-status", "charged", "--children", "--children-count", "2",
)  # fmt: skip


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DHR_DATABASE_URL", url)
    monkeypatch.setenv("DHR_STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.delenv("DHR_CLI_USER", raising=False)
    monkeypatch.setenv("COLUMNS", "1000")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    return url


def run(*args: str, code: int = 0) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def test_case_new__takes_the_facts_and_show_json_lists_people_by_pseudonym(db: str) -> None:
    ref = run(
        "case", "new", "--notified-on", NOTIFIED.isoformat(), "--pseudonym", "Jane",
        "--person", "perpetrator:Mark", "--date-of-death", (NOTIFIED - timedelta(days=2)).isoformat(), *FACTS,
    ).stdout.strip()  # fmt: skip
    engine = make_engine(db)
    with engine.begin() as conn:  # a real name recorded later, as an officer may
        conn.execute(text("UPDATE person SET real_name = 'Janet Realname' WHERE pseudonym = 'Jane'"))
    engine.dispose()
    shown = run("case", "show", ref, "--json").stdout
    data = json.loads(shown)
    assert data["people"] == [
        {"role": "perpetrator", "pseudonym": "Mark", "relationship": ""},
        {"role": "victim", "pseudonym": "Jane", "relationship": ""},
    ]
    assert "Janet Realname" not in shown
    facts = data["notification"]
    assert facts["place_of_death"] == "Moorside" and facts["death_type"] == "homicide"
    assert facts["sio_contact"] == "01632 960 123" and facts["criminal_status"] == "charged"
    assert facts["children_involved"] is True and facts["children_count"] == 2


@pytest.mark.parametrize(
    ("option", "value", "named", "code"),
    [  # 2: the engine refused it; 1: the command line did, before the engine was asked
        ("--death-type", "accident", "death_type", 2),
        ("--place-of-death", "12 High Street", "place_of_death", 2),
        ("--person", "neighbour:Sam", "person", 1),
    ],
)
def test_case_new__a_bad_fact_is_one_line_naming_it_and_nothing_is_stored(
    db: str, option: str, value: str, named: str, code: int
) -> None:
    result = run(
        "case",
        "new",
        "--notified-on",
        NOTIFIED.isoformat(),
        option,
        value,
        code=code,
    )
    assert named in result.output and "Traceback" not in result.output
    assert json.loads(run("case", "list", "--json").stdout) == []
