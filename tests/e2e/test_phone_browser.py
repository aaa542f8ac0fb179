"""Every role on a phone (390 × 844) and on a desktop: nothing off-screen, the menu folds, sign-out reachable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

ROLES = ("registrar", "chair", "org", "evaluator", "auditor")


def overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def menu_links(page: Any, site: str) -> list[str]:
    hrefs = page.eval_on_selector_all("#site-nav a[href]", "links => links.map(a => a.getAttribute('href'))")
    return [f"{site}{h}" for h in hrefs if h.startswith("/") and not h.startswith("/lang/")]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_a_phone_every_role_reads_its_pages_without_sideways_scrolling_and_can_sign_out(site: str, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for role in ROLES:
        sign_in(page, site, role)
        header = page.locator("header.top")
        assert header.bounding_box()["height"] < 80, f"{role}: the header fills the screen"
        assert not page.locator("#site-nav").is_visible()  # folded behind the menu button
        links = menu_links(page, site)
        assert len(links) >= 3
        for link in links:
            page.goto(link)
            assert overflow(page) <= 0, f"{role}: {link} is wider than the phone"
            assert page.locator("main").bounding_box()["width"] <= 390

        page.get_by_role("button", name="菜单").click()
        assert page.get_by_role("button", name="菜单").get_attribute("aria-expanded") == "true"
        sign_out = page.get_by_role("button", name="退出")
        box = sign_out.bounding_box()
        assert sign_out.is_visible() and box is not None and box["x"] + box["width"] <= 390
        sign_out.click()
        page.wait_for_load_state()
        assert page.locator("[data-testid=who]").count() == 0  # signed out
        page.get_by_role("button", name="菜单").click()
        assert page.get_by_role("link", name="登录").is_visible()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_a_phone_a_wide_table_scrolls_inside_the_page_and_names_stay_on_one_line(site: str, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "registrar")
    page.goto(f"{site}/register")
    assert overflow(page) <= 0
    name = page.locator("table.register tbody tr td a").first
    line_height = float(name.evaluate("a => parseFloat(getComputedStyle(a).lineHeight)"))
    assert name.bounding_box()["height"] < 1.5 * line_height  # one line, not two characters a line
    table = page.locator("table.register")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")  # the rest is a sideways scroll of the table


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_on_a_desktop_the_registrars_menu_is_one_row_in_either_language(site: str, page: Any, language: str) -> None:
    sign_in(page, site, "registrar")
    page.goto(f"{site}/lang/{language}")
    assert not page.locator(".menu-toggle").is_visible()
    tops = page.eval_on_selector_all("#site-nav > *", "items => items.map(i => Math.round(i.getBoundingClientRect().top))")
    assert max(tops) - min(tops) < 12, "the menu wraps to a second row"
    assert page.locator("header.top").bounding_box()["height"] < 80


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_browsers_icon_request_finds_an_icon(site: str, page: Any) -> None:
    response = page.goto(f"{site}/favicon.ico")
    assert response.status == 200 and "svg" in response.headers["content-type"]
