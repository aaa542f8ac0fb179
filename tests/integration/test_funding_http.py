"""Funding over HTTP on SQLite and PostgreSQL: a round, applications (one retried with the same
Idempotency-Key), eligibility, panel reviews through /api/evaluations, awards until the budget
refuses, tranches, a failed mid-term, closing stars, the dashboards' tables; concurrent awards
over a real server; bad input as problem+json with nothing stored."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from interfaces.app import create_app
from tests.integration.conftest import login
from tests.integration.funding_support import graded_organization
from tests.integration.test_http_api import assert_problem
from tests.support.server import serving

ROUND = {
    "title": "2026年铜陵市郊区公益创投",
    "division_prefix": "340711",
    "budget": "100000",
    "per_project_cap": "50000",
    "applications_open": "2026-05-20",
    "applications_close": "2026-06-30",
    "project_start": "2026-07-01",
    "mid_term_due": "2026-12-31",
    "closing_due": "2027-06-30",
    "min_grade": "3A",
}


def application(org: UUID, title: str, amount: str = "40000") -> dict[str, Any]:
    return {
        "organization_id": str(org),
        "title": title,
        "target_group": "社区独居老人",
        "plan": "每周两次上门探访",
        "expected_outputs": "服务60人",
        "budget_lines": [{"item": "人员劳务", "amount": amount}],
    }


def events(system: Any) -> int:
    return int(system.store.recorder.max_notification_id() or 0)


class Desk:
    """The registrar, the chair and the three demo evaluators at their keyboards."""

    def __init__(self, client: Any, system: Any) -> None:
        self.client, self.system = client, system
        self.sign_in()
        self.chair_id = next(u.id for u in system.accounts.users() if u.username == "chair")
        self.experts = [e.id for e in system.cases.experts() if e.user_id != "former-staff"][:3]

    def sign_in(self) -> None:
        """Sessions last hours; a scenario spanning months signs in again after the clock moves."""
        self.registrar, self.chair = login(self.client, "registrar"), login(self.client, "chair")
        self.evaluators = [login(self.client, u) for u in ("evaluator", "evaluator2", "evaluator3")]

    def act(self, url: str, body: Any = None, headers: dict[str, str] | None = None, status: int = 200) -> Any:
        current = self.client.get(url.rsplit("/", 1)[0], headers=self.registrar)
        answer = self.client.post(url, json=body, headers={**(headers or self.registrar), "If-Match": current.headers["etag"]})
        assert answer.status_code == status, answer.text
        return answer

    def evaluate(self, clock: Any, projects: list[str], kind: str, shares: dict[str, str]) -> None:
        today = self.system.store.today()
        cases = []
        for project in projects:
            opened = self.act(
                f"/api/projects/{project}/evaluations",
                {
                    "kind": kind,
                    "scoring_deadline": str(today + timedelta(days=14)),
                    "chair_user_id": self.chair_id,
                },
                status=201,
            ).json()["evaluation_id"]
            self.act(f"/api/evaluations/{opened}/panel", {"expert_ids": [str(e) for e in self.experts]})
            scheme = self.system.rules.get("anhui", 1).evaluation.scheme_for("project")
            sheet = {
                "scores": [
                    {"key": i.key, "points": str((i.maximum * Decimal(shares[project])).quantize(Decimal("0.1")))}
                    for i in scheme.indicators
                ]
            }
            for evaluator in self.evaluators:
                assert self.client.put(f"/api/evaluations/{opened}/my-sheet", json=sheet, headers=evaluator).status_code == 200
                assert self.client.post(f"/api/evaluations/{opened}/my-sheet/submission", headers=evaluator).status_code == 200
            for step in ("scoring-closure", "result", "announcement"):
                self.act(f"/api/evaluations/{opened}/{step}", headers=self.chair)
            cases.append(opened)
        clock.move_to(today + timedelta(days=8))
        self.sign_in()
        for case in cases:
            self.act(f"/api/evaluations/{case}/finalization", headers=self.chair)


def test_a_round_over_http(client, system, clock) -> None:
    desk = Desk(client, system)
    orgs = [graded_organization(system, n, "2A" if n == 0 else "3A") for n in range(5)]
    opened = client.post("/api/funding-rounds", json=ROUND, headers={**desk.registrar, "Idempotency-Key": "round-2026"})
    assert opened.status_code == 201, opened.text
    again = client.post("/api/funding-rounds", json=ROUND, headers={**desk.registrar, "Idempotency-Key": "round-2026"})
    assert (again.status_code, again.json()["id"]) == (200, opened.json()["id"])
    round_id = opened.json()["id"]
    assert opened.json()["rule_set"] == "anhui@1" and opened.json()["remaining"] == "100000.00"

    projects = []
    for n, org in enumerate(orgs):
        answer = client.post(
            f"/api/funding-rounds/{round_id}/projects",
            json=application(org, f"邻里守望{n}号"),
            headers={**desk.registrar, "Idempotency-Key": f"apply-{n}"},
        )
        assert answer.status_code == 201, answer.text
        projects.append(answer.json()["id"])
    for pid in projects:
        desk.act(f"/api/projects/{pid}/eligibility-check")
    listed = client.get(f"/api/funding-rounds/{round_id}/projects", headers=desk.registrar).json()
    assert {p["title"]: p["bars"] for p in listed["items"]}["邻里守望0号"] == ["grade_below_minimum"]
    eligible = projects[1:]

    desk.evaluate(clock, eligible, "project_review", dict(zip(eligible, ("0.9", "0.8", "0.85", "0.5"), strict=True)))
    ranked = client.get(f"/api/funding-rounds/{round_id}/projects?sort=rank", headers=desk.registrar).json()["items"]
    assert [(p["title"], p["rank"], p["stage"]) for p in ranked[:4]] == [
        ("邻里守望1号", 1, "reviewed"),
        ("邻里守望3号", 2, "reviewed"),
        ("邻里守望2号", 3, "reviewed"),
        ("邻里守望4号", 4, "not_fundable"),
    ]
    funded = [p["id"] for p in ranked[:2]]
    for pid in funded:
        desk.act(f"/api/projects/{pid}/award", {"amount": "40000"})
    before = events(system)
    third = client.get(f"/api/projects/{ranked[2]['id']}", headers=desk.registrar)
    refused = client.post(
        f"/api/projects/{ranked[2]['id']}/award",
        json={"amount": "40000"},
        headers={**desk.registrar, "If-Match": third.headers["etag"]},
    )
    body = assert_problem(refused, 409, "round.budget_exceeded")
    assert body["details"]["remaining"] == "20000.00" and events(system) == before

    for n, pid in enumerate(funded):
        signed = desk.act(f"/api/projects/{pid}/agreement", {"agreement_no": f"郊民协〔2026〕{n + 1}号"}).json()
        assert [t["paid_on"] is not None for t in signed["tranches"]] == [True, False, False]
        assert signed["paid"] == "20000.00"
    org_user = login(client, "org")  # the demo hub's user: none of these projects is theirs
    assert client.get(f"/api/projects/{funded[0]}", headers=org_user).status_code == 403

    # 延期: the registrar enters a request made on paper, then grants it; the report's day moves
    due = date.fromisoformat(client.get(f"/api/projects/{funded[1]}", headers=desk.registrar).json()["due"]["mid_term"])
    before = events(system)
    bad = client.post(
        f"/api/projects/{funded[1]}/extension-requests",
        json={"milestone": "mid_term", "until": "next month", "reason": "x"},
        headers=desk.registrar,
    )
    assert bad.status_code == 400 and events(system) == before
    asked = desk.act(
        f"/api/projects/{funded[1]}/extension-requests",
        {"milestone": "mid_term", "until": str(due + timedelta(days=10)), "reason": "服务对象搬迁"},
    ).json()
    assert asked["extensions"]["mid_term"]["granted"] is None
    decided = desk.act(
        f"/api/projects/{funded[1]}/extension-decisions", {"milestone": "mid_term", "granted": True, "reasons": "理由充分"}
    ).json()
    assert decided["due"]["mid_term"] == str(due + timedelta(days=10)) and decided["original_due"]["mid_term"] == str(due)
    refused_again = client.post(
        f"/api/projects/{funded[1]}/extension-decisions",
        json={"milestone": "mid_term", "granted": True, "reasons": "再次"},
        headers={**desk.registrar, "If-Match": f'"{decided["version"]}"'},
    )
    assert_problem(refused_again, 409, "extension.none")

    clock.move_to(clock.current.date() + timedelta(days=150))
    desk.sign_in()
    for pid in funded:
        desk.act(f"/api/projects/{pid}/milestone-reports", {"milestone": "mid_term", "summary": "已服务58人"})
    desk.evaluate(clock, funded, "mid_term", {funded[0]: "0.8", funded[1]: "0.4"})
    stopped = client.post(
        f"/api/projects/{funded[1]}/tranche-payments",
        headers={**desk.registrar, "If-Match": client.get(f"/api/projects/{funded[1]}", headers=desk.registrar).headers["etag"]},
    )
    assert_problem(stopped, 409, "tranche.condition_not_met")
    desk.act(f"/api/projects/{funded[0]}/tranche-payments")
    desk.act(f"/api/projects/{funded[1]}/termination", {"reason": "中期评估未通过", "breach": False})
    desk.act(f"/api/projects/{funded[0]}/milestone-reports", {"milestone": "closing", "summary": "如期完成"})
    desk.evaluate(clock, funded[:1], "closing", {funded[0]: "0.83"})
    desk.act(f"/api/projects/{funded[0]}/tranche-payments")
    done = desk.act(f"/api/projects/{funded[0]}/completion").json()
    assert (done["stage"], done["stars"], done["paid"]) == ("completed", 4, "40000.00")

    why = client.get(f"/api/projects/{funded[0]}/stars-explanation", headers=login(client, "auditor")).json()
    assert (why["kind"], why["result"], why["subject_id"]) == ("closing", "4", str(funded[0]))
    assert why["recomputation"]["matches"] is True
    assert_problem(client.get(f"/api/projects/{funded[1]}/stars-explanation", headers=desk.registrar), 404, "stars.not_found")
    assert client.get(f"/api/projects/{funded[0]}/stars-explanation", headers=login(client, "org")).status_code == 403
    stars = client.get("/api/dashboards/stars", headers=login(client, "auditor")).json()
    assert stars == {"key": "stars", "columns": ["stars", "projects"], "rows": [["4", 1]]}
    funds = client.get("/api/dashboards/funds", headers=desk.registrar).json()
    assert [r for r in funds["rows"] if r[0] == ROUND["title"]] == [[ROUND["title"], "铜陵市郊区", "80000.00", "60000.00"]]
    assert_problem(client.get("/api/dashboards/nonsense", headers=desk.registrar), 404, "dashboard.unknown")
    summary = client.get(f"/api/funding-rounds/{round_id}", headers=desk.registrar).json()
    assert (summary["committed"], summary["remaining"]) == ("60000.00", "40000.00")


def test_bad_input_is_a_clear_problem_and_stores_nothing(client, system) -> None:
    registrar = login(client, "registrar")
    org = graded_organization(system, 1, "3A")
    before = events(system)
    assert_problem(
        client.post("/api/funding-rounds", json={**ROUND, "per_project_cap": "200000"}, headers=registrar),
        422,
        "round.cap_above_budget",
    )
    assert_problem(client.post("/api/funding-rounds", json={**ROUND, "budget": "abc"}, headers=registrar), 400, "request.invalid")
    round_id = client.post("/api/funding-rounds", json=ROUND, headers=registrar).json()["id"]
    before = events(system)
    too_much = client.post(f"/api/funding-rounds/{round_id}/projects", json=application(org, "超额", "60000"), headers=registrar)
    assert_problem(too_much, 422, "project.above_cap")
    fen = client.post(f"/api/funding-rounds/{round_id}/projects", json=application(org, "分以下", "100.001"), headers=registrar)
    assert "amount" in assert_problem(fen, 422, "value.amount")["message_en"]  # refused at the edge, the field named
    other = client.post(
        f"/api/funding-rounds/{round_id}/projects", json=application(org, "替人申报"), headers=login(client, "org")
    )
    assert other.status_code == 403
    assert events(system) == before
    project = client.post(f"/api/funding-rounds/{round_id}/projects", json=application(org, "正常"), headers=registrar).json()
    no_version = client.post(f"/api/projects/{project['id']}/award", json={"amount": "1"}, headers=registrar)
    assert_problem(no_version, 428, "version.required")
    wrong_stage = client.post(
        f"/api/projects/{project['id']}/award", json={"amount": "1"}, headers={**registrar, "If-Match": '"1"'}
    )
    assert_problem(wrong_stage, 409, "project.wrong_stage")
    assert events(system) == before + 2  # the application and its claim (one application per project name)
    again = client.post(f"/api/funding-rounds/{round_id}/projects", json=application(org, "正常"), headers=registrar)
    assert_problem(again, 409, "project.duplicate")
    assert events(system) == before + 2


def test_concurrent_awards_over_a_real_server(client, system, clock) -> None:
    desk = Desk(client, system)
    orgs = [graded_organization(system, n, "3A") for n in range(2)]
    round_id = client.post("/api/funding-rounds", json={**ROUND, "budget": "60000"}, headers=desk.registrar).json()["id"]
    projects = [
        client.post(f"/api/funding-rounds/{round_id}/projects", json=application(o, f"项目{n}"), headers=desk.registrar).json()[
            "id"
        ]
        for n, o in enumerate(orgs)
    ]
    for pid in projects:
        desk.act(f"/api/projects/{pid}/eligibility-check")
    desk.evaluate(clock, projects, "project_review", dict.fromkeys(projects, "0.8"))
    versions = {p: client.get(f"/api/projects/{p}", headers=desk.registrar).headers["etag"] for p in projects}

    statuses: list[int] = []
    barrier = threading.Barrier(2)
    with serving(create_app(system)) as base:

        def award(pid: str) -> None:
            barrier.wait()
            answer = httpx.post(
                f"{base}/api/projects/{pid}/award",
                json={"amount": "40000"},
                headers={**desk.registrar, "If-Match": versions[pid]},
                timeout=30,
            )
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=award, args=(p,)) for p in projects]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(statuses) == [200, 409]
    assert client.get(f"/api/funding-rounds/{round_id}", headers=desk.registrar).json()["committed"] == "40000.00"
