"""Metric 5: a letter to Word and to PDF, against docxtpl and WeasyPrint on the same content.

The product renders Jinja2 HTML (the one source of wording) and turns it into a tagged PDF with
WeasyPrint and into a .docx with python-docx. The floors take the very same content:
- PDF: WeasyPrint's HTML(string=...).write_pdf() on the letter's rendered HTML;
- Word: docxtpl rendering a Word template of the letter's paragraphs with the same text.
Figures are milliseconds per letter (medians); the ratio is product time / direct time.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import weasyprint
from docx import Document
from docxtpl import DocxTemplate
from lxml import html as lxml_html

from dhr_engine.bench.database import BenchDatabase
from dhr_engine.bench.results import MetricResult, Target
from dhr_engine.bench.sizes import Sizes
from dhr_engine.bench.timing import rate
from dhr_engine.letters.catalogue import spec_for, validate_context
from dhr_engine.letters.docx import html_to_docx
from dhr_engine.letters.rendering import LAYOUT_DIR, html_to_pdf, letters_dir, render_html
from dhr_engine.letters.samples import load_sample

LETTER = "c11_family_first_letter"
TARGET = Target(on="ratio", direction="lower", value=1.2)
BLOCKS = ("h1", "h2", "h3", "p", "li", "td", "th")


def paragraphs(html: str) -> list[str]:
    tree = lxml_html.document_fromstring(html)
    texts = (" ".join(el.text_content().split()) for el in tree.iter(*BLOCKS))
    return [t for t in texts if t]


def docxtpl_template() -> bytes:
    """A Word template with one looping paragraph: the letter's paragraphs go through docxtpl."""
    document = Document()
    document.add_paragraph("{%p for para in paragraphs %}")
    document.add_paragraph("{{ para }}")
    document.add_paragraph("{%p endfor %}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _ms_each(work: Callable[[], object], sizes: Sizes) -> tuple[float, float, float]:
    def batch(n: int) -> None:
        for _ in range(n):
            work()

    measured = rate(batch, sizes.letters_per_round, sizes.rounds, warmup=2)
    return 1000 / measured.median, 1000 / measured.high, 1000 / measured.low


def run(db: BenchDatabase, sizes: Sizes) -> list[MetricResult]:
    templates_dir = db.ctx.settings.templates_dir
    spec = spec_for(LETTER)
    context = validate_context(LETTER, load_sample(templates_dir, spec).context)
    layout = letters_dir(templates_dir) / LAYOUT_DIR
    slug = db.ref.csp.slug
    html = render_html(spec, context, templates_dir=templates_dir, csp_slug=slug)
    text = paragraphs(html)
    template_bytes = docxtpl_template()
    moment = db.ctx.clock.now()

    def product_pdf() -> bytes:
        return html_to_pdf(
            render_html(spec, context, templates_dir=templates_dir, csp_slug=slug), base_dir=layout
        )

    def direct_pdf() -> bytes:
        pdf: bytes = weasyprint.HTML(string=html, base_url=str(layout)).write_pdf()
        return pdf

    def product_docx() -> bytes:
        return html_to_docx(
            render_html(spec, context, templates_dir=templates_dir, csp_slug=slug),
            title=spec.title,
            author="bench",
            moment=moment,
            language="en-GB",
        )

    def direct_docx() -> bytes:
        template = DocxTemplate(io.BytesIO(template_bytes))
        template.render({"paragraphs": text})
        out = io.BytesIO()
        template.save(out)
        return out.getvalue()

    results = []
    for label, product, direct, floor_name in (
        ("PDF", product_pdf, direct_pdf, "WeasyPrint write_pdf() on the same HTML"),
        ("Word", product_docx, direct_docx, "docxtpl on a template of the same paragraphs"),
    ):
        floor_ms, floor_lo, floor_hi = _ms_each(direct, sizes)
        figure_ms, lo, hi = _ms_each(product, sizes)
        results.append(
            MetricResult.measured(
                "letters",
                f"{label} letter {spec.number} ({1000 / figure_ms:.0f} per second)",
                figure_ms,
                "ms",
                baseline=floor_ms,
                baseline_name=floor_name,
                target=TARGET,
                rounds=sizes.rounds,
                detail={
                    "letter": LETTER,
                    "per_second": 1000 / figure_ms,
                    "baseline_per_second": 1000 / floor_ms,
                    "figure_range_ms": [lo, hi],
                    "baseline_range_ms": [floor_lo, floor_hi],
                    "paragraphs": len(text),
                },
            )
        )
    return results
