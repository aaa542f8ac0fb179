"""Documents over HTTP on the demo data, on SQLite and PostgreSQL: the annual report's required
documents, downloads with their names, bad input, and who may read what."""

from __future__ import annotations

import hashlib
import socket
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import uuid5

import httpx
import pytest

from application.demo import _NS
from interfaces.app import create_app
from tests.integration.conftest import login
from tests.integration.test_http_api import assert_problem
from tests.support import documents as make
from tests.support.server import serving

HUB, ELDER = (str(uuid5(_NS, k)) for k in ("tl-hub", "tl-elder"))
LIMIT = 256 * 1024


@pytest.fixture
def settings(settings: Any) -> Any:  # the shared settings, with a small document limit
    return replace(settings, max_document_bytes=LIMIT)


def stored(system: Any) -> tuple[int, int]:
    with system.database.transaction() as tx:
        return (
            int(tx.execute("SELECT COUNT(*) FROM sl_documents").scalar()),
            int(tx.execute("SELECT COUNT(*) FROM sl_document_chunks").scalar()),
        )


def report_url(system: Any, organization: str = HUB) -> str:
    return f"/api/organizations/{organization}/inspections/{system.store.today().year - 1}"


def upload(client: Any, url: str, headers: dict[str, str], slot: str, name: str, data: bytes) -> Any:
    return client.post(
        f"{url}/documents?slot={slot}&name={quote(name)}",
        content=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


def test_the_annual_report_is_refused_until_its_required_documents_are_attached(client, system) -> None:
    org = login(client, "org")
    url = report_url(system)
    listed = client.get(f"{url}/documents", headers=org).json()
    assert [(r["slot"], r["attached"]) for r in listed["required"]] == [
        ("audit_report", True),
        ("cover_page", False),
        ("commitment", False),
        ("party_building", False),
    ]
    refused = assert_problem(
        client.post(f"{url}/submission", headers={**org, "If-Match": f'"{listed["version"]}"'}), 422, "documents.missing"
    )
    assert "签字盖章的报告封面" in refused["message_zh"] and "真实性承诺书" in refused["message_zh"]
    assert "Declaration of truthfulness" in refused["message_en"]
    assert refused["details"]["missing"] == ["cover_page", "commitment", "party_building"]
    for slot, name in (
        ("cover_page", "封面(已盖章).pdf"),
        ("commitment", "真实性承诺书.pdf"),
        ("party_building", "党建工作报告.pdf"),
    ):
        answer = upload(client, url, org, slot, name, make.pdf(slot))
        assert answer.status_code == 201, answer.text
        assert answer.json()["file_name"] == name and answer.json()["media_type"] == "application/pdf"
    listed = client.get(f"{url}/documents", headers=org).json()
    assert all(r["attached"] for r in listed["required"])
    submitted = client.post(f"{url}/submission", headers={**org, "If-Match": f'"{listed["version"]}"'})
    assert submitted.status_code == 200 and submitted.json()["stage"] == "submitted"
    # submitted: the documents are part of the filed report and no longer change
    assert_problem(upload(client, url, org, "report_other", "补充.pdf", make.pdf("late")), 409, "inspection.attach_document")


def test_a_download_carries_the_utf8_name_nosniff_and_the_same_bytes(client, system) -> None:
    org = login(client, "org")
    url = report_url(system)
    data = make.pdf("download", pad_to=200_000)
    sha = upload(client, url, org, "report_other", '2025年度 财务报告;附件".pdf', data).json()["sha256"]
    got = client.get(f"{url}/documents/{sha}", headers=org)
    assert got.status_code == 200 and got.content == data and hashlib.sha256(got.content).hexdigest() == sha
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote('2025年度 财务报告;附件".pdf', safe="") in disposition
    assert 'filename="2025__ ________.pdf"' in disposition  # an ASCII fallback for old clients
    preview = client.get(f"{url}/documents/{sha}?inline=1", headers=org)
    assert preview.headers["content-disposition"].startswith("inline;")


def test_what_is_not_a_pdf_image_or_office_file_is_never_served_inline(client, system) -> None:
    org = login(client, "org")
    url = report_url(system)
    sheet = upload(client, url, org, "report_other", "预算.xlsx", make.xlsx()).json()
    assert sheet["media_type"] == make_type("XLSX") and sheet["previewable"] is False
    got = client.get(f"{url}/documents/{sheet['sha256']}?inline=1", headers=org)
    assert got.headers["content-disposition"].startswith("attachment;")
    for hostile in (b"<html><script>alert(1)</script></html>", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'):
        assert_problem(upload(client, url, org, "report_other", "report.pdf", hostile), 415, "document.type_not_allowed")


def make_type(name: str) -> str:
    from domain.documents import MediaType

    return MediaType[name].value


def test_bad_uploads_are_refused_and_store_nothing(client, system) -> None:
    org = login(client, "org")
    url = report_url(system)
    before, events = stored(system), int(system.store.recorder.max_notification_id())
    too_big = upload(client, url, org, "report_other", "big.pdf", make.pdf("big", pad_to=LIMIT + 1))
    assert_problem(too_big, 413, "document.too_large")
    wrong = upload(client, url, org, "party_building", "党建.pdf", make.png())  # a PNG named .pdf
    body = assert_problem(wrong, 415, "document.type_not_allowed")
    assert body["details"]["found"] == "image/png"
    assert_problem(upload(client, url, org, "report_other", "empty.pdf", b""), 422, "document.empty")
    assert_problem(upload(client, url, org, "no_such_slot", "x.pdf", make.pdf()), 422, "document.slot")
    assert stored(system) == before and int(system.store.recorder.max_notification_id()) == events


def test_hostile_file_names_are_cleaned_and_never_used_as_paths(client, system) -> None:
    org = login(client, "org")
    url = report_url(system)
    refused = upload(client, url, org, "report_other", "passwd\x00.pdf", make.pdf("nul"))
    assert refused.status_code == 400 and refused.json()["code"] == "request.nul_character"  # as in any query parameter
    for raw, shown in (
        ("../../etc/passwd\x01.pdf", "passwd.pdf"),
        ("..\\..\\boot.ini\r\n.pdf", "boot.ini.pdf"),
        ("审" * 300 + ".pdf", None),
    ):
        answer = upload(client, url, org, "report_other", raw, make.pdf(raw[:10]))
        assert answer.status_code == 201, answer.text
        name = answer.json()["file_name"]
        assert "/" not in name and "\\" not in name and all(ord(c) >= 32 for c in name) and len(name.encode()) <= 200
        if shown:
            assert name == shown
    assert not any(system.settings.data_dir.rglob("passwd*")) and not any(system.settings.data_dir.rglob("boot.ini*"))


def test_the_same_bytes_uploaded_twice_are_stored_once(client, system) -> None:
    org = login(client, "org")
    url = report_url(system)
    before = stored(system)
    data = make.pdf("twice")
    assert upload(client, url, org, "cover_page", "a.pdf", data).status_code == 201
    assert upload(client, url, org, "report_other", "b.pdf", data).status_code == 201
    assert stored(system) == (before[0] + 1, before[1] + 1)
    documents = client.get(f"{url}/documents", headers=org).json()["documents"]
    assert {d["file_name"] for d in documents if d["sha256"] == hashlib.sha256(data).hexdigest()} == {"a.pdf", "b.pdf"}


@pytest.mark.usefixtures("demo")
def test_an_upload_cut_off_midway_stores_nothing(system) -> None:
    with serving(create_app(system)) as base:
        token = httpx.post(f"{base}/api/auth/login", json={"username": "org", "password": "starledger-demo"}).json()["token"]
        before = stored(system)
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port)) as raw:
            raw.sendall(
                (
                    f"POST {report_url(system)}/documents?slot=report_other&name=cut.pdf HTTP/1.1\r\n"
                    f"Host: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
                    f"Content-Length: {LIMIT - 10}\r\nContent-Type: application/pdf\r\n\r\n"
                ).encode()
            )
            raw.sendall(make.pdf("cut", pad_to=LIMIT - 10)[: LIMIT // 2])
        whole = httpx.post(
            f"{base}{report_url(system)}/documents?slot=report_other&name=whole.pdf",
            content=make.pdf("whole"),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert whole.status_code == 201
        names = [
            d["file_name"]
            for d in httpx.get(f"{base}{report_url(system)}/documents", headers={"Authorization": f"Bearer {token}"}).json()[
                "documents"
            ]
        ]
    assert "cut.pdf" not in names and "whole.pdf" in names
    assert stored(system)[0] == before[0] + 1
    assert not any((system.settings.data_dir / "spool").iterdir())


def test_a_withdrawn_document_no_longer_counts_but_its_bytes_stay(client, system) -> None:
    org, auditor = login(client, "org"), login(client, "auditor")
    url = report_url(system)
    sha = upload(client, url, org, "cover_page", "封面.pdf", make.pdf("cover")).json()["sha256"]
    replaced = upload(client, url, org, "cover_page", "封面(新).pdf", make.pdf("cover 2")).json()["sha256"]
    documents = client.get(f"{url}/documents", headers=org).json()["documents"]
    assert [(d["file_name"], d["withdrawn"]) for d in documents if d["slot"] == "cover_page"] == [
        ("封面.pdf", True),
        ("封面(新).pdf", False),
    ]
    withdrawn = client.post(
        f"{url}/documents/{replaced}/withdrawal", json={"slot": "cover_page", "reason": "盖章不清"}, headers=org
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert [r["attached"] for r in withdrawn.json()["required"] if r["slot"] == "cover_page"] == [False]
    assert client.get(f"{url}/documents/{sha}", headers=auditor).status_code == 200  # the record keeps what it relied on
    assert_problem(
        client.post(f"{url}/documents/{replaced}/withdrawal", json={"slot": "cover_page"}, headers=org),
        422,
        "document.not_attached",
    )


def test_documents_are_read_as_the_report_they_belong_to(client, system) -> None:
    org = login(client, "org")
    url = report_url(system)
    sha = upload(client, url, org, "report_other", "内部.pdf", make.pdf("internal")).json()["sha256"]
    for who, status in (("registrar", 200), ("auditor", 200), ("admin", 200), ("evaluator", 403), ("chair", 403)):
        assert client.get(f"{url}/documents/{sha}", headers=login(client, who)).status_code == status, who
    assert client.get(f"{url}/documents/{sha}").status_code == 401
    # another organization's report, and this document through another organization's record
    assert client.get(f"{report_url(system, ELDER)}/documents", headers=org).status_code == 403
    assert client.get(f"{report_url(system, ELDER)}/documents/{sha}", headers=login(client, "registrar")).status_code == 404
    assert upload(client, report_url(system, ELDER), org, "report_other", "x.pdf", make.pdf()).status_code == 403
    assert (
        client.post(
            f"{url}/documents?slot=report_other&name=a.pdf", content=make.pdf(), headers=login(client, "auditor")
        ).status_code
        == 403
    )
