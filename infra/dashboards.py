"""The figures behind the dashboards' charts: each a query over the read models' tables
(register, compliance, funding), so it belongs to none of them. Money is whole fen in the
tables and CNY in the figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from application.queries.common import Table
from infra.database import PostgresDatabase, SQLiteDatabase
from infra.projections.funding import CLOSED_PROJECT_STAGES, cny


class Dashboards:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase) -> None:
        self.db = db

    def table(self, key: str) -> Table:
        query, columns = DASHBOARD_QUERIES[key]
        with self.db.transaction() as tx:
            rows = tx.execute(query).all()
        return Table(
            key,
            [c.replace("_fen", "_cny") for c in columns],
            [[cny(int(r[c])) if c.endswith("_fen") else _plain(r[c]) for c in columns] for r in rows],
        )


def _plain(value: Any) -> Any:
    """PostgreSQL counts come back as Decimal; the tables hold plain integers."""
    return int(value) if isinstance(value, Decimal) and value == value.to_integral_value() else value


# Each chart's table, from the read models (register, compliance, funding).
DASHBOARD_QUERIES: dict[str, tuple[str, list[str]]] = {
    "grades": (
        "SELECT district, org_type, COALESCE(grade, '-') AS grade, COUNT(*) AS organizations FROM sl_register "
        "WHERE status IN ('active', 'suspended') GROUP BY district, org_type, COALESCE(grade, '-') "
        "ORDER BY district, org_type, grade",
        ["district", "org_type", "grade", "organizations"],
    ),
    "inspections": (
        "SELECT report_year, COALESCE(outcome, stage) AS outcome, COUNT(*) AS organizations FROM sl_inspections "
        "GROUP BY report_year, COALESCE(outcome, stage) ORDER BY report_year, outcome",
        ["report_year", "outcome", "organizations"],
    ),
    "listings": (
        "SELECT SUBSTR(listed_on, 1, 4) AS year, list_name, COUNT(*) AS listed, "
        "SUM(CASE WHEN removed_on IS NULL THEN 0 ELSE 1 END) AS removed_since FROM sl_listings "
        "GROUP BY SUBSTR(listed_on, 1, 4), list_name ORDER BY year, list_name",
        ["year", "list_name", "listed", "removed_since"],
    ),
    "funds": (
        "SELECT r.title AS round, p.district, COALESCE(SUM(p.awarded_fen), 0) AS awarded_fen, "
        "COALESCE(SUM(p.paid_fen), 0) AS paid_fen FROM sl_projects p JOIN sl_rounds r ON r.id = p.round_id "
        "WHERE p.awarded_fen IS NOT NULL GROUP BY r.title, p.district ORDER BY r.title, p.district",
        ["round", "district", "awarded_fen", "paid_fen"],
    ),
    "stars": (
        "SELECT COALESCE(CAST(stars AS TEXT), '-') AS stars, COUNT(*) AS projects FROM sl_projects "
        f"WHERE stage IN {CLOSED_PROJECT_STAGES} GROUP BY COALESCE(CAST(stars AS TEXT), '-') ORDER BY stars DESC",
        ["stars", "projects"],
    ),
    "subsidies": (
        "SELECT year, district, rule_key, COUNT(*) AS grants, SUM(amount_fen) AS amount_fen FROM sl_subsidies "
        "GROUP BY year, district, rule_key ORDER BY year, district, rule_key",
        ["year", "district", "rule_key", "grants", "amount_fen"],
    ),
}
