"""A letter's sign-off never stands alone on its last page: the PDF keeps the last paragraph and
the sign-off in one unbreakable block, and the Word copy sets "keep with next" on them."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from docx import Document

from dhr_engine.config import PROJECT_ROOT
from dhr_engine.letters.catalogue import spec_for, validate_context
from dhr_engine.letters.rendering import RenderedLetter, render_letter
from dhr_engine.letters.samples import load_sample
from tests.letters.helpers import pdf_pages, squash

TEMPLATES = PROJECT_ROOT / "templates"
REASON = "The trial date has moved again and the prosecution asked us to wait for the verdict."
LAST_PARAGRAPH = "We now expect to complete the review by"  # C14's last paragraph


def _delay_notice(words: int) -> RenderedLetter:
    """C14 with a reason of `words` words (the reason is the paragraph before the last)."""
    spec = spec_for("c14")
    context = dict(load_sample(TEMPLATES, spec).context)
    sentence = REASON.split()
    context["reason"] = " ".join(sentence[i % len(sentence)] for i in range(words))
    return render_letter(spec, validate_context(spec.code, context), templates_dir=TEMPLATES, csp_slug=None)


def _page_text(pdf: bytes, page: int, tmp_path: Path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"]
    return squash(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def _just_two_pages(tmp_path: Path) -> RenderedLetter:
    """The shortest reason (to the word) that pushes the letter onto a second page: the point at
    which, without the fix, the sign-off would go over alone."""
    low, high = 1, 500  # one page with 1 word, two with 500 (the reason's limit is 4,000 characters)
    assert pdf_pages(_delay_notice(low).pdf, tmp_path) == 1
    assert pdf_pages(_delay_notice(high).pdf, tmp_path) == 2
    while high - low > 1:
        middle = (low + high) // 2
        if pdf_pages(_delay_notice(middle).pdf, tmp_path) == 1:
            low = middle
        else:
            high = middle
    return _delay_notice(high)


def test_pdf_sign_off_goes_over_with_the_last_paragraph(tmp_path: Path) -> None:
    letter = _just_two_pages(tmp_path)
    second = _page_text(letter.pdf, 2, tmp_path)
    assert "Yours faithfully" in second and "Olivia Okafor" in second
    assert LAST_PARAGRAPH in second, f"the sign-off is alone on page 2: {second!r}"
    assert LAST_PARAGRAPH not in _page_text(letter.pdf, 1, tmp_path)


def test_word_last_paragraph_and_sign_off_keep_with_next() -> None:
    paragraphs = [p for p in Document(io.BytesIO(_delay_notice(20).docx)).paragraphs]
    texts = [p.text for p in paragraphs]
    last = next(i for i, text in enumerate(texts) if text.startswith(LAST_PARAGRAPH))
    closing = texts.index("Yours faithfully,")
    name = next(i for i, text in enumerate(texts) if text.startswith("Olivia Okafor"))
    assert last < closing < name
    # Each paragraph from the last one of the body to the signature keeps with the next and is kept
    # in one piece; the signature itself is the end of the block.
    for paragraph in paragraphs[last:name]:
        assert paragraph.paragraph_format.keep_with_next is True, paragraph.text
        assert paragraph.paragraph_format.keep_together is True, paragraph.text
    assert paragraphs[name].paragraph_format.keep_together is True
    # The paragraph before the block (the reason) is free to break from it.
    assert not paragraphs[last - 2].paragraph_format.keep_with_next
