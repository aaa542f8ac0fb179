"""A grade finalized in December under the 2026 rule set is valid from 1 January. Between the two
the organization stands to hold it: the public card shows it with the day it takes effect, and a
finding (by hand, a penalty, an inspection) acts on it instead of answering "holds no valid
grade" (SQLite and PostgreSQL, and the finding over HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from litestar.testing import TestClient

from domain.credit import Penalty, PenaltyKind
from interfaces.app import create_app
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_evaluation_flow import CHAIR, as_expert, scores

BAOTOU = {"division_code": "150204", "district": "包头市青山区", "address": "包头市青山区幸福路 8 号"}


def graded_in_december(system: Any, clock: Any, name: str, n: int) -> Any:
    """A Baotou organization (national rules, 2026 revision) evaluated 5A, finalized on 10 December 2026."""
    clock.current = datetime(2026, 11, 20, 1, tzinfo=UTC)
    desk = system.evaluations
    org = system.organizations.register_organization(
        REGISTRAR, profile(name, **BAOTOU), code(n, division="150204"), date(2015, 6, 1)
    )
    experts = [desk.enroll_expert(REGISTRAR, f"expert-user-{k}", f"专家{k}", "财务", "高校") for k in range(1, 4)]
    case = desk.open_grade_evaluation(REGISTRAR, org.id, date(2026, 11, 30), "chair-1")
    assert (case.rule_set.id, case.rule_set.version) == ("national", 2)
    desk.check_eligibility(REGISTRAR, case.id)
    desk.assign_panel(REGISTRAR, case.id, None, [e.id for e in experts])
    for k in range(1, 4):
        desk.save_draft(as_expert(k), case.id, None, scores(desk, case, "0.96"))
        desk.submit_sheet(as_expert(k), case.id, None)
    desk.close_scoring(CHAIR, case.id, None)
    desk.compute_result(CHAIR, case.id, None)
    clock.move_to(date(2026, 12, 1))
    desk.open_announcement(CHAIR, case.id, None)
    clock.move_to(date(2026, 12, 10))
    desk.finalize(CHAIR, case.id, None)
    return org


def test_in_the_window_before_1_january_the_card_shows_the_coming_grade_and_findings_act_on_it(system, clock) -> None:
    org = graded_in_december(system, clock, "包头市青山区社区服务协会", 31)
    graded = system.organizations.organization(org.id)
    assert (graded.grade, graded.grade_valid_from, graded.grade_valid_until) == ("5A", date(2027, 1, 1), date(2031, 12, 31))
    assert graded.grade_on(date(2026, 12, 10)) is None  # not held yet: no simplified inspection, no minimum grade met
    card = system.public.card(org.id)
    assert (card.organization.grade, card.organization.grade_valid_from, card.grade_in_force) == ("5A", date(2027, 1, 1), False)

    clock.move_to(date(2026, 12, 15))
    lowered = system.organizations.apply_grade_finding(REGISTRAR, org.id, None, "inspection_failed")
    assert (lowered.grade, lowered.grade_valid_from, lowered.grade_valid_until) == ("4A", date(2027, 1, 1), date(2031, 12, 31))
    system.credit.record_penalty(
        REGISTRAR, org.id, Penalty(PenaltyKind.WARNING, "包青民罚〔2026〕3号", date(2026, 12, 15), "未按规定换届")
    )
    assert system.organizations.organization(org.id).grade == "3A"  # a penalty in the window lowers it too
    last = system.organizations.history(org.id)[-1]
    assert (last.event_type, last.data["previous"], last.data["level"]) == ("GradeLowered", "4A", "3A")
    card = system.public.card(org.id)
    assert (card.organization.grade, card.organization.grade_valid_from, card.grade_in_force) == ("3A", date(2027, 1, 1), False)

    clock.move_to(date(2027, 1, 1))
    assert system.organizations.organization(org.id).grade_on(date(2027, 1, 1)) == "3A"
    assert system.public.card(org.id).grade_in_force is True


def test_a_finding_over_http_in_the_window_lowers_or_revokes_the_coming_grade_instead_of_409(system, clock) -> None:
    org = graded_in_december(system, clock, "包头市青山区志愿者协会", 32)
    system.accounts.add_user("registrar-w", "window-password-1", "registrar", "登记 王")
    with TestClient(create_app(system)) as client:
        token = client.post("/api/auth/login", json={"username": "registrar-w", "password": "window-password-1"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/api/organizations/{org.id}"
        fraud = client.post(
            f"{url}/grade-findings",
            json={"finding": "evaluation_fraud"},
            headers={**headers, "If-Match": client.get(url, headers=headers).headers["etag"]},
        )
        assert fraud.status_code == 200, fraud.text
        assert fraud.json()["grade"] is None
        public = client.get(f"/api/public/organizations/{org.id}").json()
        assert public["organization"]["grade"] is None and public["organization"]["grade_valid_from"] is None
        again = client.post(
            f"{url}/grade-findings", json={"finding": "penalty"}, headers={**headers, "If-Match": fraud.headers["etag"]}
        )
        assert again.status_code == 409 and again.json()["code"] == "grade.none"  # nothing left to act on
