"""Attachments are checked on content and stored by hash; versions are immutable and comparable."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from dhr_engine.errors import ValidationFailed
from dhr_engine.returns import attachments, compare
from dhr_engine.returns.attachments import DOCX, PDF, blob_path
from dhr_engine.returns.chronology import add_entries
from dhr_engine.returns.chronology_input import EntryInput
from tests.returns.files import PDF_BYTES, docx_bytes
from tests.returns.helpers import gathering_case, request, step, submit


@pytest.fixture
def imr(lite, lite_ref):
    case = gathering_case(lite, lite_ref)
    (req,) = request(lite, lite_ref, case, "imr", ["northmoor_police"])
    return req


def _upload(ctx, ref, req, name, content, **kw):
    return attachments.upload_attachment(
        ctx.uow(),
        actor=ref.actor("police.author"),
        clock=ctx.clock,
        storage_dir=ctx.settings.storage_dir,
        request_id=req.id,
        filename=name,
        content=content,
        **kw,
    )


def test_type_is_read_from_the_content_not_the_name(lite, lite_ref, imr):
    word = docx_bytes()
    as_pdf = _upload(lite, lite_ref, imr, "report.docx", PDF_BYTES)  # misnamed PDF
    as_word = _upload(lite, lite_ref, imr, "../../etc/IMR final", word)
    assert (as_pdf.media_type, as_pdf.filename) == (PDF, "report.pdf")
    assert (as_word.media_type, as_word.filename) == (DOCX, "IMR final.docx")
    assert as_word.sha256 == hashlib.sha256(word).hexdigest()
    assert blob_path(lite.settings.storage_dir, as_word.sha256).read_bytes() == word
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    for name, content in (
        ("virus.pdf", b"MZ\x90\x00 an executable"),
        ("report.docx", zipped.getvalue()),
        ("report.pdf", b"%PDF-1.4 truncated"),
        ("empty.pdf", b""),
        ("big.pdf", PDF_BYTES + b" " * 2048),
    ):
        with pytest.raises(ValidationFailed) as refused:
            _upload(lite, lite_ref, imr, name, content, max_bytes=1024)
        assert refused.value.items[0].field == "file"


def test_versions_freeze_the_draft_and_compare(lite, lite_ref, imr):
    first = _upload(lite, lite_ref, imr, "imr-v1.pdf", PDF_BYTES)
    submit(lite, lite_ref.actor("police.author"), imr.id, kind="imr", text="Line one\nLine two")
    step(lite, lite_ref.actor("police.manager"), imr.id, "sign_off")
    step(lite, lite_ref.actor("chair"), imr.id, "request_changes", "Say more about risk")
    attachments.remove_attachment(
        lite.uow(), actor=lite_ref.actor("police.author"), clock=lite.clock, attachment_id=first.id
    )
    _upload(lite, lite_ref, imr, "imr-v2.docx", docx_bytes("second"))
    with pytest.raises(ValidationFailed) as no_note:
        submit(lite, lite_ref.actor("police.author"), imr.id, kind="imr", change_note="", text="x")
    assert no_note.value.items[0].field == "change_note"
    add_entries(
        lite.uow(),
        actor=lite_ref.actor("police.author"),
        clock=lite.clock,
        request_id=imr.id,
        entries=[EntryInput(when="20/03/2025", event="Risk reassessed")],
    )
    submit(
        lite,
        lite_ref.actor("police.author"),
        imr.id,
        kind="imr",
        change_note="Risk section expanded",
        text="Line one\nLine two, revised",
    )
    with lite.reader() as uow:
        diff = compare.compare_versions(uow.session, lite_ref.actor("chair"), imr.id, 1, 2)
        assert "-Line two" in diff.text_diff and "+Line two, revised" in diff.text_diff
        assert diff.attachments_added == ["imr-v2.docx"]
        assert diff.attachments_removed == ["imr-v1.pdf"]
        assert diff.entries_added == ["20 March 2025 |  | Risk reassessed |  | "]
        assert diff.entries_removed == []
        assert diff.newer.change_note == "Risk section expanded"
        assert diff.older.content["attachments"][0]["filename"] == "imr-v1.pdf"
        # The removed file stays readable through the version that listed it.
        got = attachments.read_attachment(
            uow.session, lite_ref.actor("chair"), lite.settings.storage_dir, first.id
        )
        assert got.content == PDF_BYTES
        with pytest.raises(ValidationFailed):
            compare.compare_versions(uow.session, lite_ref.actor("chair"), imr.id, 1, 1)
