"""Evaluation cases and the expert pool as lists: who sits on which panel, who has
submitted, where each case stands (for "my assignments", the chair's view, the registrar)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from application.queries.cases import AnnouncedGrade, CaseRow, ExpertRow, MemberRow, ObjectionRow
from infra.database import Tx
from infra.projections.base import Handler, Projection, update_row, utc

_CASE = (
    "c.id, c.kind, c.stage, c.subject_id, COALESCE(r.name, p.title) AS subject_name, c.chair_user_id, c.scoring_deadline, c.rule_set, "
    "c.total, c.result, c.announcement_starts, c.announcement_ends, c.version"
)


class CasesProjection(Projection):
    name = "cases"
    version = 3  # 2: announcement_starts (the public announcements page); 3: objections by reference
    tables: ClassVar[dict[str, str]] = {
        "sl_cases": """
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            stage TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            chair_user_id TEXT NOT NULL,
            scoring_deadline TEXT NOT NULL,
            rule_set TEXT NOT NULL,
            total TEXT,
            result TEXT,
            announcement_starts TEXT,
            announcement_ends TEXT,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL""",
        "sl_case_members": """
            case_id TEXT NOT NULL,
            expert_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            recused TEXT,
            submitted INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (case_id, expert_id)""",
        "sl_objections": """
            reference TEXT PRIMARY KEY,
            case_id TEXT NOT NULL,
            received_on TEXT NOT NULL,
            decided_on TEXT""",
        "sl_experts": """
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            name TEXT NOT NULL,
            field TEXT NOT NULL,
            affiliation TEXT NOT NULL""",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_cases_subject ON sl_cases (subject_id)",
        "CREATE INDEX IF NOT EXISTS sl_cases_chair ON sl_cases (chair_user_id)",
        "CREATE INDEX IF NOT EXISTS sl_case_members_user ON sl_case_members (user_id)",
    )
    # No `reads`: the handlers read only these tables; cases() and assignments() LEFT JOIN the register
    # and funding tables for a subject's name alone, which a read model still catching up leaves empty
    # (declaring them would hold this one behind, and catch them up, whenever they are).
    topic_prefixes = ("domain.evaluation:Evaluation.", "domain.expert:Expert.")

    def define_handlers(self) -> dict[str, Handler]:
        def stage(value: str) -> Handler:
            return lambda tx, e: self._set(tx, e, stage=value)

        return {
            "Opened": self._opened,
            "ApplicationSubmitted": lambda tx, e: self._set(tx, e),
            "EligibilityChecked": lambda tx, e: self._set(tx, e, stage="barred" if e.bars else "eligible"),
            "PanelAssigned": self._panel_assigned,
            "EvaluatorRecused": self._recused,
            "MemberReplaced": self._replaced,
            "SubmittedSheetChanged": lambda tx, e: self._set(tx, e),
            "SheetDrafted": lambda tx, e: self._set(tx, e),
            "SheetSubmitted": lambda tx, e: self._member(tx, e, submitted=1),
            "SheetReopened": lambda tx, e: self._member(tx, e, submitted=0),
            "ScoringClosed": stage("scoring_closed"),
            "ResultComputed": lambda tx, e: self._set(
                tx, e, stage="computed", total=str(e.computation.total), result=e.computation.label
            ),
            "AnnouncementOpened": lambda tx, e: self._set(
                tx, e, stage="announced", announcement_starts=e.starts.isoformat(), announcement_ends=e.ends.isoformat()
            ),
            "AppealFiled": stage("appealed"),
            "AppealDecided": self._appeal_decided,
            "Finalized": stage("finalized"),
            "Withdrawn": stage("withdrawn"),
            "ObjectionReceived": lambda tx, e: tx.execute(
                "INSERT INTO sl_objections (reference, case_id, received_on) VALUES (?, ?, ?)",
                (e.reference, str(e.originator_id), e.received_on.isoformat()),
            ),
            "ObjectionDecided": lambda tx, e: tx.execute(
                "UPDATE sl_objections SET decided_on = ? WHERE reference = ?", (e.decided_on.isoformat(), e.reference)
            ),
            "Enrolled": self._enrolled,
            "ProfileUpdated": lambda tx, e: tx.execute(
                "UPDATE sl_experts SET field = ?, affiliation = ? WHERE id = ?", (e.field, e.affiliation, str(e.originator_id))
            ),
        }

    # -- handlers ---------------------------------------------------------------------
    def _opened(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "INSERT INTO sl_cases (id, kind, stage, subject_id, chair_user_id, scoring_deadline, rule_set, version, "
            "updated_at) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?)",
            (
                str(e.originator_id),
                e.kind.value,
                str(e.subject_id),
                e.chair_user_id,
                e.scoring_deadline.isoformat(),
                f"{e.rule_set.id}@{e.rule_set.version}",
                e.originator_version,
                utc(e.timestamp),
            ),
        )

    def _set(self, tx: Tx, e: Any, **columns: Any) -> None:
        update_row(tx, "sl_cases", e, **columns)

    def _panel_assigned(self, tx: Tx, e: Any) -> None:
        self._set(tx, e, stage="scoring")
        tx.executemany(
            "INSERT INTO sl_case_members (case_id, expert_id, user_id, name) VALUES (?, ?, ?, ?)",
            [(str(e.originator_id), str(m.expert_id), m.user_id, m.name) for m in e.members],
        )

    def _member(self, tx: Tx, e: Any, **columns: Any) -> None:
        self._set(tx, e)
        assignments = ", ".join(f"{c} = ?" for c in columns)
        tx.execute(
            f"UPDATE sl_case_members SET {assignments} WHERE case_id = ? AND expert_id = ?",
            (*columns.values(), str(e.originator_id), str(e.expert_id)),
        )

    def _recused(self, tx: Tx, e: Any) -> None:
        self._member(tx, e, recused=e.ground.value, submitted=0)

    def _replaced(self, tx: Tx, e: Any) -> None:
        """The replaced member stops counting (a recusal's ground is kept); the replacement sits."""
        self._set(tx, e, stage="scoring")
        tx.execute(
            "UPDATE sl_case_members SET recused = COALESCE(recused, 'replaced'), submitted = 0 WHERE case_id = ? AND expert_id = ?",
            (str(e.originator_id), str(e.expert_id)),
        )
        tx.execute(
            "INSERT INTO sl_case_members (case_id, expert_id, user_id, name) VALUES (?, ?, ?, ?)",
            (str(e.originator_id), str(e.replacement.expert_id), e.replacement.user_id, e.replacement.name),
        )

    def _appeal_decided(self, tx: Tx, e: Any) -> None:
        if e.revised is not None:
            self._set(tx, e, stage="appeal_decided", total=str(e.revised.total), result=e.revised.label)
        else:
            self._set(tx, e, stage="appeal_decided")

    def _enrolled(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "INSERT INTO sl_experts (id, user_id, name, field, affiliation) VALUES (?, ?, ?, ?, ?)",
            (str(e.originator_id), e.user_id, e.name, e.field, e.affiliation),
        )

    # -- queries --------------------------------------------------------------------------
    def cases(self, *, subject_id: UUID | None = None, chair_user_id: str | None = None) -> list[CaseRow]:
        where, params = [], []
        if subject_id:
            where.append("c.subject_id = ?")
            params.append(str(subject_id))
        if chair_user_id:
            where.append("c.chair_user_id = ?")
            params.append(chair_user_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT {_CASE} FROM sl_cases c LEFT JOIN sl_register r ON r.id = c.subject_id "
                f"LEFT JOIN sl_projects p ON p.id = c.subject_id{clause} "
                "ORDER BY c.scoring_deadline, c.id",
                params,
            ).all()
        return [_case(r) for r in rows]

    def assignments(self, user_id: str) -> list[CaseRow]:
        """The cases an evaluator sits on (not recused), with whether their sheet is in."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT {_CASE}, m.submitted AS my_sheet_submitted FROM sl_case_members m "
                "JOIN sl_cases c ON c.id = m.case_id LEFT JOIN sl_register r ON r.id = c.subject_id "
                "LEFT JOIN sl_projects p ON p.id = c.subject_id "
                "WHERE m.user_id = ? AND m.recused IS NULL ORDER BY c.scoring_deadline, c.id",
                (user_id,),
            ).all()
        return [_case(r) for r in rows]

    def announced_grades(self, year: int | None = None) -> list[AnnouncedGrade]:
        """Grade results announced (公示), newest first; of one year's announcements if given."""
        where, params = "c.kind = 'grade' AND c.announcement_starts IS NOT NULL", []
        if year is not None:
            where += " AND c.announcement_starts >= ? AND c.announcement_starts < ?"
            params = [f"{year:04d}-01-01", f"{year + 1:04d}-01-01"]
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT c.id, c.subject_id, r.name, r.district, c.result, c.total, c.announcement_starts, "
                "c.announcement_ends, c.stage FROM sl_cases c JOIN sl_register r ON r.id = c.subject_id "
                f"WHERE {where} ORDER BY c.announcement_starts DESC, r.name",
                params,
            ).all()
        return [
            AnnouncedGrade(
                UUID(r["id"]),
                UUID(r["subject_id"]),
                r["name"],
                r["district"],
                r["result"],
                Decimal(r["total"]) if r["total"] else None,
                date.fromisoformat(r["announcement_starts"]),
                date.fromisoformat(r["announcement_ends"]),
                r["stage"],
            )
            for r in rows
        ]

    def objection(self, reference: str) -> ObjectionRow | None:
        with self.db.transaction() as tx:
            row = tx.execute(
                "SELECT o.reference, o.case_id, o.decided_on, COALESCE(r.name, p.title) AS name FROM sl_objections o "
                "JOIN sl_cases c ON c.id = o.case_id LEFT JOIN sl_register r ON r.id = c.subject_id "
                "LEFT JOIN sl_projects p ON p.id = c.subject_id WHERE o.reference = ?",
                (reference,),
            ).one()
        return (
            None if row is None else ObjectionRow(row["reference"], UUID(row["case_id"]), row["name"], row["decided_on"] is None)
        )

    def members(self, case_id: UUID) -> list[MemberRow]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT expert_id, user_id, name, recused, submitted FROM sl_case_members WHERE case_id = ? ORDER BY name",
                (str(case_id),),
            ).all()
        return [MemberRow(UUID(r["expert_id"]), r["user_id"], r["name"], r["recused"], bool(r["submitted"])) for r in rows]

    def experts(self) -> list[ExpertRow]:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT id, user_id, name, field, affiliation FROM sl_experts ORDER BY name, id").all()
        return [ExpertRow(UUID(r["id"]), r["user_id"], r["name"], r["field"], r["affiliation"]) for r in rows]


def _case(r: dict[str, Any]) -> CaseRow:
    return CaseRow(
        id=UUID(r["id"]),
        kind=r["kind"],
        stage=r["stage"],
        subject_id=UUID(r["subject_id"]),
        subject_name=r["subject_name"],
        chair_user_id=r["chair_user_id"],
        scoring_deadline=date.fromisoformat(r["scoring_deadline"]),
        rule_set=r["rule_set"],
        total=Decimal(r["total"]) if r["total"] else None,
        result=r["result"],
        announcement_ends=date.fromisoformat(r["announcement_ends"]) if r["announcement_ends"] else None,
        announcement_starts=date.fromisoformat(r["announcement_starts"]) if r["announcement_starts"] else None,
        version=int(r["version"]),
        my_sheet_submitted=bool(r["my_sheet_submitted"]) if r.get("my_sheet_submitted") is not None else None,
    )
