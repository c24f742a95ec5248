"""Build the Word (.docx) copy of a letter from the same HTML the PDF comes from.

Choice recorded (docs/letters/README.md): python-docx building from the rendered letter HTML,
not docxtpl. One Jinja template per letter then gives both formats, so a partnership's override of
`<code>.html` changes the Word and the PDF copy alike and the two can never say different things.
The letter HTML uses a small, fixed vocabulary (h1-h3, p, ul/ol, table, address, strong/em/br and a
few classes), which is all this builder needs to understand.

Speed (dhr bench, metric 5): the letter's package is prepared once per process and language from
python-docx's default template (`_template`): our fonts, page, running header and footer, and only
the styles the letters use. python-docx's template carries 164 styles, twice (styles.xml and
stylesWithEffects.xml, 0.9 MB of XML), which every letter used to parse and deflate again. Each
letter then takes a deep copy of that small document and appends its paragraphs and tables as
WordprocessingML elements (`_Body`): the markup python-docx's add_paragraph/add_run/add_table would
write, without their look-ups of styles by name and their proxy objects.

The output is deterministic: fixed core properties (the letter's date), and the zip entries are
written with that date (python-docx would stamp them with the time of writing).
"""

from __future__ import annotations

import copy
import functools
import io
import zipfile
from datetime import datetime
from typing import IO, Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

FONT = "Arial"
BRAND = RGBColor(0x1D, 0x3F, 0x6E)
HEADINGS = {"h1": "Heading1", "h2": "Heading2", "h3": "Heading3"}  # style ids
SKIP_CLASSES = {"running-header", "running-footer", "running-ref", "screen-only"}
SIGN_OFF_CLASS = "sign-off"  # the last paragraph and the sign-off, wrapped by rendering.py
PAGE_WIDTH, PAGE_HEIGHT, SIDE_MARGIN, END_MARGIN = Cm(21.0), Cm(29.7), Cm(2.2), Cm(2.0)
TEXT_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN  # in EMU, shared by a table's columns
# The styles the letters use (by name); the template keeps these, the defaults, and what they build on.
USED_STYLES = (
    "Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "List Number", "Table Grid",
    "Header", "Footer",
)  # fmt: skip
LIST_STYLES = {"ul": "ListBullet", "ol": "ListNumber"}  # style ids
# Parts of python-docx's default template a letter does not need: styles for Word 2010 (a second
# copy of every style), an empty bibliography store, and a thumbnail of an unrelated page.
DROPPED_RELS = {
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    RT.CUSTOM_XML,
    RT.THUMBNAIL,
}

_W_P, _W_PPR, _W_PSTYLE, _W_JC = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:jc")
_W_R, _W_RPR, _W_T, _W_BR = qn("w:r"), qn("w:rPr"), qn("w:t"), qn("w:br")
_W_B, _W_I, _W_COLOR, _W_SZ = qn("w:b"), qn("w:i"), qn("w:color"), qn("w:sz")
_W_VAL = qn("w:val")
_W_KEEP_NEXT, _W_KEEP_LINES = qn("w:keepNext"), qn("w:keepLines")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _classes(el: HtmlElement) -> set[str]:
    return set((el.get("class") or "").split())


def _text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _child(parent: etree._Element, tag: str, val: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, tag)
    if val is not None:
        child.set(_W_VAL, val)
    return child


class _Runs:
    """Writes runs into one w:p: text with bold/italic (and a size in points and an RGB colour for
    the letterhead)."""

    def __init__(self, p: etree._Element, *, size: int | None = None, colour: str | None = None) -> None:
        self.p = p
        self.size = None if size is None else str(size * 2)  # w:sz is in half-points
        self.colour = colour
        self.has_runs = False

    def _run(self, bold: bool, italic: bool) -> etree._Element:
        r = etree.SubElement(self.p, _W_R)
        if bold or italic or self.size or self.colour:
            rpr = etree.SubElement(r, _W_RPR)  # children in schema order: b, i, color, sz
            if bold:
                etree.SubElement(rpr, _W_B)
            if italic:
                etree.SubElement(rpr, _W_I)
            if self.colour:
                _child(rpr, _W_COLOR, self.colour)
            if self.size:
                _child(rpr, _W_SZ, self.size)
        self.has_runs = True
        return r

    def text(self, text: str, *, bold: bool = False, italic: bool = False) -> None:
        t = etree.SubElement(self._run(bold, italic), _W_T)
        t.text = text
        if text[:1].isspace() or text[-1:].isspace():
            t.set(_XML_SPACE, "preserve")

    def line_break(self) -> None:
        etree.SubElement(self._run(False, False), _W_BR)

    def inline(self, el: HtmlElement, *, bold: bool = False, italic: bool = False) -> None:
        """The element's text and its inline children (strong, em, br, span, a), HTML white space
        collapsed as a browser would."""
        self._collapsed(el.text, bold, italic)
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "br":
                self.line_break()
            else:
                self.inline(child, bold=bold or tag in {"strong", "b"}, italic=italic or tag in {"em", "i"})
            self._collapsed(child.tail, bold, italic)

    def _collapsed(self, text: str | None, bold: bool, italic: bool) -> None:
        if not text:
            return
        collapsed = " ".join(text.split())
        if text[:1].isspace() and self.has_runs:
            collapsed = " " + collapsed
        if text[-1:].isspace() and collapsed:
            collapsed += " "
        if collapsed.strip() or (collapsed and self.has_runs):
            self.text(collapsed, bold=bold, italic=italic)


def _paragraph(parent: etree._Element, style: str | None = None, align: str | None = None) -> etree._Element:
    """A new w:p at the end of `parent`, with a paragraph style id and an alignment (w:jc) if given."""
    p = etree.SubElement(parent, _W_P)
    if style or align:
        ppr = etree.SubElement(p, _W_PPR)
        if style:
            _child(ppr, _W_PSTYLE, style)
        if align:
            _child(ppr, _W_JC, align)
    return p


def _keep_together(p: etree._Element, *, with_next: bool) -> None:
    """Word's "keep lines together" on the paragraph, and "keep with next" if `with_next` (what
    python-docx's paragraph_format.keep_together and keep_with_next write), in schema order:
    w:pStyle, w:keepNext, w:keepLines, then the rest (w:jc)."""
    ppr = p.find(_W_PPR)
    if ppr is None:
        ppr = etree.Element(_W_PPR)
        p.insert(0, ppr)
    at = 1 if len(ppr) and ppr[0].tag == _W_PSTYLE else 0
    if with_next:
        ppr.insert(at, etree.Element(_W_KEEP_NEXT))
        at += 1
    ppr.insert(at, etree.Element(_W_KEEP_LINES))


def _field(p: etree._Element, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the document out."""
    field = etree.SubElement(p, qn("w:fldSimple"))
    field.set(qn("w:instr"), instruction)
    etree.SubElement(etree.SubElement(field, _W_R), _W_T).text = "1"


class _Body:
    """Walks the letter's <body> and writes the matching Word paragraphs and tables into w:body
    (appended after the section properties, w:sectPr, which `finish` moves back to the end)."""

    def __init__(self, body: etree._Element) -> None:
        self.body = body

    def paragraph(self, style: str | None = None, align: str | None = None) -> etree._Element:
        return _paragraph(self.body, style, align)

    def finish(self) -> None:
        self.body.append(self.body.find(qn("w:sectPr")))

    def block(self, el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        classes = _classes(el)
        if not tag or classes & SKIP_CLASSES or tag in {"style", "script", "head", "title", "meta"}:
            return
        if "letterhead" in classes:
            self.letterhead(el)
        elif SIGN_OFF_CLASS in classes:
            self.sign_off(el)
        elif tag in HEADINGS:
            heading, text = _Runs(self.paragraph(HEADINGS[tag])), _text(el)
            if text:
                heading.text(text)
        elif tag == "p":
            _Runs(self.paragraph(align="right" if "right" in classes else None)).inline(
                el, bold="strong" in classes
            )
        elif tag in LIST_STYLES:
            for item in el.findall("li"):
                _Runs(self.paragraph(LIST_STYLES[tag])).inline(item)
        elif tag == "table":
            self.table(el)
        elif tag == "address":
            _Runs(self.paragraph()).inline(el)
        else:  # div, section, header, footer, main, article, dl: their children are blocks
            if el.text and el.text.strip():
                _Runs(self.paragraph()).inline(el)
                return
            for child in el:
                self.block(child)

    def sign_off(self, el: HtmlElement) -> None:
        """The last paragraph and the sign-off: each of their paragraphs is kept in one piece and
        with the next, up to the signature, so Word moves them to a new page together."""
        start = len(self.body)
        for child in el:
            self.block(child)
        written = [p for p in self.body[start:] if p.tag == _W_P]
        for i, p in enumerate(written):
            _keep_together(p, with_next=i < len(written) - 1)

    def letterhead(self, el: HtmlElement) -> None:
        for child in el.iter("p"):
            is_name = "csp-name" in _classes(child)
            runs = _Runs(self.paragraph(align="right"), size=16 if is_name else 9, colour=str(BRAND))
            runs.inline(child, bold=is_name)

    def table(self, el: HtmlElement) -> None:
        """A centred "Table Grid" table, its columns sharing the text width (as python-docx's add_table)."""
        rows = el.findall(".//tr")
        if not rows:
            return
        width = max(len(r.findall("th") + r.findall("td")) for r in rows)
        cell_width = str(Emu(TEXT_WIDTH // width).twips)
        tbl = etree.SubElement(self.body, qn("w:tbl"))
        pr = etree.SubElement(tbl, qn("w:tblPr"))
        _child(pr, qn("w:tblStyle"), "TableGrid")
        etree.SubElement(pr, qn("w:tblW"), {qn("w:type"): "auto", qn("w:w"): "0"})
        _child(pr, qn("w:jc"), "center")
        look = {"firstColumn": "1", "firstRow": "1", "lastColumn": "0", "lastRow": "0", "noHBand": "0"}
        look |= {"noVBand": "1", "val": "04A0"}
        etree.SubElement(pr, qn("w:tblLook"), {qn(f"w:{k}"): v for k, v in look.items()})
        grid = etree.SubElement(tbl, qn("w:tblGrid"))
        for _ in range(width):
            etree.SubElement(grid, qn("w:gridCol"), {qn("w:w"): cell_width})
        for row in rows:
            cells: list[HtmlElement | None] = [
                c for c in row if isinstance(c.tag, str) and c.tag in {"th", "td"}
            ]
            tr = etree.SubElement(tbl, qn("w:tr"))
            for cell in cells + [None] * (width - len(cells)):
                tc = etree.SubElement(tr, qn("w:tc"))
                tc_pr = etree.SubElement(tc, qn("w:tcPr"))
                etree.SubElement(tc_pr, qn("w:tcW"), {qn("w:type"): "dxa", qn("w:w"): cell_width})
                p = _paragraph(tc)
                if cell is not None:
                    _Runs(p).inline(cell, bold=cell.tag == "th")
        self.paragraph()


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


def _trim(document: DocxDocument) -> None:
    """Keep the styles the letters use (and the defaults and what they are based on, linked to or
    followed by); drop the parts of the default template a letter does not need."""
    styles = document.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    wanted = [document.styles[name].style_id for name in USED_STYLES]
    wanted += [style_id for style_id, s in by_id.items() if s.get(qn("w:default")) == "1"]
    kept: set[str] = set()
    while wanted:
        style_id = wanted.pop()
        if style_id in kept or style_id not in by_id:
            continue
        kept.add(style_id)
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = by_id[style_id].find(qn(tag))
            if ref is not None:
                wanted.append(ref.get(_W_VAL))
    for style_id, style in by_id.items():
        if style_id not in kept:
            styles.remove(style)
    for source in (document.part, document.part.package):
        for r_id, rel in list(source.rels.items()):
            if rel.reltype in DROPPED_RELS:
                del source.rels[r_id]


def _page(document: DocxDocument) -> None:
    """A4 with our margins; a running header of one paragraph and a footer of two, all centred."""
    section = document.sections[0]
    section.page_height, section.page_width = PAGE_HEIGHT, PAGE_WIDTH
    section.left_margin = section.right_margin = SIDE_MARGIN
    section.top_margin = section.bottom_margin = END_MARGIN
    section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    section.footer.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    section.footer.add_paragraph().alignment = WD_ALIGN_PARAGRAPH.CENTER


@functools.cache
def _template(language: str) -> DocxDocument:
    """The document every letter in `language` starts from, made once per process; never changed,
    each letter works on a deep copy. It is saved and opened again so that, as for any freshly
    opened package, its objects refer only to the root element of each part, which copy.deepcopy
    copies whole (a reference to an inner element would be copied apart from its document)."""
    document = Document()
    _styles(document)
    _set_language(document, language)
    _trim(document)
    _page(document)
    package = io.BytesIO()
    document.save(package)
    return Document(package)


def _running_text(document: DocxDocument, marking: str, reference: str) -> None:
    """The protective marking above and below every page; the reference and page numbers below."""
    section = document.sections[0]
    marked, pages = section.footer.paragraphs
    for paragraph in (section.header.paragraphs[0], marked):
        if marking:
            _Runs(paragraph._p).text(marking, bold=True)
    runs = _Runs(pages._p)
    runs.text(f"{reference}    Page ")
    _field(pages._p, "PAGE")
    runs.text(" of ")
    _field(pages._p, "NUMPAGES")


class _FixedTimeZipWriter:
    """python-docx's zip writer (phys_pkg._ZipPkgWriter), each entry stamped with the letter's date
    and deflated at level 1: a twelfth of the letter's time less than the default level 6 for a file
    a tenth larger (14 KB for C11)."""

    def __init__(self, out: IO[bytes], moment: datetime) -> None:
        self._zipf = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        self._stamp = (moment.year, moment.month, moment.day, 0, 0, 0)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        entry = zipfile.ZipInfo(pack_uri.membername, date_time=self._stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o600 << 16
        self._zipf.writestr(entry, blob, compresslevel=1)

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
    document = copy.deepcopy(_template(language))
    header = tree.find_class("running-header")
    marking = _text(header[0]) if header else ""
    ref = tree.find_class("running-ref")
    _running_text(document, marking, _text(ref[0]) if ref else "")
    body = tree.find("body")
    builder = _Body(document.element.body)
    for child in body if body is not None else []:
        builder.block(child)
    builder.finish()
    props = document.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.language, props.subject, props.keywords = language, marking, marking
    props.created = props.modified = props.last_printed = moment.replace(tzinfo=None)
    props.revision = 1
    return _save_fixed(document, moment)
