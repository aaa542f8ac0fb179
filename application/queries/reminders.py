"""Read-side shapes of reminders (提醒): rows, deliveries and their leases, contacts. msgspec
Structs, so interfaces serialise them as they are."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec


class ContactRow(msgspec.Struct, frozen=True):
    """Where a user wants reminders: channels in order of preference; the inbox always."""

    user_id: str
    email: str | None
    webhook_url: str | None
    channels: list[str]


class DeliveryRow(msgspec.Struct, frozen=True):
    channel: str
    status: str  # pending | delivered | dead | cancelled (the task was done before it went out)
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


class ReminderRow(msgspec.Struct, frozen=True):
    id: UUID
    kind: str
    subject_id: UUID
    recipient: str
    period: str
    offset: str
    due_on: date
    text_zh: str
    text_en: str
    issued_at: datetime
    read: bool
    deliveries: list[DeliveryRow]
    done_zh: str | None = None  # why the reminder was cancelled: its task was done (a report filed …)
    done_en: str | None = None


class DeliveryClaim(msgspec.Struct, frozen=True):
    """One delivery row leased to one deliverer until `until`; `token` is unique to this claim."""

    reminder_id: UUID
    channel: str
    token: str
    until: datetime


class ReminderQuery(msgspec.Struct, frozen=True):
    recipients: list[str] | None = None  # None = everyone's (staff)
    kind: str | None = None
    delivery_status: str | None = None  # pending | delivered | dead | cancelled
    unread_for: str | None = None  # a user id: only what that user has not read
    reader: str | None = None  # a user id: "read" is that user's
    page: int = 1
    per_page: int = 50
