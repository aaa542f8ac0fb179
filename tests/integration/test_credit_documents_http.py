"""Credit records' documents and the public card's, over HTTP on the demo data (both databases):
a penalty's decision letter is public, a removal request's grounds are not, and a draft report's
documents stay the organization's until it files them."""

from __future__ import annotations

import hashlib
from urllib.parse import quote
from uuid import uuid5

from application.demo import _NS
from tests.integration.conftest import login
from tests.integration.test_http_api import assert_problem
from tests.support import documents as make

HUB, YOUTH, CENTER = (str(uuid5(_NS, k)) for k in ("tl-hub", "xc-youth", "qs-center"))


def attach(client, headers, organization, subject, slot, name, data):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/organizations/{organization}/credit/documents?subject={quote(subject)}&slot={slot}&name={quote(name)}",
        content=data,
        headers=headers,
    )


def test_a_penalty_decision_letter_is_on_the_public_card(client, system) -> None:
    registrar = login(client, "registrar")
    public = client.get(f"/api/public/organizations/{CENTER}/documents").json()
    letters = [d for d in public if d["slot"] == "decision_letter"]
    assert [(d["record_zh"], d["file_name"]) for d in letters] == [
        ("行政处罚 青民罚〔示例〕2号", "行政处罚决定书 青民罚〔示例〕2号.pdf")
    ]
    # a clearer scan replaces the letter; the public sees the new one, the record keeps both
    scan = make.pdf("decision letter, sealed", pad_to=50_000)
    answer = attach(client, registrar, CENTER, "penalty:青民罚〔示例〕2号", "decision_letter", "决定书(盖章扫描).pdf", scan)
    assert answer.status_code == 201, answer.text
    public = client.get(f"/api/public/organizations/{CENTER}/documents").json()
    assert [d["file_name"] for d in public if d["slot"] == "decision_letter"] == ["决定书(盖章扫描).pdf"]
    got = client.get(f"/api/public/organizations/{CENTER}/documents/{hashlib.sha256(scan).hexdigest()}")
    assert got.status_code == 200 and got.content == scan and got.headers["x-content-type-options"] == "nosniff"
    old = letters[0]["sha256"]
    assert client.get(f"/api/public/organizations/{CENTER}/documents/{old}").status_code == 404
    assert client.get(f"/api/organizations/{CENTER}/credit/documents/{old}", headers=registrar).status_code == 200
    page = client.get(f"/public/organizations/{CENTER}", headers={"Accept": "text/html"})
    assert "决定书(盖章扫描).pdf" in page.text and "公示材料" in page.text


def test_only_the_registrar_attaches_decision_letters_and_only_to_recorded_penalties(client, system) -> None:
    registrar, org = login(client, "registrar"), login(client, "org")
    assert_problem(
        attach(client, registrar, CENTER, "penalty:无此文号", "decision_letter", "x.pdf", make.pdf()), 422, "document.subject"
    )
    assert_problem(
        attach(client, registrar, CENTER, "penalty:青民罚〔示例〕2号", "removal_grounds", "x.pdf", make.pdf()),
        422,
        "document.slot",
    )
    assert attach(client, org, CENTER, "penalty:青民罚〔示例〕2号", "decision_letter", "x.pdf", make.pdf()).status_code == 403
    assert (
        attach(
            client, login(client, "auditor"), CENTER, "penalty:青民罚〔示例〕2号", "decision_letter", "x.pdf", make.pdf()
        ).status_code
        == 403
    )


def test_a_removal_requests_grounds_are_kept_but_not_published(client, system) -> None:
    registrar = login(client, "registrar")
    grounds = make.pdf("activities resumed per the articles")
    answer = attach(client, registrar, YOUTH, "removal:abnormal", "removal_grounds", "整改情况说明.pdf", grounds)
    assert answer.status_code == 201, answer.text
    sha = answer.json()["document"]["sha256"]
    assert_problem(
        attach(client, registrar, YOUTH, "removal:serious", "removal_grounds", "x.pdf", grounds), 422, "document.subject"
    )
    assert client.get(f"/api/organizations/{YOUTH}/credit/documents/{sha}", headers=login(client, "auditor")).status_code == 200
    assert client.get(f"/api/public/organizations/{YOUTH}/documents/{sha}").status_code == 404
    assert client.get(f"/api/organizations/{YOUTH}/credit/documents", headers=login(client, "org")).status_code == 403
    withdrawn = client.post(
        f"/api/organizations/{YOUTH}/credit/documents/{sha}/withdrawal",
        json={"slot": "removal_grounds", "subject": "removal:abnormal", "reason": "补充后重交"},
        headers=registrar,
    )
    assert withdrawn.status_code == 200 and [d["document"]["withdrawn"] for d in withdrawn.json()][-1] is True


def test_a_draft_reports_documents_are_not_public_until_it_is_filed(client, system) -> None:
    public = client.get(f"/api/public/organizations/{HUB}/documents").json()
    last, older = system.store.today().year - 1, system.store.today().year - 2
    assert [d["record_zh"] for d in public] == [f"{older}年度工作报告"]  # the reviewed year's audit report only
    draft = system.inspections.inspection(uuid5(_NS, "tl-hub"), last).documents[0]
    assert draft.public and client.get(f"/api/public/organizations/{HUB}/documents/{draft.document.sha256}").status_code == 404
