"""Build the Word (.docx) copy of a letter from the same HTML the PDF comes from.

Choice recorded (docs/letters/README.md): python-docx building from the rendered letter HTML,
not docxtpl. One Jinja template per letter then gives both formats, so a partnership's override of
`<code>.html` changes the Word and the PDF copy alike and the two can never say different things.
The letter HTML uses a small, fixed vocabulary (h1-h3, p, ul/ol, table, address, strong/em/br and a
few classes), which is all this builder needs to understand.

The output is deterministic: fixed core properties (the letter's date), and the zip entries are
written with that date (python-docx would stamp them with the time of writing).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import IO, Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import html as lxml_html
from lxml.html import HtmlElement

FONT = "Arial"
BRAND = RGBColor(0x1D, 0x3F, 0x6E)
HEADINGS = {"h1": 1, "h2": 2, "h3": 3}
SKIP_CLASSES = {"running-header", "running-footer", "running-ref", "screen-only"}


def _classes(el: HtmlElement) -> set[str]:
    return set((el.get("class") or "").split())


def _text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _add_inline(paragraph: Paragraph, el: HtmlElement, *, bold: bool = False, italic: bool = False) -> None:
    """Add the element's text and its inline children (strong, em, br, span, a) as runs."""

    def run(text: str | None, b: bool, i: bool) -> None:
        if text:
            collapsed = " ".join(text.split())
            if text[:1].isspace() and paragraph.runs:
                collapsed = " " + collapsed
            if text[-1:].isspace() and collapsed:
                collapsed += " "
            if collapsed.strip() or (collapsed and paragraph.runs):
                r = paragraph.add_run(collapsed)
                r.bold, r.italic = b or None, i or None

    run(el.text, bold, italic)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            paragraph.add_run().add_break()
        else:
            _add_inline(
                paragraph, child, bold=bold or tag in {"strong", "b"}, italic=italic or tag in {"em", "i"}
            )
        run(child.tail, bold, italic)


def _set_language(document: DocxDocument, language: str) -> None:
    """Document language for spell-checkers and screen readers: en-GB in the document defaults."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), language)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the document out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _styles(document: DocxDocument) -> None:
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11), ("Title", 18)):
        style = document.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = BRAND
        style.font.bold = True
        style.font.italic = False


def _page(document: DocxDocument, marking: str, reference: str) -> None:
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    top = section.header.paragraphs[0]
    top.alignment = WD_ALIGN_PARAGRAPH.CENTER
    top.add_run(marking).bold = True
    bottom = section.footer.paragraphs[0]
    bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
    bottom.add_run(marking).bold = True
    pages = section.footer.add_paragraph()
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pages.add_run(f"{reference}    Page ")
    _field(pages, "PAGE")
    pages.add_run(" of ")
    _field(pages, "NUMPAGES")


class _Builder:
    """Walks the letter's <body> and writes the matching Word paragraphs and tables."""

    def __init__(self, document: DocxDocument) -> None:
        self.doc = document

    def block(self, el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        classes = _classes(el)
        if not tag or classes & SKIP_CLASSES or tag in {"style", "script", "head", "title", "meta"}:
            return
        if "letterhead" in classes:
            self.letterhead(el)
        elif tag in HEADINGS:
            self.doc.add_heading(_text(el), level=HEADINGS[tag])
        elif tag == "p":
            paragraph = self.doc.add_paragraph()
            if "right" in classes:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _add_inline(paragraph, el, bold="strong" in classes)
        elif tag in {"ul", "ol"}:
            style = "List Bullet" if tag == "ul" else "List Number"
            for item in el.findall("li"):
                _add_inline(self.doc.add_paragraph(style=style), item)
        elif tag == "table":
            self.table(el)
        elif tag == "address":
            paragraph = self.doc.add_paragraph()
            _add_inline(paragraph, el)
        else:  # div, section, header, footer, main, article, dl: their children are blocks
            if el.text and el.text.strip():
                _add_inline(self.doc.add_paragraph(), el)
                return
            for child in el:
                self.block(child)

    def letterhead(self, el: HtmlElement) -> None:
        for child in el.iter("p", "div"):
            if child.tag == "div":
                continue
            paragraph = self.doc.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            is_name = "csp-name" in _classes(child)
            _add_inline(paragraph, child, bold=is_name)
            for run in paragraph.runs:
                run.font.size = Pt(16 if is_name else 9)
                run.font.color.rgb = BRAND

    def table(self, el: HtmlElement) -> None:
        rows = el.findall(".//tr")
        if not rows:
            return
        width = max(len(r.findall("th") + r.findall("td")) for r in rows)
        table = self.doc.add_table(rows=0, cols=width)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row in rows:
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in {"th", "td"}]
            out = table.add_row().cells
            for i, cell in enumerate(cells):
                paragraph = out[i].paragraphs[0]
                _add_inline(paragraph, cell, bold=cell.tag == "th")
        self.doc.add_paragraph()


class _FixedTimeZipWriter:
    """python-docx's zip writer (phys_pkg._ZipPkgWriter), each entry stamped with the letter's date."""

    def __init__(self, out: IO[bytes], moment: datetime) -> None:
        self._zipf = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        self._stamp = (moment.year, moment.month, moment.day, 0, 0, 0)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        entry = zipfile.ZipInfo(pack_uri.membername, date_time=self._stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o600 << 16
        self._zipf.writestr(entry, blob)

    def close(self) -> None:
        self._zipf.close()


def _save_fixed(document: DocxDocument, moment: datetime) -> bytes:
    """Save the package once, each zip entry stamped with `moment` (what Document.save does, minus
    the clock; writing then re-zipping the package cost a sixth of the letter's time, dhr bench)."""
    package = document.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    writer = _FixedTimeZipWriter(out, moment)
    # PackageWriter.write, with our writer in place of the one it would open
    package_writer: Any = PackageWriter
    package_writer._write_content_types_stream(writer, parts)
    package_writer._write_pkg_rels(writer, package.rels)
    package_writer._write_parts(writer, parts)
    writer.close()
    return out.getvalue()


def html_to_docx(html: str, *, title: str, author: str, moment: datetime, language: str) -> bytes:
    """The letter as a Word document with real headings, its title, language and page numbers."""
    tree = lxml_html.document_fromstring(html)
    document = Document()
    _styles(document)
    _set_language(document, language)
    header = tree.find_class("running-header")
    marking = _text(header[0]) if header else ""
    ref = tree.find_class("running-ref")
    reference = _text(ref[0]) if ref else ""
    _page(document, marking, reference)
    body = tree.find("body")
    builder = _Builder(document)
    for child in body if body is not None else []:
        builder.block(child)
    props = document.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.language, props.subject, props.keywords = language, marking, marking
    props.created = props.modified = props.last_printed = moment.replace(tzinfo=None)
    props.revision = 1
    return _save_fixed(document, moment)
