"""/api/reminders and /api/inbox: what was issued to whom, its deliveries, dead letters, and
each signed-in person's inbox."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter

from application.queries.common import Page
from application.queries.reminders import ReminderQuery, ReminderRow
from domain.provenance import Role
from domain.reminder import PlannedReminder
from interfaces.common.commands import context, system_of
from interfaces.common.security import SIGNED_IN, STAFF, allow
from interfaces.http.compliance_dto import AsOfIn

STAFF_AND_AUDITOR = (*STAFF, Role.AUDITOR)
RECIPIENTS = tuple(r for r in SIGNED_IN if r is not Role.AUDITOR)  # the auditor only reads


class RetryIn(msgspec.Struct, frozen=True):
    channel: Literal["email", "webhook"]


class PlannedOut(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    subject_id: UUID
    recipient: str
    offset: str
    due_on: date
    text_zh: str
    text_en: str

    @classmethod
    def of(cls, p: PlannedReminder) -> PlannedOut:
        return cls(p.id, p.kind, p.subject_id, p.recipient, p.offset, p.due_on, p.text_zh, p.text_en)


class UnreadOut(msgspec.Struct, frozen=True):
    unread: int


class ReminderController(Controller):
    path = "/api"
    tags = ["reminders 提醒"]

    @get(
        "/reminders",
        operation_id="listReminders",
        summary="已发提醒及投递记录 / Issued reminders and their deliveries",
        description="可按类型、投递状态筛选(dead = 失败待重试,cancelled = 事项已办结未发送)。"
        "Filter by kind and delivery status (dead = dead letters, cancelled = not sent, the task was done).",
        guards=[allow(*STAFF_AND_AUDITOR)],
        sync_to_thread=True,
    )
    def list_reminders(
        self,
        request: Request[Any, Any, Any],
        kind: Annotated[str | None, Parameter(max_length=40)] = None,
        delivery_status: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> Page[ReminderRow]:
        system = system_of(request)
        system.reminder_view.catch_up()
        query = ReminderQuery(kind=kind, delivery_status=delivery_status, page=page, per_page=per_page)
        return system.reminder_view.reminders(query)

    @get(
        "/reminders/plan",
        operation_id="planReminders",
        summary="预览某日应发提醒 / What would be issued as of a date",
        description="只读预览。A read-only preview.",
        guards=[allow(*STAFF_AND_AUDITOR)],
        sync_to_thread=True,
    )
    def plan(self, request: Request[Any, Any, Any], as_of: date) -> list[PlannedOut]:
        return [PlannedOut.of(p) for p in system_of(request).reminders.plan(as_of)]

    @post(
        "/reminders/issue",
        operation_id="issueReminders",
        summary="按日期发出提醒 / Issue the reminders due as of a date",
        description="幂等:同一日期重复执行不会重复发出。Idempotent: the same date never issues twice.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def issue(self, request: Request[Any, Any, Any], data: AsOfIn) -> dict[str, int]:
        return system_of(request).reminders.issue(context(request), data.as_of)

    @post(
        "/reminders/{reminder_id:uuid}/retry",
        operation_id="retryReminder",
        summary="重新投递失败的提醒 / Retry a dead letter",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def retry(self, request: Request[Any, Any, Any], reminder_id: UUID, data: RetryIn) -> dict[str, str]:
        system_of(request).reminders.retry(context(request), reminder_id, data.channel)
        return {"status": "pending"}

    @get("/inbox", operation_id="getInbox", summary="我的提醒 / My inbox", guards=[allow(*SIGNED_IN)], sync_to_thread=True)
    def inbox(
        self, request: Request[Any, Any, Any], unread: bool = False, page: Annotated[int, Parameter(ge=1, le=100_000)] = 1
    ) -> Page[ReminderRow]:
        return system_of(request).reminders.inbox(context(request), unread, page)

    @get(
        "/inbox/unread-count",
        operation_id="getUnreadCount",
        summary="未读提醒数 / Unread reminders",
        guards=[allow(*SIGNED_IN)],
        sync_to_thread=True,
    )
    def unread(self, request: Request[Any, Any, Any]) -> UnreadOut:
        return UnreadOut(system_of(request).reminders.unread(context(request)))

    @post(
        "/inbox/{reminder_id:uuid}/read",
        operation_id="markReminderRead",
        summary="标为已读 / Mark as read",
        guards=[allow(*RECIPIENTS)],
        sync_to_thread=True,
        status_code=200,
    )
    def mark_read(self, request: Request[Any, Any, Any], reminder_id: UUID) -> UnreadOut:
        system = system_of(request)
        system.reminders.mark_read(context(request), reminder_id)
        return UnreadOut(system.reminders.unread(context(request)))
