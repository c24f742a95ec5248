"""The signed-in user's own lists: what needs my attention, and my notifications."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from dhr_engine.api.deps import API_PREFIX, CtxDep, CurrentUserDep, PageDep, page_body, paginate_list
from dhr_engine.api.paging import Page
from dhr_engine.deadlines import notifications as notification_service
from dhr_engine.deadlines import queries as attention_service
from dhr_engine.deadlines.schemas import AGENCY_DESCRIPTION, AGENCY_EXAMPLE, DeadlineAgencyOut

router = APIRouter(prefix=API_PREFIX, tags=["me"])


ITEM_EXAMPLE: dict[str, Any] = {
    "group": "escalated",
    "case_ref": "DHR-2026-003",
    "deadline_id": "0b7c4a8e-2a55-4f0e-9d43-6f1b1d2f9a10",
    "key": "imr_return",
    "label": "Individual Management Review returned",
    "owner_role": "agency_manager",
    "due_on": "2026-11-16",
    "days": -9,
    "escalation_level": 1,
    "mine": True,
    "agency": AGENCY_EXAMPLE,
}
NOTIFICATION_EXAMPLE: dict[str, Any] = {
    "id": "5d0f2b8c-7e2a-4a57-8f0e-2c1b9b8e4d21",
    "kind": "escalation",
    "title": "DHR-2026-003: Individual Management Review returned — overdue by 7 days — escalation 1",
    "body": "Escalation 1: 'Individual Management Review returned' on case DHR-2026-003 was due on "
    "16 November 2026 and is 7 days overdue.",
    "created_at": "2026-11-23T12:00:00Z",
    "read": False,
    "email": "sent",
}


class AttentionItemOut(BaseModel):
    """One open deadline that needs attention."""

    model_config = ConfigDict(json_schema_extra={"examples": [ITEM_EXAMPLE]})

    group: str = Field(description="escalated | overdue | due_soon", examples=["escalated"])
    case_ref: str = Field(examples=["DHR-2026-003"])
    deadline_id: uuid.UUID
    key: str = Field(examples=["imr_return"])
    label: str = Field(examples=["Individual Management Review returned"])
    owner_role: str = Field(examples=["agency_manager"])
    due_on: date
    days: int = Field(description="Days left; negative when overdue", examples=[-9])
    escalation_level: int = Field(description="0 when not escalated", examples=[1])
    mine: bool = Field(description="You own it, or a notice about it went to you")
    agency: DeadlineAgencyOut | None = Field(default=None, description=AGENCY_DESCRIPTION)

    @classmethod
    def from_item(cls, group: str, item: attention_service.AttentionItem) -> AttentionItemOut:
        return cls(
            group=group,
            case_ref=item.case_ref,
            deadline_id=item.deadline_id,
            key=item.key,
            label=item.label,
            owner_role=item.owner_role,
            due_on=item.due_on,
            days=item.days,
            escalation_level=item.escalation_level,
            mine=item.mine,
            agency=DeadlineAgencyOut.of(item.agency),
        )


class NotificationOut(BaseModel):
    """A reminder, due-day notice or escalation sent to you (with whether its e-mail went)."""

    model_config = ConfigDict(json_schema_extra={"examples": [NOTIFICATION_EXAMPLE]})

    id: uuid.UUID
    kind: str = Field(examples=["escalation"])
    title: str = Field(examples=["DHR-2026-003: Individual Management Review returned — overdue by 7 days"])
    body: str
    created_at: datetime
    read: bool
    email: str = Field(description="none | queued | sent | failed", examples=["sent"])


class MarkedOut(BaseModel):
    """How many notifications were marked read."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"marked": 3}]})

    marked: int = Field(ge=0, examples=[3])


@router.get("/me/attention", response_model=Page[AttentionItemOut], summary="What needs my attention")
def my_attention(
    ctx: CtxDep,
    me: CurrentUserDep,
    page: PageDep,
    due_within_days: Annotated[int, Query(ge=0, le=90, description="The 'due soon' window in days")] = 14,
) -> dict[str, Any]:
    """Open deadlines across every case you may see: escalated first, then overdue, then due soon
    (each deadline once; paused ones left out); within each group yours first, most urgent first."""
    with ctx.reader() as uow:
        board = attention_service.attention_for(
            uow.session, me.actor, ctx.clock.today(), due_within_days=due_within_days
        )
    items = [
        AttentionItemOut.from_item(group, item)
        for group, items in (
            ("escalated", board.escalated),
            ("overdue", board.overdue),
            ("due_soon", board.due_soon),
        )
        for item in items
    ]
    return paginate_list(items, page)


@router.get("/me/notifications", response_model=Page[NotificationOut], summary="My notifications")
def my_notifications(
    ctx: CtxDep,
    me: CurrentUserDep,
    page: PageDep,
    unread: Annotated[bool, Query(description="Only the ones not read yet")] = False,
) -> dict[str, Any]:
    """Reminders, due-day notices and escalations sent to you, newest first."""
    with ctx.reader() as uow:
        total, views = notification_service.list_for_user(
            uow.session, me.user.id, unread_only=unread, limit=page.limit, offset=page.offset
        )
    items = [
        NotificationOut(id=v.id, kind=v.kind, title=v.title, body=v.body, created_at=v.created_at,
                        read=v.read, email=v.email)
        for v in views
    ]  # fmt: skip
    return page_body(items, total, page)


@router.post(
    "/me/notifications/{notification_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Mark a notification read",
)
def read_notification(
    ctx: CtxDep, me: CurrentUserDep, notification_id: Annotated[uuid.UUID, Path()]
) -> Response:
    """Mark one of your notifications read (another user's answers 404)."""
    with ctx.uow() as uow:
        notification_service.mark_read(uow.session, me.user.id, notification_id, ctx.clock.now())
        uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/notifications/read-all", response_model=MarkedOut, summary="Mark all my notifications read")
def read_all(ctx: CtxDep, me: CurrentUserDep) -> MarkedOut:
    """Mark every notification of yours read."""
    with ctx.uow() as uow:
        marked = notification_service.mark_all_read(uow.session, me.user.id, ctx.clock.now())
        uow.commit()
    return MarkedOut(marked=marked)
