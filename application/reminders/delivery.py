"""Delivering reminders: each attempt claims its delivery row (a lease), re-checks the reminder
and its task, and retries a channel until it succeeds or is dead-lettered, with the reminder id as
the receiver's idempotency key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from application.context import CommandContext
from application.ports import ContactDirectory, Mailer, PlanningView, ReminderView, WebhookPoster
from application.queries.reminders import DeliveryClaim
from application.reminders.completion import task_done
from application.rights import command
from application.usecases import UseCases
from domain.reminder import Reminder, backoff

log = logging.getLogger("starledger.reminders")


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int
    backoff_seconds: float
    lease_seconds: float = 300.0  # a claimed delivery row is this deliverer's for so long; longer than any send


class ReminderDelivery(UseCases):
    """The ports are set by `Reminders`."""

    view: ReminderView
    planning: PlanningView
    contacts: ContactDirectory
    mailer: Mailer
    webhooks: WebhookPoster
    policy: DeliveryPolicy

    @command("reminders.deliver_due")
    def deliver_due(self, ctx: CommandContext, deliverer: str = "deliverer", limit: int | None = 200) -> dict[str, int]:
        """Deliver what is due, one claimed row at a time, until none is left or `limit` were tried.
        Any number of processes may run this at once (schedulers of several instances, the CLI):
        each attempt first leases its delivery row atomically (`claim_delivery`), so no two of them
        attempt the same one; a deliverer that dies leaves a lease that expires, and the row is
        claimed again. At the attempt the reminder's own history decides whether the channel is
        still pending, and the read models whether its task is done (then it is cancelled)."""
        self.view.catch_up()
        self.planning.catch_up()
        counts = {"delivered": 0, "failed": 0, "dead_lettered": 0, "cancelled": 0}
        tried = 0
        while limit is None or tried < limit:
            now = self.clock.now()
            claim = self.view.claim_delivery(now, f"{deliverer}/{self.ids.new_id()}", self._lease_end(now))
            if claim is None:
                break
            tried += 1
            outcome = self._attempt(ctx, claim)
            if outcome is not None:
                counts[outcome] += 1
        return counts

    def _lease_end(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.policy.lease_seconds)

    def _attempt(self, ctx: CommandContext, claim: DeliveryClaim) -> str | None:
        """One claimed delivery: cancelled, delivered, failed or dead-lettered (None: nothing to do)."""
        channel = claim.channel
        reminder = self._get(claim.reminder_id, Reminder, "reminder")
        if not reminder.pending(channel):
            # recorded already (its row is behind): the lease stays until it expires, so no other
            # deliverer looks at it again meanwhile
            return None
        done = task_done(reminder, self.planning)
        if done is not None:
            self._record(reminder, channel, lambda r: r.cancel(*done, self._at(ctx)))
            log.info("reminder %s cancelled: %s", reminder.id, done[2])
            return "cancelled"
        # Fencing: the send starts with at least half a lease ahead. Within its lease the row is
        # ours (nobody claims an unexpired lease); past half of it, renewing it proves it still is.
        now = self.clock.now()
        if now >= claim.until - timedelta(seconds=self.policy.lease_seconds / 2):
            renewed = self.view.renew_claim(claim, self._lease_end(now))
            if renewed is None:
                log.warning("reminder %s by %s: the lease was taken over; not sent", reminder.id, channel)
                return None
            claim = renewed
        try:
            self._send(reminder, channel)
        except Exception as e:
            log.warning("delivery of reminder %s by %s failed: %s", reminder.id, channel, e)
            error = f"{type(e).__name__}: {e}"
            after = self._record(
                reminder,
                channel,
                lambda r: r.record_failure(
                    channel, error, now, self.policy.max_attempts, self.policy.backoff_seconds, self._at(ctx)
                ),
            )
            if after is None or channel in after.dead:
                self.view.release_claim(claim, None)
                return None if after is None else "dead_lettered"
            self.view.release_claim(claim, now + backoff(after.attempts[channel], self.policy.backoff_seconds))
            return "failed"
        # No release: the Delivered event makes the row 'delivered' in the same transaction (or
        # when this read model catches up; until then the lease keeps the row to itself).
        self._record(reminder, channel, lambda r: r.record_delivery(channel, now, self._at(ctx)))
        return "delivered"

    def _record(self, reminder: Reminder, channel: str, change: Callable[[Reminder], None]) -> Reminder | None:
        """Save the attempt's outcome. Another event on the reminder meanwhile (its reader marking
        it read) is not a reason to lose it: load again and record on the fresh history."""
        for _ in range(5):
            if not reminder.pending(channel):
                return None  # recorded by someone else
            change(reminder)
            try:
                self.store.save(reminder)
                return reminder
            except IntegrityError:
                reminder = self._get(reminder.id, Reminder, "reminder")
        log.error("reminder %s: the outcome on %s could not be recorded", reminder.id, channel)
        return None

    def _send(self, reminder: Reminder, channel: str) -> None:
        contacts = self.contacts.contacts_for(reminder.recipient)
        if channel == "email":
            to = [c.email for c in contacts if c.email and "email" in c.channels]
            if not to:
                raise LookupError("no email address for the recipient any more")
            body = f"{reminder.text_zh}\n\n{reminder.text_en}\n\n— StarLedger 星级台账"
            self.mailer.send(to, f"[星级台账] {reminder.text_zh[:60]}", body, str(reminder.id))
        elif channel == "webhook":
            targets = [c.webhook_url for c in contacts if c.webhook_url and "webhook" in c.channels]
            if not targets:
                raise LookupError("no webhook URL for the recipient any more")
            for url in targets:
                self.webhooks.post(url, _payload(reminder), str(reminder.id))

    @command("reminders.retry")
    def retry(self, ctx: CommandContext, reminder_id: UUID, channel: str) -> Reminder:
        reminder = self._get(reminder_id, Reminder, "reminder")
        reminder.retry(channel, self._at(ctx))
        return self._save(reminder)

    def set_contact(self, user_id: str, email: str | None, webhook_url: str | None, channels: list[str]) -> None:
        self.contacts.set_contact(user_id, email, webhook_url, channels)


def _payload(reminder: Reminder) -> bytes:
    return msgspec.json.encode(
        {
            "id": str(reminder.id),
            "kind": reminder.kind,
            "subject_id": str(reminder.subject_id),
            "recipient": reminder.recipient,
            "period": reminder.period,
            "offset": reminder.offset,
            "due_on": reminder.due_on.isoformat(),
            "text_zh": reminder.text_zh,
            "text_en": reminder.text_en,
        }
    )
