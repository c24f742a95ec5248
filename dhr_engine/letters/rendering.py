"""Render letters: Jinja2 HTML (the one source of wording) -> HTML preview, PDF (WeasyPrint), .docx.

Templates live in `templates/letters/`:
- `_layout/`: the letterhead, signature block and page furniture shared by every letter;
- `national/`: one `<code>.html` per letter, with the national wording;
- `csp/<slug>/`: optional local files; a file with the same name replaces the national one (or a
  layout file) for that partnership only (ARCHITECTURE.md §12).

The Environment is `ChoiceLoader([csp/<slug>, national, _layout])` with `StrictUndefined`, so a
merge field the model does not supply is an error, never a blank. Output is deterministic: the
PDF and .docx carry the letter's own date as their creation and modification date and no random
identifiers, so re-rendering a sent letter from its stored context gives the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import weasyprint
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from lxml import html as lxml_html

from dhr_engine.letters.catalogue import LetterSpec
from dhr_engine.letters.contexts import LetterContext
from dhr_engine.letters.docx import html_to_docx
from dhr_engine.letters.filters import FILTERS

LAYOUT_DIR = "_layout"
NATIONAL_DIR = "national"
CSP_DIR = "csp"
DOCUMENT_LANGUAGE = "en-GB"
CLOSING_CLASS = "closing"  # the layout's sign-off: "Yours sincerely", the signature, name and role
SIGN_OFF_CLASS = "sign-off"  # the last paragraph and the closing, never parted (letter.css, docx.py)


def letters_dir(templates_dir: Path) -> Path:
    return templates_dir / "letters"


def search_path(templates_dir: Path, csp_slug: str | None) -> list[Path]:
    """Where templates are looked up, first match wins: csp/<slug>/, national/, _layout/."""
    root = letters_dir(templates_dir)
    paths = [root / CSP_DIR / csp_slug] if csp_slug else []
    return [*paths, root / NATIONAL_DIR, root / LAYOUT_DIR]


def resolve_template(templates_dir: Path, csp_slug: str | None, name: str) -> Path | None:
    """The file that serves `name` for this partnership (None if there is none)."""
    for directory in search_path(templates_dir, csp_slug):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def template_exists(templates_dir: Path, name: str) -> bool:
    """True if the national template (the fallback every partnership has) exists."""
    return (letters_dir(templates_dir) / NATIONAL_DIR / name).is_file()


@lru_cache(maxsize=32)
def letters_environment(templates_dir: Path, csp_slug: str | None) -> Environment:
    """The letters Environment for one partnership (built once per slug)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(p)) for p in search_path(templates_dir, csp_slug)]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def layout_names(templates_dir: Path) -> list[str]:
    return sorted(p.name for p in (letters_dir(templates_dir) / LAYOUT_DIR).glob("*") if p.is_file())


def template_version(templates_dir: Path, csp_slug: str | None, name: str) -> str:
    """A hash of every file this letter is built from (its template and the layout, as resolved)."""
    digest = hashlib.sha256()
    for file_name in [name, *layout_names(templates_dir)]:
        path = resolve_template(templates_dir, csp_slug, file_name)
        if path is None:
            continue
        digest.update(file_name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def renderer_versions() -> dict[str, str]:
    """The versions of the libraries that produce the bytes (a re-render under others may differ)."""
    return {name: package_version(name) for name in ("weasyprint", "python-docx", "jinja2")}


@dataclass(frozen=True)
class RenderedLetter:
    """A letter rendered to every format, with where its wording came from."""

    html: str
    pdf: bytes
    docx: bytes
    template_path: str
    template_version: str


def _metadata_moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def render_html(
    spec: LetterSpec, context: LetterContext, *, templates_dir: Path, csp_slug: str | None
) -> str:
    """The letter as an HTML page (the preview, and the source of the PDF and .docx)."""
    env = letters_environment(templates_dir, csp_slug)
    template = env.get_template(spec.template)
    values: dict[str, Any] = {name: getattr(context, name) for name in type(context).model_fields}
    values["letter"] = {
        "code": spec.code,
        "number": spec.number,
        "title": spec.title,
        "language": DOCUMENT_LANGUAGE,
        "created": _metadata_moment(context.date).isoformat(),
    }
    return keep_sign_off_with_last_paragraph(template.render(values))


def keep_sign_off_with_last_paragraph(html: str) -> str:
    """Wrap the letter's last paragraph and its sign-off in one `div.sign-off`, so the sign-off never
    stands alone on the last page: the PDF's stylesheet keeps that block in one piece
    (`break-inside: avoid`) and the Word copy sets "keep with next" on its paragraphs.

    Only a paragraph (`p`) directly before the layout's `div.closing` is moved in with it (a table,
    as in C01, may be long and is left to break as it will); a letter without either is unchanged.
    """
    tree = lxml_html.document_fromstring(html)
    closings = tree.find_class(CLOSING_CLASS)
    if len(closings) != 1:
        return html
    closing = closings[0]
    last = closing.getprevious()
    if last is None or last.tag != "p":
        return html
    wrapper = lxml_html.Element("div", {"class": SIGN_OFF_CLASS})
    wrapper.text, wrapper.tail, closing.tail = "\n", closing.tail, "\n"
    last.addprevious(wrapper)
    wrapper.extend([last, closing])
    wrapped: str = lxml_html.tostring(tree, doctype="<!DOCTYPE html>", encoding="unicode")
    return wrapped + "\n"


def html_to_pdf(html: str, *, base_dir: Path) -> bytes:
    """A tagged PDF (headings, language and title for screen readers) from the letter's HTML."""
    document = weasyprint.HTML(string=html, base_url=str(base_dir))
    pdf: bytes = document.write_pdf(pdf_tags=True)
    return pdf


def render_letter(
    spec: LetterSpec, context: LetterContext, *, templates_dir: Path, csp_slug: str | None
) -> RenderedLetter:
    """Render the letter to HTML, PDF and .docx."""
    path = resolve_template(templates_dir, csp_slug, spec.template)
    if path is None:
        raise FileNotFoundError(f"no template '{spec.template}' for letter {spec.number}")
    html = render_html(spec, context, templates_dir=templates_dir, csp_slug=csp_slug)
    layout = letters_dir(templates_dir) / LAYOUT_DIR
    return RenderedLetter(
        html=html,
        pdf=html_to_pdf(html, base_dir=layout),
        docx=html_to_docx(
            html,
            title=f"{spec.title} ({context.case_ref})",
            author=context.csp_name,
            moment=_metadata_moment(context.date),
            language=DOCUMENT_LANGUAGE,
        ),
        template_path=str(path.relative_to(letters_dir(templates_dir))),
        template_version=template_version(templates_dir, csp_slug, spec.template),
    )
