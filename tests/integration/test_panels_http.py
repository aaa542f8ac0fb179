"""Panels over the JSON API on SQLite and PostgreSQL: the pool's conflicts of interest named
before seating (a hub's former staff, a declared donor), a named panel refused with the
conflict in zh and en, a draw that skips them, the minimum held on the active panel, the
chair's replacement, and a changed sheet shown to the chair (sealed while scoring)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID, uuid5

from application.demo import DEMO_PASSWORD
from tests.integration.conftest import login
from tests.integration.test_evaluation_http import demo_case, sheet
from tests.integration.test_http_api import assert_problem


def experts_by_name(system: Any) -> dict[str, str]:
    return {x.name: str(x.id) for x in system.cases.experts()}


def versioned(client: Any, url: str, who: dict[str, str]) -> dict[str, str]:
    version = client.get(url, headers=who).json()["version"]
    return {**who, "If-Match": f'"{version}"'}


def test_over_http_conflicts_are_named_before_seating_and_the_active_panel_keeps_its_minimum(client, system) -> None:
    from application.demo import _NS

    registrar, chair = login(client, "registrar"), login(client, "chair")
    chair_id = next(u.id for u in system.accounts.users() if u.username == "chair")
    elder = str(uuid5(_NS, "tl-elder"))  # a member of the Tongling hub, which 郑老师 left this year
    opened = client.post(
        "/api/evaluations",
        json={"organization_id": elder, "scoring_deadline": "2026-06-30", "chair_user_id": chair_id},
        headers=registrar,
    )
    assert opened.status_code == 201, opened.text
    url = f"/api/evaluations/{opened.json()['id']}"
    assert client.post(f"{url}/eligibility-check", headers=versioned(client, url, registrar)).json()["stage"] == "eligible"

    pool = experts_by_name(system)
    mine = login(client, "evaluator2")  # 周研究员 declares that they donate to the organization
    donor = client.post(
        f"/api/experts/{pool['周研究员']}/relations",
        headers=mine,
        json={"organization_id": elder, "organization_name": "铜陵市郊区居家养老服务中心", "kind": "donor"},
    )
    assert donor.status_code == 201 and donor.json()["relations"][0]["kind"] == "donor"
    assert_problem(
        client.post(
            f"/api/experts/{pool['周研究员']}/relations",
            headers=login(client, "evaluator"),
            json={"organization_id": elder, "organization_name": "x", "kind": "member"},
        ),
        403,
        "access.denied",
    )

    found = {c["expert"]: c for c in client.get(f"{url}/conflicts", headers=chair).json()}
    assert set(found) == {"郑老师", "周研究员"}
    assert (found["郑老师"]["ground"], found["周研究员"]["ground"]) == ("hub", "relation")
    assert "所属的枢纽型组织" in found["郑老师"]["message_zh"] and "a donor" in found["周研究员"]["message_en"]

    named = client.post(f"{url}/panel", json={"expert_ids": list(pool.values())}, headers=versioned(client, url, chair))
    body = assert_problem(named, 409, "panel.conflict_of_interest")
    assert "郑老师" in body["message_zh"] and "周研究员" in body["message_zh"]
    assert "declared being a donor" in body["message_en"] and len(body["details"]["conflicts"]) == 2

    spare = client.post("/api/experts", json={"user_id": "spare-1", "name": "钱老师", "field": "社会工作"}, headers=registrar)
    assert spare.status_code == 201
    drawn = client.post(
        f"{url}/panel",
        json={"pool": [*pool.values(), spare.json()["id"]], "size": 3, "seed": 11},
        headers=versioned(client, url, chair),
    )
    assert drawn.status_code == 200, drawn.text
    seated = {m["name"] for m in drawn.json()["panel"]}
    assert seated == {"李教授", "吴会计师", "钱老师"} and drawn.json()["panel_shortfall"] == 0

    recused = client.post(
        f"{url}/recusals", headers=chair, json={"expert_id": pool["李教授"], "ground": "forced", "note": "曾为该中心提供咨询服务"}
    )
    assert recused.status_code == 200 and recused.json()["panel_shortfall"] == 1
    short = assert_problem(
        client.post(f"{url}/scoring-closure", headers=versioned(client, url, chair)), 409, "panel.below_minimum"
    )
    assert "少于规则要求的3人" in short["message_zh"] and "fewer than the 3" in short["message_en"]
    assert_problem(
        client.post(f"{url}/panel", json={"expert_ids": [spare.json()["id"]]}, headers=versioned(client, url, chair)),
        409,
        "evaluation.wrong_stage",
    )

    replacement = {"expert_id": pool["李教授"], "replacement_id": pool["郑老师"], "reason": "回避后补足"}
    refused = assert_problem(
        client.post(f"{url}/panel/replacements", json=replacement, headers=versioned(client, url, chair)),
        409,
        "panel.conflict_of_interest",
    )
    assert "郑老师" in refused["message_zh"]
    assert_problem(
        client.post(f"{url}/panel/replacements", json=replacement, headers=versioned(client, url, login(client, "evaluator3"))),
        403,
        "access.denied",
    )
    other = client.post("/api/experts", json={"user_id": "spare-2", "name": "孙老师"}, headers=registrar).json()
    replaced = client.post(
        f"{url}/panel/replacements", json={**replacement, "replacement_id": other["id"]}, headers=versioned(client, url, chair)
    )
    assert replaced.status_code == 200, replaced.text
    members = {m["name"]: m for m in replaced.json()["panel"]}
    assert members["李教授"]["replaced_by"] == other["id"] and members["孙老师"]["recused"] is None
    assert replaced.json()["panel_shortfall"] == 0 and replaced.json()["stage"] == "scoring"
    assert_problem(
        client.post(
            f"{url}/panel/replacements",
            json={"expert_id": pool["李教授"], "replacement_id": pool["周研究员"], "reason": "再换"},
            headers=versioned(client, url, chair),
        ),
        409,
        "panel.already_replaced",
    )


def test_over_http_the_chair_sees_a_changed_sheet_sealed_while_scoring_and_in_full_after(client, system) -> None:
    case = demo_case(system)
    url = f"/api/evaluations/{case}"
    chair = login(client, "chair")
    for username, share in (("evaluator", "0.95"), ("evaluator2", "0.90"), ("evaluator3", "0.60")):
        me = login(client, username)
        assert client.put(f"{url}/my-sheet", json=sheet(system, case, share), headers=me).status_code == 200
        assert client.post(f"{url}/my-sheet/submission", headers=me).status_code == 200
    seat = experts_by_name(system)["周研究员"]
    reopened = client.post(f"{url}/sheets/{seat}/reopening", json={"reason": "请核对"}, headers=versioned(client, url, chair))
    assert reopened.status_code == 200, reopened.text
    me = login(client, "evaluator2")
    assert client.put(f"{url}/my-sheet", json=sheet(system, case, "0.93"), headers=me).status_code == 200
    assert client.post(f"{url}/my-sheet/submission", headers=me).status_code == 200

    [sealed] = client.get(f"{url}/sheet-changes", headers=chair).json()
    assert sealed["expert"] == "周研究员" and sealed["new_total"] is None and sealed["changes"]
    assert all(c["old"] is None and c["new"] is None for c in sealed["changes"])
    assert_problem(client.get(f"{url}/sheet-changes", headers=login(client, "evaluator")), 403, "access.denied")

    closed = client.post(f"{url}/scoring-closure", headers=versioned(client, url, chair)).json()
    [shown] = client.get(f"{url}/sheet-changes", headers=chair).json()
    assert float(shown["new_total"]) > float(shown["old_total"])
    assert all(float(c["new"]) >= float(c["old"]) for c in shown["changes"])
    flagged = {m["name"]: m["outlier"] for m in closed["panel"]}
    assert flagged["吴会计师"] is not None and float(flagged["吴会计师"]) < 0 and flagged["李教授"] is None
    assert UUID(shown["expert_id"]) == UUID(seat)
    form = client.get("/login")  # the chair's case page, signed in with the session cookie
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    client.post("/login", data={"username": "chair", "password": DEMO_PASSWORD, "_csrf_token": csrf})
    page = client.get(f"/evaluations/{case}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "周研究员于" in page.text and "修改并重新提交了评分表:总分" in page.text
    assert "总分低于专家组中位数" in page.text and page.text.count('data-testid="outlier"') == 1
