"""What reminder planning reads: deadlines coming or passed, and whether a reminder's task is
done, from the register's, cases', compliance's and funding's tables. These queries span several
read models, so they belong to none of them; the read models are caught up first."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from application.ports import (
    AbnormalListing,
    Announcement,
    GradeExpiry,
    MissedInspection,
    OpenComplaint,
    OpenMilestone,
    OpenSheet,
    OverdueScoring,
)
from application.queries.compliance import CampaignRow, ExtendedReport
from infra.projections.base import Projection
from infra.projections.compliance import OPEN_STAGES, ComplianceProjection

# a case's subject by name: the organization evaluated, or the project reviewed (with its organization)
_SUBJECT_JOINS = "LEFT JOIN sl_register sr ON sr.id = c.subject_id LEFT JOIN sl_projects sp ON sp.id = c.subject_id"
_SUBJECT_NAME = "COALESCE(sr.name, sp.organization_name || '“' || sp.title || '”') AS subject_name"


class PlanningQueries:
    """Deadlines from the register, cases and compliance read models (caught up first)."""

    def __init__(self, compliance: ComplianceProjection, others: list[Projection]) -> None:
        self.compliance = compliance
        self.db = compliance.db
        self.others = others

    def catch_up(self) -> int:
        return sum(projection.catch_up() for projection in (*self.others, self.compliance))

    def open_campaigns(self) -> list[CampaignRow]:
        return [c for c in self.compliance.campaigns() if not c.deadline_recorded]

    def unfiled_on_deadline(
        self, division_prefix: str, report_year: int, after: UUID | None, limit: int
    ) -> tuple[list[tuple[UUID, str]], UUID | None]:
        return self.compliance.unfiled_on_deadline(division_prefix, report_year, after, limit)

    def extended_unfiled(self, due_before: date | None = None) -> list[ExtendedReport]:
        return self.compliance.extended_unfiled(due_before)

    def missed_inspections(self, deadline_from: date) -> list[MissedInspection]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT organization_id, report_year, deadline FROM sl_inspections WHERE outcome = 'missed' "
                "AND submitted_on IS NULL AND deadline >= ? ORDER BY organization_id, report_year",
                (deadline_from.isoformat(),),
            ).all()
        return [
            MissedInspection(UUID(r["organization_id"]), int(r["report_year"]), date.fromisoformat(r["deadline"])) for r in rows
        ]

    def grades_valid_until(self, start: date, end: date) -> list[GradeExpiry]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT id, grade, grade_valid_until, division_code FROM sl_register WHERE grade IS NOT NULL "
                "AND grade_valid_until BETWEEN ? AND ? AND status = 'active' ORDER BY id",
                (start.isoformat(), end.isoformat()),
            ).all()
        return [
            GradeExpiry(UUID(r["id"]), r["grade"], date.fromisoformat(r["grade_valid_until"]), r["division_code"]) for r in rows
        ]

    def unsubmitted_sheets(self, start: date, end: date) -> list[OpenSheet]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT c.id, m.user_id, c.scoring_deadline, c.rule_set, {_SUBJECT_NAME} FROM sl_cases c "
                "JOIN sl_case_members m ON m.case_id = c.id "
                f"{_SUBJECT_JOINS} WHERE c.stage = 'scoring' AND m.submitted = 0 "
                "AND m.recused IS NULL AND c.scoring_deadline BETWEEN ? AND ? ORDER BY c.id, m.user_id",
                (start.isoformat(), end.isoformat()),
            ).all()
        return [
            OpenSheet(
                UUID(r["id"]), r["user_id"], date.fromisoformat(r["scoring_deadline"]), r["rule_set"], r["subject_name"] or ""
            )
            for r in rows
        ]

    def overdue_sheets(self, deadline_from: date, before: date) -> list[OverdueScoring]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT c.id, c.chair_user_id, c.scoring_deadline, COUNT(*) AS open_sheets, {_SUBJECT_NAME} FROM sl_cases c "
                f"JOIN sl_case_members m ON m.case_id = c.id {_SUBJECT_JOINS} WHERE c.stage = 'scoring' AND m.submitted = 0 "
                "AND m.recused IS NULL AND c.scoring_deadline >= ? AND c.scoring_deadline < ? "
                "GROUP BY c.id, c.chair_user_id, c.scoring_deadline, subject_name ORDER BY c.id",
                (deadline_from.isoformat(), before.isoformat()),
            ).all()
        return [
            OverdueScoring(
                UUID(r["id"]),
                r["chair_user_id"],
                date.fromisoformat(r["scoring_deadline"]),
                int(r["open_sheets"]),
                r["subject_name"] or "",
            )
            for r in rows
        ]

    def announcements(self, ending_from: date, ending_to: date) -> list[Announcement]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT c.id, COALESCE(p.organization_id, c.subject_id) AS subject_id, c.chair_user_id, "
                "c.announcement_ends, c.rule_set FROM sl_cases c LEFT JOIN sl_projects p ON p.id = c.subject_id "
                "WHERE c.stage = 'announced' AND c.announcement_ends BETWEEN ? AND ? ORDER BY c.id",
                (ending_from.isoformat(), ending_to.isoformat()),
            ).all()
        return [
            Announcement(
                UUID(r["id"]),
                UUID(r["subject_id"]),
                r["chair_user_id"],
                date.fromisoformat(r["announcement_ends"]),
                r["rule_set"],
            )
            for r in rows
        ]

    def open_milestones(self) -> list[OpenMilestone]:
        """The next report still to come of each running project."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT p.id, p.organization_id, p.title, p.mid_term_due, p.closing_due, p.mid_term_reported_on, "
                "p.closing_reported_on, p.extended, r.division_code FROM sl_projects p JOIN sl_register r ON r.id = p.organization_id "
                "WHERE p.stage = 'in_progress' ORDER BY p.id",
            ).all()
        found: list[OpenMilestone] = []
        for r in rows:
            for milestone in ("mid_term", "closing"):
                if r[f"{milestone}_reported_on"] is None:
                    found.append(
                        OpenMilestone(
                            UUID(r["id"]),
                            UUID(r["organization_id"]),
                            r["title"],
                            milestone,
                            date.fromisoformat(r[f"{milestone}_due"]),
                            r["division_code"],
                            milestone in r["extended"].split(),
                        )
                    )
                    break  # the closing report comes after the mid-term one
        return found

    def abnormal_listings(self) -> list[AbnormalListing]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT l.organization_id, l.listed_on, r.division_code FROM sl_listings l "
                "JOIN sl_register r ON r.id = l.organization_id WHERE l.list_name = 'abnormal' AND l.removed_on IS NULL "
                "ORDER BY l.organization_id",
            ).all()
        return [AbnormalListing(UUID(r["organization_id"]), date.fromisoformat(r["listed_on"]), r["division_code"]) for r in rows]

    # -- is a reminder's task done? -------------------------------------------------------------
    def report_filed_on(self, organization_id: UUID, report_year: int) -> date | None:
        with self.db.transaction() as tx:
            value = tx.execute(
                "SELECT submitted_on FROM sl_inspections WHERE organization_id = ? AND report_year = ? "
                f"AND submitted_on IS NOT NULL AND stage NOT IN ({', '.join('?' for _ in OPEN_STAGES)})",
                (str(organization_id), report_year, *OPEN_STAGES),
            ).scalar()
        return date.fromisoformat(value) if value else None

    def sheet_submitted(self, case_id: UUID, user_id: str) -> bool:
        with self.db.transaction() as tx:
            value = tx.execute(
                "SELECT submitted FROM sl_case_members WHERE case_id = ? AND user_id = ?", (str(case_id), user_id)
            ).scalar()
        return bool(value)

    def seat_vacated(self, case_id: UUID, user_id: str) -> bool:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT recused FROM sl_case_members WHERE case_id = ? AND user_id = ?", (str(case_id), user_id)
            ).all()
        return bool(rows) and all(r["recused"] is not None for r in rows)

    def open_sheets(self, case_id: UUID) -> int:
        with self.db.transaction() as tx:
            value = tx.execute(
                "SELECT COUNT(*) FROM sl_cases c JOIN sl_case_members m ON m.case_id = c.id WHERE c.id = ? "
                "AND c.stage = 'scoring' AND m.submitted = 0 AND m.recused IS NULL",
                (str(case_id),),
            ).scalar()
        return int(value or 0)

    def milestone_reported_on(self, project_id: UUID, milestone: str) -> date | None:
        column = {"mid_term": "mid_term_reported_on", "closing": "closing_reported_on"}[milestone]
        with self.db.transaction() as tx:
            value = tx.execute(f"SELECT {column} FROM sl_projects WHERE id = ?", (str(project_id),)).scalar()
        return date.fromisoformat(value) if value else None

    def open_complaints(self, due_before: date) -> list[OpenComplaint]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT c.id, c.reference, c.organization_id, c.state, c.triage_by, c.answer_by, r.division_code "
                "FROM sl_complaints c JOIN sl_register r ON r.id = c.organization_id "
                "WHERE (c.state = 'received' AND c.triage_by < ?) OR (c.state = 'triaged' AND c.answer_by < ?) ORDER BY c.id",
                (due_before.isoformat(), due_before.isoformat()),
            ).all()
        return [
            OpenComplaint(
                UUID(r["id"]),
                r["reference"],
                UUID(r["organization_id"]),
                "triage" if r["state"] == "received" else "answer",
                date.fromisoformat(r["triage_by"] if r["state"] == "received" else r["answer_by"]),
                r["division_code"],
            )
            for r in rows
        ]

    def complaint_step_done(self, complaint_id: UUID, step: str) -> bool:
        with self.db.transaction() as tx:
            state = tx.execute("SELECT state FROM sl_complaints WHERE id = ?", (str(complaint_id),)).scalar()
        return state == "answered" or (step == "triage" and state == "triaged")

    def listing_removed_on(self, organization_id: UUID, listed_on: date) -> date | None:
        with self.db.transaction() as tx:
            value = tx.execute(
                "SELECT MAX(removed_on) FROM sl_listings WHERE organization_id = ? AND list_name = 'abnormal' "
                "AND listed_on = ? AND removed_on IS NOT NULL",
                (str(organization_id), listed_on.isoformat()),
            ).scalar()
        return date.fromisoformat(value) if value else None
