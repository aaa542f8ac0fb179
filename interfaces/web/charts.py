"""Server-rendered SVG bar charts for the dashboards: no script, no CDN, readable without
colour (every bar carries its value as text, and the table behind it is one click away)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any

from application.queries.common import Table

PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")
ROW, BAR_GAP, LABEL_W, WIDTH = 26, 6, 190, 760


@dataclass(frozen=True)
class ChartSpec:
    """How a table becomes bars: categories down the side, series as stacked (or side-by-side) parts."""

    category: tuple[str, ...]  # columns joined into the category label
    series: str | None  # column whose values become the series (stacked), or None
    values: tuple[str, ...]  # numeric columns; several values are drawn side by side
    stacked: bool = True


SPECS: dict[str, ChartSpec] = {
    "grades": ChartSpec(("district",), "grade", ("organizations",)),
    "inspections": ChartSpec(("report_year",), "outcome", ("organizations",)),
    "listings": ChartSpec(("year",), "list_name", ("listed",)),
    "funds": ChartSpec(("round", "district"), None, ("awarded_cny", "paid_cny"), stacked=False),
    "stars": ChartSpec(("stars",), None, ("projects",)),
    "subsidies": ChartSpec(("year", "district"), "rule_key", ("amount_cny",)),
}


def _pivot(table: Table, spec: ChartSpec) -> tuple[list[str], list[str], dict[tuple[str, str], float]]:
    index = {c: i for i, c in enumerate(table.columns)}
    categories: list[str] = []
    series: list[str] = []
    values: dict[tuple[str, str], float] = {}
    for row in table.rows:
        category = " · ".join(str(row[index[c]]) for c in spec.category)
        if category not in categories:
            categories.append(category)
        for column in spec.values:
            name = str(row[index[spec.series]]) if spec.series else column
            if name not in series:
                series.append(name)
            number = row[index[column]]
            values[(category, name)] = values.get((category, name), 0.0) + float(Decimal(str(number)))
    return categories, series, values


def bar_chart(table: Table, title: str, label: Any = str) -> str:
    """An SVG chart of the table; `label` translates series names for the legend."""
    spec = SPECS[table.key]
    categories, series, values = _pivot(table, spec)
    if not categories:
        return ""
    per_category = 1 if spec.stacked else len(series)
    totals = [
        sum(values.get((c, s), 0.0) for s in series) if spec.stacked else max(values.get((c, s), 0.0) for s in series)
        for c in categories
    ]
    top = max(totals) or 1.0
    scale = (WIDTH - LABEL_W - 70) / top
    band = ROW * per_category + BAR_GAP
    legend_h = 24
    height = legend_h + band * len(categories) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" data-chart="{escape(table.key)}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, name in enumerate(series):  # legend
        key_x = LABEL_W + i * 120
        parts.append(
            f'<rect x="{key_x}" y="4" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{key_x + 16}" y="15" font-size="12">{escape(str(label(name)))}</text>'
        )
    for row, category in enumerate(categories):
        y0 = legend_h + row * band
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y0 + ROW * per_category / 2 + 4}" font-size="12" '
            f'text-anchor="end">{escape(category[:28])}</text>'
        )
        x = float(LABEL_W)
        for i, name in enumerate(series):
            value = values.get((category, name), 0.0)
            y = y0 if spec.stacked else y0 + i * ROW
            w = value * scale
            if value:
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{ROW - 4}" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(category)} · {escape(str(label(name)))}: '
                    f"{_number(value)}</title></rect>"
                )
            if not spec.stacked:
                parts.append(f'<text x="{x + w + 4:.1f}" y="{y + ROW - 10}" font-size="11">{_number(value)}</text>')
            elif value:
                x += w
        if spec.stacked:
            parts.append(f'<text x="{x + 4:.1f}" y="{y0 + ROW - 10}" font-size="11">{_number(totals[row])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
