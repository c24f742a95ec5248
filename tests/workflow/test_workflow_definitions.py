"""Every workflow file loads and cross-checks; every kind of broken file fails with file, path, problem."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.console import app
from dhr_engine.workflow.loader import check_directory, load_definition, workflow_files

WORKFLOWS = PROJECT_ROOT / "workflows"
runner = CliRunner()


@pytest.mark.parametrize("path", workflow_files(WORKFLOWS), ids=lambda p: p.name)
def test_every_workflow_file__loads_and_cross_checks(path: Path) -> None:
    definition = load_definition(path)
    assert definition.initial in definition.state_map


def test_dhr_editions__2024_draft_has_twelve_month_completion() -> None:
    d2016 = load_definition(WORKFLOWS / "dhr_2016.yaml")
    draft = load_definition(WORKFLOWS / "dardr_2024.yaml")
    assert d2016.deadlines["review_completion"].add.months == 6
    assert draft.deadlines["review_completion"].add.months == 12
    assert draft.deadlines["csp_decision"] == d2016.deadlines["csp_decision"]
    assert {t.trigger for t in draft.transitions} == {t.trigger for t in d2016.transitions}


def test_pause__reachable_from_every_active_stage_and_resumes_to_it() -> None:
    d = load_definition(WORKFLOWS / "dhr_2016.yaml")
    active = [s.name for s in d.states if not s.terminal and s.name != "paused"]
    for stage in active:
        assert d.transitions_for("pause_for_proceedings", stage), stage
        resume = [t for t in d.transitions_for("resume_review", "paused") if t.resume_to == stage]
        assert len(resume) == 1 and resume[0].dest == stage


def _base() -> dict:
    return {
        "key": "demo",
        "version": "1",
        "title": "Broken on purpose",
        "initial": "a",
        "states": [
            {"name": "a", "label": "A"},
            {"name": "b", "label": "B"},
            {"name": "z", "label": "Z", "tags": ["terminal"]},
        ],
        "transitions": [
            {"trigger": "go", "label": "Go", "source": "a", "dest": "b", "roles": ["csp_officer"]},
            {"trigger": "end", "label": "End", "source": "b", "dest": "z", "roles": ["csp_officer"]},
        ],
        "deadlines": {"d1": {"label": "D", "add": {"months": 1}, "owner": "csp_chair"}},
    }


def _break_unknown_state(d: dict) -> None:
    d["transitions"][0]["dest"] = "nowhere"


def _break_unknown_guard(d: dict) -> None:
    d["transitions"][0]["conditions"] = ["scoping_done"]


def _break_unknown_role(d: dict) -> None:
    d["transitions"][1]["roles"] = ["janitor"]


def _break_unknown_deadline(d: dict) -> None:
    d["transitions"][0]["deadlines"] = {"open": ["d9"]}


def _break_unknown_letter(d: dict) -> None:
    d["transitions"][0]["letters"] = ["c99_unknown"]


def _break_unreachable(d: dict) -> None:
    d["states"].append({"name": "island", "label": "Island", "tags": ["terminal"]})


def _break_terminal_exit(d: dict) -> None:
    d["transitions"].append(
        {"trigger": "reopen", "label": "Reopen", "source": "z", "dest": "a", "roles": ["csp_officer"]}
    )


def _break_no_roles(d: dict) -> None:
    d["transitions"][0]["roles"] = []


def _break_schema(d: dict) -> None:
    del d["deadlines"]["d1"]["add"]


def _break_duration(d: dict) -> None:
    d["deadlines"]["d1"]["add"] = {"months": 1, "days": 3}


def _break_dead_end(d: dict) -> None:
    d["transitions"].pop(1)
    d["states"].pop(2)


BROKEN = [
    (_break_unknown_state, "transitions[0].dest", "unknown state 'nowhere'"),
    (_break_unknown_guard, "transitions[0].conditions[0]", "unknown guard 'scoping_done'"),
    (_break_unknown_role, "transitions[1].roles[0]", "janitor"),
    (_break_unknown_deadline, "transitions[0].deadlines.open[0]", "unknown deadline 'd9'"),
    (_break_unknown_letter, "transitions[0].letters[0]", "unknown letter 'c99_unknown'"),
    (_break_unreachable, "states[3]", "cannot be reached"),
    (_break_terminal_exit, "transitions[2].source[0]", "terminal state 'z' must have no way out"),
    (_break_no_roles, "transitions[0].roles", "deny by default"),
    (_break_schema, "deadlines.d1.add", "Field required"),
    (_break_duration, "deadlines.d1.add", "exactly one"),
    (_break_dead_end, "states[1]", "no way out"),
]


@pytest.mark.parametrize(("breaker", "path", "problem"), BROKEN, ids=[b[0].__name__[7:] for b in BROKEN])
def test_workflows_check__broken_file_names_file_path_and_problem(
    tmp_path: Path, breaker: object, path: str, problem: str
) -> None:
    data = _base()
    breaker(data)  # type: ignore[operator]
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["workflows", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"broken.yaml: {path}: " in result.output
    assert problem in result.output


def test_workflows_check__not_yaml(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("key: [unclosed\n", encoding="utf-8")
    errors = check_directory(tmp_path)
    assert len(errors) == 1 and errors[0].file == "bad.yaml" and "not valid YAML" in errors[0].problem


def test_workflows_check__sound_files_pass() -> None:
    result = runner.invoke(app, ["workflows", "check"])
    assert result.exit_code == 0, result.output
    assert "sound" in result.output


def test_workflows_diagram__writes_mermaid_for_each(tmp_path: Path) -> None:
    result = runner.invoke(app, ["workflows", "diagram", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "dhr_2016.md").read_text()
    assert "stateDiagram-v2" in text and "decision_pending --> decided_proceed : decide_to_review" in text
