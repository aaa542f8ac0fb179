"""The auditor in a real browser (both databases): verifies the integrity chain, opens an
organization's timeline and reads what each event changed, asks for its state as of an instant
before a rename, reads the register as of that instant and as it is now; an organization user is
kept out, and a malformed time is a clear 400."""

from __future__ import annotations

from typing import Any
from uuid import uuid5
from zoneinfo import ZoneInfo

import pytest

from application.demo import _NS
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_public_browser import sign_in
from tests.integration.helpers import REGISTRAR

pytestmark = pytest.mark.browser
HUB = uuid5(_NS, "tl-hub")


def test_the_auditor_reconstructs_the_register_and_a_timeline(site: str, page: Any, system: Any, clock: Any) -> None:
    old_name = system.organizations.organization(HUB).profile.name
    clock.advance(hours=2)
    before_rename = clock.current.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    clock.advance(hours=2)
    system.organizations.rename(REGISTRAR, HUB, None, "铜陵市郊区社会组织总会")

    sign_in(page, site, "auditor")
    page.click("[data-testid=nav-audit]")
    page.click("[data-testid=verify]")
    assert "哈希链完整" in page.inner_text("[data-testid=integrity-result]")

    page.fill("[data-testid=lookup-id]", f" {HUB} ")
    page.click("text=打开")
    page.wait_for_url(f"**/audit/aggregates/{HUB}")
    renamed = page.locator("[data-testid=audit-timeline] li", has_text="Renamed")
    diff = renamed.locator("[data-testid=diff]").inner_text()
    assert old_name in diff and "铜陵市郊区社会组织总会" in diff
    legal = page.locator("[data-testid=audit-timeline] li", has_text="LegalRepresentativeChanged").locator("[data-testid=diff]")
    assert "王建国" in legal.inner_text() and "王建华" in legal.inner_text()

    page.fill("[data-testid=state-at]", before_rename)
    page.click("[data-testid=timeline-filters] button")
    state = page.inner_text("[data-testid=state]")
    assert old_name in state and "铜陵市郊区社会组织总会" not in state

    # that day's register as it was known just before the rename (the rename took effect the same day)
    page.goto(f"{site}/audit/register")
    page.fill("[data-testid=known-at]", before_rename)
    page.click("form.filters button")
    then = page.inner_text("[data-testid=as-of-table]")
    assert old_name in then and "铜陵市郊区社会组织总会" not in then
    assert "所知" in page.inner_text("[data-testid=as-of-summary]")
    page.select_option("select[name=credit_status]", "serious")
    page.click("form.filters button")
    rows = page.locator("[data-testid=as-of-row]")
    assert rows.count() == 1 and "青山区社区社会组织服务中心" in rows.inner_text()
    page.goto(f"{site}/audit/register")
    assert "铜陵市郊区社会组织总会" in page.inner_text("[data-testid=as-of-table]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site}/audit/aggregates/{HUB}")
    page.screenshot(path=str(ARTIFACTS / "audit-timeline.png"), full_page=True)

    answer = page.goto(f"{site}/audit/register?at=yesterday")
    assert answer.status == 400 and "时间格式" in page.inner_text("[data-testid=error]")
    answer = page.goto(f"{site}/audit/register?on=yesterday")
    assert answer.status == 400 and "日期格式" in page.inner_text("[data-testid=error]")


def test_an_organization_user_is_kept_out_of_the_audit_pages(site: str, page: Any) -> None:
    sign_in(page, site, "org")
    assert page.locator("[data-testid=nav-audit]").count() == 0
    assert page.goto(f"{site}/audit/").status == 403
    assert page.goto(f"{site}/audit/aggregates/{HUB}").status == 403
