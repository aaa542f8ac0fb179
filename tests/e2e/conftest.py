"""Browser fixtures: the app with demo data on a real server, and a headless Chromium page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interfaces.app import create_app
from tests.support.server import serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def site(demo: Any) -> Iterator[str]:
    with serving(create_app(demo)) as base:
        yield base


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":  # the page fixture reads it at teardown
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(chromium_path: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # confirmations such as "确认提交吗?"
        yield page
        if request.node.stash.get(_FAILED, False):
            keep_what_the_person_saw(page, request.node.name)
        browser.close()


def keep_what_the_person_saw(page: Any, test_name: str) -> None:
    """A failed browser test leaves its last screen and HTML in test-artifacts/failures/ to look at."""
    folder = ARTIFACTS / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in test_name)[:120]
    page.screenshot(path=str(folder / f"{stem}.png"), full_page=True)
    (folder / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    print(f"\nbrowser test failed on {page.url}: screenshot and HTML in {folder / stem}.png/.html")


def sign_in(page: Any, site: str, username: str) -> None:
    """Sign in on the login page as a demo user, as a person does; they land on their worklist."""
    from application.demo import DEMO_PASSWORD

    page.goto(f"{site}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def choose_files(page: Any, files: list[dict[str, Any]]) -> None:
    """Choose files in the documents zone once its script listens (a deferred script can run after
    the page is shown, and a file chosen before it would go nowhere)."""
    page.wait_for_selector("[data-testid=dropzone][data-ready]", state="attached")
    page.set_input_files("[data-testid=doc-file]", files=files)
