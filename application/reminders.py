"""Reminders: planning is a pure function of read models, rule-set offsets and a date; issuing
stores each planned reminder once (deterministic id); delivery claims each due row (a lease),
re-checks the reminder and its task at the attempt, and retries a channel until it succeeds or is
dead-lettered, with the reminder id as the receiver's idempotency key."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from application.context import CommandContext
from application.errors import NotFound
from application.ports import ContactDirectory, Mailer, PlanningView, RegisterView, ReminderView, WebhookPoster
from application.queries import ContactRow, DeliveryClaim, Page, ReminderQuery, ReminderRow
from application.rights import Relation, authorize, command
from application.usecases import UseCases
from domain.provenance import Role
from domain.reminder import PlannedReminder, Reminder, backoff
from domain.rules import RuleSet, add_years, reminder_offset

log = logging.getLogger("starledger.reminders")
ISSUE_BATCH = 500  # reminders per transaction, and organizations per name lookup

# zh/en templates; the values come from planning.
TEXTS: dict[str, tuple[str, str]] = {
    "inspection_due": (
        "{name}:{year}年度工作报告应于{due}前报送登记管理机关(还有{days}天)。",
        "{name}: the {year} annual report is due with the registration authority by {due} ({days} days left).",
    ),
    "inspection_overdue": (
        "{name}:{year}年度工作报告已于{due}逾期,已记为未参加年检,请尽快补报。",
        "{name}: the {year} annual report was due on {due} and is recorded as missed; please file it now.",
    ),
    "grade_expiring": (
        "{name}:评估等级{grade}将于{due}到期(还有{days}天),可申请重新评估。",
        "{name}: grade {grade} expires on {due} ({days} days left); you may apply for a new evaluation.",
    ),
    "scores_due": (
        "您在评估案件中的评分表尚未提交,评分截止日为{due}(还有{days}天)。",
        "Your score sheet for an evaluation case is not submitted; scores are due on {due} ({days} days left).",
    ),
    "scores_overdue": (
        "评分已于{due}截止,仍有{count}份评分表未提交,请督促或按法定人数结束评分。",
        "Scoring closed on {due} with {count} sheet(s) still open; chase them or close scoring with the quorum.",
    ),
    "announcement_ending": (
        "{name}的评估结果公示期将于{due}结束(还有{days}天);如有异议请在此之前申请复核。",
        "The announcement period of {name}'s evaluation result ends on {due} ({days} days left); appeals must be "
        "filed before then.",
    ),
    "credit_escalation": (
        "{name}:列入活动异常名录将于{due}满{years}年并转入严重违法失信名单,请尽快履行义务并申请移出。",
        "{name}: on {due} the listing on the abnormal-activity list reaches {years} years and moves to the "
        "serious-dishonesty list; meet the obligation and apply for removal.",
    ),
    "milestone_due": (
        "{name}:项目“{title}”的{report}应于{due}前提交(还有{days}天)。",
        "{name}: the {report_en} of the project '{title}' is due by {due} ({days} days left).",
    ),
    "milestone_overdue": (
        "{name}:项目“{title}”的{report}已于{due}逾期,请尽快提交;逾期可能影响后续拨款。",
        "{name}: the {report_en} of the project '{title}' was due on {due}; submit it now, later tranches wait for it.",
    ),
}
MILESTONE_NAMES = {"mid_term": ("中期报告", "mid-term report"), "closing": ("结项报告", "closing report")}
OVERDUE_WINDOW_DAYS = 60  # an "overdue" reminder only for deadlines this recent (a new install does not spam)


def planned(kind: str, subject: UUID, recipient: str, period: str, offset: str, due: date, **values: object) -> PlannedReminder:
    zh, en = TEXTS[kind]
    return PlannedReminder(
        kind, subject, recipient, period, offset, due, zh.format(due=due, **values), en.format(due=due, **values)
    )


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int
    backoff_seconds: float
    lease_seconds: float = 300.0  # a claimed delivery row is this deliverer's for so long; longer than any send


# Why a reminder is not sent any more: its task was done before the attempt (code, zh, en).
DONE_TEXTS: dict[str, tuple[str, str]] = {
    "report_filed": (
        "{year}年度工作报告已于{on}报送,提醒已取消。",
        "The {year} annual report was filed on {on}; the reminder was cancelled.",
    ),
    "sheet_submitted": ("评分表已提交,提醒已取消。", "The score sheet was submitted; the reminder was cancelled."),
    "seat_vacated": (
        "您已不在该评估的专家组中(回避或已被替换),提醒已取消。",
        "You no longer sit on this case's panel (recused or replaced); the reminder was cancelled.",
    ),
    "sheets_complete": (
        "评分表已全部提交或评分已结束,提醒已取消。",
        "Every score sheet is in or scoring is over; the reminder was cancelled.",
    ),
    "milestone_reported": (
        "{report}已于{on}提交,提醒已取消。",
        "The {report_en} was handed in on {on}; the reminder was cancelled.",
    ),
    "listing_removed": (
        "已于{on}移出活动异常名录,提醒已取消。",
        "The organization was removed from the abnormal-activity list on {on}; the reminder was cancelled.",
    ),
}


def task_done(reminder: Reminder, view: PlanningView) -> tuple[str, str, str] | None:
    """(reason, zh, en) when the task the reminder is about is done — the report filed, the sheet
    submitted, the milestone reported, the listing removed — read from the read models; else None.
    Grade expiry and announcement reminders are about dates, not tasks: never done."""
    kind, subject = reminder.kind, reminder.subject_id
    values: dict[str, object]
    if kind in ("inspection_due", "inspection_overdue"):
        filed = view.report_filed_on(subject, int(reminder.period))
        reason, values = "report_filed", {"year": reminder.period, "on": filed}
        found = filed is not None
    elif kind == "scores_due":
        user = reminder.recipient.removeprefix("user:")
        reason, values = "sheet_submitted", {}
        found = view.sheet_submitted(subject, user)
        if not found and view.seat_vacated(subject, user):  # the seat and its reminders went to a replacement
            reason, found = "seat_vacated", True
    elif kind == "scores_overdue":
        reason, values = "sheets_complete", {}
        found = view.open_sheets(subject) == 0
    elif kind in ("milestone_due", "milestone_overdue"):
        reported = view.milestone_reported_on(subject, reminder.period)
        zh, en = MILESTONE_NAMES.get(reminder.period, (reminder.period, reminder.period))
        reason, values = "milestone_reported", {"report": zh, "report_en": en, "on": reported}
        found = reported is not None
    elif kind == "credit_escalation":
        removed = view.listing_removed_on(subject, date.fromisoformat(reminder.period))
        reason, values = "listing_removed", {"on": removed}
        found = removed is not None
    else:
        return None
    if not found:
        return None
    zh, en = DONE_TEXTS[reason]
    return reason, zh.format(**values), en.format(**values)


class Reminders(UseCases):
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

    # -- planning (reads only) -------------------------------------------------------------
    def plan(self, as_of: date) -> list[PlannedReminder]:
        self._rules_in_force(as_of)
        self.planning.catch_up()
        found = {p.id: p for p in self._planned(as_of)}
        return sorted(found.values(), key=lambda p: (p.kind, p.due_on, str(p.subject_id)))

    def _inspections(self, as_of: date) -> Iterator[PlannedReminder]:
        """A generator: at a million organizations the day's list is consumed in chunks, not held."""
        for campaign in self.planning.open_campaigns():
            offsets = self._rule_set(campaign.rule_set).reminders.inspection_due_days
            deadline = campaign.registration_authority_deadline
            offset = reminder_offset(deadline, offsets, as_of)
            if offset is None:
                continue
            org_ids = self.planning.without_filed_report(campaign.division_prefix, campaign.report_year)
            for org_id, name in self._named(org_ids):
                yield planned(
                    "inspection_due",
                    org_id,
                    f"organization:{org_id}",
                    str(campaign.report_year),
                    str(offset),
                    deadline,
                    name=name,
                    year=campaign.report_year,
                    days=(deadline - as_of).days,
                )
        missed = [m for m in self.planning.missed_inspections(as_of - timedelta(days=OVERDUE_WINDOW_DAYS)) if m[2] < as_of]
        for (org_id, name), (_, year, deadline) in zip(self._named([m[0] for m in missed]), missed, strict=True):
            yield planned(
                "inspection_overdue", org_id, f"organization:{org_id}", str(year), "overdue", deadline, name=name, year=year
            )

    def _grades(self, as_of: date) -> list[PlannedReminder]:
        found = []
        for org_id, grade, until, division in self.planning.grades_valid_until(as_of, as_of + timedelta(days=400)):
            offsets = self.rules.for_division(division, as_of).reminders.grade_expiring_days
            offset = reminder_offset(until, offsets, as_of)
            if offset is not None:
                found.append(
                    planned(
                        "grade_expiring",
                        org_id,
                        f"organization:{org_id}",
                        f"{grade}:{until}",
                        str(offset),
                        until,
                        name=self._name(org_id),
                        grade=grade,
                        days=(until - as_of).days,
                    )
                )
        return found

    def _sheets(self, as_of: date) -> list[PlannedReminder]:
        found = []
        for case_id, user_id, deadline, rule_set in self.planning.unsubmitted_sheets(as_of, as_of + timedelta(days=60)):
            offset = reminder_offset(deadline, self._rule_set(rule_set).reminders.scores_due_days, as_of)
            if offset is not None:
                found.append(
                    planned(
                        "scores_due",
                        case_id,
                        f"user:{user_id}",
                        str(deadline),
                        str(offset),
                        deadline,
                        days=(deadline - as_of).days,
                    )
                )
        return found

    def _cases(self, as_of: date) -> list[PlannedReminder]:
        """The chair's overdue list the day after the scoring deadline; the announcement ending
        (for the organization, which may appeal, and the chair, who finalizes after it)."""
        found = []
        for case_id, chair, deadline, count in self.planning.overdue_sheets(as_of - timedelta(days=OVERDUE_WINDOW_DAYS), as_of):
            found.append(planned("scores_overdue", case_id, f"user:{chair}", str(deadline), "overdue", deadline, count=count))
        for case_id, org_id, chair, ends, rule_set in self.planning.announcements(as_of, as_of + timedelta(days=60)):
            offset = reminder_offset(ends, self._rule_set(rule_set).reminders.announcement_ending_days, as_of)
            if offset is None:
                continue
            for recipient in (f"organization:{org_id}", f"user:{chair}"):
                found.append(
                    planned(
                        "announcement_ending",
                        case_id,
                        recipient,
                        str(ends),
                        str(offset),
                        ends,
                        name=self._name(org_id),
                        days=(ends - as_of).days,
                    )
                )
        return found

    def _credit(self, as_of: date) -> list[PlannedReminder]:
        found = []
        for org_id, listed_on, division in self.planning.abnormal_listings():
            rule_set = self.rules.for_division(division, as_of)
            years = rule_set.credit.abnormal_escalation_years
            escalates = add_years(listed_on, years)
            offset = reminder_offset(escalates, rule_set.reminders.credit_escalation_days, as_of)
            if offset is not None and as_of < escalates:
                found.append(
                    planned(
                        "credit_escalation",
                        org_id,
                        f"organization:{org_id}",
                        str(listed_on),
                        str(offset),
                        escalates,
                        name=self._name(org_id),
                        years=years,
                    )
                )
        return found

    def _milestones(self, as_of: date) -> list[PlannedReminder]:
        """A running project's next report: N days before it is due, and once when it is overdue."""
        found = []
        for project_id, org_id, title, milestone, due, division in self.planning.open_milestones():
            zh, en = MILESTONE_NAMES[milestone]
            values = {"name": self._name(org_id), "title": title, "report": zh, "report_en": en, "days": (due - as_of).days}
            recipient = f"organization:{org_id}"
            offset = reminder_offset(due, self.rules.for_division(division, as_of).reminders.milestone_due_days, as_of)
            if offset is not None:
                found.append(planned("milestone_due", project_id, recipient, milestone, str(offset), due, **values))
            elif due < as_of <= due + timedelta(days=OVERDUE_WINDOW_DAYS):
                found.append(planned("milestone_overdue", project_id, recipient, milestone, "overdue", due, **values))
        return found

    def _rule_set(self, ref: str) -> RuleSet:
        rule_id, _, version = ref.partition("@")
        return self.rules.get(rule_id, int(version))

    def _name(self, org_id: UUID) -> str:
        entry = self.register.get(org_id)
        return entry.name if entry else str(org_id)

    def _named(self, org_ids: list[UUID]) -> Iterator[tuple[UUID, str]]:
        """Each organization with its name, read from the register a chunk at a time."""
        for start in range(0, len(org_ids), ISSUE_BATCH):
            chunk = org_ids[start : start + ISSUE_BATCH]
            names = self.register.names(chunk)
            for org_id in chunk:
                yield org_id, names.get(org_id, str(org_id))

    # -- issuing -----------------------------------------------------------------------------
    @command("reminders.issue")
    def issue(self, ctx: CommandContext, as_of: date) -> dict[str, int]:
        """Store each planned reminder once; a second run, instance or replay stores nothing.
        Reminders are stored a chunk per transaction: at a million organizations one
        transaction per reminder was the whole cost of the sweep."""
        self._not_in_future(as_of)
        self.planning.catch_up()
        counts = {"planned": 0, "issued": 0, "already_issued": 0}
        reachable = self.contacts.reachable()
        for chunk in _chunks(self._planned(as_of), ISSUE_BATCH):
            plans = list({p.id: p for p in chunk}.values())
            issued = self.view.issued([p.id for p in plans])
            stored = self._store(ctx, [p for p in plans if p.id not in issued], reachable)
            counts["planned"] += len(plans)
            counts["issued"] += stored
            counts["already_issued"] += len(plans) - stored
        log.info("reminders as of %s: %s", as_of, counts)
        return counts

    def _planned(self, as_of: date) -> Iterator[PlannedReminder]:
        """Every reminder due as of the date, from every source, unsorted (a name may repeat)."""
        for source in (self._inspections, self._grades, self._sheets, self._cases, self._credit, self._milestones):
            yield from source(as_of)

    def _store(self, ctx: CommandContext, plans: list[PlannedReminder], reachable: dict[str, list[ContactRow]]) -> int:
        """All in one transaction; if a concurrent sweep issued one of them first, one by one."""

        def issued(plan: PlannedReminder) -> tuple[bool, list[Reminder]]:
            return True, [Reminder.issue(plan, self._channels(plan.recipient, reachable), self._at(ctx))]

        return sum(1 for stored in self._in_chunk(plans, issued) if stored)

    def _channels(self, recipient: str, reachable: dict[str, list[ContactRow]]) -> tuple[str, ...]:
        wanted = set()
        for contact in reachable.get(recipient, ()):
            if "email" in contact.channels and contact.email and self.mailer.configured:
                wanted.add("email")
            if "webhook" in contact.channels and contact.webhook_url:
                wanted.add("webhook")
        return tuple(sorted(wanted))

    # -- delivery ------------------------------------------------------------------------------
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

    # -- the inbox --------------------------------------------------------------------------------
    @command("reminders.recipients_of")
    def recipients_of(self, ctx: CommandContext) -> list[str]:
        mine = [f"user:{ctx.actor.user_id}"]
        if ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization:
            mine.append(f"organization:{ctx.actor_organization}")
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


def _chunks(items: Iterable[PlannedReminder], size: int) -> Iterator[list[PlannedReminder]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
