"""Done-when: an agency user cannot list, read or download another agency's request, version or
attachment, also by guessing ids (service layer)."""

from __future__ import annotations

import uuid

import pytest

from dhr_engine.domain.actor import Actor
from dhr_engine.errors import CaseNotFound, NotFound, PermissionDenied
from dhr_engine.persistence.case_lookup import get_case
from dhr_engine.returns import access, attachments, chronology, compare, merged, service
from tests.returns.files import PDF_BYTES
from tests.returns.helpers import gathering_case, request, step, submit


@pytest.fixture
def two_agencies(ctx, ref):
    """Police and hospital both asked for an IMR; the police return has a version and a file."""
    case = gathering_case(ctx, ref)
    police, health = request(ctx, ref, case, "imr", ["northmoor_police", "acute_trust"])
    attachment = attachments.upload_attachment(
        ctx.uow(),
        actor=ref.actor("police.author"),
        clock=ctx.clock,
        storage_dir=ctx.settings.storage_dir,
        request_id=police.id,
        filename="police-imr.pdf",
        content=PDF_BYTES,
    )
    submit(ctx, ref.actor("police.author"), police.id, kind="imr")
    step(ctx, ref.actor("police.manager"), police.id, "sign_off")
    return case, police, health, attachment


def test_agency_user_sees_only_own_agency(ctx, ref, two_agencies):
    case, police, health, attachment = two_agencies
    outsider = ref.actor("health.author")
    storage = ctx.settings.storage_dir
    with ctx.reader() as uow:
        s = uow.session
        case = get_case(s, case_id=case.id)
        assert [r.id for r in access.visible_requests(s, outsider, case)] == [health.id]
        assert [r.id for r in access.visible_requests(s, ref.actor("police.manager"), case)] == [police.id]
        assert {r.id for r in access.visible_requests(s, ref.actor("chair"), case)} == {police.id, health.id}
        # Reading by id: the other agency's request, versions, entries and file are "not found".
        for call in (
            lambda: access.load_request(s, outsider, police.id),
            lambda: compare.list_versions(s, outsider, police.id),
            lambda: compare.get_version(s, outsider, police.id, 1),
            lambda: compare.compare_versions(s, outsider, police.id, 1, 2),
            lambda: chronology.list_entries(s, outsider, police.id, version_number=1),
            lambda: attachments.list_attachments(s, outsider, police.id),
            lambda: attachments.read_attachment(s, outsider, storage, attachment.id),
        ):
            with pytest.raises(NotFound):
                call()
        # Guessed ids answer exactly like another agency's: not found.
        for guess in (uuid.uuid4(), case.id):
            with pytest.raises(NotFound):
                access.load_request(s, outsider, guess)
            with pytest.raises(NotFound):
                attachments.read_attachment(s, outsider, storage, guess)
        # The owners and the chair may read it all.
        for reader in (ref.actor("police.author"), ref.actor("chair"), ref.actor("officer")):
            got = attachments.read_attachment(s, reader, storage, attachment.id)
            assert got.content == PDF_BYTES and got.media_type == "application/pdf"
            assert [v.number for v in compare.list_versions(s, reader, police.id)] == [1]
        # The merged chronology shows every agency, so it is not for agency users.
        with pytest.raises(PermissionDenied):
            merged.merged_chronology(s, outsider, case)
        # A user of an agency that is not on the case does not see the case at all.
        stranger = Actor(user_id=uuid.uuid4(), agency_id=ref.agencies["housing"].id)
        with pytest.raises(CaseNotFound):
            access.visible_requests(s, stranger, case)


def test_agency_user_cannot_act_on_another_agencys_request(ctx, ref, two_agencies):
    _case, police, _health, attachment = two_agencies
    clock, storage = ctx.clock, ctx.settings.storage_dir
    outsider = ref.actor("health.manager")
    with pytest.raises(NotFound):
        step(ctx, outsider, police.id, "accept")
    with pytest.raises(NotFound):
        attachments.upload_attachment(
            ctx.uow(),
            actor=outsider,
            clock=clock,
            storage_dir=storage,
            request_id=police.id,
            filename="x.pdf",
            content=PDF_BYTES,
        )
    with pytest.raises(NotFound):
        attachments.remove_attachment(ctx.uow(), actor=outsider, clock=clock, attachment_id=attachment.id)
    with pytest.raises(NotFound):
        chronology.add_entries(
            ctx.uow(),
            actor=outsider,
            clock=clock,
            request_id=police.id,
            entries=[chronology.EntryInput(when="01/01/2025", event="x")],
        )
    with pytest.raises(NotFound):
        service.chase_return(ctx.uow(), actor=outsider, clock=clock, request_id=police.id)
    # The police's own author may not accept (the chair does), nor sign off (the manager does).
    with pytest.raises(PermissionDenied):
        step(ctx, ref.actor("police.author"), police.id, "accept")
    # Agency users cannot ask agencies for returns.
    with pytest.raises(PermissionDenied):
        request(ctx, ref, _case, "chronology", ["housing"], who="police.manager")
