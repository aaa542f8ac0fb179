"""Browser fixtures: the app with demo data on a real server, and a headless Chromium page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.demo import seed_demo
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
def site(system: Any) -> Iterator[str]:
    seed_demo(system, say=lambda _: None)
    with serving(create_app(system)) as base:
        yield base


@pytest.fixture
def page(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # confirmations such as "确认提交吗?"
        yield page
        browser.close()
