"""The score form keeps what an evaluator types: an out-of-range value is refused for its field alone and kept
in the browser, the valid ones save, leaving asks first, and coming back brings everything back."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid5

import pytest

from application.demo import _NS
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def type_into(page: Any, field: Any, text: str) -> None:
    field.click()
    field.press("Control+a")
    page.keyboard.type(text)  # typed as a person does (the browser counts it as their input)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_invalid_score_is_refused_alone_and_nothing_typed_is_lost(site: str, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.type))  # the page fixture accepts each one
    sign_in(page, site, "evaluator2")
    page.goto(f"{site}/evaluations")
    page.click(f"[data-testid=cases] a[href='/evaluations/{uuid5(_NS, 'demo-evaluation')}']")  # the case being scored
    case_url = page.url
    form = page.locator("#score-form")
    points = form.locator("input.points[name^='points:']")
    first, second, third = points.nth(0), points.nth(1), points.nth(2)
    names = [field.get_attribute("name") for field in (first, second, third)]
    assert form.locator("[data-testid^=criteria-]").count() == points.count()  # 评分细则 beside every indicator
    assert form.locator("textarea[name^='comment:']").first.get_attribute("id")
    assert page.locator(f"label[for='{form.locator('textarea').first.get_attribute('id')}']").count() == 1

    top = float(second.get_attribute("max"))
    type_into(page, first, "20")
    type_into(page, second, f"{top + 5:g}")  # 35 where the maximum is 30
    type_into(page, third, "10")
    page.wait_for_selector("#autosave-status.error-text")
    assert second.get_attribute("aria-invalid") == "true"
    told = page.locator(f"[data-error-for='{names[1]}']")
    assert "之间" in told.text_content() and f"{top:g}" in told.text_content()  # in the page's language, beside it
    assert names[1] and f"error-{names[1].removeprefix('points:')}" in second.get_attribute("aria-describedby")
    assert first.get_attribute("aria-invalid") is None
    assert float(page.text_content("[data-testid=running-total]")) == 30.0  # the invalid value is not counted
    category = first.get_attribute("data-category")
    assert float(page.text_content(f"[data-subtotal='{category}']")) >= 20.0

    page.click("a[href='/register'] >> nth=0")  # leaving as a person does, by a link
    page.wait_for_url(f"{site}/register")
    assert "beforeunload" in dialogs  # leaving with a refused value asked first
    served = page.request.get(case_url).text()  # what the server has, without this browser's copy
    for name, value in zip(names, ("20", "", "10"), strict=True):  # the refused one was never saved
        assert re.search(rf'name="{re.escape(name)}"[^>]*value="{value}(\\.0)?"', served), name
    page.goto(case_url)
    assert first.input_value() == "20" and third.input_value() == "10"
    assert second.input_value() == f"{top + 5:g}"  # kept in the browser, still marked
    page.wait_for_selector(f"[data-error-for='{names[1]}']:not(:empty)")
    assert "之间" in told.text_content()
    assert second.get_attribute("aria-invalid") == "true"
    assert page.locator("#autosave-status.error-text").count() == 1  # marked as not yet saved
    assert float(page.text_content("[data-testid=running-total]")) == 30.0

    type_into(page, second, f"{top - 1:g}")
    page.wait_for_selector("#autosave-status.muted")
    assert second.get_attribute("aria-invalid") is None
    assert float(page.text_content("[data-testid=running-total]")) == 30.0 + top - 1
    counted = float(page.text_content(f"[data-subtotal='{second.get_attribute('data-category')}']"))
    assert counted >= top - 1  # its category's subtotal counts it now
    assert told.text_content() == ""
    page.reload()
    assert second.input_value() in (f"{top - 1:g}", f"{top - 1:.1f}")  # saved: nothing left to restore
    assert "已恢复" not in page.text_content("#autosave-status")
    assert not page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('sheet:')).length")
