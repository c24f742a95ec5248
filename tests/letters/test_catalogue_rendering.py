"""Every letter has a template, a context model and a sample, and renders to .docx and PDF with its
merge values in both; the output is deterministic; the CSP override wins for that CSP only."""

from __future__ import annotations

from pathlib import Path

import pytest

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.domain.letter_codes import LetterCode, has_template
from dhr_engine.errors import InvalidLetterContext
from dhr_engine.letters.catalogue import CATALOGUE, spec_for, validate_context
from dhr_engine.letters.contexts import LetterContext
from dhr_engine.letters.rendering import render_html, render_letter, resolve_template
from dhr_engine.letters.samples import load_sample
from tests.letters.helpers import docx_text, pdf_pages, pdf_text, printed_values

TEMPLATES = PROJECT_ROOT / "templates"
CODES = list(LetterCode)


def test_catalogue_covers_every_code__with_template_model_and_sample():
    assert set(CATALOGUE) == set(LetterCode)
    for code in LetterCode:
        spec = CATALOGUE[code]
        assert has_template(code.value), code
        assert issubclass(spec.context_model, LetterContext)
        common = {
            "case_ref",
            "csp_name",
            "csp_address",
            "sender_name",
            "sender_role",
            "date",
            "security_marking",
        }
        assert common <= set(spec.merge_fields)
        assert load_sample(TEMPLATES, spec).expected_pages >= 1


@pytest.mark.parametrize("code", CODES, ids=[c.value.split("_")[0] for c in CODES])
def test_sample_renders_to_docx_and_pdf__with_every_merge_value(code: LetterCode, tmp_path: Path):
    spec = CATALOGUE[code]
    sample = load_sample(TEMPLATES, spec)
    model = validate_context(code, sample.context)
    rendered = render_letter(spec, model, templates_dir=TEMPLATES, csp_slug=None)
    values = printed_values(model.model_dump())
    word, pdf = docx_text(rendered.docx), pdf_text(rendered.pdf, tmp_path)
    missing_docx = [v for v in values if " ".join(v.split()) not in word]
    missing_pdf = [v for v in values if " ".join(v.split()) not in pdf]
    assert missing_docx == [] and missing_pdf == []
    assert pdf_pages(rendered.pdf, tmp_path) == sample.expected_pages
    assert "OFFICIAL-SENSITIVE" in word and "OFFICIAL-SENSITIVE" in pdf
    assert f"Page 1 of {sample.expected_pages}" in pdf


def test_pdf_is_accessible__title_language_tags_and_fixed_dates(tmp_path: Path):
    import subprocess

    spec = spec_for("c04")
    model = validate_context(spec.code, load_sample(TEMPLATES, spec).context)
    rendered = render_letter(spec, model, templates_dir=TEMPLATES, csp_slug=None)
    path = tmp_path / "c04.pdf"
    path.write_bytes(rendered.pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert "Title:           Notification of a decision to hold a Domestic Homicide Review" in info
    assert "Tagged:          yes" in info
    assert "CreationDate:    Wed Nov 25 00:00:00 2026 UTC" in info
    assert b"/Lang (en-GB)" in rendered.pdf or "en-GB" in rendered.html
    assert '<html lang="en-GB">' in rendered.html and "<h1>" in rendered.html


def test_docx_has_headings_title_and_language():
    import io

    from docx import Document

    spec = spec_for("c02")
    model = validate_context(spec.code, load_sample(TEMPLATES, spec).context)
    document = Document(io.BytesIO(render_letter(spec, model, templates_dir=TEMPLATES, csp_slug=None).docx))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "Request for information and to secure records: DHR-2026-004"
    assert "Who to search for" in headings
    assert document.core_properties.title.startswith("Request for information")
    assert document.core_properties.language == "en-GB"
    assert 'w:val="en-GB"' in document.styles.element.xml


def test_rendering_twice_gives_the_same_bytes():
    spec = spec_for("c11")
    model = validate_context(spec.code, load_sample(TEMPLATES, spec).context)
    first = render_letter(spec, model, templates_dir=TEMPLATES, csp_slug="northmoor")
    second = render_letter(spec, model, templates_dir=TEMPLATES, csp_slug="northmoor")
    assert first.pdf == second.pdf and first.docx == second.docx


def test_missing_fields__every_one_is_named():
    spec = spec_for("c08")
    context = dict(load_sample(TEMPLATES, spec).context)
    for name in ("venue", "meeting_date", "csp_address"):
        del context[name]
    context["agenda"] = []
    context["meeting_time"] = "  "
    with pytest.raises(InvalidLetterContext) as caught:
        validate_context(spec.code, context)
    fields = {item.field for item in caught.value.items}
    assert fields == {"venue", "meeting_date", "csp_address", "agenda", "meeting_time"}
    assert caught.value.status_code == 422
    assert "venue" in caught.value.msg


def test_unknown_and_invalid_fields_are_named():
    spec = spec_for("c06")
    context = {
        **load_sample(TEMPLATES, spec).context,
        "outcome": "maybe",
        "date": "not a date",
        "colour": "red",
    }
    with pytest.raises(InvalidLetterContext) as caught:
        validate_context(spec.code, context)
    assert {i.field: i.code for i in caught.value.items} == {
        "outcome": "invalid",
        "date": "invalid",
        "colour": "unknown_field",
    }


def test_csp_override_replaces_national_wording_for_that_csp_only():
    spec = spec_for("c11")
    model = validate_context(spec.code, load_sample(TEMPLATES, spec).context)
    local = render_html(spec, model, templates_dir=TEMPLATES, csp_slug="northmoor")
    elsewhere = render_html(spec, model, templates_dir=TEMPLATES, csp_slug="southmoor")
    national = render_html(spec, model, templates_dir=TEMPLATES, csp_slug=None)
    assert "Northmoor Families Bereaved by Homicide" in local
    assert "Northmoor Families Bereaved by Homicide" not in elsewhere
    assert elsewhere == national
    assert "I am very sorry for your loss" in national and "I am very sorry for your loss" not in local
    path = resolve_template(TEMPLATES, "northmoor", spec.template)
    assert path is not None and path.parts[-3:] == ("csp", "northmoor", "c11_family_first_letter.html")
    # Other letters of the same partnership still use the national wording.
    c04 = spec_for("c04")
    assert (
        resolve_template(TEMPLATES, "northmoor", c04.template)
        == TEMPLATES / "letters/national" / c04.template
    )


def test_override_of_the_layout_by_file_name(tmp_path: Path):
    import shutil

    shutil.copytree(TEMPLATES / "letters", tmp_path / "letters")
    override = tmp_path / "letters/csp/eastmoor/signature.html"
    override.parent.mkdir(parents=True)
    override.write_text('<div class="signature"><p>Signed for Eastmoor: {{ sender_name }}</p></div>')
    spec = spec_for("c14")
    model = validate_context(spec.code, load_sample(TEMPLATES, spec).context)
    assert "Signed for Eastmoor" in render_html(spec, model, templates_dir=tmp_path, csp_slug="eastmoor")
    assert "Signed for Eastmoor" not in render_html(spec, model, templates_dir=tmp_path, csp_slug="northmoor")


def test_template_using_an_undefined_field_is_an_error(tmp_path: Path):
    import shutil

    from jinja2 import UndefinedError

    shutil.copytree(TEMPLATES / "letters", tmp_path / "letters")
    broken = tmp_path / "letters/csp/eastmoor/c14_delay_notice.html"
    broken.parent.mkdir(parents=True)
    broken.write_text('{% extends "letter.html" %}{% block body %}<p>{{ no_such_field }}</p>{% endblock %}')
    spec = spec_for("c14")
    model = validate_context(spec.code, load_sample(TEMPLATES, spec).context)
    with pytest.raises(UndefinedError):
        render_html(spec, model, templates_dir=tmp_path, csp_slug="eastmoor")


def test_workflow_loader_refuses_a_letter_without_a_template(monkeypatch: pytest.MonkeyPatch):
    from dhr_engine.workflow import loader

    monkeypatch.setattr(loader, "has_template", lambda code: code != "c02_scoping_request")
    errors = loader.check_directory(PROJECT_ROOT / "workflows")
    assert any("letter 'c02_scoping_request' has no template file" in e.msg for e in errors)
    monkeypatch.undo()
    assert loader.check_directory(PROJECT_ROOT / "workflows") == []
