"""Issuing reminders: each planned reminder is stored once (its id is derived from what it is
about), a chunk per transaction, with the channels its recipient can be reached by."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import date
from functools import partial
from itertools import islice

from application.behind import Behind
from application.context import CommandContext
from application.ports import ContactDirectory, Mailer, ReminderView
from application.queries.reminders import ContactRow
from application.reminders.planning import ReminderPlanning
from application.rights import command
from domain.reminder import PlannedReminder, Reminder

log = logging.getLogger("starledger.reminders")
ISSUE_BATCH = 10_000  # reminders per transaction: at 500 the commits were a tenth of the sweep; at a million
# organizations 2,000 was 6 % slower (each commit rewrites the pages of three randomly keyed indexes)


class ReminderIssuing(ReminderPlanning):
    """Stores what planning finds. The ports are set by `Reminders`."""

    view: ReminderView
    contacts: ContactDirectory
    mailer: Mailer

    @command("reminders.issue")
    def issue(self, ctx: CommandContext, as_of: date) -> dict[str, int]:
        """Store each planned reminder once; a second run, instance or replay stores nothing.
        Reminders are stored a chunk per transaction: at a million organizations one
        transaction per reminder was the whole cost of the sweep."""
        self._not_in_future(as_of)
        self.planning.catch_up()
        counts = {"planned": 0, "issued": 0, "already_issued": 0}
        reachable = self.contacts.reachable()

        def stored(n: int) -> None:
            counts["issued"] += n

        with Behind("reminders-store", self.store.saves_behind) as behind:  # a chunk stored while the next is planned
            for chunk in _chunks(self._planned(as_of), ISSUE_BATCH):
                plans = list({p.id: p for p in chunk}.values())
                issued = self.view.issued(plans)  # a repeat still storing collides instead
                counts["planned"] += len(plans)
                fresh = [p for p in plans if p.id not in issued]
                behind.submit(partial(self._store, ctx, fresh, reachable), stored)
        counts["already_issued"] = counts["planned"] - counts["issued"]
        log.info("reminders as of %s: %s", as_of, counts)
        return counts

    def _store(self, ctx: CommandContext, plans: list[PlannedReminder], reachable: dict[str, list[ContactRow]]) -> int:
        """All in one transaction; if a concurrent sweep issued one of them first, one by one.
        The chunk's reminders are recorded at one instant and take effect on the day it is decided,
        found once: `_at` reads the clock and chooses the rule set for the timezone each time (a
        twentieth of the sweep), and a provenance per reminder was another."""
        if not plans:  # nothing decided, nothing to check the command's day against (as before)
            return 0
        at = ctx.provenance(self.clock.now(), effective_on=self._effective_on(ctx))  # as `_at`: the chunk's, recorded now

        def issued(plan: PlannedReminder) -> tuple[bool, list[Reminder]]:
            return True, [Reminder.issue(plan, self._channels(plan.recipient, reachable), at)]

        return sum(1 for stored in self._in_chunk(plans, issued) if stored)

    def _channels(self, recipient: str, reachable: dict[str, list[ContactRow]]) -> tuple[str, ...]:
        contacts = reachable.get(recipient)
        if not contacts:  # most recipients: the inbox only, without building a set for it
            return ()
        wanted = set()
        for contact in contacts:
            if "email" in contact.channels and contact.email and self.mailer.configured:
                wanted.add("email")
            if "webhook" in contact.channels and contact.webhook_url:
                wanted.add("webhook")
        return tuple(sorted(wanted))


def _chunks(items: Iterable[PlannedReminder], size: int) -> Iterator[list[PlannedReminder]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
