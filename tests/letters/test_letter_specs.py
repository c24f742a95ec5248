"""A letter is data: its template and its spec side by side (templates/letters/national/<code>.yaml).

Every code has exactly one spec and one template; a broken spec is refused naming its file and
field; a new letter written as a template plus a spec (no Python) is loaded, drafted from a real
case and rendered; C9 goes to the agencies asked for a short report as well as for an IMR.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.context import AppContext
from dhr_engine.demo.builder import DemoBuilder, Reference
from dhr_engine.domain import roles
from dhr_engine.domain.letter_codes import LetterCode, has_spec, has_template
from dhr_engine.errors import InvalidLetterContext, LetterSpecError, LetterSpecErrors
from dhr_engine.letters import service as svc
from dhr_engine.letters.catalogue import CATALOGUE, catalogue_for, spec_for
from dhr_engine.letters.recipients import RULES, default_recipients
from dhr_engine.letters.sources import SOURCES
from dhr_engine.letters.spec_loader import APPROVE_CAPABILITIES, check_specs, load_specs
from dhr_engine.persistence.tables import Csp, Deadline, OutboxItem, ReturnRequest
from dhr_engine.persistence.tables_letters import Letter
from dhr_engine.returns import service as returns
from tests.conftest import TODAY
from tests.letters.helpers import docx_text, open_case_with_people, pdf_text

TEMPLATES = PROJECT_ROOT / "templates"
NATIONAL = TEMPLATES / "letters" / "national"


# --- one spec and one template per code -----------------------------------------------------------


def test_every_code_has_exactly_one_spec_and_one_template() -> None:
    specs = sorted(p.stem for p in NATIONAL.glob("*.yaml"))
    templates = sorted(p.stem for p in NATIONAL.glob("*.html"))
    codes = sorted(code.value for code in LetterCode)
    assert specs == codes and templates == codes
    assert check_specs(TEMPLATES) == []
    assert list(CATALOGUE) == codes  # in code order, C01 to C23
    numbers = [spec.number for spec in CATALOGUE.values()]
    assert len(set(numbers)) == len(numbers) == 23
    for code in LetterCode:
        assert has_spec(code.value) and has_template(code.value)
        spec = CATALOGUE[code]
        assert spec.code == code.value and spec.template == f"{code.value}.html"
        # Approvers come from the role table, by capability, never listed by hand.
        assert spec.approve_capability in APPROVE_CAPABILITIES
        assert spec.approvers == roles.roles_that(spec.approve_capability) != frozenset()
        # Every field the model has beyond the common ones is declared, with a known source.
        declared = [f.name for f in spec.fields]
        common = [n for n in spec.merge_fields if n not in declared]
        assert spec.merge_fields == common + declared
        assert all(f.source in SOURCES for f in spec.fields)
        assert spec.recipients.rule in RULES and RULES[spec.recipients.rule].kind == spec.recipient_kind


def test_spec_for_accepts_number_or_code__and_names_an_unknown_one() -> None:
    assert (
        spec_for("C09")
        is spec_for("c09")
        is spec_for("c09_imr_request")
        is CATALOGUE[LetterCode.C09_IMR_REQUEST]
    )
    with pytest.raises(InvalidLetterContext) as caught:
        spec_for("c99")
    assert caught.value.items[0].field == "code" and "unknown letter code 'c99'" in caught.value.msg


def test_workflows_accept_a_letter_by_its_spec() -> None:
    from dhr_engine.workflow import loader

    assert loader.check_directory(PROJECT_ROOT / "workflows") == []
    assert not has_spec("c99_unknown") and not has_spec("../national/c09_imr_request")


# --- a broken spec is refused, naming file and field ----------------------------------------------


def _copy_templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    return root


def _edit(root: Path, code: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "letters" / "national" / f"{code}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _delete(*keys: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


BROKEN: list[tuple[str, str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown source", "c09_imr_request", _set("fields", "due_date", "source", value="imr_due_soon"),
     "fields.due_date.source", "unknown source 'imr_due_soon'"),
    ("unknown field type", "c09_imr_request", _set("fields", "due_date", "type", value="datetime"),
     "fields.due_date.type", "unknown field type 'datetime'"),
    ("unknown recipient rule", "c09_imr_request", _set("recipient", "rule", value="agencies_we_like"),
     "recipient.rule", "unknown recipient rule 'agencies_we_like'"),
    ("rule for another kind", "c04_ho_decision_proceed", _set("recipient", "rule", value="family"),
     "recipient.rule", "rule 'family' is for letters to 'family'"),
    ("rule without its return kinds", "c10_chronology_request", _delete("recipient", "returns"),
     "recipient.returns", "needs the kinds of return"),
    ("unknown kind of return", "c09_imr_request", _set("fields", "due_date", "returns", value=["imr", "essay"]),
     "fields.due_date.returns", "unknown kind of return ['essay']"),
    ("unknown source parameter", "c04_ho_decision_proceed",
     _set("fields", "expected_completion", "from_day", value="monday"),
     "fields.expected_completion.from_day", "Extra inputs are not permitted"),
    ("missing source parameter", "c04_ho_decision_proceed", _delete("fields", "decision_date", "stage"),
     "fields.decision_date.stage", "Field required"),
    ("unknown standard text", "c02_scoping_request", _set("fields", "sharing_basis", "text", value="GDPR_BLURB"),
     "fields.sharing_basis", "unknown standard text 'GDPR_BLURB'"),
    ("real names in a pseudonymised letter", "c04_ho_decision_proceed",
     _set("fields", "victim_pseudonym", "source", value="victim_name"),
     "fields.victim_pseudonym.source", "reads real identities"),
    ("agency source in a letter to the Home Office", "c14_delay_notice",
     _set("fields", "reason", "source", value="agency_name"),
     "fields.reason.source", "needs a letter to 'agency'"),
    ("approvers not a capability", "c09_imr_request", _set("approvers", value="independent_chair"),
     "approvers", "unknown approval capability 'independent_chair'"),
    ("a common field declared again", "c14_delay_notice", _set("fields", "case_ref", value={"type": "line", "source": "typed"}),
     "fields.case_ref", "is a field of every letter"),
    ("a field the template needs is not declared", "c14_delay_notice", _delete("fields", "reason"),
     "(template)", "c14_delay_notice.html uses 'reason'"),
    ("unknown key", "c14_delay_notice", _set("recipient", "cc", value="the family"),
     "recipient.cc", "Extra inputs are not permitted"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "change", "where", "problem"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_a_broken_spec_is_refused_naming_file_and_field(
    tmp_path: Path, code: str, change: Callable[[dict[str, Any]], None], where: str, problem: str
) -> None:
    root = _copy_templates(tmp_path)
    _edit(root, code, change)
    errors = check_specs(root)
    assert [(e.file, e.path) for e in errors] == [(f"{code}.yaml", where)], [e.msg for e in errors]
    assert problem in errors[0].problem
    with pytest.raises(LetterSpecErrors) as caught:  # what start-up does with the directory
        catalogue_for(root)
    assert [e.msg for e in caught.value.errors] == [e.msg for e in errors]
    assert f"{code}.yaml: {where}: " in str(caught.value)


def test_a_spec_without_its_template__and_a_template_without_its_spec__are_refused(tmp_path: Path) -> None:
    root = _copy_templates(tmp_path)
    national = root / "letters" / "national"
    (national / "c14_delay_notice.html").unlink()
    (national / "c19_report_copy_sos_dac.yaml").unlink()
    (national / "c09_imr_review.yaml").write_text((national / "c09_imr_request.yaml").read_text())
    (national / "c09_imr_review.html").write_text((national / "c09_imr_request.html").read_text())
    found = {(e.file, e.path): e.problem for e in check_specs(root)}
    assert found == {
        ("c14_delay_notice.yaml", "(template)"): "no template 'c14_delay_notice.html' beside this spec",
        ("c19_report_copy_sos_dac.yaml", "(file)"): "c19_report_copy_sos_dac.html has no spec",
        ("c09_imr_review.yaml", "(file name)"): "C09 already has a spec: c09_imr_request.yaml",
    }


def test_every_problem_of_a_file_is_named_at_once(tmp_path: Path) -> None:
    root = _copy_templates(tmp_path)
    _edit(root, "c09_imr_request", _set("fields", "due_date", "source", value="nowhere"))
    _edit(root, "c09_imr_request", _set("fields", "questions", "type", value="list[question]"))
    _edit(root, "c09_imr_request", _set("approvers", value="letters:approve_everything"))
    with pytest.raises(LetterSpecErrors) as caught:
        load_specs(root)
    assert {e.path for e in caught.value.errors} == {
        "fields.due_date.source",
        "fields.questions.type",
        "approvers",
    }
    assert all(
        isinstance(e, LetterSpecError) and e.file == "c09_imr_request.yaml" for e in caught.value.errors
    )


# --- a new letter is a template plus its spec -----------------------------------------------------

NEW_SPEC = """\
title: "Notice of the inquest into a death under review"
recipient: {kind: home_office, label: "Home Office DHR team", rule: home_office}
sender: csp_officer
identity: pseudonyms
approvers: letters:approve_csp
fields:
  victim_pseudonym: {type: line, source: victim_pseudonym}
  date_of_death_text: {type: line, source: date_of_death_text}
  inquest_opens: {type: date, source: typed}
  coroner: {type: line, source: typed}
  effect: {type: text, source: standard, value: "The panel will take account of the inquest's findings."}
"""
NEW_TEMPLATE = """\
{% extends "letter.html" %}
{% block subject %}Inquest into the death under review {{ case_ref }}{% endblock %}
{% block body %}
<p>The inquest into the death of {{ victim_pseudonym }} ({{ date_of_death_text }}) opens on
<strong>{{ inquest_opens|longdate }}</strong> before {{ coroner }}.</p>
<p>{{ effect }}</p>
{% endblock %}
"""


def test_a_new_letter_is_a_template_plus_a_spec__loaded_drafted_from_a_case_and_rendered(
    lite: AppContext, lite_ref: Reference, tmp_path: Path
) -> None:
    root = _copy_templates(tmp_path)
    national = root / "letters" / "national"
    (national / "c24_inquest_notice.yaml").write_text(NEW_SPEC)
    (national / "c24_inquest_notice.html").write_text(NEW_TEMPLATE)
    spec = spec_for("C24", root)
    assert spec.code == "c24_inquest_notice" and spec.title.startswith("Notice of the inquest")
    assert spec.approvers == roles.roles_that(roles.LETTERS_APPROVE_CSP)
    assert "c24_inquest_notice" not in CATALOGUE  # the shipped catalogue is not touched

    ctx = dataclasses.replace(lite, settings=lite.settings.model_copy(update={"templates_dir": root}))
    case = open_case_with_people(ctx, lite_ref)
    officer = lite_ref.actor("officer")
    # What the case cannot know is named; what it knows is filled from the record.
    with pytest.raises(InvalidLetterContext) as caught:
        svc.draft_letter(ctx, actor=officer, request=svc.DraftRequest(code="c24"), case_id=case.id)
    assert {i.field for i in caught.value.items} == {"inquest_opens", "coroner"}
    typed = {"inquest_opens": "2027-02-01", "coroner": "HM Senior Coroner for Northmoor"}
    letter = svc.draft_letter(
        ctx, actor=officer, request=svc.DraftRequest(code="c24", fields=typed), case_id=case.id
    )
    assert letter.code == "c24_inquest_notice" and letter.recipient_label == "Home Office DHR team"
    assert letter.context["victim_pseudonym"] == "Dawn"
    assert letter.context["date_of_death_text"] == "15 November 2026"
    assert letter.context["effect"] == "The panel will take account of the inquest's findings."
    assert letter.context["case_ref"] == case.ref and letter.context["recipient_name"]
    html = svc.letter_html(ctx, letter)
    assert "1 February 2027" in html and "HM Senior Coroner for Northmoor" in html
    for text in (
        pdf_text(svc.letter_file(ctx, letter, "pdf"), tmp_path),
        docx_text(svc.letter_file(ctx, letter, "docx")),
    ):
        assert "opens on 1 February 2027 before HM Senior Coroner for Northmoor" in text
        assert "Dawn (15 November 2026)" in text and "Jane Example" not in text


# --- C9 goes to the agencies asked for a short report too -----------------------------------------


def test_c09_queued_for_a_short_report_goes_to_that_agency(lite: AppContext, lite_ref: Reference) -> None:
    ctx, ref = lite, lite_ref
    b = DemoBuilder(ctx, ref, TODAY)
    case = b.open("Dawn", 60)
    b.to_information_gathering(case, 60)
    for agency, kind in (("northmoor_police", "imr"), ("housing", "short_report")):
        returns.request_returns(
            ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id,
            agency_ids=[ref.agencies[agency].id], kind=kind,
        )  # fmt: skip
    spec = spec_for("c09")
    with ctx.reader() as uow:
        csp = uow.session.get(Csp, case.csp_id)
        assert csp is not None
        named = [r.label for r in default_recipients(uow.session, case, csp, spec)]
        items = uow.session.exec(
            select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.topic == spec.code)
        ).all()
    housing, police = ref.agencies["housing"].name, ref.agencies["northmoor_police"].name
    assert set(named) == {housing, police}
    short = next(i for i in items if i.payload["agency_ids"] == [str(ref.agencies["housing"].id)])
    drafted = svc.draft_for_outbox_item(ctx, short.id)
    assert housing in {letter.recipient_label for letter in drafted}
    with ctx.reader() as uow:
        letters = uow.session.exec(
            select(Letter).where(Letter.case_id == case.id, Letter.code == spec.code)
        ).all()
    to_housing = next(letter for letter in letters if letter.recipient_label == housing)
    assert to_housing.context["agency_name"] == housing
    with ctx.reader() as uow:
        request_ids = uow.session.exec(
            select(ReturnRequest.id).where(
                ReturnRequest.case_id == case.id, ReturnRequest.kind == "short_report"
            )
        ).all()
        row = uow.session.exec(
            select(Deadline).where(
                Deadline.key == "short_report_return", col(Deadline.subject_id).in_(request_ids)
            )
        ).one()
    assert to_housing.context["due_date"] == row.adjusted_due.isoformat()
