"""The in-app inbox: one's own reminders (as a user, and as the organization one acts for),
the unread count, and marking one read."""

from __future__ import annotations

from uuid import UUID

from application.context import CommandContext
from application.errors import NotFound
from application.ports import ReminderView
from application.queries.common import Page
from application.queries.reminders import ReminderQuery, ReminderRow
from application.rights import Relation, authorize, command
from application.usecases import UseCases
from domain.provenance import Role
from domain.reminder import Reminder


class Inbox(UseCases):
    """The ports are set by `Reminders`."""

    view: ReminderView

    @command("reminders.recipients_of")
    def recipients_of(self, ctx: CommandContext) -> list[str]:
        mine = [f"user:{ctx.actor.user_id}"]
        if ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization:
            mine.append(f"organization:{ctx.actor_organization}")
        if ctx.actor.role in (Role.REGISTRAR, Role.ADMIN):
            mine.append("role:registrar")  # notices for every registrar (a report came in)
        return mine

    @command("reminders.inbox")
    def inbox(self, ctx: CommandContext, unread_only: bool = False, page: int = 1) -> Page[ReminderRow]:
        self.view.catch_up()
        user = ctx.actor.user_id
        return self.view.reminders(
            ReminderQuery(
                recipients=self.recipients_of(ctx),
                unread_for=user if unread_only else None,
                reader=user,
                page=page,
            )
        )

    @command("reminders.unread")
    def unread(self, ctx: CommandContext) -> int:
        return self.view.unread_count(self.recipients_of(ctx), ctx.actor.user_id)

    def mark_read(self, ctx: CommandContext, reminder_id: UUID) -> Reminder:
        reminder = self._get(reminder_id, Reminder, "reminder")
        if reminder.recipient not in self.recipients_of(ctx):
            raise NotFound("reminder", reminder_id)  # someone else's: not even its existence is told
        authorize(ctx, "reminders.mark_read", {Relation.RECIPIENT})
        reminder.mark_read(ctx.actor.user_id, self._at(ctx))
        return self._save(reminder) if reminder.pending_events else reminder
