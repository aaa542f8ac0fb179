"""Panels no one can rig (issue 24 §1), over the JSON API on SQLite and PostgreSQL: a forced
recusal only by this case's chair or a registrar, the organization's recusal request waiting for
their decision, panel assignment only by this case's chair, and scores sealed until closing."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from application.demo import _NS, DEMO_PASSWORD
from application.queries.register import RegisterQuery
from tests.integration.conftest import login
from tests.integration.test_evaluation_http import sheet
from tests.integration.test_http_api import assert_problem

auth = login


def demo(system) -> tuple[str, dict[str, str]]:
    """The demo case (scoring, three active members) and its experts by name."""
    case = str(uuid5(_NS, "demo-evaluation"))
    evaluation = system.evaluations.evaluation(UUID(case))
    return case, {m.name: str(m.expert_id) for m in evaluation.panel}


def version(client, url: str, who: dict[str, str]) -> dict[str, str]:
    return {**who, "If-Match": f'"{client.get(url, headers=who).json()["version"]}"'}


def test_a_forced_recusal_is_only_for_this_cases_chair_or_a_registrar(client, system) -> None:
    case, experts = demo(system)
    url = f"/api/evaluations/{case}"
    subject = system.evaluations.evaluation(UUID(case)).subject_id
    other = next(e.id for e in system.register_view.search(RegisterQuery(per_page=50)).items if e.id != subject)
    system.accounts.add_user("org-other", DEMO_PASSWORD, "organization", "他组织", organization_id=other)
    system.accounts.add_user("outsider", DEMO_PASSWORD, "evaluator", "外部专家")
    system.accounts.add_user("chair-b", DEMO_PASSWORD, "chair", "另一案主任")
    forced = {"expert_id": experts["周研究员"], "ground": "forced", "note": "与被评估组织存在利害关系"}
    for who in ("org-other", "org", "evaluator", "outsider", "chair-b"):
        answer = client.post(f"{url}/recusals", json=forced, headers=auth(client, who))
        refused = assert_problem(answer, 403, "access.denied")
        assert refused["message_zh"] and refused["message_en"], who
    assert client.get(url, headers=auth(client, "chair")).json()["panel"][1]["recused"] is None
    assert_problem(
        client.post(f"{url}/recusals", json={**forced, "note": " "}, headers=auth(client, "chair")), 422, "recusal.grounds"
    )
    done = client.post(f"{url}/recusals", json=forced, headers=auth(client, "chair"))
    assert done.status_code == 200, done.text
    assert {m["expert_id"]: m["recused"] for m in done.json()["panel"]}[experts["周研究员"]] == "forced"
    declared = {"expert_id": experts["吴会计师"], "ground": "declared", "note": "曾任顾问"}
    assert_problem(client.post(f"{url}/recusals", json=declared, headers=auth(client, "evaluator")), 403, "access.denied")
    assert client.post(f"{url}/recusals", json=declared, headers=auth(client, "evaluator3")).status_code == 200


def test_the_organizations_recusal_request_waits_for_a_decision_with_reasons(client, system) -> None:
    case, experts = demo(system)
    url = f"/api/evaluations/{case}"
    org, chair, target = auth(client, "org"), auth(client, "chair"), experts["李教授"]
    asked = client.post(
        f"{url}/recusals", json={"expert_id": target, "ground": "requested", "note": "该专家曾为本组织评审"}, headers=org
    )
    assert asked.status_code == 200, asked.text
    member = {m["expert_id"]: m for m in asked.json()["panel"]}[target]
    assert (member["recused"], member["recusal_requested"]) == (None, True)  # nothing applied yet
    assert_problem(
        client.post(f"{url}/recusals", json={"expert_id": target, "ground": "requested", "note": "再次"}, headers=org),
        409,
        "recusal.request_pending",
    )
    decision = f"{url}/recusal-requests/{target}/decision"
    assert_problem(
        client.post(decision, json={"granted": True, "reasons": "同意"}, headers=version(client, url, org)), 403, "access.denied"
    )
    system.accounts.add_user("chair-b", DEMO_PASSWORD, "chair", "另一案主任")
    chair_b = auth(client, "chair-b")
    assert_problem(
        client.post(decision, json={"granted": True, "reasons": "同意"}, headers={**version(client, url, chair), **chair_b}),
        403,
        "access.denied",
    )
    assert_problem(client.get(url, headers=chair_b), 403, "access.denied")  # not their case: not even to read
    assert_problem(
        client.post(f"{url}/scoring-closure", headers=version(client, url, chair)), 409, "scoring.pending_recusal_requests"
    )
    refused = client.post(
        decision, json={"granted": False, "reasons": "所述关系已结束五年以上"}, headers=version(client, url, chair)
    )
    assert refused.status_code == 200, refused.text
    assert {m["expert_id"]: m["recused"] for m in refused.json()["panel"]}[target] is None

    client.post(
        f"{url}/recusals", json={"expert_id": target, "ground": "requested", "note": "补充材料:该专家现任本组织顾问"}, headers=org
    )
    granted = client.post(decision, json={"granted": True, "reasons": "经核实现任顾问"}, headers=version(client, url, chair))
    assert {m["expert_id"]: m["recused"] for m in granted.json()["panel"]}[target] == "requested"
    events = client.get(f"{url}/history", headers=auth(client, "auditor")).json()
    told = [
        (e["event_type"], e["data"].get("reasons"), e["actor_id"])
        for e in events
        if e["event_type"].startswith("Recusal") or (e["event_type"] == "EvaluatorRecused" and e["data"]["ground"] == "requested")
    ]
    users = {u.username: u.id for u in system.accounts.users()}
    assert told == [
        ("RecusalRequested", "该专家曾为本组织评审", users["org"]),
        ("RecusalRequestRefused", "所述关系已结束五年以上", users["chair"]),
        ("RecusalRequested", "补充材料:该专家现任本组织顾问", users["org"]),
        ("RecusalRequestGranted", "经核实现任顾问", users["chair"]),
        ("EvaluatorRecused", None, users["chair"]),
    ]


def test_only_this_cases_chair_or_a_registrar_assigns_or_draws_its_panel(client, system) -> None:
    registrar = auth(client, "registrar")
    org_id = str(uuid5(_NS, "tl-elder"))
    opened = client.post(
        "/api/evaluations",
        json={"organization_id": org_id, "scoring_deadline": "2099-12-31", "chair_user_id": "someone-else"},
        headers=registrar,
    )
    assert opened.status_code == 201, opened.text
    url = f"/api/evaluations/{opened.json()['id']}"
    client.post(f"{url}/eligibility-check", headers=version(client, url, registrar))
    experts = [x.id for x in system.cases.experts()][:3]
    chair = auth(client, "chair")  # a chair, but not of this case
    for body in ({"expert_ids": [str(e) for e in experts]}, {"pool": [str(e) for e in experts], "size": 3, "seed": 1}):
        answer = client.post(f"{url}/panel", json=body, headers=version(client, url, registrar) | chair)
        assert_problem(answer, 403, "access.denied")
    state: Any = client.get(url, headers=registrar).json()
    assert state["panel"] == []


def page_sign_in(client: Any, username: str) -> Any:
    """A browser-like client on the pages: the sign-in form, its CSRF token, the session cookie."""
    import re

    client.cookies.clear()
    form = client.get("/login").text
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    assert client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "_csrf_token": csrf}, follow_redirects=False
    ).status_code in (302, 303)
    return client


def csrf_of(page: str) -> str:
    import re

    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_on_the_pages_the_organization_requests_and_the_chair_refuses_with_reasons(client, system) -> None:
    case, experts = demo(system)
    org = page_sign_in(client, "org")
    page = org.get(f"/evaluations/{case}").text
    assert 'data-testid="request-recusal-form"' in page and "force-recusal-form" not in page
    current = system.evaluations.evaluation(UUID(case)).version
    asked = org.post(
        f"/evaluations/{case}/act",
        data={
            "_csrf_token": csrf_of(page),
            "version": str(current),
            "action": "request_recusal",
            "expert_id": experts["吴会计师"],
            "reasons": "该专家曾审计本组织账目",
        },
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    forced = org.post(
        f"/evaluations/{case}/act",
        data={
            "_csrf_token": csrf_of(page),
            "version": str(current + 1),
            "action": "force_recusal",
            "expert_id": experts["吴会计师"],
            "grounds": "我们不喜欢",
        },
        follow_redirects=False,
    )
    assert forced.status_code == 403

    chair = page_sign_in(client, "chair")
    page = chair.get(f"/evaluations/{case}").text
    assert 'data-testid="recusal-request"' in page and "该专家曾审计本组织账目" in page and 'name="reasons"' in page
    empty = chair.post(
        f"/evaluations/{case}/act",
        data={
            "_csrf_token": csrf_of(page),
            "version": str(current + 1),
            "action": "refuse_recusal",
            "expert_id": experts["吴会计师"],
            "reasons": "",
        },
        follow_redirects=False,
    )
    assert empty.status_code == 422 and "决定须说明理由" in empty.text
    refused = chair.post(
        f"/evaluations/{case}/act",
        data={
            "_csrf_token": csrf_of(page),
            "version": str(current + 1),
            "action": "refuse_recusal",
            "expert_id": experts["吴会计师"],
            "reasons": "审计业务已结束六年",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 303, refused.text
    evaluation = system.evaluations.evaluation(UUID(case))
    assert evaluation.recusal_requests == {} and UUID(experts["吴会计师"]) not in evaluation.recused


def test_scores_are_sealed_until_scoring_closes_and_from_the_organization_until_the_announcement(client, system) -> None:
    case, _ = demo(system)
    url = f"/api/evaluations/{case}"
    first, second = auth(client, "evaluator"), auth(client, "evaluator2")
    assert client.put(f"{url}/my-sheet", json=sheet(system, case, "0.95"), headers=first).status_code == 200
    assert client.post(f"{url}/my-sheet/submission", headers=first).status_code == 200
    assert client.put(f"{url}/my-sheet", json=sheet(system, case, "0.90"), headers=second).status_code == 200  # a draft

    def explained(who: str) -> dict[str, Any]:
        answer = client.get(f"{url}/explanation", headers=auth(client, who))
        assert answer.status_code == 200, answer.text
        return answer.json()

    mine = explained("evaluator")
    assert [s["total"] for s in mine["sheets"]] == ["950.0"] and mine["sealed"] is True  # only their own
    for who in ("evaluator2", "org", "chair", "registrar", "auditor"):
        seen = explained(who)
        assert (seen["sheets"], seen["sealed"]) == ([], True), who
    history = client.get(f"{url}/history", headers=auth(client, "auditor")).json()
    submitted = [e["data"] for e in history if e["event_type"] == "SheetSubmitted"]
    assert submitted and all(d["total"] == "sealed" for d in submitted)
    drafted = [e["data"] for e in history if e["event_type"] == "SheetDrafted"]
    assert drafted and all(d["sheet"] == "sealed" for d in drafted)
    audit = f"/api/audit/aggregates/{case}"
    auditor = auth(client, "auditor")
    assert (
        client.get(f"{audit}/state", params={"version": history[-1]["version"]}, headers=auditor).json()["state"]["drafts"]
        == "sealed"
    )
    timeline = client.get(f"{audit}/timeline", headers=auditor).json()
    assert all(v == ["sealed", "sealed"] for t in timeline for path, v in t["changed"].items() if path.startswith("drafts"))
    assert "950" not in client.get(f"{audit}/history", headers=auditor).text

    chair = auth(client, "chair")
    for who, share in (("evaluator2", None), ("evaluator3", "0.93")):
        me = auth(client, who)
        if share:
            client.put(f"{url}/my-sheet", json=sheet(system, case, share), headers=me)
        assert client.post(f"{url}/my-sheet/submission", headers=me).status_code == 200
    assert client.post(f"{url}/scoring-closure", headers=version(client, url, chair)).status_code == 200
    assert len(explained("evaluator2")["sheets"]) == 3 and len(explained("auditor")["sheets"]) == 3
    assert explained("org")["sheets"] == []
    assert client.post(f"{url}/result", headers=version(client, url, chair)).status_code == 200
    org = auth(client, "org")
    state = client.get(url, headers=org).json()
    assert (state["stage"], state["total"], state["result"]) == ("computed", None, None)
    before = explained("org")
    assert (before["total"], before["result"], before["steps"], before["sheets"], before["sealed"]) == (None, None, [], [], True)
    assert client.get(url, headers=chair).json()["total"] == "926.7"
    assert client.post(f"{url}/announcement", headers=version(client, url, chair)).status_code == 200
    after = explained("org")
    assert (after["total"], after["result"], len(after["sheets"]), after["sealed"]) == ("926.7", "4A", 3, False)
    assert all(s["evaluator"] is None for s in after["sheets"])


def test_the_organizations_case_page_hides_the_result_until_the_announcement(client, system) -> None:
    case, _ = demo(system)
    url = f"/api/evaluations/{case}"
    for who, share in (("evaluator", "0.95"), ("evaluator2", "0.90"), ("evaluator3", "0.93")):
        me = auth(client, who)
        client.put(f"{url}/my-sheet", json=sheet(system, case, share), headers=me)
        client.post(f"{url}/my-sheet/submission", headers=me)
    chair = auth(client, "chair")
    for step in ("scoring-closure", "result"):
        assert client.post(f"{url}/{step}", headers=version(client, url, chair)).status_code == 200
    org = page_sign_in(client, "org")
    page = org.get(f"/evaluations/{case}").text
    assert 'data-testid="result-sealed"' in page and "926.7" not in page
    explanation = org.get(f"/evaluations/{case}/explanation").text
    assert 'data-testid="sealed"' in explanation and "926.7" not in explanation
