"""A grade evaluation's documents over HTTP on the demo data (both databases): the organization's
self-assessment and per-indicator supporting material go in before scoring opens, the case's
evaluators read them beside each indicator, other experts and organizations do not."""

from __future__ import annotations

from urllib.parse import quote
from uuid import uuid5

from application.demo import _NS
from tests.integration.conftest import login
from tests.integration.helpers import REGISTRAR
from tests.integration.test_http_api import assert_problem
from tests.support import documents as make

CASE = str(uuid5(_NS, "demo-evaluation"))


def test_the_panel_reads_the_self_assessment_and_each_indicators_material(client, system) -> None:
    listed = client.get(f"/api/evaluations/{CASE}/documents", headers=login(client, "evaluator"))
    assert listed.status_code == 200, listed.text
    subjects = [d["subject"] for d in listed.json()]
    assert subjects[0] == "self_assessment" and all(s.startswith("indicator:") for s in subjects[1:]) and len(subjects) == 3
    sha = listed.json()[1]["document"]["sha256"]
    got = client.get(f"/api/evaluations/{CASE}/documents/{sha}?inline=1", headers=login(client, "evaluator2"))
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("inline;")
    for who, status in (("chair", 200), ("org", 200), ("auditor", 200), ("registrar", 200)):
        assert client.get(f"/api/evaluations/{CASE}/documents", headers=login(client, who)).status_code == status, who
    assert client.get(f"/api/evaluations/{CASE}/documents").status_code == 401
    # an organization reads only its own case; an expert off this panel none of it
    other = system.evaluations.open_grade_evaluation(
        REGISTRAR, uuid5(_NS, "tl-elder"), system.store.today(), "chair-x", uuid5(_NS, "another-case")
    )
    assert_problem(client.get(f"/api/evaluations/{other.id}/documents", headers=login(client, "org")), 403, "access.denied")
    assert_problem(client.get(f"/api/evaluations/{other.id}/documents", headers=login(client, "evaluator")), 403, "access.denied")


def test_materials_go_in_before_scoring_opens_and_only_from_the_organization_or_staff(client, system) -> None:
    org = login(client, "org")
    url = f"/api/evaluations/{CASE}/documents"
    late = client.post(
        f"{url}?subject=self_assessment&slot=self_assessment&name={quote('新自评.pdf')}", content=make.pdf(), headers=org
    )
    assert_problem(late, 409, "evaluation.wrong_stage")  # the demo case is being scored
    assert (
        client.post(
            f"{url}?subject=self_assessment&slot=self_assessment&name=x.pdf",
            content=make.pdf(),
            headers=login(client, "evaluator"),
        ).status_code
        == 403
    )
    assert_problem(
        client.post(f"{url}?subject=indicator:no_such&slot=supporting&name=x.pdf", content=make.pdf(), headers=org),
        422,
        "document.indicator",
    )
    assert_problem(
        client.post(f"{url}?subject=appeal&slot=supporting&name=x.pdf", content=make.pdf(), headers=org), 422, "document.slot"
    )
