"""Reminders lead somewhere and do not go stale: an evaluator follows the inbox's reminder to the case,
submits the sheet, and the reminder shows as done and leaves the unread count."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_evaluator_follows_the_reminder_to_the_case_and_submitting_makes_it_done(site: str, page: Any) -> None:
    sign_in(page, site, "evaluator")
    unread = int(page.text_content("[data-testid=unread]"))
    assert unread >= 1
    page.goto(f"{site}/inbox/")
    reminder = page.locator("[data-testid=reminder]", has_text="评分表尚未提交").first
    assert "的评估" in reminder.text_content()  # it names the case it is about
    reminder.locator("[data-testid=reminder-link]").click()
    assert "/evaluations/" in page.url and page.locator("#score-form").is_visible()

    inputs = page.locator("#score-form input.points[name^='points:']")
    for i in range(inputs.count()):
        field = inputs.nth(i)
        field.fill(f"{float(field.get_attribute('max')) * 0.9:.1f}")
    page.click("[data-testid=submit-sheet]")
    page.wait_for_selector("p.notice")

    page.goto(f"{site}/inbox/")
    done = page.locator("[data-testid=reminder]", has_text="评分表尚未提交").first
    assert "评分表已提交" in done.locator("[data-testid=reminder-done]").text_content()
    badge = page.locator("[data-testid=unread]")
    assert badge.count() == 0 or int(badge.text_content()) == unread - 1
