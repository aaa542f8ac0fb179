"""Grade certificates over HTTP on the demo data: anyone verifies one by its number (API and
page, no sign-in); the PDF goes to its organization and the registration authority and says in
Chinese who holds which grade under which number; revoking ends it on the verification page."""

from __future__ import annotations

import re
import subprocess
from typing import Any
from uuid import uuid5

import pytest

from application.demo import _NS, DEMO_PASSWORD
from tests.integration.conftest import login
from tests.integration.helpers import REGISTRAR
from tests.integration.test_security import sign_in_on_the_pages

NUMBER = "340000-2026-0001"  # the demo's social work centre, graded 4A at seeding
HOLDER = "宣州区社会工作服务中心"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def in_2026(clock) -> None:  # the demo's certificate is numbered in the year it is seeded
    assert clock.now().year == 2026


def pdf_text(pdf: bytes, tmp_path: Any) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_anyone_verifies_a_certificate_by_its_number(client) -> None:
    answer = client.get(f"/api/certificates/{NUMBER}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["valid"], body["grade"], body["organization_name"]) == ("valid", True, "4A", HOLDER)
    assert body["authority_zh"] == "安徽省民政厅" and body["verification_url"].endswith(f"/public/certificates/{NUMBER}")
    event = body["issued_by"]
    assert event["position"] > 0 and re.fullmatch(r"[0-9a-f]{64}", event["link"])
    page = client.get(f"/public/certificates/{NUMBER}")
    assert page.status_code == 200 and "有效" in page.text and HOLDER in page.text and event["link"] in page.text
    unknown = client.get("/api/certificates/340000-2026-9999")
    assert unknown.status_code == 404 and unknown.json()["code"] == "certificate.not_found"
    assert client.get("/public/certificates/340000-2026-9999").status_code == 404


def test_the_pdf_goes_to_the_holder_and_the_registrar_and_says_it_in_chinese(client, system, tmp_path) -> None:
    assert client.get(f"/api/certificates/{NUMBER}/pdf").status_code == 401
    other = login(client, "org")  # the hub's user: another organization's certificate
    assert client.get(f"/api/certificates/{NUMBER}/pdf", headers=other).status_code == 403
    assert client.get(f"/api/certificates/{NUMBER}/pdf", headers=login(client, "chair")).status_code == 403
    answer = client.get(f"/api/certificates/{NUMBER}/pdf", headers=login(client, "registrar"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    text = pdf_text(answer.content, tmp_path)
    for expected in (HOLDER, "4A级", "证书编号", NUMBER, "发证机关", "安徽省民政厅", f"/public/certificates/{NUMBER}"):
        assert expected in text, (expected, text)

    signed_out = client.get(f"/certificates/{NUMBER}/pdf", headers={"Accept": "text/html"}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login?next=")
    holder = uuid5(_NS, "xc-social")
    system.accounts.add_user("xc-social", DEMO_PASSWORD, "organization", HOLDER, holder)
    sign_in_on_the_pages(client, "xc-social")
    own = client.get(f"/organizations/{holder}")
    assert "下载等级证书" in own.text and f"/certificates/{NUMBER}/pdf" in own.text
    download = client.get(f"/certificates/{NUMBER}/pdf")
    assert download.status_code == 200 and HOLDER in pdf_text(download.content, tmp_path)


def test_revoking_the_registration_shows_the_certificate_invalid(client, system) -> None:
    card = f"/public/organizations/{uuid5(_NS, 'xc-social')}"
    assert f'href="/public/certificates/{NUMBER}"' in client.get(card).text  # the public card leads to it
    system.organizations.revoke(REGISTRAR, uuid5(_NS, "xc-social"), None)
    assert NUMBER not in client.get(card).text  # a certificate that no longer stands is not offered
    body = client.get(f"/api/certificates/{NUMBER}").json()
    assert (body["status"], body["valid"]) == ("organization_closed", False)
    page = client.get(f"/public/certificates/{NUMBER}").text
    assert "已失效" in page and "撤销登记" in page
    english = client.get(f"/public/certificates/{NUMBER}?lang=en").text
    assert "No longer valid" in english


def test_the_api_document_describes_the_certificate_routes(client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert paths["/api/certificates/{number}"]["get"]["operationId"] == "verifyCertificate"
    assert paths["/api/certificates/{number}/pdf"]["get"]["operationId"] == "downloadCertificate"
