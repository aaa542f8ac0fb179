"""Read models of funding (公益创投) and subsidies: rounds with their committed budget,
projects ranked within their round, tranches paid, subsidies granted. Money is whole fen
here, so sums are exact on both databases."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, overload
from uuid import UUID

from application.queries.common import Page
from application.queries.funding import ProjectQuery, ProjectRow, RoundRow, SubsidyRow, SubsidyTotal
from infra.database import Tx
from infra.projections.base import Handler, Projection, update_row, utc
from infra.projections.register import RegisterProjection

NAME = "funding"
CLOSED_PROJECT_STAGES = ("rated", "completed")


def fen(amount: Decimal) -> int:
    return int(amount * 100)


@overload
def cny(value: int) -> Decimal: ...
@overload
def cny(value: int | None) -> Decimal | None: ...
def cny(value: int | None) -> Decimal | None:
    """Whole fen (as the tables hold money) to yuan."""
    return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class FundingProjection(Projection):
    name = NAME
    version = 2  # 2: milestones' extensions (extended)
    tables: ClassVar[dict[str, str]] = {  # money is whole fen (BIGINT), so both databases add it up exactly
        "sl_rounds": """
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            division_prefix TEXT NOT NULL,
            budget_fen BIGINT NOT NULL,
            cap_fen BIGINT NOT NULL,
            committed_fen BIGINT NOT NULL,
            applications_open TEXT NOT NULL,
            applications_close TEXT NOT NULL,
            project_start TEXT NOT NULL,
            mid_term_due TEXT NOT NULL,
            closing_due TEXT NOT NULL,
            min_grade TEXT,
            rule_set TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL""",
        "sl_projects": """
            id TEXT PRIMARY KEY,
            round_id TEXT NOT NULL,
            organization_id TEXT NOT NULL,
            organization_name TEXT NOT NULL,
            district TEXT NOT NULL,
            title TEXT NOT NULL,
            requested_fen BIGINT NOT NULL,
            stage TEXT NOT NULL,
            bars TEXT NOT NULL,
            review_score TEXT,
            review_rank_score BIGINT,
            awarded_fen BIGINT,
            paid_fen BIGINT NOT NULL,
            mid_term_due TEXT,
            closing_due TEXT,
            mid_term_reported_on TEXT,
            closing_reported_on TEXT,
            extended TEXT NOT NULL DEFAULT '',
            mid_term_passed INTEGER,
            stars INTEGER,
            closing_score TEXT,
            evaluations TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL""",
        "sl_tranches": """
            project_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            round_id TEXT NOT NULL,
            district TEXT NOT NULL,
            amount_fen BIGINT NOT NULL,
            paid_on TEXT NOT NULL,
            PRIMARY KEY (project_id, idx)""",
        "sl_subsidies": """
            id TEXT PRIMARY KEY,
            organization_id TEXT NOT NULL,
            organization_name TEXT NOT NULL,
            district TEXT NOT NULL,
            rule_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            period TEXT NOT NULL,
            year INTEGER NOT NULL,
            amount_fen BIGINT NOT NULL,
            reasons TEXT NOT NULL,
            rule_set TEXT NOT NULL,
            granted_at TEXT NOT NULL""",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_projects_round ON sl_projects (round_id, review_rank_score)",
        "CREATE INDEX IF NOT EXISTS sl_projects_org ON sl_projects (organization_id)",
        "CREATE INDEX IF NOT EXISTS sl_subsidies_year ON sl_subsidies (year, district)",
    )
    reads = (RegisterProjection,)  # organizations' names and districts
    topic_prefixes = ("domain.funding:", "domain.subsidy:")

    def define_handlers(self) -> dict[str, Handler]:
        return {
            "FundingRound.Opened": self._round_opened,
            "AwardCommitted": lambda tx, e: update_row(tx, "sl_rounds", e, committed_fen=fen(e.committed_total)),
            "AwardReleased": self._award_released,
            "Project.Applied": self._applied,
            "Project.EligibilityChecked": lambda tx, e: self._project(
                tx, e, stage="ineligible" if e.bars else "eligible", bars=json.dumps(list(e.bars))
            ),
            "Project.EvaluationOpened": self._evaluation_opened,
            "ReviewRecorded": lambda tx, e: self._project(
                tx,
                e,
                stage="reviewed" if e.fundable else "not_fundable",
                review_score=str(e.score),
                review_rank_score=int(e.score * 1000),
            ),
            "Awarded": lambda tx, e: self._project(
                tx,
                e,
                stage="awarded",
                awarded_fen=fen(e.amount),
                mid_term_due=e.mid_term_due.isoformat(),
                closing_due=e.closing_due.isoformat(),
            ),
            "NotAwarded": lambda tx, e: self._project(tx, e, stage="not_awarded"),
            "AgreementSigned": lambda tx, e: self._project(tx, e, stage="in_progress"),
            "TranchePaid": self._tranche_paid,
            "MilestoneReportSubmitted": lambda tx, e: self._project(
                tx, e, **{f"{e.milestone.value}_reported_on": e.submitted_on.isoformat()}
            ),
            "MilestoneExtensionGranted": self._extended,
            "MilestoneExtensionRequested": lambda tx, e: self._project(tx, e),
            "MilestoneExtensionRefused": lambda tx, e: self._project(tx, e),
            "MidTermEvaluated": lambda tx, e: self._project(tx, e, mid_term_passed=int(e.passed)),
            "Rated": lambda tx, e: self._project(tx, e, stage="rated", stars=e.stars, closing_score=str(e.score)),
            "Project.Completed": lambda tx, e: self._project(tx, e, stage="completed"),
            "Project.Terminated": lambda tx, e: self._project(tx, e, stage="terminated"),
            "Subsidy.Granted": self._granted,
        }

    # -- handlers -------------------------------------------------------------------------------------
    def _extended(self, tx: Tx, e: Any) -> None:
        """The milestone's new day; `extended` names the milestones an extension moved (a space-separated list)."""
        was = tx.execute("SELECT extended FROM sl_projects WHERE id = ?", (str(e.originator_id),)).scalar() or ""
        names = " ".join(sorted(set(was.split()) | {e.milestone.value}))
        self._project(tx, e, **{f"{e.milestone.value}_due": e.until.isoformat(), "extended": names})

    def _round_opened(self, tx: Tx, e: Any) -> None:
        t = e.terms
        tx.execute(
            "INSERT INTO sl_rounds (id, title, division_prefix, budget_fen, cap_fen, committed_fen, applications_open, "
            "applications_close, project_start, mid_term_due, closing_due, min_grade, rule_set, version, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(e.originator_id),
                t.title,
                t.division_prefix,
                fen(t.budget),
                fen(t.per_project_cap),
                t.applications_open.isoformat(),
                t.applications_close.isoformat(),
                t.project_start.isoformat(),
                t.mid_term_due.isoformat(),
                t.closing_due.isoformat(),
                t.min_grade,
                f"{e.rule_set.id}@{e.rule_set.version}",
                e.originator_version,
                utc(e.timestamp),
            ),
        )

    def _award_released(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "UPDATE sl_rounds SET committed_fen = committed_fen - ?, version = ?, updated_at = ? WHERE id = ?",
            (fen(e.amount), e.originator_version, utc(e.timestamp), str(e.originator_id)),
        )

    def _organization(self, tx: Tx, organization_id: UUID) -> tuple[str, str]:
        row = tx.execute("SELECT name, district FROM sl_register WHERE id = ?", (str(organization_id),)).one()
        return (row["name"], row["district"]) if row else ("", "")

    def _applied(self, tx: Tx, e: Any) -> None:
        name, district = self._organization(tx, e.organization_id)
        tx.execute(
            "INSERT INTO sl_projects (id, round_id, organization_id, organization_name, district, title, requested_fen, "
            "stage, bars, paid_fen, evaluations, version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'applied', '[]', 0, '{}', ?, ?)",
            (
                str(e.originator_id),
                str(e.round_id),
                str(e.organization_id),
                name,
                district,
                e.application.title,
                fen(e.requested),
                e.originator_version,
                utc(e.timestamp),
            ),
        )

    def _project(self, tx: Tx, e: Any, **columns: Any) -> None:
        update_row(tx, "sl_projects", e, **columns)

    def _evaluation_opened(self, tx: Tx, e: Any) -> None:
        current = tx.execute("SELECT evaluations FROM sl_projects WHERE id = ?", (str(e.originator_id),)).scalar()
        evaluations = {**json.loads(current or "{}"), e.kind: str(e.evaluation_id)}
        columns: dict[str, Any] = {"evaluations": json.dumps(evaluations)}
        if e.kind == "project_review":
            columns["stage"] = "under_review"
        self._project(tx, e, **columns)

    def _tranche_paid(self, tx: Tx, e: Any) -> None:
        row = tx.execute("SELECT round_id, district FROM sl_projects WHERE id = ?", (str(e.originator_id),)).one()
        assert row is not None
        tx.execute(
            "INSERT INTO sl_tranches (project_id, idx, round_id, district, amount_fen, paid_on) VALUES (?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.index, row["round_id"], row["district"], fen(e.amount), e.paid_on.isoformat()),
        )
        tx.execute(
            "UPDATE sl_projects SET paid_fen = paid_fen + ?, version = ?, updated_at = ? WHERE id = ?",
            (fen(e.amount), e.originator_version, utc(e.timestamp), str(e.originator_id)),
        )

    def _granted(self, tx: Tx, e: Any) -> None:
        name, _ = self._organization(tx, e.organization_id)
        tx.execute(
            "INSERT INTO sl_subsidies (id, organization_id, organization_name, district, rule_key, kind, period, year, "
            "amount_fen, reasons, rule_set, granted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(e.originator_id),
                str(e.organization_id),
                name,
                e.district,
                e.rule_key,
                e.kind.value,
                e.period,
                e.year,
                fen(e.amount_cny),
                json.dumps(list(e.reasons)),
                f"{e.rule_set.id}@{e.rule_set.version}",
                utc(e.timestamp),
            ),
        )

    # -- queries: rounds and projects ---------------------------------------------------------------------
    def rounds(self) -> list[RoundRow]:
        return self._rounds("", ())

    def round(self, round_id: UUID) -> RoundRow | None:
        found = self._rounds(" WHERE r.id = ?", (str(round_id),))
        return found[0] if found else None

    def _rounds(self, where: str, params: tuple[Any, ...]) -> list[RoundRow]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT r.*, (SELECT COUNT(*) FROM sl_projects p WHERE p.round_id = r.id) AS projects, "
                "(SELECT COALESCE(SUM(t.amount_fen), 0) FROM sl_tranches t WHERE t.round_id = r.id) AS paid_fen "
                f"FROM sl_rounds r{where} ORDER BY r.applications_open DESC, r.title",
                params,
            ).all()
        return [_round(r) for r in rows]

    def projects(self, query: ProjectQuery) -> Page[ProjectRow]:
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        for column, value in (
            ("round_id", query.round_id),
            ("organization_id", query.organization_id),
            ("stage", query.stage),
            ("district", query.district),
        ):
            if value is not None:
                where.append(f"p.{column} = ?")
                params.append(str(value))
        order = {
            "rank": "p.review_rank_score IS NULL, p.review_rank_score DESC, p.title",
            "title": "p.title",
            "requested": "p.requested_fen DESC, p.title",
            "awarded": "p.awarded_fen IS NULL, p.awarded_fen DESC, p.title",
        }.get(query.sort, "p.title")
        clause = " AND ".join(where)
        ranked = (
            "SELECT q.*, CASE WHEN q.review_rank_score IS NULL THEN NULL ELSE RANK() OVER "
            "(PARTITION BY q.round_id, q.review_rank_score IS NULL ORDER BY q.review_rank_score DESC) END AS rank "
            "FROM sl_projects q"
        )
        with self.db.transaction() as tx:
            total = int(tx.execute(f"SELECT COUNT(*) FROM sl_projects p WHERE {clause}", tuple(params)).scalar())
            rows = tx.execute(
                f"SELECT * FROM ({ranked}) p WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
                (*params, query.per_page, (query.page - 1) * query.per_page),
            ).all()
        return Page(items=[_project(r) for r in rows], total=total, page=query.page, per_page=query.per_page)

    # -- queries: subsidies ----------------------------------------------------------------------------------
    def subsidies(self, year: int | None = None, district: str | None = None) -> list[SubsidyRow]:
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        if year is not None:
            where.append("year = ?")
            params.append(year)
        if district:
            where.append("district = ?")
            params.append(district)
        with self.db.transaction() as tx:
            rows = tx.execute(
                f"SELECT * FROM sl_subsidies WHERE {' AND '.join(where)} ORDER BY year DESC, district, organization_name, rule_key",
                tuple(params),
            ).all()
        return [_subsidy(r) for r in rows]

    def subsidy_report(self, year: int) -> list[SubsidyTotal]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT district, rule_key, COUNT(*) AS grants, SUM(amount_fen) AS amount FROM sl_subsidies "
                "WHERE year = ? GROUP BY district, rule_key ORDER BY district, rule_key",
                (year,),
            ).all()
        return [SubsidyTotal(r["district"], r["rule_key"], int(r["grants"]), cny(int(r["amount"]))) for r in rows]


def _round(r: dict[str, Any]) -> RoundRow:
    return RoundRow(
        id=UUID(r["id"]),
        title=r["title"],
        division_prefix=r["division_prefix"],
        budget=cny(r["budget_fen"]),
        per_project_cap=cny(r["cap_fen"]),
        committed=cny(r["committed_fen"]),
        paid=cny(int(r["paid_fen"])),
        applications_open=date.fromisoformat(r["applications_open"]),
        applications_close=date.fromisoformat(r["applications_close"]),
        project_start=date.fromisoformat(r["project_start"]),
        mid_term_due=date.fromisoformat(r["mid_term_due"]),
        closing_due=date.fromisoformat(r["closing_due"]),
        min_grade=r["min_grade"],
        rule_set=r["rule_set"],
        projects=int(r["projects"]),
        version=int(r["version"]),
    )


def _project(r: dict[str, Any]) -> ProjectRow:
    passed = r["mid_term_passed"]
    return ProjectRow(
        id=UUID(r["id"]),
        round_id=UUID(r["round_id"]),
        organization_id=UUID(r["organization_id"]),
        organization_name=r["organization_name"],
        district=r["district"],
        title=r["title"],
        requested=cny(r["requested_fen"]),
        stage=r["stage"],
        bars=json.loads(r["bars"]),
        review_score=Decimal(r["review_score"]) if r["review_score"] else None,
        rank=int(r["rank"]) if r.get("rank") is not None else None,
        awarded=cny(r["awarded_fen"]),
        paid=cny(r["paid_fen"]),
        mid_term_due=_day(r["mid_term_due"]),
        closing_due=_day(r["closing_due"]),
        mid_term_reported_on=_day(r["mid_term_reported_on"]),
        closing_reported_on=_day(r["closing_reported_on"]),
        mid_term_passed=None if passed is None else bool(passed),
        stars=r["stars"],
        closing_score=Decimal(r["closing_score"]) if r["closing_score"] else None,
        evaluations={k: UUID(v) for k, v in json.loads(r["evaluations"]).items()},
        version=int(r["version"]),
    )


def _subsidy(r: dict[str, Any]) -> SubsidyRow:
    return SubsidyRow(
        id=UUID(r["id"]),
        organization_id=UUID(r["organization_id"]),
        organization_name=r["organization_name"],
        district=r["district"],
        rule_key=r["rule_key"],
        kind=r["kind"],
        period=r["period"],
        year=int(r["year"]),
        amount=cny(r["amount_fen"]),
        reasons=json.loads(r["reasons"]),
        rule_set=r["rule_set"],
        granted_at=datetime.fromisoformat(r["granted_at"]),
    )
