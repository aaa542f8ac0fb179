"""资金扶持 as a list a person filters and downloads: the demo's granted subsidies on the page, by
year and district, and the same rows as .xlsx and CSV with Chinese headers and labels."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook

from application.demo import DEMO_PASSWORD


def _signed_in(client: Any, username: str) -> None:
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "_csrf_token": csrf})


def test_subsidies_are_listed_filtered_and_downloaded(client: Any, system: Any) -> None:
    granted = system.funding_view.subsidies()
    assert granted, "the demo grants a year's subsidies"
    year, district = granted[0].year, granted[0].district
    _signed_in(client, "registrar")
    page = client.get("/funding/subsidies", params={"year": year, "district": district})
    assert page.status_code == 200 and granted[0].organization_name in page.text
    assert "年度考核合格补贴" in page.text or "补贴" in page.text
    none = client.get("/funding/subsidies", params={"year": 2001})
    assert "没有" in none.text or granted[0].organization_name not in none.text

    book = client.get("/funding/subsidies/download", params={"format": "xlsx", "year": year, "district": district})
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("年度", "组织", "区县")
    expected = [s for s in granted if s.year == year and s.district == district]
    assert len(rows) - 1 == len(expected) and rows[1][1] == expected[0].organization_name
    csv = client.get("/funding/subsidies/download", params={"format": "csv", "year": year})
    assert csv.text.startswith("\ufeff年度,组织,区县") and expected[0].organization_name in csv.text
    client.post("/logout")
    _signed_in(client, "org")
    assert client.get("/funding/subsidies").status_code == 403
