"""Letters: draft (by hand or when a transition queued one), approve, send, and the register.

A letter moves draft -> approved -> sent. Each command is one transaction that also appends an
audit event to the case. A draft is validated and rendered before it is stored, so a missing merge
field stores nothing. Sending renders the PDF and .docx once more from the stored context and keeps
those bytes, with their SHA-256 hashes, as the immutable record of what went out (the database
refuses any later UPDATE or DELETE of a sent row).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from dhr_engine.audit.service import append_event
from dhr_engine.auth import policy
from dhr_engine.context import AppContext
from dhr_engine.deadlines.service import bank_holidays
from dhr_engine.domain.actor import Actor
from dhr_engine.domain.calendar import format_date
from dhr_engine.domain.return_kinds import return_kind
from dhr_engine.domain.roles import Role
from dhr_engine.errors import Conflict, DhrError, NotFound, PermissionDenied, ValidationFailed
from dhr_engine.letters import access
from dhr_engine.letters.case_context import case_fields
from dhr_engine.letters.catalogue import LetterSpec, needs_input, spec_for, validate_context
from dhr_engine.letters.contexts import LetterContext
from dhr_engine.letters.privacy import check_identities
from dhr_engine.letters.recipients import (
    Recipient,
    agency_recipient,
    chosen_recipient,
    default_recipients,
    user_with_role,
)
from dhr_engine.letters.rendering import (
    RenderedLetter,
    letters_dir,
    render_html,
    render_letter,
    renderer_versions,
    resolve_template,
)
from dhr_engine.letters.rendering import template_version as current_template_version
from dhr_engine.mail import Attachment, Mail, message_id
from dhr_engine.outbox.service import queue_outbox_item
from dhr_engine.persistence import case_lookup
from dhr_engine.persistence.tables import Agency, Case, Csp, OutboxItem, Person, ReturnRequest, User, utcnow
from dhr_engine.persistence.tables_letters import AddressPreference, Letter, LetterDelivery
from dhr_engine.persistence.unit_of_work import UnitOfWork

SEND_CHANNELS = ("post", "email", "hand")  # how a letter sent outside the engine went
EMAIL_KIND = "letter_email"  # the outbox item that e-mails a sent letter (letters/handlers.py)
SENDER_ROLE_LABELS = {"csp_officer": "DHR Coordinator", "independent_chair": "Independent Chair"}


class LetterSent(Conflict):
    """The letter has been sent: it is the record of what went out and cannot change."""

    code = "letter_sent"


class LetterNotFound(NotFound):
    code = "letter_not_found"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def context_hash(context: Mapping[str, Any]) -> str:
    """The hash of the stored context (canonical JSON)."""
    return sha256(json.dumps(context, sort_keys=True, separators=(",", ":"), default=str).encode())


# --- helpers --------------------------------------------------------------------------------------


def _acting(session: Session, actor: Actor, case: Case) -> Actor:
    """The actor with their roles on this case, after checking they may see it (404 otherwise)."""
    return policy.require_case_access(session, actor, case, policy.Action.CASE_VIEW)


def _sender(session: Session, case: Case, spec: LetterSpec, actor: Actor) -> tuple[str, str] | None:
    """Who signs the letter: the acting user if they hold the signing role, else the role-holder."""
    if spec.sender == "police":
        return None
    role = Role.INDEPENDENT_CHAIR if spec.sender == "independent_chair" else Role.CSP_OFFICER
    label = SENDER_ROLE_LABELS[spec.sender]
    if actor.user_id is not None and role in actor.roles:
        user = session.get(User, actor.user_id)
        if user is not None:
            return user.display_name, label
    holder = user_with_role(session, case, role)
    return (holder.display_name, label) if holder else None


def _people(session: Session, case: Case) -> list[Person]:
    return list(session.exec(select(Person).where(Person.case_id == case.id)).all())


def _letter(session: Session, letter_id: uuid.UUID) -> Letter:
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise LetterNotFound("no such letter", field="letter_id")
    return letter


def _audit(
    session: Session, case: Case, actor: Actor, kind: str, on: date, letter: Letter, **extra: Any
) -> None:
    data = {"letter_id": str(letter.id), "letter": letter.code, "recipient": letter.recipient_label, **extra}
    append_event(session, case, kind=kind, actor=actor, effective_on=on, recorded_at=utcnow(), data=data)


def _validated(
    session: Session, case: Case, spec: LetterSpec, recipient_kind: str, fields: Mapping[str, Any]
) -> LetterContext:
    model = validate_context(spec, fields)
    check_identities(model.model_dump(mode="json"), _people(session, case), spec.identity_for(recipient_kind))
    return model


@dataclass(frozen=True)
class DraftRequest:
    """What an officer asks for when drafting by hand."""

    code: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    agency_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    batch_key: str = ""


def _build_model(
    ctx: AppContext,
    session: Session,
    case: Case,
    csp: Csp,
    spec: LetterSpec,
    recipient: Recipient,
    actor: Actor,
    overrides: Mapping[str, Any],
) -> LetterContext:
    """Merge the case's fields with the officer's, validate them and check the template renders."""
    fields = case_fields(
        session,
        case,
        csp,
        spec,
        recipient,
        today=ctx.clock.today(),
        marking=ctx.settings.protective_marking,
        sender=_sender(session, case, spec, actor),
        calendar=bank_holidays(session, ctx.settings.holiday_subdivision),
        definition=ctx.workflows.get(case.workflow_key, case.workflow_version),
    )
    fields.update(overrides)
    model = _validated(session, case, spec, recipient.kind, fields)
    render_html(spec, model, templates_dir=ctx.settings.templates_dir, csp_slug=csp.slug)
    return model


def recipient_key(recipient: Recipient) -> str:
    """Who a letter is to, as the register's one-open-letter key: agency, person or recipient kind."""
    if recipient.agency_id is not None:
        return f"agency:{recipient.agency_id}"
    if recipient.person_id is not None:
        return f"person:{recipient.person_id}"
    return recipient.kind


def _same_letter(
    session: Session,
    case: Case,
    code: str,
    recipient: Recipient,
    batch_key: str | None,
    statuses: tuple[str, ...],
) -> Letter | None:
    """The case's letter of this code to this recipient for this purpose (None: any), in `statuses`."""
    query = select(Letter).where(
        Letter.case_id == case.id,
        Letter.code == code,
        Letter.recipient_kind == recipient.kind,
        col(Letter.status).in_(statuses),
    )
    if batch_key is not None:
        query = query.where(Letter.batch_key == batch_key)
    if recipient.agency_id is not None:
        query = query.where(Letter.agency_id == recipient.agency_id)
    elif recipient.person_id is not None:
        query = query.where(Letter.person_id == recipient.person_id)
    else:
        query = query.where(col(Letter.agency_id).is_(None), col(Letter.person_id).is_(None))
    return session.exec(query.order_by(col(Letter.drafted_at))).first()


def _serving(
    ctx: AppContext, session: Session, case: Case, code: str, recipient: Recipient, purpose: str, actor: Actor
) -> Letter | None:
    """The letter already written for this purpose, if any, so that a queue drafts nothing new.

    A letter without a purpose (as C02 to every agency when scoping starts) serves any later
    purpose for the same recipient (a scoping request to one agency): a draft of it is taken over
    by the purpose; an approved or sent one means the agency has it already. A letter queued
    without a purpose is served by any letter of that code to the recipient.
    """
    sent_or_open = ("draft", "approved", "sent")
    if not purpose:
        return _same_letter(session, case, code, recipient, None, sent_or_open)
    found = _same_letter(session, case, code, recipient, purpose, sent_or_open)
    if found is not None:
        return found
    general = _same_letter(session, case, code, recipient, "", sent_or_open)
    if general is not None and general.status == "draft":
        general.batch_key = purpose
        session.add(general)
        _audit(
            session, case, actor, "letter_redrafted", ctx.clock.today(), general, fields=[], purpose=purpose
        )
    return general


def _refresh_draft(
    ctx: AppContext, session: Session, case: Case, letter: Letter, model: LetterContext, actor: Actor
) -> Letter:
    """Bring an open draft up to date instead of drafting the same letter twice."""
    if letter.status != "draft":
        raise Conflict(
            f"this letter to {letter.recipient_label} is already approved; change or cancel it first",
            field="code",
        )
    stored = model.model_dump(mode="json")
    letter.context, letter.context_sha256, letter.letter_date = stored, context_hash(stored), model.date
    letter.template_version = current_template_version(
        ctx.settings.templates_dir, letter.csp_slug, letter.template_name
    )
    letter.drafted_by, letter.drafted_by_label = actor.user_id, actor.label
    session.add(letter)
    _audit(session, case, actor, "letter_redrafted", ctx.clock.today(), letter, fields=[], refreshed=True)
    return letter


def _store_draft(
    ctx: AppContext,
    session: Session,
    case: Case,
    csp: Csp,
    spec: LetterSpec,
    recipient: Recipient,
    actor: Actor,
    *,
    overrides: Mapping[str, Any],
    source: str,
    batch_key: str = "",
) -> Letter:
    """Draft the letter, or refresh the open draft of the same letter, recipient and purpose."""
    today = ctx.clock.today()
    templates = ctx.settings.templates_dir
    model = _build_model(ctx, session, case, csp, spec, recipient, actor, overrides)
    existing = _same_letter(session, case, spec.code, recipient, batch_key, ("draft", "approved"))
    if existing is not None:
        return _refresh_draft(ctx, session, case, existing, model, actor)
    stored = model.model_dump(mode="json")
    letter = Letter(
        case_id=case.id,
        code=spec.code,
        title=spec.title,
        recipient_kind=recipient.kind,
        recipient_label=recipient.label,
        agency_id=recipient.agency_id,
        person_id=recipient.person_id,
        batch_key=batch_key,
        recipient_key=recipient_key(recipient),
        letter_date=model.date,
        csp_slug=csp.slug,
        context=stored,
        context_sha256=context_hash(stored),
        template_name=spec.template,
        template_path="",
        template_version=current_template_version(templates, csp.slug, spec.template),
        renderer=renderer_versions(),
        source=source,
        drafted_by=actor.user_id,
        drafted_by_label=actor.label,
    )
    path = resolve_template(templates, csp.slug, spec.template)
    letter.template_path = str(path.relative_to(letters_dir(templates))) if path else spec.template
    session.add(letter)
    session.flush()  # the unique index refuses a second open letter here, before the audit event
    _audit(session, case, actor, "letter_drafted", today, letter, source=source)
    return letter


def _hand_recipient(
    session: Session, case: Case, spec: LetterSpec, acting: Actor, request: DraftRequest
) -> tuple[Csp, Recipient]:
    """The case's CSP and the recipient the officer chose, after checking they may draft to them."""
    csp = session.get(Csp, case.csp_id)
    assert csp is not None
    recipient = chosen_recipient(
        session, case, csp, spec, agency_id=request.agency_id, person_id=request.person_id
    )
    access.require_draft(acting, recipient.kind)
    return csp, recipient


def _letter_to_change(uow: UnitOfWork, actor: Actor, letter_id: uuid.UUID) -> tuple[Letter, Case, Actor]:
    """The letter, its case (locked for update) and the acting user, who must be able to see the letter."""
    letter = _letter(uow.session, letter_id)
    case = case_lookup.get_case_for_update(uow, letter.case_id, None)
    acting = _acting(uow.session, actor, case)
    access.require_see(acting, letter)
    return letter, case, acting


def _queued_items(session: Session, case_id: uuid.UUID, code: str | None = None) -> list[OutboxItem]:
    """Letter requests on the case still waiting to be drafted (pending or failed), optionally of one code."""
    query = select(OutboxItem).where(
        OutboxItem.case_id == case_id,
        OutboxItem.kind == "letter",
        col(OutboxItem.status).in_(("pending", "failed")),
    )
    if code is not None:
        query = query.where(OutboxItem.topic == code)
    return list(session.exec(query).all())


def _resolve_queued(session: Session, case: Case, code: str) -> None:
    """A letter drafted by hand settles any queued request for the same letter on the case."""
    for row in _queued_items(session, case.id, code):
        row.status, row.done_at = "done", utcnow()
        session.add(row)


# --- commands -------------------------------------------------------------------------------------


def draft_letter(
    ctx: AppContext,
    *,
    actor: Actor,
    request: DraftRequest,
    case_id: uuid.UUID | None = None,
    ref: str | None = None,
) -> Letter:
    """Draft one letter from the case record plus the fields the officer gave; store nothing if invalid."""
    spec = spec_for(request.code, ctx.settings.templates_dir)
    with ctx.uow() as uow:
        session = uow.session
        case = case_lookup.get_case_for_update(uow, case_id, ref)
        acting = _acting(session, actor, case)
        csp, recipient = _hand_recipient(session, case, spec, acting, request)
        letter = _store_draft(
            ctx, session, case, csp, spec, recipient, acting,
            overrides=request.fields, source="hand", batch_key=request.batch_key,
        )  # fmt: skip
        _resolve_queued(session, case, spec.code)
        session.add(case)
        uow.commit()
        return letter


def preview_letter(
    ctx: AppContext,
    *,
    actor: Actor,
    request: DraftRequest,
    case_id: uuid.UUID | None = None,
    ref: str | None = None,
) -> RenderedLetter:
    """Render a letter for the case as a draft would be, without storing anything."""
    spec = spec_for(request.code, ctx.settings.templates_dir)
    with ctx.reader() as uow:
        session = uow.session
        case = case_lookup.get_case(session, case_id=case_id, ref=ref)
        acting = _acting(session, actor, case)
        csp, recipient = _hand_recipient(session, case, spec, acting, request)
        model = _build_model(ctx, session, case, csp, spec, recipient, acting, request.fields)
        return render_letter(spec, model, templates_dir=ctx.settings.templates_dir, csp_slug=csp.slug)


def update_draft(ctx: AppContext, *, actor: Actor, letter_id: uuid.UUID, fields: Mapping[str, Any]) -> Letter:
    """Change merge fields of a draft (or of an approved letter, which then needs approving again)."""
    with ctx.uow() as uow:
        session = uow.session
        letter, case, acting = _letter_to_change(uow, actor, letter_id)
        if letter.status == "sent":
            raise LetterSent("a sent letter cannot be changed", field="status")
        if letter.status == "cancelled":
            raise Conflict("a cancelled letter cannot be changed; draft a new one", field="status")
        access.require_draft(acting, letter.recipient_kind)
        spec = spec_for(letter.code, ctx.settings.templates_dir)
        merged = {**letter.context, **fields, "date": ctx.clock.today().isoformat()}
        model = _validated(session, case, spec, letter.recipient_kind, merged)
        render_html(spec, model, templates_dir=ctx.settings.templates_dir, csp_slug=letter.csp_slug)
        stored = model.model_dump(mode="json")
        letter.context, letter.context_sha256, letter.letter_date = stored, context_hash(stored), model.date
        letter.template_version = current_template_version(
            ctx.settings.templates_dir, letter.csp_slug, letter.template_name
        )
        was_approved = letter.status == "approved"
        letter.status, letter.approved_by, letter.approved_by_label, letter.approved_at = (
            "draft",
            None,
            "",
            None,
        )
        letter.drafted_by, letter.drafted_by_label = acting.user_id, acting.label
        session.add(letter)
        _audit(session, case, acting, "letter_redrafted", ctx.clock.today(), letter,
               fields=sorted(fields), approval_withdrawn=was_approved)  # fmt: skip
        session.add(case)
        uow.commit()
        return letter


def approve_letter(ctx: AppContext, *, actor: Actor, letter_id: uuid.UUID) -> Letter:
    """Approve a draft: a role the catalogue allows, and not the person who drafted it."""
    with ctx.uow() as uow:
        session = uow.session
        letter, case, acting = _letter_to_change(uow, actor, letter_id)
        if letter.status != "draft":
            raise Conflict(f"only a draft can be approved; this letter is {letter.status}", field="status")
        access.require_approve(acting, spec_for(letter.code, ctx.settings.templates_dir), letter)
        letter.status, letter.approved_at = "approved", utcnow()
        letter.approved_by, letter.approved_by_label = acting.user_id, acting.label
        session.add(letter)
        _audit(session, case, acting, "letter_approved", ctx.clock.today(), letter)
        session.add(case)
        uow.commit()
        return letter


def _mark_sent(
    ctx: AppContext, uow: UnitOfWork, actor: Actor, letter_id: uuid.UUID, via: str
) -> tuple[Letter, Case, Actor]:
    """Check an approved letter may be sent by this actor, and keep its PDF and .docx as sent."""
    session = uow.session
    letter, case, acting = _letter_to_change(uow, actor, letter_id)
    if letter.status == "sent":
        raise LetterSent("this letter has already been sent", field="status")
    if letter.status != "approved":
        raise Conflict(f"only an approved letter can be sent; this letter is {letter.status}", field="status")
    spec = spec_for(letter.code, ctx.settings.templates_dir)
    access.require_send(acting, spec)
    now_version = current_template_version(ctx.settings.templates_dir, letter.csp_slug, letter.template_name)
    if now_version != letter.template_version:
        raise Conflict(
            "the letter's template changed after it was drafted; update the draft and approve it again",
            field="template_version",
        )
    rendered = _render_stored(ctx, letter)
    letter.pdf, letter.docx = rendered.pdf, rendered.docx
    letter.pdf_sha256, letter.docx_sha256 = sha256(rendered.pdf), sha256(rendered.docx)
    letter.template_path, letter.renderer = rendered.template_path, renderer_versions()
    letter.status, letter.sent_at, letter.sent_via = "sent", utcnow(), via
    letter.sent_by, letter.sent_by_label = acting.user_id, acting.label
    session.add(letter)
    _audit(session, case, acting, "letter_sent", ctx.clock.today(), letter, via=via,
           pdf_sha256=letter.pdf_sha256, docx_sha256=letter.docx_sha256,
           template=letter.template_path, template_version=letter.template_version)  # fmt: skip
    return letter, case, acting


def send_letter(ctx: AppContext, *, actor: Actor, letter_id: uuid.UUID, via: str = "post") -> Letter:
    """Record an approved letter as sent (posted or handed over), keeping its PDF and .docx for good."""
    if via not in SEND_CHANNELS:
        raise ValidationFailed(f"send by one of: {', '.join(SEND_CHANNELS)}", field="via")
    with ctx.uow() as uow:
        letter, case, _acting_user = _mark_sent(ctx, uow, actor, letter_id, via)
        uow.session.add(case)
        uow.commit()
        return letter


def email_address(session: Session, letter: Letter) -> str:
    """The recipient's secure e-mail address on record (an agency's), or "" when there is none."""
    if letter.agency_id is None:
        return ""
    agency = session.get(Agency, letter.agency_id)
    return (agency.senior_manager_email or agency.email or "").strip() if agency else ""


def _queue_email(ctx: AppContext, uow: UnitOfWork, letter: Letter, address: str, with_docx: bool) -> None:
    now = ctx.clock.now()
    uow.session.add(
        LetterDelivery(letter_id=letter.id, case_id=letter.case_id, to_address=address,
                       with_docx=with_docx, queued_at=now)
    )  # fmt: skip
    queue_outbox_item(
        uow.session, case_id=letter.case_id, kind=EMAIL_KIND, topic=letter.code, available_at=now,
        payload={"letter_id": str(letter.id)},
    )  # fmt: skip


def email_letter(ctx: AppContext, *, actor: Actor, letter_id: uuid.UUID, with_docx: bool = False) -> Letter:
    """Send an approved letter by e-mail: keep the sent copy and queue the e-mail (PDF, and Word if
    chosen) to the recipient's secure address; the outbox drain sends it and records delivery."""
    with ctx.uow() as uow:
        letter = _letter(uow.session, letter_id)
        address = email_address(uow.session, letter)
        if not address:
            raise ValidationFailed(
                "there is no secure e-mail address on record for this recipient: "
                "post the letter and record it as sent",
                field="via",
            )
        letter, case, _acting_user = _mark_sent(ctx, uow, actor, letter_id, "email")
        _queue_email(ctx, uow, letter, address, with_docx)
        uow.session.add(case)
        uow.commit()
        return letter


DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def letter_mail(ctx: AppContext, letter_id: uuid.UUID, item_id: uuid.UUID) -> Mail | None:
    """The e-mail of a sent letter: its stored PDF (and Word file, if chosen) to the secure address."""
    with ctx.reader() as uow:
        session = uow.session
        letter = session.get(Letter, letter_id)
        delivery = session.get(LetterDelivery, letter_id)
        case = session.get(Case, letter.case_id) if letter is not None else None
        if letter is None or delivery is None or case is None or letter.pdf is None:
            return None
        spec = spec_for(letter.code, ctx.settings.templates_dir)
        name = f"{case.ref}-{spec.number}-{letter.letter_date.isoformat()}"
        attachments = [Attachment(f"{name}.pdf", "application", "pdf", letter.pdf)]
        if delivery.with_docx and letter.docx is not None:
            attachments.append(Attachment(f"{name}.docx", *DOCX_TYPE, letter.docx))
        csp = session.get(Csp, case.csp_id)
        sender = csp.name if csp else "the Community Safety Partnership"
        body = (
            f"Please find attached {spec.number}, {spec.title}, for the Domestic Homicide Review "
            f"{case.ref}, from {sender}.\n\nIt is sent to {letter.recipient_label} as an official, "
            "sensitive document: keep it within your secure systems.\n"
        )
        return Mail(
            to=(delivery.to_address,),
            subject=f"[{ctx.settings.protective_marking}] {case.ref}: {spec.number} {spec.title}",
            body=body,
            message_id=message_id(f"letter-{letter.id}-{item_id}"),
            attachments=tuple(attachments),
        )


def record_delivery(ctx: AppContext, letter_id: uuid.UUID, *, failure: str = "", final: bool = False) -> None:
    """Record how an e-mail attempt went: sent, or the reason it failed (finally, or for now)."""
    with ctx.uow() as uow:
        session = uow.session
        delivery = session.get(LetterDelivery, letter_id)
        letter = session.get(Letter, letter_id)
        if delivery is None or letter is None:
            return
        case = case_lookup.get_case_for_update(uow, letter.case_id, None)
        delivery.attempts += 1
        if failure:
            delivery.failure = failure[:1000]
            delivery.status = "failed" if final else "queued"
        else:
            delivery.status, delivery.sent_at, delivery.failure = "sent", ctx.clock.now(), ""
        session.add(delivery)
        kind = "letter_emailed" if not failure else "letter_email_failed"
        _audit(session, case, Actor.system(), kind, ctx.clock.today(), letter,
               reason=failure[:200], final=final)  # fmt: skip
        session.add(case)
        uow.commit()


def delivery_label(delivery: LetterDelivery | None) -> str:
    """How a letter's e-mail fared, as the pages say it ("" when it was not e-mailed by the engine)."""
    if delivery is None:
        return ""
    if delivery.status == "sent" and delivery.sent_at is not None:
        return f"sent by e-mail on {format_date(delivery.sent_at.date())}"
    if delivery.status == "failed":
        return f"failed: {delivery.failure}"
    if delivery.failure:
        return f"queued, not sent yet (the last try failed: {delivery.failure})"
    return "queued, not sent yet"


def delivery_of(ctx: AppContext, letter_ids: list[uuid.UUID]) -> dict[uuid.UUID, LetterDelivery]:
    """How the e-mails of these letters fared (only letters sent by e-mail have a row)."""
    if not letter_ids:
        return {}
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(LetterDelivery).where(col(LetterDelivery.letter_id).in_(letter_ids))
        ).all()
        for row in rows:
            uow.session.expunge(row)
        return {row.letter_id: row for row in rows}


def cancel_letter(ctx: AppContext, *, actor: Actor, letter_id: uuid.UUID, reason: str) -> Letter:
    """Withdraw a draft or approved letter (it stays in the register, marked cancelled)."""
    if not reason.strip():
        raise ValidationFailed("say why the letter is cancelled", field="reason")
    with ctx.uow() as uow:
        session = uow.session
        letter, case, acting = _letter_to_change(uow, actor, letter_id)
        if letter.status == "sent":
            raise LetterSent("a sent letter cannot be cancelled or deleted", field="status")
        if letter.status == "cancelled":
            raise Conflict("the letter is already cancelled", field="status")
        access.require_draft(acting, letter.recipient_kind)
        letter.status, letter.cancelled_reason = "cancelled", reason.strip()
        session.add(letter)
        _audit(session, case, acting, "letter_cancelled", ctx.clock.today(), letter)
        session.add(case)
        uow.commit()
        return letter


def record_address_preference(
    ctx: AppContext, *, actor: Actor, person_id: uuid.UUID, addressee: str, salutation: str,
    deceased_name: str = "", agreed_on: date | None = None,
) -> AddressPreference:  # fmt: skip
    """Record how a family member agreed to be addressed (and how they name the person who died)."""
    if not addressee.strip() or not salutation.strip():
        raise ValidationFailed("give both the addressee and the salutation", field="addressee")
    with ctx.uow() as uow:
        session = uow.session
        person = session.get(Person, person_id)
        if person is None or person.role not in ("family", "friend"):
            raise ValidationFailed("no such family member", field="person_id")
        case = case_lookup.get_case_for_update(uow, person.case_id, None)
        acting = _acting(session, actor, case)
        access.require_draft(acting, "family")
        pref = session.get(AddressPreference, person.id) or AddressPreference(
            person_id=person.id, addressee="", salutation="", agreed_on=ctx.clock.today()
        )
        pref.addressee, pref.salutation, pref.deceased_name = (
            addressee.strip(),
            salutation.strip(),
            deceased_name,
        )
        pref.agreed_on, pref.recorded_by = agreed_on or ctx.clock.today(), acting.user_id
        session.add(pref)
        append_event(session, case, kind="letter_address_agreed", actor=acting, effective_on=pref.agreed_on,
                     recorded_at=ctx.clock.now(), data={"person": person.pseudonym})  # fmt: skip
        session.add(case)
        uow.commit()
        return pref


# --- queued by transitions ------------------------------------------------------------------------


def draft_for_outbox_item(ctx: AppContext, item_id: uuid.UUID) -> list[Letter]:
    """Draft every letter a queued OutboxItem asks for, and settle the item, in one transaction."""
    with ctx.uow() as uow:
        session = uow.session
        item = session.get(OutboxItem, item_id)
        if item is None or item.kind != "letter" or item.status == "done" or item.case_id is None:
            return []
        case = case_lookup.get_case_for_update(uow, item.case_id, None)
        csp = session.get(Csp, case.csp_id)
        assert csp is not None
        spec = spec_for(item.topic, ctx.settings.templates_dir)
        system = Actor.system()
        letters = []
        for recipient, purpose in _queued_for(session, case, csp, spec, item):
            if _serving(ctx, session, case, spec.code, recipient, purpose, system) is not None:
                continue  # queued again for the same recipient and purpose: already drafted
            letters.append(
                _store_draft(ctx, session, case, csp, spec, recipient, system, overrides={},
                             source="workflow", batch_key=purpose)
            )  # fmt: skip
        item.status, item.done_at, item.last_error = "done", utcnow(), ""
        item.attempts += 1
        session.add(item)
        session.add(case)
        uow.commit()
        return letters


def _queued_for(
    session: Session, case: Case, csp: Csp, spec: LetterSpec, item: OutboxItem
) -> list[tuple[Recipient, str]]:
    """Who a queued letter goes to, each with its purpose: the agencies of a return request (one
    letter per request), or the spec's recipient rule (one letter per recipient)."""
    request_ids = item.payload.get("return_request_ids") or []
    if not request_ids:
        return [(r, "") for r in default_recipients(session, case, csp, spec)]
    found = []
    for raw in request_ids:
        request = session.get(ReturnRequest, uuid.UUID(str(raw)))
        agency = session.get(Agency, request.agency_id) if request is not None else None
        if request is not None and agency is not None and request.case_id == case.id:
            found.append((agency_recipient(agency), return_purpose(request.id)))
    if not found:
        raise ValidationFailed(f"no agency to send {spec.number} to on this case", field="agency_id")
    return found


def return_purpose(request_id: uuid.UUID) -> str:
    """The purpose key of the letter asking an agency for one return."""
    return f"return:{request_id}"


def _mark_failed(ctx: AppContext, item_id: uuid.UUID, err: DhrError) -> None:
    """Record why a queued letter could not be drafted (field names only, never values)."""
    with ctx.uow() as uow:
        item = uow.session.get(OutboxItem, item_id)
        if item is not None:
            item.status, item.attempts = "failed", item.attempts + 1
            item.last_error = needs_input(err)[:1000]  # the column holds a diagnostic of field names
            uow.session.add(item)
            uow.commit()


@dataclass
class DrainResult:
    drafted: int = 0
    needs_input: list[tuple[str, str]] = field(default_factory=list)  # (case ref, letter code)


def draft_queued_letters(ctx: AppContext, *, limit: int = 100) -> DrainResult:
    """Draft the letters transitions queued (pending OutboxItems of kind 'letter')."""
    with ctx.reader() as uow:
        rows = uow.session.exec(
            select(OutboxItem.id, Case.ref, OutboxItem.topic)
            .join(Case, col(Case.id) == col(OutboxItem.case_id))
            .where(OutboxItem.kind == "letter", OutboxItem.status == "pending")
            .order_by(col(OutboxItem.created_at))
            .limit(limit)
        ).all()
    result = DrainResult()
    for item_id, case_ref, topic in rows:
        try:
            result.drafted += len(draft_for_outbox_item(ctx, item_id))
        except DhrError as err:
            _mark_failed(ctx, item_id, err)
            result.needs_input.append((case_ref, topic))
    return result


# --- all the agencies of a return request at once ------------------------------------------------


@dataclass(frozen=True)
class RequestLetters:
    """What one bulk action did to the letters of a return request."""

    case_ref: str
    code: str
    letters: list[Letter]


def _request_batch(session: Session, request_id: uuid.UUID) -> tuple[Case, list[ReturnRequest]]:
    """The return request and the others asked in the same go (one letter request queued them)."""
    first = session.get(ReturnRequest, request_id)
    if first is None:
        raise NotFound("no such return request", field="request_id")
    case = session.get(Case, first.case_id)
    assert case is not None
    items = session.exec(
        select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "letter")
    ).all()
    ids = next(
        (
            i.payload["return_request_ids"]
            for i in items
            if str(request_id) in i.payload.get("return_request_ids", [])
        ),
        [str(request_id)],
    )
    batch = [r for r in (session.get(ReturnRequest, uuid.UUID(str(x))) for x in ids) if r is not None]
    return case, sorted(batch, key=lambda r: str(r.id))


def _batch_letters(session: Session, case: Case, code: str, batch: list[ReturnRequest]) -> list[Letter]:
    purposes = [return_purpose(r.id) for r in batch]
    rows = session.exec(
        select(Letter).where(
            Letter.case_id == case.id, Letter.code == code, col(Letter.batch_key).in_(purposes),
            Letter.status != "cancelled",
        ).order_by(col(Letter.recipient_label))
    ).all()  # fmt: skip
    return list(rows)


def _settle_request_items(session: Session, case: Case, code: str, batch: list[ReturnRequest]) -> None:
    wanted = {str(r.id) for r in batch}
    for row in _queued_items(session, case.id, code):
        if set(row.payload.get("return_request_ids", [])) <= wanted:
            row.status, row.done_at, row.last_error = "done", utcnow(), ""
            session.add(row)


def draft_for_request(ctx: AppContext, *, actor: Actor, request_id: uuid.UUID) -> RequestLetters:
    """Draft (or bring up to date) the request letter to every agency asked with this request."""
    with ctx.uow() as uow:
        session = uow.session
        found, batch = _request_batch(session, request_id)
        case = case_lookup.get_case_for_update(uow, found.id, None)
        acting = _acting(session, actor, case)
        access.require_draft(acting, "agency")
        csp = session.get(Csp, case.csp_id)
        assert csp is not None
        code = return_kind(batch[0].kind).letter
        spec = spec_for(code, ctx.settings.templates_dir)
        for request in batch:
            agency = session.get(Agency, request.agency_id)
            assert agency is not None
            to, purpose = agency_recipient(agency), return_purpose(request.id)
            serving = _serving(ctx, session, case, spec.code, to, purpose, acting)
            if serving is None or serving.status == "draft":
                _store_draft(ctx, session, case, csp, spec, to, acting, overrides={}, source="bulk",
                             batch_key=purpose)  # fmt: skip
        _settle_request_items(session, case, spec.code, batch)
        session.add(case)
        session.flush()
        letters = _batch_letters(session, case, spec.code, batch)
        uow.commit()
        return RequestLetters(case.ref, spec.code, letters)


def approve_for_request(ctx: AppContext, *, actor: Actor, request_id: uuid.UUID) -> RequestLetters:
    """Approve every draft letter of the request at once; all or none (never the drafter's own)."""
    with ctx.uow() as uow:
        session = uow.session
        found, batch = _request_batch(session, request_id)
        case = case_lookup.get_case_for_update(uow, found.id, None)
        acting = _acting(session, actor, case)
        code = return_kind(batch[0].kind).letter
        spec = spec_for(code, ctx.settings.templates_dir)
        drafts = [x for x in _batch_letters(session, case, spec.code, batch) if x.status == "draft"]
        if not drafts:
            raise Conflict("there are no draft letters of this request to approve", field="status")
        for letter in drafts:
            access.require_see(acting, letter)
            access.require_approve(acting, spec, letter)
        for letter in drafts:
            letter.status, letter.approved_at = "approved", utcnow()
            letter.approved_by, letter.approved_by_label = acting.user_id, acting.label
            session.add(letter)
            _audit(session, case, acting, "letter_approved", ctx.clock.today(), letter, bulk=True)
        session.add(case)
        uow.commit()
        return RequestLetters(case.ref, spec.code, drafts)


def send_for_request(
    ctx: AppContext, *, actor: Actor, request_id: uuid.UUID, with_docx: bool = False
) -> RequestLetters:
    """E-mail every approved letter of the request at once; all or none (each needs an address)."""
    with ctx.uow() as uow:
        session = uow.session
        found, batch = _request_batch(session, request_id)
        case = case_lookup.get_case_for_update(uow, found.id, None)
        _acting(session, actor, case)
        code = return_kind(batch[0].kind).letter
        ready = [x for x in _batch_letters(session, case, code, batch) if x.status == "approved"]
        if not ready:
            raise Conflict("there are no approved letters of this request to send", field="status")
        addresses = {x.id: email_address(session, x) for x in ready}
        if not all(addresses.values()):
            raise ValidationFailed(
                "an agency of this request has no secure e-mail address on record: post its letter instead",
                field="via",
            )
        sent = []
        for letter in ready:
            done, _case, _acting_user = _mark_sent(ctx, uow, actor, letter.id, "email")
            _queue_email(ctx, uow, done, addresses[letter.id], with_docx)
            sent.append(done)
        session.add(case)
        uow.commit()
        return RequestLetters(case.ref, code, sent)


def _require_handles(acting: Actor, spec: LetterSpec) -> None:
    """Only those who may draft, approve or send the letters see the request's letters page."""
    if acting.has_any(spec.approvers):
        return
    try:
        access.require_draft(acting, "agency")
    except DhrError:
        try:
            access.require_send(acting, spec)
        except DhrError:
            raise PermissionDenied(
                "your role on this case does not let you handle these letters", field="role"
            ) from None


def request_letters(ctx: AppContext, *, actor: Actor, request_id: uuid.UUID) -> tuple[RequestLetters, int]:
    """The letters of a return request's agencies this actor may read, and how many agencies it asked."""
    with ctx.reader() as uow:
        session = uow.session
        case, batch = _request_batch(session, request_id)
        acting = _acting(session, actor, case)
        code = return_kind(batch[0].kind).letter
        _require_handles(acting, spec_for(code, ctx.settings.templates_dir))
        rows = [x for x in _batch_letters(session, case, code, batch) if access.may_see_letter(acting, x)]
        for row in rows:
            session.expunge(row)
        return RequestLetters(case.ref, code, rows), len(batch)


# --- reading --------------------------------------------------------------------------------------


def list_letters(
    ctx: AppContext, *, actor: Actor, case_id: uuid.UUID | None = None, ref: str | None = None
) -> list[Letter]:
    """The case's letter register, as far as this actor may read it (oldest first)."""
    with ctx.reader() as uow:
        session = uow.session
        case = case_lookup.get_case(session, case_id=case_id, ref=ref)
        acting = _acting(session, actor, case)
        rows = session.exec(
            select(Letter).where(Letter.case_id == case.id).order_by(col(Letter.drafted_at), col(Letter.code))
        ).all()
        visible = [r for r in rows if access.may_see_letter(acting, r)]
        for row in visible:
            session.expunge(row)
        return visible


def queued_letters(ctx: AppContext, *, case_id: uuid.UUID) -> list[OutboxItem]:
    """Letters a transition queued that are not drafted yet (with what they still need)."""
    with ctx.reader() as uow:
        rows = _queued_items(uow.session, case_id)
        for row in rows:
            uow.session.expunge(row)
        return rows


def get_letter(ctx: AppContext, *, actor: Actor, letter_id: uuid.UUID) -> Letter:
    """One letter this actor may read."""
    with ctx.reader() as uow:
        session = uow.session
        letter = _letter(session, letter_id)
        case = case_lookup.get_case(session, case_id=letter.case_id)
        access.require_see(_acting(session, actor, case), letter)
        session.expunge(letter)
        return letter


def _stored_model(ctx: AppContext, letter: Letter) -> tuple[LetterSpec, LetterContext]:
    """The letter's catalogue entry and its stored context, validated again."""
    spec = spec_for(letter.code, ctx.settings.templates_dir)
    return spec, spec.context_model.model_validate(letter.context)


def _render_stored(ctx: AppContext, letter: Letter) -> RenderedLetter:
    spec, model = _stored_model(ctx, letter)
    return render_letter(spec, model, templates_dir=ctx.settings.templates_dir, csp_slug=letter.csp_slug)


def letter_html(ctx: AppContext, letter: Letter) -> str:
    """The HTML preview of a letter from its stored context."""
    spec, model = _stored_model(ctx, letter)
    return render_html(spec, model, templates_dir=ctx.settings.templates_dir, csp_slug=letter.csp_slug)


def letter_file(ctx: AppContext, letter: Letter, fmt: str) -> bytes:
    """The letter as 'pdf' or 'docx': the stored bytes once sent, a fresh rendering before."""
    if fmt not in ("pdf", "docx"):
        raise ValidationFailed("format must be pdf or docx", field="format")
    if letter.status == "sent":
        data = letter.pdf if fmt == "pdf" else letter.docx
        assert data is not None
        return data
    rendered = _render_stored(ctx, letter)
    return rendered.pdf if fmt == "pdf" else rendered.docx


def verify_letter(letter: Letter) -> list[str]:
    """Problems with a sent letter's stored copy (empty when every hash matches)."""
    if letter.status != "sent":
        return [f"the letter is {letter.status}, not sent: there is no sent copy to verify"]
    problems = []
    if letter.pdf is None or sha256(letter.pdf) != letter.pdf_sha256:
        problems.append("the stored PDF does not match its SHA-256 hash")
    if letter.docx is None or sha256(letter.docx) != letter.docx_sha256:
        problems.append("the stored .docx does not match its SHA-256 hash")
    if context_hash(letter.context) != letter.context_sha256:
        problems.append("the stored context does not match its SHA-256 hash")
    return problems


@dataclass(frozen=True)
class Rerender:
    """Whether rendering a sent letter again gives the bytes that were sent, and if not, why."""

    identical: bool
    reasons: tuple[str, ...]


def rerender_sent(ctx: AppContext, letter: Letter) -> Rerender:
    """Render a sent letter again from its stored context and compare with the stored bytes."""
    if letter.status != "sent":
        return Rerender(False, ("the letter has not been sent",))
    rendered = _render_stored(ctx, letter)
    if rendered.pdf == letter.pdf and rendered.docx == letter.docx:
        return Rerender(True, ())
    reasons = [
        f"the {name} differs from the one sent"
        for name, same in (("PDF", rendered.pdf == letter.pdf), (".docx", rendered.docx == letter.docx))
        if not same
    ]
    now_version = current_template_version(ctx.settings.templates_dir, letter.csp_slug, letter.template_name)
    if now_version != letter.template_version:
        reasons.append(
            f"the template has changed since sending (was {letter.template_version}, now {now_version})"
        )
    now_renderer = renderer_versions()
    for name, version in sorted(letter.renderer.items()):
        if now_renderer.get(name) != version:
            reasons.append(f"{name} is now {now_renderer.get(name)}; the letter was rendered with {version}")
    return Rerender(not reasons, tuple(reasons))
