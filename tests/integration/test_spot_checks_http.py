"""Spot checks over the JSON API on SQLite and PostgreSQL, on the demo data: the registrar previews
and draws Tongling's year (a retry with its Idempotency-Key answers the same, a second draw is
409), the public reads the seed, the hash and the candidate list's exact bytes, the check goes
through its steps with If-Match and refusals in zh and en, and its conclusion is on the public card."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from tests.integration.conftest import login
from tests.integration.test_http_api import assert_problem

DRAW = {"year": 2026, "division_prefix": "3407", "basis": {"document_no": "铜民抽〔2026〕1号", "reason": "年度双随机抽查"}}


def versioned(client: Any, url: str, who: dict[str, str]) -> dict[str, str]:
    version = client.get(url, headers=who).json()["version"]
    return {**who, "If-Match": f'"{version}"'}


def test_the_registrar_draws_and_the_public_reads_the_seed_hash_and_candidates(client, system) -> None:
    registrar = login(client, "registrar")
    preview = client.get("/api/spot-checks/preview", params={"year": 2026, "division_prefix": "3407"}, headers=registrar)
    assert preview.status_code == 200, preview.text
    assert preview.json()["candidates"]["format"] == "starledger.spot_check_candidates/1"
    assert_problem(client.get("/api/spot-checks/preview?year=2026&division_prefix=3407"), 401, "auth.required")

    unnumbered = {**DRAW, "basis": {"reason": "抽查"}}
    body = assert_problem(client.post("/api/spot-checks/draws", json=unnumbered, headers=registrar), 422, "basis.required")
    assert "文号" in body["message_zh"]
    assert_problem(client.post("/api/spot-checks/draws", json=DRAW, headers=login(client, "org")), 403, "access.denied")

    pinned = {**DRAW, "candidates_sha256": "0" * 64}  # not the list there is now
    assert_problem(client.post("/api/spot-checks/draws", json=pinned, headers=registrar), 409, "spot_check.candidates_changed")
    keyed = {**registrar, "Idempotency-Key": "draw-2026-3407"}
    drawn = client.post("/api/spot-checks/draws", json=DRAW, headers=keyed)
    assert drawn.status_code == 201, drawn.text
    again = client.post("/api/spot-checks/draws", json=DRAW, headers=keyed)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true" and again.json() == drawn.json()
    assert_problem(client.post("/api/spot-checks/draws", json=DRAW, headers=registrar), 409, "spot_check.draw_exists")

    draw = drawn.json()
    assert drawn.headers["Location"] == f"/api/public/spot-check-draws/{draw['id']}"
    public = client.get(drawn.headers["Location"])  # no sign-in
    assert public.status_code == 200 and public.json()["seed"] == draw["seed"] and draw["selection"]
    assert (
        client.get("/api/public/spot-check-draws/", params={"year": 2026, "division_prefix": "3407"}).json()["id"] == draw["id"]
    )
    listed = client.get(draw["candidates_url"])
    assert listed.status_code == 200 and hashlib.sha256(listed.content).hexdigest() == draw["candidates_sha256"]
    assert draw["candidates_sha256"] == preview.json()["candidates_sha256"]
    assert all(len(s["inspector_ids"]) == 2 for s in draw["selection"])
    assert "名" not in str(public.json()["selection"][0]["inspector_ids"])  # ids, never inspectors' names


def test_a_check_goes_through_its_steps_over_http_and_its_conclusion_is_on_the_public_card(client, system) -> None:
    registrar = login(client, "registrar")
    draw = client.post("/api/spot-checks/draws", json=DRAW, headers=registrar).json()
    chosen = draw["selection"][0]
    url = f"/api/spot-checks/{chosen['spot_check_id']}"
    check = client.get(url, headers=registrar)
    assert check.status_code == 200 and check.json()["stage"] == "drawn" and check.headers["ETag"] == '"1"'
    assert_problem(client.get(url, headers=login(client, "org")), 403, "access.denied")  # another organization's

    findings = {"findings": "会计账簿与年报收入不符"}
    assert_problem(client.post(f"{url}/findings", json=findings, headers=registrar), 428, "version.required")
    early = assert_problem(
        client.post(f"{url}/findings", json=findings, headers=versioned(client, url, registrar)), 409, "spot_check.findings"
    )
    assert "须先通知" in early["message_zh"] and "notify the organization" in early["message_en"]
    notice = {"basis": {"document_no": "铜民抽通〔2026〕5号"}}
    assert client.post(f"{url}/notice", json=notice, headers=versioned(client, url, registrar)).json()["stage"] == "notified"
    assert_problem(client.post(f"{url}/notice", json=notice, headers={**registrar, "If-Match": '"1"'}), 412, "version.stale")
    material = {"title": "现场照片", "note": "办公场所与登记住所一致"}
    assert (
        client.post(f"{url}/materials", json=material, headers=versioned(client, url, registrar)).json()["materials"][0]["source"]
        == "inspector"
    )
    assert client.post(f"{url}/findings", json=findings, headers=versioned(client, url, registrar)).json()["stage"] == "inspected"
    conclusion = {
        "conclusion": "rectification_ordered",
        "reasons": "限期补正会计账簿",
        "rectification_deadline": "2026-07-31",
        "basis": {"document_no": "铜民抽结〔2026〕7号"},
    }
    concluded = client.post(f"{url}/conclusion", json=conclusion, headers=versioned(client, url, registrar))
    assert concluded.status_code == 200, concluded.text
    assert concluded.json()["decision_no"] == "铜民抽结〔2026〕7号"

    card = client.get(f"/api/public/organizations/{chosen['organization_id']}").json()
    [published] = card["spot_checks"]
    assert (published["year"], published["conclusion"], published["decision_no"]) == (
        2026,
        "rectification_ordered",
        "铜民抽结〔2026〕7号",
    )
    assert published["rectified_on"] is None and published["draw_id"] == draw["id"]
    assert "findings" not in published  # the findings stay internal
    page = client.get(f"/public/organizations/{chosen['organization_id']}")  # the card's page, in Chinese first
    assert page.status_code == 200 and "双随机抽查结果" in page.text
    assert "发现问题,责令整改" in page.text and "铜民抽结〔2026〕7号" in page.text and "限2026-07-31前整改" in page.text
    assert "会计账簿与年报收入不符" not in page.text
    published_draw = client.get(f"/public/spot-checks/{draw['id']}")
    assert published_draw.status_code == 200 and draw["seed"] in published_draw.text
    assert draw["candidates_sha256"] in published_draw.text and "starledger spot-checks redraw" in published_draw.text
    confirmed = client.post(f"{url}/rectification", json={"note": "已补正"}, headers=versioned(client, url, registrar))
    assert confirmed.json()["stage"] == "rectified"
    events = [e["event_type"] for e in client.get(f"{url}/history", headers=registrar).json()]
    assert events == ["Opened", "Notified", "MaterialAdded", "FindingsRecorded", "Concluded", "RectificationConfirmed"]


def test_the_organization_checked_uploads_a_material_file_which_only_the_case_reads(client, system) -> None:
    from application.queries.register import RegisterQuery
    from tests.support.documents import pdf

    registrar, org = login(client, "registrar"), login(client, "org")
    own = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0].id
    draw = client.post("/api/spot-checks/draws", json={**DRAW, "complained": [str(own)]}, headers=registrar).json()
    chosen = next(s for s in draw["selection"] if s["organization_id"] == str(own))
    assert chosen["group"] == "complained"
    url = f"/api/spot-checks/{chosen['spot_check_id']}"
    files = f"{url}/documents?name=2025年度财务报表.pdf"
    early = assert_problem(client.post(files, content=pdf(), headers=org), 409, "spot_check.material")
    assert "须先通知" in early["message_zh"]
    client.post(
        f"{url}/notice", json={"basis": {"document_no": "铜民抽通〔2026〕6号"}}, headers=versioned(client, url, registrar)
    )
    uploaded = client.post(files, content=pdf(), headers=org)
    assert uploaded.status_code == 201, uploaded.text
    sha256 = uploaded.json()["sha256"]
    assert client.get(f"{url}/documents/{sha256}", headers=registrar).content == pdf()
    assert [d["file_name"] for d in client.get(f"{url}/documents", headers=org).json()] == ["2025年度财务报表.pdf"]
    assert client.get(f"{url}/documents/{sha256}").status_code == 401  # never public
    assert_problem(client.post(files, content=b"<html>x</html>", headers=org), 415, "document.type_not_allowed")


def test_the_draws_and_checks_are_listed_and_an_inspector_sees_only_their_teams(client, system) -> None:
    registrar = login(client, "registrar")
    made = client.post("/api/spot-checks/draws", json=DRAW, headers=registrar).json()
    draws = client.get("/api/spot-checks/draws", headers=registrar).json()
    assert made["id"] in [d["id"] for d in draws] and {d["division_prefix"] for d in draws} >= {"3407", "3418"}  # the demo's
    assert client.get("/api/spot-checks/draws", params={"year": 1999}, headers=registrar).status_code == 400
    every = client.get("/api/spot-checks", params={"open": "true", "per_page": 200}, headers=registrar).json()
    assert every["total"] >= len(made["selection"]) and all(r["stage"] != "concluded" for r in every["items"])

    evaluator = login(client, "evaluator")
    me = next(u.id for u in system.accounts.users() if u.username == "evaluator")
    mine = client.get("/api/spot-checks", params={"per_page": 200}, headers=evaluator).json()
    teams = {r["id"]: system.spot_checks.spot_check(UUID(r["id"])).inspectors for r in every["items"]}
    assert {r["id"] for r in mine["items"]} == {i for i, team in teams.items() if any(x.user_id == me for x in team)}
    assert_problem(client.get("/api/spot-checks", headers=login(client, "org")), 403, "access.denied")
