"""公示: what the public reads without signing in, so that it can object in time — grade results
under announcement (and past ones), each year's inspection results by locality, the projects each
funding round awarded, and the integrity chain's daily checkpoints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from application.ports import CasesView, ComplianceView, FundingView, IntegrityView
from application.queries.cases import AnnouncedGrade
from application.queries.common import Page
from application.queries.compliance import InspectionResultQuery, InspectionResultRow
from application.queries.funding import ProjectQuery
from application.queries.integrity import Checkpoint

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROUND_PROJECTS = 500  # a round's awarded projects are listed whole


def with_window(row: AnnouncedGrade, today: date) -> AnnouncedGrade:
    """The row, saying whether objections are still taken today."""
    running = row.starts <= today <= row.ends and row.stage in ("announced", "appealed", "appeal_decided")
    return msgspec.structs.replace(row, open=running)


class FundedProject(msgspec.Struct, frozen=True):
    project_id: UUID
    organization_id: UUID
    organization_name: str
    district: str
    title: str
    awarded: Decimal
    stage: str
    stars: int | None


class FundedRound(msgspec.Struct, frozen=True):
    round_id: UUID
    title: str
    projects: list[FundedProject]


class FeedEntry(msgspec.Struct, frozen=True):
    """One entry of the announcements feed: what was published, when, and where to read it."""

    id: str
    kind: str  # grade | checkpoint
    title_zh: str
    title_en: str
    link: str
    at: datetime


class PublicAnnouncements:
    def __init__(
        self,
        cases: CasesView,
        compliance: ComplianceView,
        funding: FundingView,
        integrity: IntegrityView,
        today: Callable[[], date],
    ) -> None:
        self.cases = cases
        self.compliance = compliance
        self.funding = funding
        self.integrity = integrity
        self.today = today

    def grades(self, year: int | None = None) -> list[AnnouncedGrade]:
        """Those under announcement first, then the rest, newest first."""
        today = self.today()
        found = [with_window(row, today) for row in self.cases.announced_grades(year)]
        return sorted(found, key=lambda a: not a.open)  # stable: newest first within each

    def inspection_years(self) -> list[int]:
        return sorted({c.report_year for c in self.compliance.campaigns() if c.deadline_recorded}, reverse=True)

    def inspection_results(self, query: InspectionResultQuery) -> Page[InspectionResultRow]:
        return self.compliance.inspection_results(query)

    def funded_projects(self) -> list[FundedRound]:
        """Each round (newest first) with the projects it awarded; stars once a project is closed."""
        found = []
        for funding_round in sorted(self.funding.rounds(), key=lambda r: r.applications_open, reverse=True):
            page = self.funding.projects(ProjectQuery(round_id=funding_round.id, per_page=ROUND_PROJECTS))
            projects = [
                FundedProject(p.id, p.organization_id, p.organization_name, p.district, p.title, p.awarded, p.stage, p.stars)
                for p in page.items
                if p.awarded is not None
            ]
            if projects:
                found.append(FundedRound(funding_round.id, funding_round.title, projects))
        return found

    def checkpoints(self) -> list[Checkpoint]:
        """The integrity chain's recorded heads, newest first: keep one, check the log against it later."""
        return sorted(self.integrity.checkpoints(), key=lambda c: c.position, reverse=True)

    def feed(self, limit: int = 50) -> list[FeedEntry]:
        entries = [
            FeedEntry(
                f"grade:{a.case_id}",
                "grade",
                f"等级评估结果公示:{a.organization_name}(拟评 {a.proposed_grade or '-'},{a.starts} 至 {a.ends})",
                f"Evaluation result announced: {a.organization_name} (proposed {a.proposed_grade or '-'}, {a.starts} to {a.ends})",
                f"/public/announcements#case-{a.case_id}",
                datetime.combine(a.starts, time(), SHANGHAI),
            )
            for a in self.grades()
        ]
        entries += [
            FeedEntry(
                f"checkpoint:{c.position}",
                "checkpoint",
                f"日志检查点 #{c.position}",
                f"Log checkpoint #{c.position}",
                f"/public/checkpoints#checkpoint-{c.position}",
                c.at,
            )
            for c in self.checkpoints()
        ]
        return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
