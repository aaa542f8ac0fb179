"""A grade certificate in a real browser: the organization's user downloads it from its page
(下载等级证书), the PDF says who holds which grade under which number, and the verification page
its QR code opens — no sign-in — says 有效 (both databases)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid5

import pytest

from application.demo import _NS, DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
HOLDER = "宣州区社会工作服务中心"


def test_an_organization_downloads_its_certificate_and_the_public_verifies_it(
    site: str, page: Any, system: Any, backend: str, tmp_path: Path
) -> None:
    holder = uuid5(_NS, "xc-social")
    system.accounts.add_user("xc-social", DEMO_PASSWORD, "organization", HOLDER, holder)
    sign_in(page, site, "xc-social")
    page.goto(f"{site}/organizations/{holder}")
    certificate = page.locator("[data-testid=certificate]")
    assert "有效" in certificate.text_content()
    page.screenshot(path=str(ARTIFACTS / f"certificate-organization-{backend}.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("text=下载等级证书")
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    number = re.search(r"证书编号:(\S+)", text).group(1)
    assert HOLDER in text and "4A级" in text and number == "340000-2026-0001"

    # the QR code's address (printed under it too) on the deployment's public address: its path here
    qr_url = re.search(r"https?://\S+/public/certificates/\S+", text).group(0)
    context = page.context.browser.new_context(locale="zh-CN")  # a member of the public, not signed in
    public = context.new_page()
    public.goto(site + urlsplit(qr_url).path)
    assert "有效" in public.text_content("[data-testid=certificate-status]")
    assert public.text_content("[data-testid=certificate-number]") == number
    assert re.fullmatch(r"[0-9a-f]{64}", public.text_content("[data-testid=certificate-link]"))
    public.screenshot(path=str(ARTIFACTS / f"certificate-verification-{backend}.png"), full_page=True)
    context.close()
