"""Reminders (提醒), one group of use cases in four parts: planning (a pure function of read models,
rule-set offsets and a date), issuing (each planned reminder stored once, deterministic id),
delivery (each due row claimed by a lease, the reminder and its task re-checked at the attempt, a
channel retried until it succeeds or is dead-lettered) and the inbox."""

from __future__ import annotations

from typing import Any

from application.ports import ContactDirectory, Mailer, PlanningView, RegisterView, ReminderView, WebhookPoster
from application.reminders.delivery import DeliveryPolicy, ReminderDelivery
from application.reminders.inbox import Inbox
from application.reminders.issuing import ReminderIssuing


class Reminders(ReminderIssuing, ReminderDelivery, Inbox):
    def __init__(
        self,
        *args: Any,
        view: ReminderView,
        planning: PlanningView,
        register: RegisterView,
        contacts: ContactDirectory,
        mailer: Mailer,
        webhooks: WebhookPoster,
        policy: DeliveryPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.view, self.planning, self.register, self.contacts = view, planning, register, contacts
        self.mailer, self.webhooks, self.policy = mailer, webhooks, policy
