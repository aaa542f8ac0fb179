"""The demo's grade evaluation carried to its end over the JSON API: three evaluators (the
expert with a conflict was kept off the panel), an out-of-range score refused, an appeal, the explanation, the grade."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from application.demo import _NS, DEMO_PASSWORD
from application.queries.register import RegisterQuery
from tests.integration.conftest import login
from tests.integration.test_http_api import assert_problem

CASE = "/api/evaluations/{}"
auth = login


def demo_case(system) -> str:
    from application.demo import _NS

    return str(uuid5(_NS, "demo-evaluation"))


def sheet(system, case_id: str, share: str) -> dict[str, Any]:
    from decimal import Decimal

    evaluation = system.evaluations.evaluation(UUID(case_id))
    scheme = system.rules.get(evaluation.rule_set.id, evaluation.rule_set.version).evaluation.scheme_for(evaluation.subject_type)
    return {
        "scores": [
            {"key": i.key, "points": str((i.maximum * Decimal(share)).quantize(Decimal("0.1"))), "comment": "符合要求"}
            for i in scheme.indicators
        ],
        "bonus": "0",
    }


def test_the_demo_case_is_scored_explained_appealed_and_graded(client, system, clock) -> None:
    case = demo_case(system)
    url = CASE.format(case)
    chair, org = auth(client, "chair"), auth(client, "org")
    state = client.get(url, headers=chair).json()
    assert state["stage"] == "scoring" and len(state["panel"]) == 3  # the former staff member was never seated

    bad = sheet(system, case, "0.9")
    bad["scores"][0]["points"] = "999"
    assert (
        "得分应在"
        in assert_problem(client.put(f"{url}/my-sheet", json=bad, headers=auth(client, "evaluator")), 422, "score.out_of_range")[
            "message_zh"
        ]
    )
    assert_problem(
        client.put(f"{url}/my-sheet", json=sheet(system, case, "0.9"), headers=auth(client, "auditor")), 403, "access.denied"
    )

    for username, share in (("evaluator", "0.95"), ("evaluator2", "0.90"), ("evaluator3", "0.93")):
        me = auth(client, username)
        assert client.put(f"{url}/my-sheet", json=sheet(system, case, share), headers=me).status_code == 200
        assert client.post(f"{url}/my-sheet/submission", headers=me).status_code == 200

    def step(path: str, who: dict[str, str], body: dict[str, Any] | None = None) -> dict[str, Any]:
        current = client.get(url, headers=chair).json()
        assert "version" in current, current
        version = current["version"]
        answer = client.post(f"{url}/{path}", json=body or {}, headers={**who, "If-Match": f'"{version}"'})
        assert answer.status_code == 200, answer.text
        return answer.json()

    step("scoring-closure", chair)
    computed = step("result", chair)
    assert (computed["total"], computed["result"]) == ("926.7", "4A")  # mean of three sheets (no trimming below 5)
    step("announcement", chair)
    step("appeal", org, {"grounds": "社会评价得分偏低"})
    explanation = client.get(f"{url}/explanation", headers=org).json()
    assert all(line["evaluator"] is None for line in explanation["sheets"])  # anonymised for the organization
    assert explanation["recomputation"]["matches"] is True and explanation["rule_set"] == "anhui@1"
    named = client.get(f"{url}/explanation", headers=chair).json()
    assert {line["evaluator"] for line in named["sheets"]} == {"李教授", "周研究员", "吴会计师"}
    assert named["steps"][-1]["what"].startswith("total") and len(named["steps"][-1]["values"]) == 3

    experts = {m["name"]: m["expert_id"] for m in client.get(url, headers=chair).json()["panel"]}
    revised = [{"expert_id": experts["周研究员"], "scores": sheet(system, case, "0.96")["scores"]}]
    decided = step("appeal-decision", chair, {"upheld": True, "decision": "复核支持", "revised": revised})
    assert (decided["total"], decided["result"]) == ("946.7", "4A")
    clock.advance(days=8)  # past the announcement period; sessions last 12 hours, so sign in again
    chair = auth(client, "chair")
    final = step("finalization", chair)
    assert final["stage"] == "finalized"
    graded = client.get(f"/api/organizations/{explanation['subject_id']}").json()
    assert graded["version"] >= 4
    history = client.get(f"/api/organizations/{explanation['subject_id']}/history", headers=auth(client, "auditor")).json()
    assert history[-2]["event_type"] == "GradeAwarded" and history[-2]["data"]["level"] == "4A"
    assert history[-2]["caused_by"] == f"evaluation:{case}"
    assert history[-1]["event_type"] == "CertificateIssued" and history[-1]["caused_by"] == f"evaluation:{case}"

    # from the grade back to the case that decided it: now, at the award, and before it
    org_id, auditor = explanation["subject_id"], auth(client, "auditor")
    why = client.get(f"/api/organizations/{org_id}/grade-explanation", headers=auth(client, "org")).json()
    assert (why["evaluation_id"], why["result"], why["recomputation"]["matches"]) == (case, "4A", True)
    assert all(line["evaluator"] is None for line in why["sheets"])
    awarded_at = datetime.fromisoformat(history[-1]["at"])
    at_award = client.get(
        f"/api/organizations/{org_id}/grade-explanation", params={"at": awarded_at.isoformat()}, headers=auditor
    ).json()
    assert at_award["evaluation_id"] == case and {row["evaluator"] for row in at_award["sheets"]} == {
        "李教授",
        "周研究员",
        "吴会计师",
    }
    earlier = (awarded_at - timedelta(microseconds=1)).isoformat()
    assert_problem(
        client.get(f"/api/organizations/{org_id}/grade-explanation", params={"at": earlier}, headers=auditor),
        404,
        "grade.not_found",
    )
    lines = {
        p: {
            row["id"]: row
            for row in client.get(
                "/api/audit/register", params={"at": at, "known_at": at, "per_page": 500}, headers=auditor
            ).json()["items"]
        }
        for p, at in (("before", earlier), ("after", awarded_at.isoformat()))
    }
    # the register that day as it was known just before the award, and just after
    assert (lines["before"][org_id]["grade"], lines["after"][org_id]["grade"]) == (None, "4A")
    graded = client.get("/api/audit/register", params={"at": awarded_at.isoformat(), "grade": "4A"}, headers=auditor).json()
    demo_graded = str(uuid5(_NS, "xc-social"))  # the demo's social work centre, graded 4A at seeding
    assert sorted(row["id"] for row in graded["items"]) == sorted([org_id, demo_graded]) and graded["total"] == 2
    elsewhere = next(e.id for e in system.register_view.search(RegisterQuery(per_page=50)).items if str(e.id) != org_id)
    other_org = system.accounts.add_user("org-other", DEMO_PASSWORD, "organization", "他组织", organization_id=elsewhere)
    assert (
        other_org
        and client.get(f"/api/organizations/{org_id}/grade-explanation", headers=auth(client, "org-other")).status_code == 403
    )


def test_cases_are_visible_only_to_those_involved(client, system) -> None:
    url = CASE.format(demo_case(system))
    assert client.get(url, headers=auth(client, "evaluator")).status_code == 200
    assert_problem(client.get(url), 401, "auth.required")
    system.accounts.add_user("outsider", DEMO_PASSWORD, "evaluator", "外部专家")
    assert_problem(client.get(url, headers=auth(client, "outsider")), 403, "access.denied")
    assert_problem(
        client.post(f"{url}/scoring-closure", json={}, headers={**auth(client, "outsider"), "If-Match": '"1"'}),
        403,
        "access.denied",
    )


def test_a_case_awaiting_its_eligibility_check_shows_its_working_day_deadline(client, system) -> None:
    """Opened on Wednesday 20 May 2026: 10 working days later is Wednesday 3 June (no holiday between)."""
    from datetime import date

    from tests.integration.helpers import REGISTRAR, code, profile
    from tests.integration.test_security import sign_in_on_the_pages

    org = system.organizations.register_organization(REGISTRAR, profile("铜陵市资格审查测试协会"), code(77), date(2015, 6, 1))
    case = system.evaluations.open_grade_evaluation(REGISTRAR, org.id, date(2026, 6, 30), "chair-1")
    assert system.store.today() == date(2026, 5, 20)
    sign_in_on_the_pages(client, "registrar")
    page = client.get(f"/evaluations/{case.id}")
    assert "资格审查应于 2026-06-03 前完成(10个工作日" in page.text
    system.evaluations.check_eligibility(REGISTRAR, case.id)
    assert "资格审查应于" not in client.get(f"/evaluations/{case.id}").text  # decided: no deadline left
