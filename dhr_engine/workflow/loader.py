"""Read → validate → cross-check → WorkflowRegistry keyed by (key, version).

Two stages, as SpiffWorkflow does it: the schema (pydantic) checks shapes and types, then the
cross-checks find unknown states, guards, roles, deadlines and letters, unreachable states and
ways out of terminal states. Every error names file, YAML path and problem.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dhr_engine.domain.letter_codes import has_spec, has_template
from dhr_engine.errors import NotFound, WorkflowDefinitionError, WorkflowDefinitionErrors
from dhr_engine.workflow.definition import TransitionDef, WorkflowDefinition
from dhr_engine.workflow.guards import GUARDS


def _yaml_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top)"


def _problem(error: Any) -> str:
    """Pydantic's message, naming the offending value for unknown choices."""
    if error.get("type") == "enum":
        return f"unknown value '{error.get('input')}': {error['msg']}"
    return str(error["msg"])


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(top)"
        raise WorkflowDefinitionErrors(
            [WorkflowDefinitionError(path.name, where, f"not valid YAML: {err}")]
        ) from err
    if not isinstance(data, dict):
        raise WorkflowDefinitionErrors([WorkflowDefinitionError(path.name, "(top)", "must be a mapping")])
    return data


def _merge_parent(path: Path, data: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A file may `extends:` another and override its title, deadlines, states or transitions."""
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data
    parent_path = path.parent / str(parent_name)
    if depth > 3 or not parent_path.is_file():
        raise WorkflowDefinitionErrors(
            [
                WorkflowDefinitionError(
                    path.name, "extends", f"no workflow file '{parent_name}' beside this one"
                )
            ]
        )
    merged = _merge_parent(parent_path, _read_yaml(parent_path), depth + 1)
    for key, value in data.items():
        if key == "deadlines" and isinstance(value, dict):
            deadlines = dict(merged.get("deadlines", {}))
            for name, rule in value.items():
                base = deadlines.get(name, {})
                deadlines[name] = (
                    {**base, **rule} if isinstance(base, dict) and isinstance(rule, dict) else rule
                )
            merged["deadlines"] = deadlines
        else:
            merged[key] = value
    return merged


def _expand_pause(definition: WorkflowDefinition) -> WorkflowDefinition:
    """Add one pause transition from, and one resume transition back to, every active stage."""
    pause = definition.pause
    if pause is None:
        return definition
    extra: list[TransitionDef] = []
    for state in definition.states:
        if state.terminal or state.name == pause.state or state.name in pause.exclude:
            continue
        extra.append(
            TransitionDef(
                trigger=pause.pause_trigger,
                label=pause.pause_label,
                source=[state.name],
                dest=pause.state,
                roles=pause.roles,
                conditions=pause.pause_conditions,
                requires_reason=True,
            )
        )
        extra.append(
            TransitionDef(
                trigger=pause.resume_trigger,
                label=pause.resume_label,
                source=[pause.state],
                dest=state.name,
                roles=pause.roles,
                conditions=pause.resume_conditions,
                resume_to=state.name,
            )
        )
    return definition.model_copy(update={"transitions": [*definition.transitions, *extra]})


@dataclass
class _Checker:
    definition: WorkflowDefinition
    file: str
    errors: list[WorkflowDefinitionError] = field(default_factory=list)

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(WorkflowDefinitionError(self.file, path, problem))

    def run(self) -> list[WorkflowDefinitionError]:
        self._states()
        self._transitions()
        self._deadlines()
        self._pause()
        if not self.errors:
            self._reachability()
        return self.errors

    def _states(self) -> None:
        names = [s.name for s in self.definition.states]
        for i, name in enumerate(names):
            if name in names[:i]:
                self.fail(f"states[{i}].name", f"state '{name}' is declared twice")
        if self.definition.initial not in names:
            self.fail("initial", f"unknown state '{self.definition.initial}'")

    def _transitions(self) -> None:
        d = self.definition
        states = d.state_map
        for i, t in enumerate(d.transitions):
            if t.resume_to is not None:
                continue  # expanded from `pause:`, checked there
            where = f"transitions[{i}]"
            for j, src in enumerate(t.source):
                if src not in states:
                    self.fail(f"{where}.source[{j}]", f"unknown state '{src}'")
                elif states[src].terminal:
                    self.fail(f"{where}.source[{j}]", f"terminal state '{src}' must have no way out")
            if t.dest not in states:
                self.fail(f"{where}.dest", f"unknown state '{t.dest}'")
            if not t.roles:
                self.fail(
                    f"{where}.roles", "no role may fire this transition (deny by default): name at least one"
                )
            for j, name in enumerate(t.conditions):
                if name not in GUARDS:
                    self.fail(f"{where}.conditions[{j}]", f"unknown guard '{name}'")
            for j, code in enumerate(t.letters):
                if not has_spec(code):
                    self.fail(f"{where}.letters[{j}]", f"unknown letter '{code}'")
                elif not has_template(code):
                    self.fail(f"{where}.letters[{j}]", f"letter '{code}' has no template file")
            for op in ("open", "close", "cancel"):
                for j, key in enumerate(getattr(t.deadlines, op)):
                    if key not in d.deadlines:
                        self.fail(f"{where}.deadlines.{op}[{j}]", f"unknown deadline '{key}'")
            for k, other in enumerate(d.transitions[:i]):
                if (
                    other.trigger == t.trigger
                    and set(other.source) & set(t.source)
                    and other.resume_to is None
                ):
                    shared = sorted(set(other.source) & set(t.source))[0]
                    self.fail(
                        f"{where}.trigger",
                        f"'{t.trigger}' from '{shared}' is already declared at transitions[{k}]",
                    )

    def _deadlines(self) -> None:
        for j, key in enumerate(self.definition.initial_deadlines):
            if key not in self.definition.deadlines:
                self.fail(f"initial_deadlines[{j}]", f"unknown deadline '{key}'")
        for j, code in enumerate(self.definition.initial_letters):
            if not has_spec(code):
                self.fail(f"initial_letters[{j}]", f"unknown letter '{code}'")
        tags = {tag for s in self.definition.states for tag in s.tags}
        for key, rule in self.definition.deadlines.items():
            for j, tag in enumerate(rule.pauses_in):
                if tag not in tags:
                    self.fail(f"deadlines.{key}.pauses_in[{j}]", f"no state carries the tag '{tag}'")

    def _pause(self) -> None:
        pause = self.definition.pause
        if pause is None:
            return
        states = self.definition.state_map
        if pause.state not in states:
            self.fail("pause.state", f"unknown state '{pause.state}'")
        for j, name in enumerate(pause.exclude):
            if name not in states:
                self.fail(f"pause.exclude[{j}]", f"unknown state '{name}'")
        for part in ("pause_conditions", "resume_conditions"):
            for j, name in enumerate(getattr(pause, part)):
                if name not in GUARDS:
                    self.fail(f"pause.{part}[{j}]", f"unknown guard '{name}'")

    def _reachability(self) -> None:
        d = self.definition
        seen = {d.initial}
        queue = deque([d.initial])
        while queue:
            stage = queue.popleft()
            for t in d.transitions_from(stage):
                if t.dest not in seen:
                    seen.add(t.dest)
                    queue.append(t.dest)
        for i, s in enumerate(d.states):
            if s.name not in seen:
                self.fail(f"states[{i}]", f"state '{s.name}' cannot be reached from '{d.initial}'")
            elif not s.terminal and not d.transitions_from(s.name):
                self.fail(f"states[{i}]", f"state '{s.name}' has no way out and is not tagged terminal")


def load_definition(path: Path) -> WorkflowDefinition:
    """Load, validate and cross-check one workflow file."""
    data = _merge_parent(path, _read_yaml(path))
    data["file"] = path.name
    try:
        definition = WorkflowDefinition.model_validate(data)
    except ValidationError as err:
        raise WorkflowDefinitionErrors(
            [WorkflowDefinitionError(path.name, _yaml_path(e["loc"]), _problem(e)) for e in err.errors()]
        ) from err
    definition = _expand_pause(definition)
    errors = _Checker(definition, path.name).run()
    if errors:
        raise WorkflowDefinitionErrors(errors)
    return definition


class WorkflowRegistry:
    """Every loaded workflow version, keyed by (key, version)."""

    def __init__(self, definitions: Iterable[WorkflowDefinition]) -> None:
        self._by_ident: dict[tuple[str, str], WorkflowDefinition] = {}
        for d in definitions:
            self._by_ident[d.ident] = d

    def get(self, key: str, version: str) -> WorkflowDefinition:
        try:
            return self._by_ident[(key, version)]
        except KeyError:
            raise NotFound(f"no workflow '{key}' version '{version}'", field="workflow_version") from None

    def versions(self, key: str) -> list[str]:
        return sorted(v for k, v in self._by_ident if k == key)

    def __iter__(self) -> Iterator[WorkflowDefinition]:
        return iter(self._by_ident.values())


def workflow_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def check_directory(directory: Path) -> list[WorkflowDefinitionError]:
    """Every error in every workflow file of the directory (empty when all are sound)."""
    errors: list[WorkflowDefinitionError] = []
    for path in workflow_files(directory):
        try:
            load_definition(path)
        except WorkflowDefinitionErrors as err:
            errors.extend(err.errors)
    return errors


_REGISTRIES: dict[Path, WorkflowRegistry] = {}


def load_registry(directory: Path) -> WorkflowRegistry:
    """Load every workflow of the directory (cached per directory); raise on the first broken file."""
    directory = directory.resolve()
    registry = _REGISTRIES.get(directory)
    if registry is None:
        registry = WorkflowRegistry(load_definition(p) for p in workflow_files(directory))
        _REGISTRIES[directory] = registry
    return registry
