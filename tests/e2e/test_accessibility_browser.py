"""Accessibility: axe-core (through axe-playwright-python) on the pages each role walks through, following the
links a person would, including the forms and confirmation pages: no serious or critical violation, every
input labelled (axe's `label` rule)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

SKIPPED = ("/logout", "/lang/", "/download", ".csv", "/documents/", "/static/", "/api")
PAGES_PER_ROLE = 12
# Pages a role reaches by a button rather than a link: the confirmation steps and forms.
EXTRA = {
    "registrar": ["/organizations/new", "/reminders/", "/audit/", "/complaints"],
    "public": ["/public/", "/login", "/public/complaints"],
}


def walk(page: Any, site: str, start: list[str]) -> list[str]:
    """The pages reached from `start` by following links in the page's main part, breadth first."""
    seen: list[str] = []
    queue = [site + path if path.startswith("/") else path for path in start]
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        path = urlparse(url).path
        if not url.startswith(site) or path in seen or any(s in url for s in SKIPPED):
            continue
        response = page.goto(url)
        if response is None or response.status >= 400:
            continue
        seen.append(path)
        queue += page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")[:8]
        check_accessibility(page, path)
    return seen


def check_accessibility(page: Any, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{path}: {serious}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ["registrar", "chair", "org", "evaluator", "auditor", "public"])
def test_every_page_a_role_walks_through_has_no_serious_accessibility_violation(site: str, page: Any, role: str) -> None:
    if role != "public":
        sign_in(page, site, role)
    visited = walk(page, site, [page.url if role != "public" else "/public/", *EXTRA.get(role, []), "/evaluations"])
    assert len(visited) >= 3, visited


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_confirmation_page_and_the_phone_menu_are_accessible(site: str, page: Any) -> None:
    sign_in(page, site, "registrar")
    page.goto(f"{site}/register")
    page.click("table.register tbody tr td a >> nth=0")
    page.click("[data-testid=decide-deregister]")
    check_accessibility(page, "confirm deregister")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="菜单").click()
    check_accessibility(page, "phone menu open")
