"""Read → validate → cross-check the letter specs: one `<code>.yaml` beside each national template.

A spec (templates/letters/national/<code>.yaml) declares what the letter is, who gets it and where
each of its merge fields comes from; the letter's pydantic model is built from its fields. As the
workflow loader does it, the schema (pydantic) checks shapes first, then the cross-checks find
unknown sources, field types, recipient rules, capabilities and templates. Every error names the
file, the field (a YAML path) and the problem, and all of them are reported at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, TemplateSyntaxError, meta, nodes
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dhr_engine.domain import roles
from dhr_engine.domain.return_kinds import KINDS
from dhr_engine.errors import LetterSpecError, LetterSpecErrors
from dhr_engine.letters.contexts import FIELD_TYPES, FieldType, LetterContext, context_model
from dhr_engine.letters.filters import FILTERS
from dhr_engine.letters.recipients import RULES
from dhr_engine.letters.sources import SOURCES, StandardParams
from dhr_engine.letters.spec import FieldSpec, Identity, LetterSpec, RecipientKind, RecipientRule, Sender

NATIONAL = Path("letters") / "national"
CODE = re.compile(r"^c\d{2}_[a-z0-9]+(?:_[a-z0-9]+)*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Who may approve a letter: one of the role table's letter-approval capabilities.
APPROVE_CAPABILITIES = frozenset(
    {roles.LETTERS_APPROVE_CSP, roles.LETTERS_APPROVE_CHAIR, roles.LETTERS_APPROVE_BRIEFING}
)
FIELD_KEYS = frozenset({"type", "source", "options", "min", "max"})  # the rest are the source's
TEMPLATE_GLOBALS = frozenset({"letter"})  # set by rendering.render_html


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RecipientFile(_Strict):
    kind: RecipientKind
    label: str = Field(min_length=1)
    rule: str = Field(min_length=1)
    returns: list[str] = Field(default_factory=list)


class _FieldFile(_Strict):
    type: str = Field(min_length=1)
    source: str = Field(min_length=1)
    options: list[str] | None = None
    min: int | None = None
    max: int | None = None


class _SpecFile(_Strict):
    title: str = Field(min_length=1)
    recipient: _RecipientFile
    sender: Sender
    identity: Identity
    approvers: str = Field(min_length=1)
    fields: dict[str, dict[str, Any]] = Field(min_length=1)


def _yaml_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top)"


@dataclass
class _Checker:
    path: Path
    errors: list[LetterSpecError] = field(default_factory=list)

    def fail(self, where: str, problem: str) -> None:
        self.errors.append(LetterSpecError(self.path.name, where, problem))

    def pydantic(self, prefix: str, err: ValidationError) -> None:
        for e in err.errors():
            where = _yaml_path(e["loc"])
            self.fail(f"{prefix}.{where}" if prefix and where != "(top)" else prefix or where, e["msg"])

    def read(self) -> dict[str, Any] | None:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            self.fail(f"line {mark.line + 1}" if mark else "(top)", f"not valid YAML: {err}")
            return None
        if not isinstance(data, dict):
            self.fail("(top)", "must be a mapping")
            return None
        return data

    def load(self) -> LetterSpec | None:
        code = self.path.stem
        if not CODE.match(code):
            self.fail("(file name)", "a letter's code is 'c<two digits>_<name>', e.g. c22_inquest_notice")
        template = self.path.with_suffix(".html")
        if not template.is_file():
            self.fail("(template)", f"no template '{template.name}' beside this spec")
        data = self.read()
        if data is None:
            return None
        try:
            parsed = _SpecFile.model_validate(data)
        except ValidationError as err:
            self.pydantic("", err)
            return None
        recipients = self._recipient(parsed.recipient)
        approvers = frozenset[roles.Role]()
        if parsed.approvers not in APPROVE_CAPABILITIES:
            known = ", ".join(sorted(APPROVE_CAPABILITIES))
            self.fail("approvers", f"unknown approval capability '{parsed.approvers}'; use one of {known}")
        else:
            approvers = roles.roles_that(parsed.approvers)
        fields = [
            f
            for name, raw in parsed.fields.items()
            if (f := self._field(name, raw, parsed.identity, parsed.recipient.kind)) is not None
        ]
        if self.errors or recipients is None:
            return None
        model = context_model(code, [(f.name, f.type, f.default) for f in fields])
        if template.is_file():
            self._template_names(template, set(model.model_fields))
        if self.errors:
            return None
        return LetterSpec(
            code=code,
            title=parsed.title,
            recipients=recipients,
            context_model=model,
            sender=parsed.sender,
            identity=parsed.identity,
            approvers=approvers,
            approve_capability=parsed.approvers,
            fields=tuple(fields),
        )

    def _recipient(self, raw: _RecipientFile) -> RecipientRule | None:
        rule = RULES.get(raw.rule)
        if rule is None:
            self.fail("recipient.rule", f"unknown recipient rule '{raw.rule}'; known: {', '.join(RULES)}")
            return None
        if rule.kind != raw.kind:
            self.fail(
                "recipient.rule", f"rule '{raw.rule}' is for letters to '{rule.kind}', not '{raw.kind}'"
            )
        if rule.needs_returns and not raw.returns:
            self.fail("recipient.returns", f"rule '{raw.rule}' needs the kinds of return: returns: [...]")
        if not rule.needs_returns and raw.returns:
            self.fail("recipient.returns", f"rule '{raw.rule}' takes no kinds of return")
        for j, kind in enumerate(raw.returns):
            if kind not in KINDS:
                self.fail(f"recipient.returns[{j}]", f"unknown kind of return '{kind}'")
        return RecipientRule(raw.kind, raw.label, raw.rule, tuple(raw.returns))

    def _field(self, name: str, raw: Any, identity: str, recipient_kind: str) -> FieldSpec | None:
        where = f"fields.{name}"
        if not FIELD_NAME.match(name):
            self.fail(where, "a field name is snake_case (it is a Jinja variable of the template)")
            return None
        if name in LetterContext.model_fields:
            self.fail(where, "is a field of every letter (LetterContext); do not declare it again")
            return None
        if not isinstance(raw, Mapping):
            self.fail(where, "must be a mapping: {type: ..., source: ...}")
            return None
        own = {k: v for k, v in raw.items() if k in FIELD_KEYS}
        params = {k: v for k, v in raw.items() if k not in FIELD_KEYS}
        try:
            decl = _FieldFile.model_validate(own)
        except ValidationError as err:
            self.pydantic(where, err)
            return None
        kind = self._type(where, decl)
        source = SOURCES.get(decl.source)
        if source is None:
            self.fail(f"{where}.source", f"unknown source '{decl.source}'; known: {', '.join(SOURCES)}")
            return None
        if source.restricted and identity != "subjects":
            self.fail(
                f"{where}.source",
                f"source '{decl.source}' reads real identities: only for letters with identity 'subjects'",
            )
        if source.recipient is not None and source.recipient != recipient_kind:
            self.fail(f"{where}.source", f"source '{decl.source}' needs a letter to '{source.recipient}'")
        try:
            parsed = source.params.model_validate(params)
        except ValidationError as err:
            self.pydantic(where, err)
            return None
        default = None
        if isinstance(parsed, StandardParams):
            default = parsed.default
            if kind is not None and kind.is_list != isinstance(default, list | tuple):
                self.fail(f"{where}.value", f"standard wording of a '{kind.name}' field must be a "
                          + ("list" if kind.is_list else "single text"))  # fmt: skip
        if kind is None:
            return None
        return FieldSpec(name, kind, decl.source, parsed, default)

    def _type(self, where: str, decl: _FieldFile) -> FieldType | None:
        if decl.type not in FIELD_TYPES:
            self.fail(
                f"{where}.type", f"unknown field type '{decl.type}'; known: {', '.join(sorted(FIELD_TYPES))}"
            )
            return None
        if (decl.options is not None) != (decl.type == "choice"):
            self.fail(f"{where}.options", "a 'choice' field, and only a choice, lists its options")
            return None
        if (decl.min is not None or decl.max is not None) and decl.type != "integer":
            self.fail(f"{where}.type", "only an 'integer' field has min and max")
            return None
        return FieldType(decl.type, tuple(decl.options or ()), decl.min, decl.max)

    def _template_names(self, template: Path, names: set[str]) -> None:
        """Every variable the national template reads is a merge field of the letter."""
        try:
            env = Environment()
            env.filters.update(FILTERS)
            parsed = env.parse(template.read_text(encoding="utf-8"))
        except TemplateSyntaxError as err:
            self.fail("(template)", f"{template.name} is not a valid template: line {err.lineno}")
            return
        imported = {n.target for n in parsed.find_all(nodes.Import)}
        for node in parsed.find_all(nodes.FromImport):
            imported |= {name if isinstance(name, str) else name[-1] for name in node.names}
        for name in sorted(meta.find_undeclared_variables(parsed) - names - imported - TEMPLATE_GLOBALS):
            self.fail(
                "(template)", f"{template.name} uses '{name}', which is not a merge field of the letter"
            )


def spec_files(templates_dir: Path) -> list[Path]:
    return sorted(p for p in (templates_dir / NATIONAL).glob("*.yaml") if p.is_file())


def load_spec(path: Path) -> LetterSpec:
    """Load and check one spec file (LetterSpecErrors naming every problem)."""
    checker = _Checker(path)
    spec = checker.load()
    if checker.errors or spec is None:
        raise LetterSpecErrors(checker.errors)
    return spec


def _load_all(templates_dir: Path) -> tuple[dict[str, LetterSpec], list[LetterSpecError]]:
    specs: dict[str, LetterSpec] = {}
    errors: list[LetterSpecError] = []
    numbers: dict[str, str] = {}
    for path in spec_files(templates_dir):
        try:
            spec = load_spec(path)
        except LetterSpecErrors as err:
            errors.extend(err.errors)
            continue
        if spec.number in numbers:
            problem = f"{spec.number} already has a spec: {numbers[spec.number]}"
            errors.append(LetterSpecError(path.name, "(file name)", problem))
        numbers.setdefault(spec.number, path.name)
        specs[spec.code] = spec
    for html in sorted((templates_dir / NATIONAL).glob("*.html")):
        if not html.with_suffix(".yaml").is_file():
            errors.append(
                LetterSpecError(html.with_suffix(".yaml").name, "(file)", f"{html.name} has no spec")
            )
    return specs, errors


def check_specs(templates_dir: Path) -> list[LetterSpecError]:
    """Every problem of every spec in the directory (empty when all are sound)."""
    return _load_all(templates_dir)[1]


def load_specs(templates_dir: Path) -> dict[str, LetterSpec]:
    """Every letter spec of the directory, by code; raise naming every problem if any is broken."""
    specs, errors = _load_all(templates_dir)
    if errors:
        raise LetterSpecErrors(errors)
    return specs
