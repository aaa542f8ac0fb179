"""Random inspections (双随机抽查) as lists: the draws made (the newest first) and the checks with
their stage and team, so the registry sees every draw and each inspector the checks on their team
that are not concluded yet — without loading a draw or a check to find out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from application.queries.common import Page
from application.queries.spot_checks import DrawRow, SpotCheckQuery, SpotCheckRow
from infra.database import Tx
from infra.projections.base import Handler, Projection, paged, update_row, utc
from infra.projections.register import RegisterProjection

SEP = "\x1f"  # between a team's user ids and names: neither takes control characters


class SpotChecksProjection(Projection):
    name = "spot_checks"
    version = 1
    tables: ClassVar[dict[str, str]] = {
        "sl_spot_check_draws": """
            id TEXT PRIMARY KEY,
            year INTEGER NOT NULL,
            division_prefix TEXT NOT NULL,
            drawn_at TEXT NOT NULL,
            selected INTEGER NOT NULL""",
        "sl_spot_checks": """
            id TEXT PRIMARY KEY,
            draw_id TEXT NOT NULL,
            year INTEGER NOT NULL,
            organization_id TEXT NOT NULL,
            risk_group TEXT NOT NULL,
            stage TEXT NOT NULL,
            inspector_ids TEXT NOT NULL,
            inspector_names TEXT NOT NULL,
            conclusion TEXT,
            rectification_deadline TEXT,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL""",
    }
    indexes = (
        "CREATE INDEX IF NOT EXISTS sl_spot_check_draws_year ON sl_spot_check_draws (year, division_prefix)",
        "CREATE INDEX IF NOT EXISTS sl_spot_checks_year ON sl_spot_checks (year, stage)",
    )
    reads = (RegisterProjection,)  # the organization's name, joined
    topic_prefixes = ("domain.spot_check:SpotCheckDraw.", "domain.spot_check:SpotCheck.")

    def define_handlers(self) -> dict[str, Handler]:
        def stage(value: str) -> Handler:
            return lambda tx, e: update_row(tx, "sl_spot_checks", e, stage=value)

        return {
            "SpotCheckDraw.Drawn": self._drawn,
            "SpotCheck.Opened": self._opened,
            "SpotCheck.Notified": stage("notified"),
            "SpotCheck.MaterialAdded": lambda tx, e: update_row(tx, "sl_spot_checks", e),
            "SpotCheck.DocumentAttached": lambda tx, e: update_row(tx, "sl_spot_checks", e),
            "SpotCheck.FindingsRecorded": stage("inspected"),
            "SpotCheck.Concluded": lambda tx, e: update_row(
                tx,
                "sl_spot_checks",
                e,
                stage="concluded",
                conclusion=e.conclusion.value,
                rectification_deadline=e.rectification_deadline.isoformat() if e.rectification_deadline else None,
            ),
            "SpotCheck.RectificationConfirmed": stage("rectified"),
        }

    def _drawn(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "INSERT INTO sl_spot_check_draws (id, year, division_prefix, drawn_at, selected) VALUES (?, ?, ?, ?, ?)",
            (str(e.originator_id), e.year, e.division_prefix, utc(e.timestamp), len(e.selection)),
        )

    def _opened(self, tx: Tx, e: Any) -> None:
        tx.execute(
            "INSERT INTO sl_spot_checks (id, draw_id, year, organization_id, risk_group, stage, inspector_ids, "
            "inspector_names, conclusion, rectification_deadline, version, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'drawn', ?, ?, NULL, NULL, ?, ?)",
            (
                str(e.originator_id),
                str(e.draw_id),
                e.year,
                str(e.organization_id),
                e.group,
                SEP + SEP.join(i.user_id for i in e.inspectors) + SEP,  # delimited at both ends: LIKE finds one whole id
                SEP.join(i.name for i in e.inspectors),
                e.originator_version,
                utc(e.timestamp),
            ),
        )

    def draws(self, year: int | None = None) -> list[DrawRow]:
        """Every draw (of a year), the newest first."""
        where, params = ("WHERE year = ?", [year]) if year else ("", [])
        with self.db.transaction() as tx:
            rows = tx.execute(f"SELECT * FROM sl_spot_check_draws {where} ORDER BY year DESC, drawn_at DESC", params).all()
        return [
            DrawRow(
                UUID(r["id"]), int(r["year"]), r["division_prefix"], datetime.fromisoformat(r["drawn_at"]), int(r["selected"])
            )
            for r in rows
        ]

    def checks(self, query: SpotCheckQuery) -> Page[SpotCheckRow]:
        """Checks not concluded first, then by year (the newest) and the organization's name."""
        where, params = ["1 = 1"], list[Any]()
        if query.year:
            where.append("c.year = ?")
            params.append(query.year)
        if query.inspector:
            where.append("c.inspector_ids LIKE ?")
            params.append(f"%{SEP}{query.inspector}{SEP}%")
        if query.open_only:
            where.append("c.stage IN ('drawn', 'notified', 'inspected')")
        source = f"sl_spot_checks c LEFT JOIN sl_register r ON r.id = c.organization_id WHERE {' AND '.join(where)}"
        order = "CASE WHEN c.stage IN ('concluded', 'rectified') THEN 1 ELSE 0 END, c.year DESC, r.name, c.id"
        rows, total, page, per_page = paged(
            self.db, "c.*, r.name AS organization_name", source, params, order, query.page, query.per_page, 200
        )
        return Page(items=[_row(r) for r in rows], total=total, page=page, per_page=per_page)


def _row(r: dict[str, Any]) -> SpotCheckRow:
    deadline = r["rectification_deadline"]
    return SpotCheckRow(
        id=UUID(r["id"]),
        draw_id=UUID(r["draw_id"]),
        year=int(r["year"]),
        organization_id=UUID(r["organization_id"]),
        organization_name=r["organization_name"] or "",
        group=r["risk_group"],
        stage=r["stage"],
        inspectors=[n for n in r["inspector_names"].split(SEP) if n],
        conclusion=r["conclusion"],
        rectification_deadline=date.fromisoformat(deadline) if deadline else None,
        version=int(r["version"]),
    )
