"""The Word copy's package: built from a trimmed copy of python-docx's template that every letter
shares, it defines every style it uses and no others, carries no unused parts, keeps the letter's
formatting, and one letter leaves nothing behind in the next."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from docx import Document
from lxml import etree

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.domain.letter_codes import LetterCode
from dhr_engine.letters.catalogue import spec_for, validate_context
from dhr_engine.letters.docx import html_to_docx
from dhr_engine.letters.rendering import render_html
from dhr_engine.letters.samples import load_sample
from tests.letters.helpers import docx_text

TEMPLATES = PROJECT_ROOT / "templates"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MOMENT = datetime(2026, 11, 25)


def word_copy(code: str, slug: str | None = "northmoor") -> bytes:
    spec = spec_for(code)
    model = validate_context(spec.code, load_sample(TEMPLATES, spec).context)
    html = render_html(spec, model, templates_dir=TEMPLATES, csp_slug=slug)
    return html_to_docx(html, title=spec.title, author="Northmoor CSP", moment=MOMENT, language="en-GB")


def part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read(name))


@pytest.mark.parametrize("code", list(LetterCode), ids=lambda c: c.value)
def test_every_style_used_is_defined__and_only_those_of_the_letters(code: LetterCode):
    data = word_copy(code.value)
    defined = {s.get(f"{W}styleId") for s in part(data, "word/styles.xml").iter(f"{W}style")}
    used = {
        el.get(f"{W}val")
        for name in ("word/document.xml", "word/header1.xml", "word/footer1.xml")
        for el in part(data, name).iter(f"{W}pStyle", f"{W}tblStyle")
    }
    assert used <= defined
    assert len(defined) < 25  # python-docx's template defines 164
    assert {"Normal", "Heading1", "ListBullet", "ListNumber", "TableGrid"} <= defined


def test_package_has_only_the_parts_a_letter_needs():
    with zipfile.ZipFile(io.BytesIO(word_copy("c02"))) as package:
        names = set(package.namelist())
    assert {"word/document.xml", "word/styles.xml", "word/numbering.xml", "word/header1.xml"} <= names
    assert {"word/footer1.xml", "docProps/core.xml", "[Content_Types].xml"} <= names
    assert not {n for n in names if "stylesWithEffects" in n or "thumbnail" in n or n.startswith("customXml")}


def test_formatting__styles_language_page_and_running_text():
    document = Document(io.BytesIO(word_copy("c02")))
    styles = document.styles
    assert styles["Normal"].font.name == "Arial" and styles["Normal"].font.size.pt == 11
    assert styles["Heading 1"].font.color.rgb == (0x1D, 0x3F, 0x6E) and styles["Heading 1"].font.bold
    assert 'w:val="en-GB"' in styles.element.xml
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 1) == round(section.right_margin.cm, 1) == 2.2
    assert [p.text for p in section.header.paragraphs] == ["OFFICIAL-SENSITIVE"]
    marking, pages = section.footer.paragraphs
    assert marking.text == "OFFICIAL-SENSITIVE" and pages.text == "DHR-2026-004    Page  of "
    assert [f.get(f"{W}instr") for f in pages._p.iter(f"{W}fldSimple")] == ["PAGE", "NUMPAGES"]
    assert all(r.bold for r in section.header.paragraphs[0].runs)
    table = document.tables[0]
    assert table.style.name == "Table Grid"
    assert all(run.bold for cell in table.rows[0].cells for p in cell.paragraphs for run in p.runs)
    lists = [p for p in document.paragraphs if p.style.name in {"List Bullet", "List Number"}]
    assert lists and all(p.text for p in lists)


def test_letterhead_is_right_aligned_in_the_brand_colour():
    document = Document(io.BytesIO(word_copy("c11")))
    name, *address = document.paragraphs[:4]
    assert name.text == "Northmoor Community Safety Partnership"
    assert name.runs[0].bold and name.runs[0].font.size.pt == 16
    assert all(p.alignment == 2 for p in [name, *address])  # WD_ALIGN_PARAGRAPH.RIGHT
    assert all(r.font.color.rgb == (0x1D, 0x3F, 0x6E) for p in address for r in p.runs)


def test_a_letter_leaves_nothing_in_the_next__the_template_is_shared_not_changed():
    first = word_copy("c11")
    others = [word_copy(code) for code in ("c02", "c08", "c21")]
    assert word_copy("c11") == first
    assert "Who to search for" not in docx_text(first)
    assert all(docx_text(data).count("OFFICIAL-SENSITIVE") == 2 for data in [first, *others])
