"""The registry's list of complaints (投诉举报): each with its organization, when it came in, the
day its triage is due, and how far it has got. Names and contacts are not copied here."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from application.queries.common import Page
from application.queries.complaints import ComplaintQuery, ComplaintRow
from infra.database import Tx
from infra.projections.base import Handler, Projection, paged, update_row, utc
from infra.projections.register import RegisterProjection

NAME = "complaints"


class ComplaintsProjection(Projection):
    name = NAME
    version = 1
    tables: ClassVar[dict[str, str]] = {
        "sl_complaints": """
            id TEXT PRIMARY KEY,
            reference TEXT NOT NULL,
            organization_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            received_on TEXT NOT NULL,
            triage_by TEXT NOT NULL,
            state TEXT NOT NULL,
            triage TEXT,
            answer_by TEXT,
            answered_on TEXT,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL""",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_complaints_state ON sl_complaints (state, triage_by)",
        "CREATE INDEX IF NOT EXISTS sl_complaints_org ON sl_complaints (organization_id)",
    )
    reads = (RegisterProjection,)  # the organization's name, joined
    topic_prefixes = ("domain.complaints:Complaint.",)

    def define_handlers(self) -> dict[str, Handler]:
        return {
            "Received": self._received,
            "Triaged": lambda tx, e: update_row(
                tx, "sl_complaints", e, state="triaged", triage=e.decision.value, answer_by=e.answer_by.isoformat()
            ),
            "Answered": lambda tx, e: update_row(tx, "sl_complaints", e, state="answered", answered_on=e.on.isoformat()),
            "DocumentAttached": lambda tx, e: update_row(tx, "sl_complaints", e),  # the row's version follows
        }

    def _received(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "INSERT INTO sl_complaints (id, reference, organization_id, channel, received_on, triage_by, state, triage, "
            "answer_by, answered_on, version, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'received', NULL, NULL, NULL, ?, ?)",
            (
                str(e.originator_id),
                e.reference,
                str(e.organization_id),
                e.channel.value,
                e.received_on.isoformat(),
                e.triage_by.isoformat(),
                e.originator_version,
                utc(e.timestamp),
            ),
        )

    def search(self, query: ComplaintQuery) -> Page[ComplaintRow]:
        """Those waiting first, the earliest due first."""
        where, params = ["1 = 1"], list[Any]()
        if query.state:
            where.append("c.state = ?")
            params.append(query.state)
        if query.organization_id:
            where.append("c.organization_id = ?")
            params.append(str(query.organization_id))
        source = f"sl_complaints c LEFT JOIN sl_register r ON r.id = c.organization_id WHERE {' AND '.join(where)}"
        order = "CASE c.state WHEN 'received' THEN 0 WHEN 'triaged' THEN 1 ELSE 2 END, c.triage_by, c.id"
        rows, total, page, per_page = paged(
            self.db, "c.*, r.name AS organization_name", source, params, order, query.page, query.per_page, 200
        )
        return Page(items=[_row(r) for r in rows], total=total, page=page, per_page=per_page)

    def complained_about(self, since: date) -> list[UUID]:
        """Organizations with a complaint received since the day that was not turned away (不予受理) or
        referred elsewhere (转交): a random inspection's risk group."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT DISTINCT organization_id FROM sl_complaints WHERE received_on >= ? "
                "AND (triage IS NULL OR triage = 'accepted') ORDER BY organization_id",
                (since.isoformat(),),
            ).all()
        return [UUID(r["organization_id"]) for r in rows]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _row(r: dict[str, Any]) -> ComplaintRow:
    return ComplaintRow(
        id=UUID(r["id"]),
        reference=r["reference"],
        organization_id=UUID(r["organization_id"]),
        organization_name=r["organization_name"] or "",
        channel=r["channel"],
        received_on=date.fromisoformat(r["received_on"]),
        triage_by=date.fromisoformat(r["triage_by"]),
        state=r["state"],
        triage=r["triage"],
        answer_by=_day(r["answer_by"]),
        answered_on=_day(r["answered_on"]),
        version=int(r["version"]),
    )
