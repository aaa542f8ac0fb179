"""公示 without signing in, on both stores and the demo data: a grade result under announcement with
its window and how to object, a year's inspection results by locality, funded projects, the log's
checkpoints, and the Atom feed of them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

from application.demo import _NS
from domain.provenance import Actor, Role
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_evaluation_flow import as_expert, scores

ATOM = "{http://www.w3.org/2005/Atom}"


def announced_case(system: Any) -> Any:
    """An organization's grade evaluation scored by three experts and announced."""
    from application.context import CommandContext

    chair = CommandContext(Actor("chair-ann", Role.CHAIR), "req-chair")
    desk = system.evaluations
    org = system.organizations.register_organization(REGISTRAR, profile("铜陵市公示测试协会"), code(91), date(2015, 6, 1))
    experts = [desk.enroll_expert(REGISTRAR, f"expert-user-{n}", f"公示专家{n}", "财务", "高校") for n in (1, 2, 3)]
    case = desk.open_grade_evaluation(REGISTRAR, org.id, date(2026, 6, 30), "chair-ann")
    desk.check_eligibility(REGISTRAR, case.id)
    desk.assign_panel(REGISTRAR, case.id, None, [e.id for e in experts])
    for n in (1, 2, 3):
        desk.save_draft(as_expert(n), case.id, None, scores(desk, case, "0.9"))
        desk.submit_sheet(as_expert(n), case.id, None)
    desk.close_scoring(chair, case.id, None)
    desk.compute_result(chair, case.id, None)
    return desk.open_announcement(chair, case.id, None)


def test_a_grade_result_under_announcement_is_public_with_its_window(client, system) -> None:
    case = announced_case(system)
    starts, ends = case.announcement
    found = client.get("/api/public/announcements/grades").json()  # nobody signed in
    [mine] = [a for a in found if a["case_id"] == str(case.id)]
    assert mine["organization_name"] == "铜陵市公示测试协会" and mine["open"] is True
    assert mine["proposed_grade"] == case.computation.label and mine["starts"] == str(starts) and mine["ends"] == str(ends)
    assert found[0]["open"] is True  # those under announcement come first
    page = client.get("/public/announcements")
    assert page.status_code == 200 and "铜陵市公示测试协会" in page.text and "公示中" in page.text
    assert f"异议请于 {ends} 前提出" in page.text
    client.cookies.set("sl_lang", "en")
    assert "Objections until" in client.get("/public/announcements").text
    client.cookies.delete("sl_lang")
    assert client.get(f"/api/public/announcements/grades?year={starts.year - 1}").json() == []


def test_a_years_inspection_results_by_locality_and_outcome(client, system) -> None:
    year = system.store.today().year - 2  # the demo's older year: three reviewed, the foundation missed it
    results = client.get(f"/api/public/announcements/inspections?year={year}").json()
    outcomes = sorted(r["outcome"] for r in results["items"])
    assert outcomes == ["missed", "pass", "pass", "pass"] and results["total"] == 4
    missed = client.get(f"/api/public/announcements/inspections?year={year}&outcome=missed").json()["items"]
    assert [r["organization_id"] for r in missed] == [str(_uuid("tl-charity"))]
    district = results["items"][0]["district"]
    by_district = client.get(f"/api/public/announcements/inspections?year={year}&district={district}").json()
    assert {r["district"] for r in by_district["items"]} == {district}
    page = client.get(f"/public/announcements?year={year}&outcome=missed")
    assert page.status_code == 200 and f"{year}年度年检结果公告" in page.text and "未参加" in page.text
    assert client.get("/api/public/announcements/inspections?year=1999").status_code == 400


def test_the_logs_checkpoints_are_published_with_how_to_check_them_and_fed(client, system, clock) -> None:
    announced_case(system)
    kept = system.integrity.checkpoint(clock.now())
    published = client.get("/api/public/checkpoints").json()
    assert published[0] == {"position": kept.position, "hash": kept.hash, "at": kept.at.isoformat()}
    page = client.get("/public/checkpoints")
    assert kept.hash in page.text and "starledger verify --against" in page.text
    feed = client.get("/public/announcements.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert any("铜陵市公示测试协会" in (t or "") for t in titles)
    assert any(f"#{kept.position}" in (t or "") for t in titles)


def test_funded_projects_are_public_with_the_amount_awarded(client, system, clock) -> None:
    from decimal import Decimal

    from domain.evaluation import EvaluationKind
    from tests.integration.funding_support import application, as_org, enroll_panel, evaluate, graded_organization, terms

    enroll_panel(system)
    org = graded_organization(system, 61, "4A")
    funding_round = system.funding.open_round(REGISTRAR, terms(title="2026年公示测试公益创投", min_grade=None))
    project = system.funding.apply(as_org(org), funding_round.id, org, application("社区助老公示项目"))
    system.funding.check_eligibility(REGISTRAR, project.id)
    evaluate(system, clock, [project.id], EvaluationKind.PROJECT_REVIEW, {project.id: "0.8"})
    system.funding.award(REGISTRAR, project.id, None, Decimal("40000"))
    rounds = client.get("/api/public/announcements/projects").json()
    [mine] = [r for r in rounds if r["round_id"] == str(funding_round.id)]
    assert [(p["title"], p["awarded"]) for p in mine["projects"]] == [("社区助老公示项目", "40000.00")]
    page = client.get("/public/announcements")
    assert "2026年公示测试公益创投" in page.text and "社区助老公示项目" in page.text and "¥40000.00" in page.text


def _uuid(key: str) -> Any:
    from uuid import uuid5

    return uuid5(_NS, key)


def test_the_public_objects_and_the_chair_decides_before_the_result_is_confirmed(client, system, clock) -> None:
    from datetime import timedelta

    from tests.integration.conftest import login

    case = announced_case(system)
    url = f"/api/public/announcements/grades/{case.id}/objections"
    missing = client.post(url, json={"objector": "张三", "contact": " ", "grounds": "虚报服务人次"})
    assert missing.status_code == 422 and missing.json()["code"] == "objection.contact"
    filed = client.post(url, json={"objector": "张三", "contact": "13800000000", "grounds": "该组织虚报服务人次"})
    assert filed.status_code == 201, filed.text
    reference = filed.json()["reference"]
    assert reference in filed.json()["message_zh"]
    state = client.get(f"/api/public/objections/{reference}").json()
    assert state["state"] == "open" and state["organization_name"] == "铜陵市公示测试协会" and "张三" not in str(state)

    chair = as_chair("chair-ann")
    clock.move_to(case.announcement[1] + timedelta(days=1))
    from domain.errors import InvalidTransition

    try:
        system.evaluations.finalize(chair, case.id, None)
        raise AssertionError("finalized with an objection open")
    except InvalidTransition as refused:
        assert refused.code == "objection.open" and reference in refused.message_zh
    registrar = login(client, "registrar")
    decided = client.post(
        f"/api/evaluations/{case.id}/objections/{reference}/decision",
        json={"upheld": False, "reasons": "经核实服务记录完整,异议不成立"},
        headers=registrar,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "dismissed" and decided.json()["reasons"] == "经核实服务记录完整,异议不成立"
    page = client.get(f"/public/objections/{reference.lower()}")
    assert page.status_code == 200 and "异议不成立" in page.text and "经核实服务记录完整" in page.text
    assert system.evaluations.finalize(chair, case.id, None).stage.value == "finalized"
    assert client.get("/api/public/objections/YY-NOSUCHREF").status_code == 404


def test_objections_are_throttled_per_address(client, system) -> None:
    case = announced_case(system)
    url = f"/api/public/announcements/grades/{case.id}/objections"
    body = {"objector": "李四", "contact": "lisi@example.com", "grounds": "评估材料与实际不符"}
    answers = [client.post(url, json=body).status_code for _ in range(system.settings.objections_per_hour + 1)]
    assert answers[:-1] == [201] * system.settings.objections_per_hour
    assert answers[-1] == 429
    assert "每小时" in client.post(url, json=body).json()["message_zh"]


def as_chair(user_id: str) -> Any:
    from application.context import CommandContext

    return CommandContext(Actor(user_id, Role.CHAIR), "req-chair")
