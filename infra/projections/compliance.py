"""Read models of annual inspections and credit records (年检、信用信息): campaigns, each
organization's inspections, listings with their grounds, penalties. The sweeps and the
public pages read these, never every aggregate."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import msgspec

from application.ports import IdRange
from application.queries.common import Page
from application.queries.compliance import (
    CampaignRow,
    ExtendedReport,
    GroundRow,
    InspectionResultQuery,
    InspectionResultRow,
    InspectionRow,
    ListingQuery,
    ListingRow,
    MissedCandidate,
    PenaltyRow,
)
from infra.database import Tx
from infra.projections.base import Handler, Projection, in_slices, rows_for_ids, utc
from infra.projections.register import RegisterProjection, normalise

EVERY_ID = IdRange()  # a sweep not cut into chunks

NAME = "compliance"
OPEN_STAGES = ("awaiting", "draft", "correction_requested")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _unfiled(unextended: bool) -> str:
    """Who has not filed the year's report, for a register row `r` and its inspection of the year `i`
    (parameters: the division's prefix, then OPEN_STAGES); `unextended`: only those on the
    campaign's deadline. Annual inspection is the registration authority's: filed (备案)
    organizations report to their street."""
    stages = ", ".join("?" for _ in OPEN_STAGES)
    extension = " AND (i.id IS NULL OR i.extended_from IS NULL)" if unextended else ""
    return (
        "r.division_code LIKE ? AND r.track = 'registered' AND r.status IN ('active', 'suspended') "
        f"AND (i.id IS NULL OR (i.stage IN ({stages}) AND i.outcome IS NULL)){extension}"
    )


def _grounds_text(grounds: list[dict[str, str | None]]) -> str:
    """A listing's grounds as stored: JSON by msgspec, a tenth of `json.dumps`'s time (a sweep lists
    a whole register); read back by any JSON reader, the spaced text of earlier rows alike."""
    return msgspec.json.encode(grounds).decode()


class ComplianceProjection(Projection):
    name = NAME
    version = 4  # 3: a listing's objection under verification; 4: extensions of the report's deadline
    tables: ClassVar[dict[str, str]] = {
        "sl_campaigns": """
            id TEXT PRIMARY KEY,
            report_year INTEGER NOT NULL,
            division_prefix TEXT NOT NULL,
            supervising_unit_deadline TEXT NOT NULL,
            registration_authority_deadline TEXT NOT NULL,
            rule_set TEXT NOT NULL,
            deadline_recorded INTEGER NOT NULL,
            missed INTEGER NOT NULL,
            exempt INTEGER NOT NULL""",
        "sl_inspections": """
            id TEXT PRIMARY KEY,
            organization_id TEXT NOT NULL,
            report_year INTEGER NOT NULL,
            campaign_id TEXT NOT NULL,
            stage TEXT NOT NULL,
            outcome TEXT,
            review_outcome TEXT,
            simplified INTEGER NOT NULL,
            deadline TEXT NOT NULL,
            submitted_on TEXT,
            filed_late INTEGER NOT NULL,
            reasons TEXT NOT NULL,
            rectification_deadline TEXT,
            rectified_on TEXT,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            extended_from TEXT,
            extension_requested_until TEXT""",
        "sl_credit_records": """
            id TEXT PRIMARY KEY,
            organization_id TEXT NOT NULL""",
        "sl_listings": """
            record_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            organization_id TEXT NOT NULL,
            list_name TEXT NOT NULL,
            listed_on TEXT NOT NULL,
            clock_from TEXT NOT NULL,
            grounds TEXT NOT NULL,
            obligation_met_on TEXT,
            removed_on TEXT,
            removal_reason TEXT,
            objection_pending INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (record_id, seq)""",
        "sl_penalties": """
            record_id TEXT NOT NULL,
            decision_no TEXT NOT NULL,
            organization_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            decided_on TEXT NOT NULL,
            amount_cny TEXT,
            reason TEXT NOT NULL,
            PRIMARY KEY (record_id, decision_no)""",
    }
    indexes = (
        "CREATE UNIQUE INDEX IF NOT EXISTS sl_inspections_org_year ON sl_inspections (organization_id, report_year)",
        "CREATE INDEX IF NOT EXISTS sl_inspections_rectification ON sl_inspections (rectification_deadline)",
        "CREATE INDEX IF NOT EXISTS sl_listings_current ON sl_listings (list_name, removed_on)",
        "CREATE INDEX IF NOT EXISTS sl_listings_org ON sl_listings (organization_id)",
        # a record's current listing (every Listed and Removed looks it up): without it PostgreSQL walked
        # sl_listings_current, every current listing of the list, per event
        "CREATE INDEX IF NOT EXISTS sl_listings_record_current ON sl_listings (record_id, list_name) WHERE removed_on IS NULL",
    )
    reads = (RegisterProjection,)  # the sweep's candidates and the listings join the register
    topic_prefixes = ("domain.inspection:", "domain.credit:")

    def define_handlers(self) -> dict[str, Handler]:
        return {
            "InspectionCampaign.Opened": self._campaign_opened,
            "DeadlinePassed": self._deadline_passed,
            "Inspection.Opened": self._inspection_opened,
            "ReportDrafted": lambda tx, e: self._inspection(tx, e, stage="draft"),
            "ReportSubmitted": lambda tx, e: self._inspection(
                tx, e, stage="submitted", submitted_on=e.submitted_on.isoformat(), filed_late=int(e.late)
            ),
            "ReportWithdrawn": lambda tx, e: self._inspection(tx, e, stage="draft", submitted_on=None),
            "PreliminaryOpinionGiven": lambda tx, e: self._inspection(tx, e, stage="opinion_given"),
            "CorrectionRequested": lambda tx, e: self._inspection(
                tx, e, stage="correction_requested", submitted_on=None, reasons=json.dumps(list(e.reasons))
            ),
            "Reviewed": self._reviewed,
            "RectificationOrdered": lambda tx, e: self._inspection(tx, e, rectification_deadline=e.deadline.isoformat()),
            "Rectified": lambda tx, e: self._inspection(tx, e, rectified_on=e.rectified_on.isoformat()),
            "Missed": lambda tx, e: self._inspection(tx, e, stage="missed", outcome="missed"),
            # 延期: the deadline moves; the campaign's stays beside it (the card says it was extended)
            "ExtensionRequested": lambda tx, e: self._inspection(tx, e, extension_requested_until=e.until.isoformat()),
            "ExtensionGranted": self._extension_granted,
            "ExtensionRefused": lambda tx, e: self._inspection(tx, e, extension_requested_until=None),
            "Exempted": lambda tx, e: self._inspection(tx, e, stage="exempt", outcome="exempt"),
            "CreditRecord.Opened": self._record_opened,
            "Penalized": self._penalized,
            "Listed": self._listed,
            "Removed": self._removed,
            "ObjectionFiled": lambda tx, e: self._listing(tx, e, objection_pending=1),
            "ObjectionDecided": lambda tx, e: self._listing(tx, e, objection_pending=0),
            "ObligationVerified": lambda tx, e: self._listing(tx, e, obligation_met_on=e.on.isoformat()),
        }

    # -- inspections -----------------------------------------------------------------------
    def _campaign_opened(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "INSERT INTO sl_campaigns (id, report_year, division_prefix, supervising_unit_deadline, "
            "registration_authority_deadline, rule_set, deadline_recorded, missed, exempt) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)",
            (
                str(e.originator_id),
                e.report_year,
                e.division_prefix,
                e.supervising_unit_deadline.isoformat(),
                e.registration_authority_deadline.isoformat(),
                f"{e.rule_set.id}@{e.rule_set.version}",
            ),
        )

    def _deadline_passed(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "UPDATE sl_campaigns SET deadline_recorded = 1, missed = ?, exempt = ? WHERE id = ?",
            (e.missed, e.exempt, str(e.originator_id)),
        )

    def _inspection_opened(self, tx: Tx, e: Any) -> None:
        row = {
            "id": str(e.originator_id),
            "organization_id": str(e.organization_id),
            "report_year": e.report_year,
            "campaign_id": str(e.campaign_id),
            "stage": "awaiting",
            "outcome": None,
            "review_outcome": None,
            "simplified": int(e.simplified),
            "deadline": e.registration_authority_deadline.isoformat(),
            "submitted_on": None,
            "filed_late": 0,
            "reasons": "[]",
            "rectification_deadline": None,
            "rectified_on": None,
            "version": e.originator_version,
            "updated_at": utc(e.timestamp),
            "extended_from": None,
            "extension_requested_until": None,
        }
        _held().inspections[row["id"]] = row

    def _extension_granted(self, tx: Tx, e: Any) -> None:
        row = _held().inspections.get(str(e.originator_id))
        if row is not None:
            row["extended_from"] = row["extended_from"] or row["deadline"]
        else:
            tx.execute(
                "UPDATE sl_inspections SET extended_from = COALESCE(extended_from, deadline) WHERE id = ?",
                (str(e.originator_id),),
            )
        self._inspection(tx, e, deadline=e.until.isoformat(), extension_requested_until=None)

    def _inspection(self, tx: Tx, e: Any, **columns: Any) -> None:
        columns.update(version=e.originator_version, updated_at=utc(e.timestamp))
        row = _held().inspections.get(str(e.originator_id))
        if row is not None:  # opened in this apply: written once, at its end
            row.update(columns)
            return
        assignments = ", ".join(f"{c} = ?" for c in columns)
        tx.execute(f"UPDATE sl_inspections SET {assignments} WHERE id = ?", (*columns.values(), str(e.originator_id)))

    def _reviewed(self, tx: Tx, e: Any) -> None:
        """Mirror of Inspection._reviewed: a late report on a missed year keeps the year missed."""
        row = _held().inspections.get(str(e.originator_id))
        if row is not None:
            current = row["outcome"]
        else:
            current = tx.execute("SELECT outcome FROM sl_inspections WHERE id = ?", (str(e.originator_id),)).scalar()
        outcome = current if current == "missed" else e.outcome.value
        self._inspection(
            tx, e, stage="reviewed", outcome=outcome, review_outcome=e.outcome.value, reasons=json.dumps(list(e.reasons))
        )

    # -- credit ------------------------------------------------------------------------------------
    def _record_opened(self, tx: Tx, e: Any, listings: _Listings | None = None) -> None:
        _held().credit_records[str(e.originator_id)] = str(e.organization_id)
        if listings is not None:
            listings.opened(str(e.originator_id), str(e.organization_id))

    def _organization_of(self, tx: Tx, record_id: Any) -> str:
        held = _held().credit_records.get(str(record_id))
        if held is not None:
            return held
        return str(tx.execute("SELECT organization_id FROM sl_credit_records WHERE id = ?", (str(record_id),)).scalar())

    def _penalized(self, tx: Tx, e: Any) -> None:
        p = e.penalty
        tx.execute(
            "INSERT INTO sl_penalties (record_id, decision_no, organization_id, kind, decided_on, amount_cny, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(e.originator_id),
                p.decision_no,
                self._organization_of(tx, e.originator_id),
                p.kind.value,
                p.decided_on.isoformat(),
                str(p.amount_cny) if p.amount_cny is not None else None,
                p.reason,
            ),
        )

    def apply(self, tx: Tx, events: list[Any]) -> int:
        """As the base applies them, with the current listings of the records the events list in
        or remove from a list read ahead (a query per 500 records): a sweep lists thousands in one
        save, and on PostgreSQL each read in the save's pipeline waited for the server."""
        handled = self.handled(events, self.handlers)
        listings = _Listings(tx)
        listings.read_ahead(sorted({str(e.originator_id) for handler, e in handled if handler == self._listed}))
        keeping = (self._listed, self._removed, self._record_opened)
        new = _NewRows()
        token = _NEW_ROWS.set(new)
        try:
            for handler, event in handled:
                if handler in keeping:
                    handler(tx, event, listings)
                else:
                    handler(tx, event)
        finally:
            _NEW_ROWS.reset(token)
        new.write(tx)
        return len(handled)

    def _listed(self, tx: Tx, e: Any, listings: _Listings | None = None) -> None:
        """Mirror of CreditRecord._listed: a ground joins its list's current listing, and any new
        ground restarts a current serious listing's clean period."""
        record, g = str(e.originator_id), e.ground
        ground = {"code": g.code, "on": g.on.isoformat(), "detail": g.detail, "ref": g.ref}
        state = (listings or _Listings(tx)).of(record)
        serious_runs = "serious" in state.current  # else no clean period runs (a new one starts on this ground)
        current = state.current.get(e.list_name.value)
        new = _held()
        if current is not None:
            current.grounds = _grounds_text([*json.loads(current.grounds), ground])
            held = new.listings.get((record, current.seq))
            if held is not None:
                held["grounds"] = current.grounds
            else:
                tx.execute(
                    "UPDATE sl_listings SET grounds = ? WHERE record_id = ? AND seq = ?", (current.grounds, record, current.seq)
                )
        else:
            state.listings += 1
            current = state.current[e.list_name.value] = _Current(state.listings, _grounds_text([ground]))
            row = {
                "record_id": record,
                "seq": current.seq,
                "organization_id": state.organization_id,
                "list_name": e.list_name.value,
                "listed_on": g.on.isoformat(),
                "clock_from": g.on.isoformat(),
                "grounds": current.grounds,
                "obligation_met_on": None,
                "removed_on": None,
                "removal_reason": None,
                "objection_pending": 0,
            }
            new.listed(row)
        if serious_runs:
            held = new.current_listing(record, "serious")
            if held is not None:
                held["clock_from"] = max(held["clock_from"], g.on.isoformat())
            else:
                new.write_amended(tx)  # found by its state, as `_listing` does
                tx.execute(
                    "UPDATE sl_listings SET clock_from = ? WHERE record_id = ? AND list_name || '' = 'serious' "
                    "AND removed_on IS NULL AND clock_from < ?",
                    (g.on.isoformat(), record, g.on.isoformat()),
                )

    def _listing(self, tx: Tx, e: Any, listings: _Listings | None = None, **columns: Any) -> None:
        new = _held()
        record, list_name = str(e.originator_id), e.list_name.value
        held = new.current_listing(record, list_name)
        if held is not None:  # listed in this apply: written once, at its end
            new.amend_listing(held, columns)
            return
        known = listings.records.get(record) if listings is not None else None
        current = known.current.get(list_name) if known is not None else None
        if current is not None:  # read ahead: its key is known, and it is written with the others at the end
            new.amended.setdefault((record, current.seq), {}).update(columns)
            return
        new.write_amended(tx)  # this statement finds the listing by its state: the amendments before it first
        assignments = ", ".join(f"{c} = ?" for c in columns)
        tx.execute(
            # `list_name || ''`: not a condition sl_listings_current can serve, so the record's own index is used
            # (PostgreSQL's generic plan took sl_listings_current and walked every current listing of the list)
            f"UPDATE sl_listings SET {assignments} WHERE record_id = ? AND list_name || '' = ? AND removed_on IS NULL",
            (*columns.values(), str(e.originator_id), e.list_name.value),
        )

    def _removed(self, tx: Tx, e: Any, listings: _Listings | None = None) -> None:
        self._listing(tx, e, listings, removed_on=e.on.isoformat(), removal_reason=e.reason)
        if listings is not None:
            listings.removed(str(e.originator_id), e.list_name.value)

    # -- queries ---------------------------------------------------------------------------------------
    def campaigns(self) -> list[CampaignRow]:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT * FROM sl_campaigns ORDER BY report_year DESC, division_prefix").all()
        return [_campaign(r) for r in rows]

    def due_campaigns(self, as_of: date) -> list[CampaignRow]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT * FROM sl_campaigns WHERE deadline_recorded = 0 AND registration_authority_deadline < ? "
                "ORDER BY report_year, LENGTH(division_prefix) DESC",
                (as_of.isoformat(),),
            ).all()
        return [_campaign(r) for r in rows]

    def unfiled_on_deadline(
        self, division_prefix: str, report_year: int, after: UUID | None, limit: int
    ) -> tuple[list[tuple[UUID, str]], UUID | None]:
        """Who has not filed and is still on the campaign's deadline, the next `limit` register rows
        by id at a time (a window by the primary key, as `missed_candidates`), with the names the
        reminders need: the whole list held, and the names looked up again by id, were a sixth of
        the reminders sweep (20,000 organizations)."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT r.id, r.name, CASE WHEN {_unfiled(unextended=True)} THEN 1 ELSE 0 END AS unfiled "
                "FROM (SELECT id, name, division_code, track, status FROM sl_register WHERE id > ? ORDER BY id LIMIT ?) r "
                "LEFT JOIN sl_inspections i ON i.organization_id = r.id AND i.report_year = ? ORDER BY r.id",
                (f"{division_prefix}%", *OPEN_STAGES, str(after) if after else "", limit, report_year),
            ).tuples()
        if not rows:
            return [], None
        return [(UUID(org_id), name) for org_id, name, unfiled in rows if unfiled == 1], UUID(rows[-1][0])

    def missed_candidates(
        self, division_prefix: str, report_year: int, after: UUID | None, limit: int, within: IdRange = EVERY_ID
    ) -> tuple[list[MissedCandidate], UUID | None]:
        """The next `limit` register rows by id (the primary key's order: a window, not a scan and a
        sort of the whole register per chunk) within the range, and those of them without a filed report."""
        bounds, params = _within("id", within)
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT r.id, r.version, r.division_code, r.registered_on, r.grade, r.credit_record_id, r.track, r.status, "
                "i.id AS inspection_id, i.version AS inspection_version, i.stage, i.outcome "
                f"FROM (SELECT * FROM sl_register WHERE id > ?{bounds} ORDER BY id LIMIT ?) r LEFT JOIN sl_inspections i "
                "ON i.organization_id = r.id AND i.report_year = ? ORDER BY r.id",
                (str(after) if after else "", *params, limit, report_year),
            ).all()
        if not rows:
            return [], None
        found = [
            MissedCandidate(
                organization_id=UUID(r["id"]),
                version=int(r["version"]),
                division_code=r["division_code"],
                registered_on=_day(r["registered_on"]),
                graded=r["grade"] is not None,
                has_credit_record=r["credit_record_id"] is not None,
                inspection_version=None if r["inspection_version"] is None else int(r["inspection_version"]),
            )
            for r in rows
            if r["division_code"].startswith(division_prefix)
            and r["track"] == "registered"
            and r["status"] in ("active", "suspended")
            and (r["inspection_id"] is None or (r["stage"] in OPEN_STAGES and r["outcome"] is None))
        ]
        return found, UUID(rows[-1]["id"])

    def count_without_filed_report(self, division_prefix: str, report_year: int) -> int:
        with self.db.transaction() as tx:
            return int(
                tx.execute(
                    "SELECT COUNT(*) FROM sl_register r LEFT JOIN sl_inspections i "
                    f"ON i.organization_id = r.id AND i.report_year = ? WHERE {_unfiled(unextended=False)}",
                    (report_year, f"{division_prefix}%", *OPEN_STAGES),
                ).scalar()
            )

    def outcomes(self, organization_ids: list[UUID], years: range) -> dict[tuple[UUID, int], str | None]:
        if not organization_ids or not years:
            return {}
        first, last = int(years.start), int(years.stop - 1)  # integers, written into the statement
        rows = rows_for_ids(
            self.db,
            "SELECT organization_id, report_year, outcome FROM sl_inspections "
            f"WHERE report_year >= {first} AND report_year <= {last} AND organization_id",
            organization_ids,
        )
        return {(UUID(r["organization_id"]), int(r["report_year"])): r["outcome"] for r in rows}

    def organization_versions(self, organization_ids: list[UUID]) -> dict[UUID, int]:
        rows = rows_for_ids(self.db, "SELECT id, version FROM sl_register WHERE id", organization_ids)
        return {UUID(r["id"]): int(r["version"]) for r in rows}

    def extended_unfiled(self, due_before: date | None = None) -> list[ExtendedReport]:
        """Reports whose deadline an extension moved, not yet filed (of those due before a day, if given)."""
        stages = ", ".join("?" for _ in OPEN_STAGES)
        due = " AND i.deadline < ?" if due_before else ""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT i.organization_id, i.report_year, i.deadline, c.rule_set FROM sl_inspections i "
                "LEFT JOIN sl_campaigns c ON c.id = i.campaign_id "
                f"WHERE i.extended_from IS NOT NULL AND i.outcome IS NULL AND i.stage IN ({stages}){due} "
                "ORDER BY i.deadline, i.organization_id",
                (*OPEN_STAGES, *([due_before.isoformat()] if due_before else [])),
            ).all()
        return [
            ExtendedReport(UUID(r["organization_id"]), int(r["report_year"]), date.fromisoformat(r["deadline"]), r["rule_set"])
            for r in rows
        ]

    def late_reporters(self, division_prefix: str, report_year: int) -> list[UUID]:
        """Organizations whose report on the year was missed or filed after its deadline (a spot-check risk group)."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT i.organization_id FROM sl_inspections i JOIN sl_register r ON r.id = i.organization_id "
                "WHERE i.report_year = ? AND r.division_code LIKE ? AND (i.outcome = 'missed' OR i.filed_late = 1) "
                "ORDER BY i.organization_id",
                (report_year, f"{division_prefix}%"),
            ).all()
        return [UUID(r["organization_id"]) for r in rows]

    def inspections_of(self, organization_id: UUID) -> list[InspectionRow]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT i.*, c.rule_set FROM sl_inspections i LEFT JOIN sl_campaigns c ON c.id = i.campaign_id "
                "WHERE i.organization_id = ? ORDER BY i.report_year DESC",
                (str(organization_id),),
            ).all()
        return [_inspection(r) for r in rows]

    def awaiting_review(self, limit: int) -> list[InspectionRow]:
        """Reports submitted (or given a preliminary opinion) and not yet concluded, the earliest first."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT i.*, c.rule_set FROM sl_inspections i LEFT JOIN sl_campaigns c ON c.id = i.campaign_id "
                "WHERE i.stage IN ('submitted', 'opinion_given') ORDER BY i.submitted_on, i.id LIMIT ?",
                (limit,),
            ).all()
        return [_inspection(r) for r in rows]

    def records_with_active_listings(self) -> list[UUID]:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT DISTINCT record_id FROM sl_listings WHERE removed_on IS NULL ORDER BY record_id").all()
        return [UUID(r["record_id"]) for r in rows]

    def count_listed_records(self) -> int:
        with self.db.transaction() as tx:
            return int(tx.execute("SELECT COUNT(DISTINCT record_id) FROM sl_listings WHERE removed_on IS NULL").scalar())

    def listed_records(self, after: UUID | None, limit: int, within: IdRange = EVERY_ID) -> list[tuple[UUID, str]]:
        bounds, params = _within("c.id", within)
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT c.id, r.division_code FROM sl_credit_records c JOIN sl_register r ON r.id = c.organization_id "
                f"WHERE c.id > ?{bounds} AND EXISTS (SELECT 1 FROM sl_listings l WHERE l.record_id = c.id "
                "AND l.removed_on IS NULL) ORDER BY c.id LIMIT ?",
                (str(after) if after else "", *params, limit),
            ).all()
        return [(UUID(r["id"]), r["division_code"]) for r in rows]

    def overdue_rectifications(self, as_of: date) -> list[tuple[UUID, int, date]]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT organization_id, report_year, rectification_deadline FROM sl_inspections "
                "WHERE rectification_deadline < ? AND rectified_on IS NULL ORDER BY organization_id, report_year",
                (as_of.isoformat(),),
            ).all()
        return [
            (UUID(r["organization_id"]), int(r["report_year"]), date.fromisoformat(r["rectification_deadline"])) for r in rows
        ]

    def listings(self, query: ListingQuery) -> Page[ListingRow]:
        where, params = ["l.list_name = ?"], [query.list_name]
        if query.current:
            where.append("l.removed_on IS NULL")
        if query.district:
            where.append("r.district = ?")
            params.append(query.district)
        for term in normalise(query.text or "").split():
            where.append("r.search_text LIKE ?")
            params.append(f"%{term}%")
        clause = " AND ".join(where)
        per_page, page = max(1, min(query.per_page, 500)), max(1, query.page)
        base = f"FROM sl_listings l JOIN sl_register r ON r.id = l.organization_id WHERE {clause}"
        with self.db.transaction() as tx:
            total = int(tx.execute(f"SELECT COUNT(*) {base}", params).scalar())
            rows = tx.execute(
                f"SELECT l.*, r.name, r.code, r.district {base} ORDER BY l.listed_on DESC, r.name LIMIT ? OFFSET ?",
                (*params, per_page, (page - 1) * per_page),
            ).all()
        return Page(items=[_listing(r) for r in rows], total=total, page=page, per_page=per_page)

    def inspection_results(self, query: InspectionResultQuery) -> Page[InspectionResultRow]:
        """A year's concluded inspections (and those recorded missed), by district and name."""
        where = ["i.report_year = ?", "i.outcome IS NOT NULL", "i.outcome <> 'exempt'"]
        params: list[object] = [query.report_year]
        if query.district:
            where.append("r.district = ?")
            params.append(query.district)
        if query.outcome:
            where.append("i.outcome = ?")
            params.append(query.outcome)
        per_page, page = max(1, min(query.per_page, 500)), max(1, query.page)
        base = f"FROM sl_inspections i JOIN sl_register r ON r.id = i.organization_id WHERE {' AND '.join(where)}"
        with self.db.transaction() as tx:
            total = int(tx.execute(f"SELECT COUNT(*) {base}", params).scalar())
            rows = tx.execute(
                f"SELECT i.organization_id, r.name, r.code, r.district, i.report_year, i.outcome {base} "
                "ORDER BY r.district, r.name, i.organization_id LIMIT ? OFFSET ?",
                (*params, per_page, (page - 1) * per_page),
            ).all()
        items = [
            InspectionResultRow(
                UUID(r["organization_id"]), r["name"], r["code"], r["district"], int(r["report_year"]), r["outcome"]
            )
            for r in rows
        ]
        return Page(items=items, total=total, page=page, per_page=per_page)

    def listings_of(self, organization_id: UUID) -> list[ListingRow]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT l.*, r.name, r.code, r.district FROM sl_listings l JOIN sl_register r ON r.id = l.organization_id "
                "WHERE l.organization_id = ? ORDER BY l.listed_on DESC, l.seq DESC",
                (str(organization_id),),
            ).all()
        return [_listing(r) for r in rows]

    def penalties_of(self, organization_id: UUID) -> list[PenaltyRow]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT * FROM sl_penalties WHERE organization_id = ? ORDER BY decided_on DESC", (str(organization_id),)
            ).all()
        return [
            PenaltyRow(
                UUID(r["organization_id"]),
                r["kind"],
                r["decision_no"],
                date.fromisoformat(r["decided_on"]),
                r["amount_cny"],
                r["reason"],
            )
            for r in rows
        ]


def _campaign(r: dict[str, Any]) -> CampaignRow:
    return CampaignRow(
        id=UUID(r["id"]),
        report_year=int(r["report_year"]),
        division_prefix=r["division_prefix"],
        supervising_unit_deadline=date.fromisoformat(r["supervising_unit_deadline"]),
        registration_authority_deadline=date.fromisoformat(r["registration_authority_deadline"]),
        rule_set=r["rule_set"],
        deadline_recorded=bool(r["deadline_recorded"]),
        missed=int(r["missed"]),
        exempt=int(r["exempt"]),
    )


def _inspection(r: dict[str, Any]) -> InspectionRow:
    return InspectionRow(
        id=UUID(r["id"]),
        organization_id=UUID(r["organization_id"]),
        report_year=int(r["report_year"]),
        stage=r["stage"],
        outcome=r["outcome"],
        review_outcome=r["review_outcome"],
        simplified=bool(r["simplified"]),
        deadline=date.fromisoformat(r["deadline"]),
        submitted_on=_day(r["submitted_on"]),
        filed_late=bool(r["filed_late"]),
        reasons=json.loads(r["reasons"]),
        rectification_deadline=_day(r["rectification_deadline"]),
        rectified_on=_day(r["rectified_on"]),
        version=int(r["version"]),
        rule_set=r.get("rule_set"),
        extended_from=_day(r["extended_from"]),
        extension_requested_until=_day(r["extension_requested_until"]),
    )


def _listing(r: dict[str, Any]) -> ListingRow:
    return ListingRow(
        organization_id=UUID(r["organization_id"]),
        name=r["name"],
        code=r["code"],
        district=r["district"],
        list_name=r["list_name"],
        listed_on=date.fromisoformat(r["listed_on"]),
        clock_from=date.fromisoformat(r["clock_from"]),
        grounds=[GroundRow(g["code"], date.fromisoformat(g["on"]), g["detail"], g["ref"]) for g in json.loads(r["grounds"])],
        obligation_met_on=_day(r["obligation_met_on"]),
        removed_on=_day(r["removed_on"]),
        removal_reason=r["removal_reason"],
        objection_pending=bool(r.get("objection_pending")),
    )


def _within(column: str, ids: IdRange) -> tuple[str, list[str]]:
    """The SQL bounds of an id range (ids are lowercase UUID text: their order is the text's on both databases)."""
    sql, params = "", list[str]()
    if ids.lo:
        sql, params = f"{sql} AND {column} >= ?", [*params, ids.lo]
    if ids.hi:
        sql, params = f"{sql} AND {column} < ?", [*params, ids.hi]
    return sql, params


INSPECTION_COLUMNS = (
    "id",
    "organization_id",
    "report_year",
    "campaign_id",
    "stage",
    "outcome",
    "review_outcome",
    "simplified",
    "deadline",
    "submitted_on",
    "filed_late",
    "reasons",
    "rectification_deadline",
    "rectified_on",
    "version",
    "updated_at",
    "extended_from",
    "extension_requested_until",
)
LISTING_COLUMNS = (
    "record_id",
    "seq",
    "organization_id",
    "list_name",
    "listed_on",
    "clock_from",
    "grounds",
    "obligation_met_on",
    "removed_on",
    "removal_reason",
    "objection_pending",
)


@dataclass
class _NewRows:
    """The rows one `apply` inserts, held until its end and then written together, each once as
    it ends up: a sweep's save opens an inspection and marks it missed, opens a credit record and
    lists it, for 500 organizations; a row inserted and then updated was two statements each."""

    inspections: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id
    credit_records: dict[str, str] = field(default_factory=dict)  # id -> organization
    listings: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # by (record, seq)
    current: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # by (record, list): not removed
    amended: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # listings in the table: new values

    def listed(self, row: dict[str, Any]) -> None:
        self.listings[(row["record_id"], row["seq"])] = row
        self.current[(row["record_id"], row["list_name"])] = row

    def current_listing(self, record_id: str, list_name: str) -> dict[str, Any] | None:
        """The record's current listing on the list, if this apply listed it."""
        return self.current.get((record_id, list_name))

    def amend_listing(self, row: dict[str, Any], columns: dict[str, Any]) -> None:
        row.update(columns)
        if row["removed_on"] is not None:
            del self.current[(row["record_id"], row["list_name"])]

    def write(self, tx: Tx) -> None:
        tx.insert_rows(
            "sl_inspections", INSPECTION_COLUMNS, [[r[c] for c in INSPECTION_COLUMNS] for r in self.inspections.values()]
        )
        tx.insert_rows("sl_credit_records", ("id", "organization_id"), list(self.credit_records.items()))
        tx.insert_rows("sl_listings", LISTING_COLUMNS, [[r[c] for c in LISTING_COLUMNS] for r in self.listings.values()])
        self.write_amended(tx)

    def write_amended(self, tx: Tx) -> None:
        """The listings in the table amended by this apply, a statement per set of columns (a sweep
        removes 500 listings from the abnormal list: one statement)."""
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for (record, seq), columns in sorted(self.amended.items()):
            names = tuple(sorted(columns))
            by_columns.setdefault(names, []).append((record, seq, *(columns[c] for c in names)))
        for names, rows in by_columns.items():
            tx.update_rows(
                "sl_listings",
                ("record_id", "seq", *names),
                rows,
                ", ".join(f"{c} = v.{c}" for c in names),
                "t.record_id = v.record_id AND t.seq = v.seq",
            )
        self.amended = {}


# The current apply's new rows (None outside one): handlers are shared by every thread's saves
_NEW_ROWS: ContextVar[_NewRows | None] = ContextVar("compliance_new_rows", default=None)


def _held() -> _NewRows:
    """The new rows of the `apply` running the handler (every handler runs inside one)."""
    new = _NEW_ROWS.get()
    if new is None:
        raise RuntimeError("a compliance handler runs inside ComplianceProjection.apply")
    return new


@dataclass
class _Current:
    seq: int
    grounds: str  # JSON, as stored


@dataclass
class _Record:
    organization_id: str
    listings: int  # ever listed, current or removed: the next listing's seq follows
    current: dict[str, _Current] = field(default_factory=dict)  # by list name (two at most)


class _Listings:
    """One apply's view of the credit records whose listings its events change: read ahead from
    the table, then kept up to date by the handlers as they write, so a record listed twice in a
    save (abnormal, then serious) is read once."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.records: dict[str, _Record | None] = {}  # None: no such record in the table

    def read_ahead(self, record_ids: list[str]) -> None:
        for ids in in_slices([i for i in record_ids if i not in self.records]):
            # the list is picked here, not in the query: with `list_name = $1` PostgreSQL's generic plan
            # walked sl_listings_current, every current listing of that list
            among, params = self.tx.among("c.id", ids)
            rows = self.tx.execute(
                "SELECT c.id, c.organization_id, l.seq, l.grounds, l.list_name, "
                "(SELECT COUNT(*) FROM sl_listings n WHERE n.record_id = c.id) AS listings "
                "FROM sl_credit_records c LEFT JOIN sl_listings l ON l.record_id = c.id AND l.removed_on IS NULL "
                f"WHERE {among}",
                params,
            ).all()
            self.records.update(dict.fromkeys(ids))
            for row in rows:
                record = self.records.get(row["id"]) or _Record(str(row["organization_id"]), int(row["listings"]))
                if row["seq"] is not None:
                    record.current[row["list_name"]] = _Current(int(row["seq"]), row["grounds"])
                self.records[row["id"]] = record

    def of(self, record_id: str) -> _Record:
        if record_id not in self.records:
            self.read_ahead([record_id])
        found = self.records[record_id]
        if found is None:  # listed without an Opened this read model saw (never in a log the aggregates wrote)
            found = self.records[record_id] = _Record("None", 0)
        return found

    def opened(self, record_id: str, organization_id: str) -> None:
        self.records[record_id] = _Record(organization_id, 0)

    def removed(self, record_id: str, list_name: str) -> None:
        found = self.records.get(record_id)
        if found is not None:
            found.current.pop(list_name, None)
