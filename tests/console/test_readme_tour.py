"""The README's "A five-minute tour", run line by line from the CLI alone on a fresh demo database.

Each line of the tour's ```sh block is run as `dhr` would run it (typer's CliRunner, $VARIABLES
substituted, `NAME=$(dhr ...)` kept for the lines after): a line marked "# refused" must fail,
every other line must succeed, and the output lines commented under a command ("#   ...") must be
what it prints ("…" ends a line that is only the beginning of what is printed). A line the runner
does not understand fails the test rather than being skipped, so the tour cannot drift from what
the CLI does.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dhr_engine.console import app

README = Path(__file__).resolve().parents[2] / "README.md"
ACTIVATE = "source .venv/bin/activate"
ASSIGNMENT = re.compile(r"^(?P<name>[A-Z_][A-Z0-9_]*)=\$\((?P<command>dhr [^()]*)\)(?:\s+#.*)?$")
EXAMPLE_REF = re.compile(r"e\.g\. (DHR-\d{4}-\d{3})")
# Lines whose commented output is not compared (none: every line's output is checked).
OUTPUT_NOT_CHECKED: tuple[str, ...] = ()

runner = CliRunner()


@dataclass
class Step:
    number: int  # line number in README.md
    line: str
    expected: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return "# refused" in self.line


def tour_block(text: str) -> tuple[int, list[str]]:
    """The first ```sh block under "## A five-minute tour", and the README line it starts after."""
    lines = text.splitlines()
    start = lines.index("## A five-minute tour")
    opening = next(i for i in range(start, len(lines)) if lines[i].strip() == "```sh")
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i].strip() == "```")
    return opening + 1, lines[opening + 1 : closing]


def tour_steps(text: str) -> list[Step]:
    offset, block = tour_block(text)
    steps: list[Step] = []
    for index, line in enumerate(block):
        if not line.strip():
            continue
        if line.startswith("#"):
            assert steps, f"README.md line {offset + index + 1}: output comment before any command"
            if line.startswith("#   "):
                steps[-1].expected.append(line[4:])
            continue
        steps.append(Step(offset + index + 1, line))
    return steps


def squeezed(text: str) -> str:
    """Text with every run of white space as one space (the tables and long lines wrap)."""
    return " ".join(text.split())


def expected_in(expected: str, output: str) -> bool:
    wanted = squeezed(expected)
    if wanted.endswith("…"):
        wanted = wanted[:-1].rstrip()
    return wanted in squeezed(output)


def arguments(command: str, variables: dict[str, str], where: str) -> list[str]:
    words = shlex.split(command, comments=True)
    assert words[0] == "dhr", f"{where}: not a dhr command: {command}"

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in variables, f"{where}: ${name} is used before it is set"
        return variables[name]

    return [re.sub(r"\$([A-Z_][A-Z0-9_]*)", substitute, word) for word in words[1:]]


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DHR_DATABASE_URL", f"sqlite:///{tmp_path / 'tour.db'}")
    monkeypatch.setenv("DHR_STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.delenv("DHR_CLI_USER", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_tour_parser__reads_commands_output_and_refusals() -> None:
    """The reader of the tour itself, on a tour of two commands."""
    text = "\n".join(
        [
            "## A five-minute tour",
            "",
            "```sh",
            "REF=$(dhr case new --notified-on 2026-11-02) # prints e.g. DHR-2026-008",
            "dhr case fire $REF appoint_chair     # refused: blocked",
            "#   Error: trigger: …",
            "# a remark, not output",
            "```",
            "dhr not-in-the-block",
        ]
    )
    steps = tour_steps(text)
    assert [(s.number, s.refused, s.expected) for s in steps] == [
        (4, False, []),
        (5, True, ["Error: trigger: …"]),
    ]
    assert arguments(steps[1].line, {"REF": "DHR-2026-009"}, "here") == [
        "case",
        "fire",
        "DHR-2026-009",
        "appoint_chair",
    ]
    assert expected_in("Error: trigger: …", "Error: trigger: 'appoint_chair' is\nblocked")
    assert not expected_in("Stage: Paused", "Stage: Panel established")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_readme_tour__is_valid_shell() -> None:
    _offset, block = tour_block(README.read_text(encoding="utf-8"))
    checked = subprocess.run(
        ["bash", "-n"], input="\n".join(block), capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_readme_tour__runs_from_the_cli_alone(fresh_database: Path) -> None:
    text = README.read_text(encoding="utf-8")
    steps = tour_steps(text)
    assert steps[0].line.startswith(ACTIVATE), "the tour starts by activating the virtual environment"
    example = EXAMPLE_REF.search("\n".join(s.line for s in steps))
    variables: dict[str, str] = {}
    last_output = ""
    for step in steps[1:]:
        where = f"README.md line {step.number}"
        assignment = ASSIGNMENT.match(step.line)
        if assignment:
            command, target = assignment.group("command"), assignment.group("name")
        else:
            assert step.line.startswith("dhr "), f"{where}: the tour test does not understand: {step.line}"
            command, target = step.line, None
        result = runner.invoke(app, arguments(command, variables, where))
        if step.refused:
            assert result.exit_code != 0, f"{where}: should be refused, but succeeded:\n{result.output}"
        else:
            assert result.exit_code == 0, f"{where}: failed ({result.exit_code}):\n{result.output}"
        if target:
            variables[target] = result.stdout.strip()
            assert variables[target] and "\n" not in variables[target], f"{where}: {result.stdout!r}"
        last_output = result.output
        if step.line.startswith(OUTPUT_NOT_CHECKED):
            continue
        for expected in step.expected:
            if example and "REF" in variables:
                expected = expected.replace(example.group(1), variables["REF"])
            assert expected_in(expected, result.output), (
                f"{where}: expected {expected!r} in what it printed:\n{result.output}"
            )

    commands = [s.line for s in steps]
    for needed in ("dhr members add", "dhr family log", "dhr proceedings add", "dhr proceedings conclude"):
        assert any(needed in line for line in commands), f"the tour no longer shows {needed}"
    assert any(s.refused for s in steps), "the tour shows a refusal"
    assert commands[-1].startswith("dhr audit verify"), "the tour ends by checking the audit trail"
    assert "Audit trail intact." in last_output
