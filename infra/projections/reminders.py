"""Reminders as lists: the inbox and delivery status per channel (what is due, what is dead).
What reminder planning reads from the other read models is in infra/planning.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from itertools import groupby
from typing import Any, ClassVar
from uuid import UUID

from application.queries.common import Page
from application.queries.reminders import DeliveryClaim, DeliveryRow, ReminderQuery, ReminderRow
from application.reminders.completion import DONE_TEXTS
from application.reminders.planning import MILESTONE_NAMES
from domain.reminder import PlannedReminder, Reminder
from infra.database import Tx
from infra.projections.base import Handler, Projection, in_slices, rows_for_ids, utc
from infra.projections.cases import CasesProjection
from infra.projections.compliance import ComplianceProjection
from infra.projections.register import RegisterProjection

REMINDER_COLUMNS = (
    "id",
    "kind",
    "subject_id",
    "recipient",
    "period",
    "offset_label",
    "due_on",
    "text_zh",
    "text_en",
    "issued_at",
)


class ReminderProjection(Projection):
    name = "reminders"
    version = 3  # 3: tasks done mark their reminders done
    tables: ClassVar[dict[str, str]] = {
        "sl_reminders": """
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            recipient TEXT NOT NULL,
            period TEXT NOT NULL,
            offset_label TEXT NOT NULL,
            due_on TEXT NOT NULL,
            text_zh TEXT NOT NULL,
            text_en TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            cancelled_at TEXT,
            done_zh TEXT,
            done_en TEXT""",
        # claimed_by/claimed_until: the lease of the deliverer attempting the row (written by deliverers,
        # never by the projection); a rebuild forgets leases, the reminder's own history still says what was sent
        "sl_deliveries": """
            reminder_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_at TEXT,
            last_error TEXT,
            claimed_by TEXT,
            claimed_until TEXT,
            PRIMARY KEY (reminder_id, channel)""",
        "sl_reminder_reads": """
            reminder_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY (reminder_id, user_id)""",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_reminders_recipient ON sl_reminders (recipient, issued_at)",
        "CREATE INDEX IF NOT EXISTS sl_deliveries_due ON sl_deliveries (status, next_attempt_at)",
        # a task done marks its subject's open reminders done: without it each such event scanned every reminder
        "CREATE INDEX IF NOT EXISTS sl_reminders_subject ON sl_reminders (subject_id, kind)",
    )
    # A reminder is done the moment its task is (the sheet submitted, the report filed …): the events that
    # finish a task mark its open reminders done here, in the same transaction, so the inbox and its unread
    # count follow at once; the reminder's own history records the cancellation at its next delivery attempt.
    reads = (RegisterProjection, CasesProjection, ComplianceProjection)
    topic_prefixes = (
        "domain.reminder:Reminder.",
        "domain.evaluation:Evaluation.",
        "domain.inspection:Inspection.",
        "domain.funding:Project.",
        "domain.credit:CreditRecord.",
    )

    def define_handlers(self) -> dict[str, Handler]:
        return {
            "Issued": self._issued,
            "Delivered": lambda tx, e: self._delivery(tx, e, status="delivered", attempts=e.attempt, next_attempt_at=None),
            "DeliveryFailed": lambda tx, e: self._delivery(
                tx, e, attempts=e.attempt, next_attempt_at=utc(e.retry_at), last_error=e.error
            ),
            "DeadLettered": lambda tx, e: self._delivery(
                tx, e, status="dead", attempts=e.attempts, next_attempt_at=None, last_error=e.error
            ),
            "RetryRequested": lambda tx, e: self._delivery(tx, e, status="pending", attempts=0, next_attempt_at=utc(e.timestamp)),
            "Cancelled": self._cancelled,
            "MarkedRead": lambda tx, e: tx.execute(
                "INSERT INTO sl_reminder_reads (reminder_id, user_id) VALUES (?, ?)", (str(e.originator_id), e.user_id)
            ),
            # tasks done
            "SheetSubmitted": self._sheet_submitted,
            "ScoringClosed": lambda tx, e: self._case_over(tx, e),
            "Evaluation.Withdrawn": lambda tx, e: self._case_over(tx, e),
            "ReportSubmitted": self._report_submitted,
            "MilestoneReportSubmitted": lambda tx, e: self._done(
                tx,
                e,
                "kind IN ('milestone_due', 'milestone_overdue') AND subject_id = ? AND period = ?",
                (str(e.originator_id), e.milestone.value),
                "milestone_reported",
                report=MILESTONE_NAMES[e.milestone.value][0],
                report_en=MILESTONE_NAMES[e.milestone.value][1],
                on=e.submitted_on,
            ),
            "CreditRecord.Removed": self._listing_removed,
        }

    def _done(self, tx: Tx, e: Any, where: str, params: tuple[Any, ...], reason: str, **values: Any) -> None:
        zh, en = DONE_TEXTS[reason]
        tx.execute(
            f"UPDATE sl_reminders SET cancelled_at = ?, done_zh = ?, done_en = ? WHERE cancelled_at IS NULL AND {where}",
            (utc(e.timestamp), zh.format(**values), en.format(**values), *params),
        )

    def _sheet_submitted(self, tx: Tx, e: Any) -> None:
        case = str(e.originator_id)
        member = "(SELECT 'user:' || user_id FROM sl_case_members WHERE case_id = ? AND expert_id = ?)"
        self._done(
            tx,
            e,
            f"kind = 'scores_due' AND subject_id = ? AND recipient = {member}",
            (case, case, str(e.expert_id)),
            "sheet_submitted",
        )
        open_sheets = tx.execute(
            "SELECT COUNT(*) AS n FROM sl_case_members WHERE case_id = ? AND submitted = 0 AND recused IS NULL", (case,)
        ).one()
        if open_sheets is not None and int(open_sheets["n"]) == 0:
            self._done(tx, e, "kind = 'scores_overdue' AND subject_id = ?", (case,), "sheets_complete")

    def _case_over(self, tx: Tx, e: Any) -> None:
        self._done(
            tx, e, "kind IN ('scores_due', 'scores_overdue') AND subject_id = ?", (str(e.originator_id),), "sheets_complete"
        )

    def _listing_removed(self, tx: Tx, e: Any) -> None:
        self._escalations_cancelled(tx, [e])

    def _report_submitted(self, tx: Tx, e: Any) -> None:
        found = tx.execute("SELECT organization_id, report_year FROM sl_inspections WHERE id = ?", (str(e.originator_id),)).one()
        if found is not None:
            self._done(
                tx,
                e,
                "kind IN ('inspection_due', 'inspection_overdue') AND subject_id = ? AND period = ?",
                (found["organization_id"], str(found["report_year"])),
                "report_filed",
                year=found["report_year"],
                on=e.submitted_on,
            )

    def apply(self, tx: Tx, events: list[Any]) -> int:
        """In order, as every read model; but a run of issued reminders (a sweep saves hundreds in
        one command) goes in with one statement per table, not one per reminder: those statements
        were a tenth of the sweep on SQLite and a quarter on PostgreSQL. Likewise the escalation
        reminders a run of removals from the abnormal list cancels (the credit sweep's save removes
        500): one statement, before the next reminders are issued and at the end."""
        count = 0
        removed: list[Any] = []
        for issuing, run in groupby(events, key=lambda e: isinstance(e, Reminder.Issued)):
            if issuing:
                self._escalations_cancelled(tx, removed)
                count += self._issued_all(tx, list(run))
                continue
            for handler, event in self.handled(list(run), self.handlers):
                if handler == self._listing_removed:
                    removed.append(event)
                else:
                    handler(tx, event)
                count += 1
        self._escalations_cancelled(tx, removed)
        return count

    def _escalations_cancelled(self, tx: Tx, removed: list[Any]) -> None:
        """The credit-escalation reminders of the organizations whose records left the abnormal list."""
        left = [e for e in removed if e.list_name.value == "abnormal"]  # the escalation it warned of cannot happen any more
        owners: dict[str, str] = {}
        for ids in in_slices(sorted({str(e.originator_id) for e in left})):
            among, params = tx.among("credit_record_id", ids)
            found = tx.execute(f"SELECT credit_record_id, id FROM sl_register WHERE {among}", params).tuples()
            owners.update((str(record), str(owner)) for record, owner in found)
        zh, en = DONE_TEXTS["listing_removed"]
        tx.update_rows(
            "sl_reminders",
            ("subject_id", "cancelled_at", "done_zh", "done_en"),
            [
                (owners[str(e.originator_id)], utc(e.timestamp), zh.format(on=e.on), en.format(on=e.on))
                for e in left
                if str(e.originator_id) in owners
            ],
            "cancelled_at = v.cancelled_at, done_zh = v.done_zh, done_en = v.done_en",
            "t.subject_id = v.subject_id AND t.kind = 'credit_escalation' AND t.cancelled_at IS NULL",
        )
        removed.clear()

    def _issued(self, tx: Tx, e: Any) -> None:
        self._issued_all(tx, [e])

    def _issued_all(self, tx: Tx, events: list[Any]) -> int:
        reminders: list[tuple[str, ...]] = []
        deliveries: list[tuple[str, str, str]] = []
        stamped, issued_at = None, ""
        for e in events:
            if e.timestamp is not stamped:  # a sweep's chunk shares one instant: converted once
                stamped, issued_at = e.timestamp, utc(e.timestamp)
            reminder_id = str(e.originator_id)
            reminders.append(
                (
                    reminder_id,
                    e.kind,
                    str(e.subject_id),
                    e.recipient,
                    e.period,
                    e.offset,
                    e.due_on.isoformat(),
                    e.text_zh,
                    e.text_en,
                    issued_at,
                )
            )
            if e.channels != ("inbox",):  # the inbox has no delivery to track, and most reminders go there alone
                deliveries.extend((reminder_id, c, issued_at) for c in e.channels if c != "inbox")
        tx.insert_rows("sl_reminders", REMINDER_COLUMNS, reminders)
        tx.executemany(
            "INSERT INTO sl_deliveries (reminder_id, channel, status, attempts, next_attempt_at, last_error) "
            "VALUES (?, ?, 'pending', 0, ?, NULL)",
            deliveries,
        )
        return len(events)

    def _cancelled(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "UPDATE sl_reminders SET cancelled_at = ?, done_zh = ?, done_en = ? WHERE id = ?",
            (utc(e.timestamp), e.reason_zh, e.reason_en, str(e.originator_id)),
        )
        tx.executemany(
            "UPDATE sl_deliveries SET status = 'cancelled', next_attempt_at = NULL WHERE reminder_id = ? AND channel = ?",
            [(str(e.originator_id), c) for c in e.channels],
        )

    def _delivery(self, tx: Tx, e: Any, **columns: Any) -> None:
        assignments = ", ".join(f"{c} = ?" for c in columns)
        tx.execute(
            f"UPDATE sl_deliveries SET {assignments} WHERE reminder_id = ? AND channel = ?",
            (*columns.values(), str(e.originator_id), e.channel),
        )

    # -- queries -------------------------------------------------------------------------------
    def claim_delivery(self, now: datetime, token: str, until: datetime) -> DeliveryClaim | None:
        """One due, unleased row, leased in one statement (two deliverers never get the same lease)."""
        due = (
            "SELECT reminder_id, channel FROM sl_deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
            "AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY next_attempt_at, reminder_id LIMIT 1"
        )
        with self.db.transaction(write=True) as tx:
            row = tx.lease_one(
                "sl_deliveries",
                ("reminder_id", "channel"),
                "claimed_by = ?, claimed_until = ?",
                due,
                ("reminder_id", "channel"),
                (token, utc(until), utc(now), utc(now)),
            )
        return None if row is None else DeliveryClaim(UUID(row["reminder_id"]), row["channel"], token, until)

    def renew_claim(self, claim: DeliveryClaim, until: datetime) -> DeliveryClaim | None:
        with self.db.transaction(write=True) as tx:
            row = tx.execute(
                "UPDATE sl_deliveries SET claimed_until = ? WHERE reminder_id = ? AND channel = ? AND claimed_by = ? "
                "AND status = 'pending' RETURNING reminder_id",
                (utc(until), str(claim.reminder_id), claim.channel, claim.token),
            ).one()
        return None if row is None else DeliveryClaim(claim.reminder_id, claim.channel, claim.token, until)

    def release_claim(self, claim: DeliveryClaim, until: datetime | None) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute(
                "UPDATE sl_deliveries SET claimed_until = ? WHERE reminder_id = ? AND channel = ? AND claimed_by = ?",
                (None if until is None else utc(until), str(claim.reminder_id), claim.channel, claim.token),
            )

    def reminders(self, query: ReminderQuery) -> Page[ReminderRow]:
        where, params = _filters(query)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        per_page, page = max(1, min(query.per_page, 200)), max(1, query.page)
        with self.db.transaction() as tx:
            total = int(tx.execute(f"SELECT COUNT(*) FROM sl_reminders r{clause}", params).scalar())
            rows = tx.execute(
                f"SELECT r.* FROM sl_reminders r{clause} ORDER BY r.issued_at DESC, r.id LIMIT ? OFFSET ?",
                (*params, per_page, (page - 1) * per_page),
            ).all()
            ids = [r["id"] for r in rows]
            deliveries = _deliveries(tx, ids)
            read = _read(tx, ids, query.reader or query.unread_for)
        items = [_reminder(r, deliveries.get(r["id"], []), r["id"] in read) for r in rows]
        return Page(items=items, total=total, page=page, per_page=per_page)

    def issued(self, planned: Sequence[PlannedReminder]) -> set[UUID]:
        """Found by subject (its index), matched on the whole of what each is about (only when some
        subject has reminders: a day's first sweep finds none)."""
        subjects = sorted({str(p.subject_id) for p in planned})  # as text: UUIDs compare in Python, text in C
        rows = rows_for_ids(
            self.db, "SELECT kind, subject_id, recipient, period, offset_label FROM sl_reminders WHERE subject_id", subjects
        )
        if not rows:
            return set()
        wanted = {(p.kind, str(p.subject_id), p.recipient, p.period, p.offset): p.id for p in planned}
        found = (wanted.get((r["kind"], r["subject_id"], r["recipient"], r["period"], r["offset_label"])) for r in rows)
        return {reminder_id for reminder_id in found if reminder_id is not None}

    def unread_count(self, recipients: list[str], user_id: str) -> int:
        where, params = _filters(ReminderQuery(recipients=recipients, unread_for=user_id))
        with self.db.transaction() as tx:
            return int(tx.execute(f"SELECT COUNT(*) FROM sl_reminders r WHERE {' AND '.join(where)}", params).scalar())


def _filters(q: ReminderQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if q.recipients is not None:
        where.append(f"r.recipient IN ({', '.join('?' for _ in q.recipients) or 'NULL'})")
        params.extend(q.recipients)
    if q.kind:
        where.append("r.kind = ?")
        params.append(q.kind)
    if q.delivery_status:
        where.append("EXISTS (SELECT 1 FROM sl_deliveries d WHERE d.reminder_id = r.id AND d.status = ?)")
        params.append(q.delivery_status)
    if q.unread_for:  # a cancelled reminder is done: nothing left to read
        where.append("r.cancelled_at IS NULL")
        where.append("NOT EXISTS (SELECT 1 FROM sl_reminder_reads x WHERE x.reminder_id = r.id AND x.user_id = ?)")
        params.append(q.unread_for)
    return where, params


def _deliveries(tx: Tx, ids: list[str]) -> dict[str, list[DeliveryRow]]:
    found: dict[str, list[DeliveryRow]] = {}
    if not ids:
        return found
    rows = tx.execute(
        f"SELECT * FROM sl_deliveries WHERE reminder_id IN ({', '.join('?' for _ in ids)}) ORDER BY channel", ids
    ).all()
    for r in rows:
        at = datetime.fromisoformat(r["next_attempt_at"]) if r["next_attempt_at"] else None
        found.setdefault(r["reminder_id"], []).append(
            DeliveryRow(r["channel"], r["status"], int(r["attempts"]), at, r["last_error"])
        )
    return found


def _read(tx: Tx, ids: list[str], user_id: str | None) -> set[str]:
    if not ids or not user_id:
        return set()
    rows = tx.execute(
        f"SELECT reminder_id FROM sl_reminder_reads WHERE user_id = ? AND reminder_id IN ({', '.join('?' for _ in ids)})",
        (user_id, *ids),
    ).all()
    return {r["reminder_id"] for r in rows}


def _reminder(r: dict[str, Any], deliveries: list[DeliveryRow], read: bool) -> ReminderRow:
    return ReminderRow(
        id=UUID(r["id"]),
        kind=r["kind"],
        subject_id=UUID(r["subject_id"]),
        recipient=r["recipient"],
        period=r["period"],
        offset=r["offset_label"],
        due_on=date.fromisoformat(r["due_on"]),
        text_zh=r["text_zh"],
        text_en=r["text_en"],
        issued_at=datetime.fromisoformat(r["issued_at"]),
        read=read,
        deliveries=deliveries,
        done_zh=r["done_zh"],
        done_en=r["done_en"],
    )
