"""A funded project's documents over HTTP on the demo data (both databases): the plan and budget
go with the application, outputs with each milestone report, and the project's reviewers read
them while other experts cannot."""

from __future__ import annotations

from urllib.parse import quote
from uuid import uuid5

from application.demo import _NS
from tests.integration.conftest import login
from tests.integration.test_http_api import assert_problem
from tests.support import documents as make

HUB_PROJECT, ELDER_PROJECT = (str(uuid5(_NS, f"demo-project-{k}")) for k in ("tl-hub", "tl-elder"))


def attach(client, headers, project, subject, slot, name, data):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/projects/{project}/documents?subject={quote(subject)}&slot={slot}&name={quote(name)}",
        content=data,
        headers=headers,
    )


def test_reviewers_read_the_applications_plan_and_budget(client, system) -> None:
    evaluator, org = login(client, "evaluator"), login(client, "org")
    listed = client.get(f"/api/projects/{HUB_PROJECT}/documents", headers=evaluator)  # on the review panel
    assert listed.status_code == 200, listed.text
    assert sorted(d["document"]["slot"] for d in listed.json()) == ["budget", "plan"]
    plan = next(d["document"] for d in listed.json() if d["document"]["slot"] == "plan")
    got = client.get(f"/api/projects/{HUB_PROJECT}/documents/{plan['sha256']}?inline=1", headers=evaluator)
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("inline;")
    assert client.get(f"/api/projects/{HUB_PROJECT}/documents", headers=login(client, "chair")).status_code == 200
    # the elder centre's project has no panel yet: an expert may not read it, nor another organization
    assert_problem(client.get(f"/api/projects/{ELDER_PROJECT}/documents", headers=evaluator), 403, "access.denied")
    assert client.get(f"/api/projects/{ELDER_PROJECT}/documents", headers=org).status_code == 403
    assert client.get(f"/api/projects/{HUB_PROJECT}/documents", headers=org).status_code == 200
    assert client.get(f"/api/projects/{HUB_PROJECT}/documents").status_code == 401
    # once the review is open the application's documents are fixed
    refused = attach(client, org, HUB_PROJECT, "application", "plan", "新方案.pdf", make.pdf("new plan"))
    assert_problem(refused, 409, "project.wrong_stage")


def test_a_budget_is_a_sheet_or_a_paper_and_outputs_wait_for_the_agreement(client, system) -> None:
    registrar = login(client, "registrar")
    sheet = attach(client, registrar, ELDER_PROJECT, "application", "budget", "预算.xlsx", make.xlsx())
    assert sheet.status_code == 201 and sheet.json()["document"]["media_type"].endswith("spreadsheetml.sheet")
    listed = client.get(f"/api/projects/{ELDER_PROJECT}/documents", headers=registrar).json()
    assert [d["document"]["withdrawn"] for d in listed if d["document"]["slot"] == "budget"] == [True, False]  # replaced
    assert_problem(
        attach(client, registrar, ELDER_PROJECT, "application", "budget", "预算.png", make.png()),
        415,
        "document.type_not_allowed",
    )
    assert_problem(
        attach(client, registrar, ELDER_PROJECT, "milestone:mid_term", "outputs", "成果.pdf", make.pdf()),
        409,
        "project.wrong_stage",
    )
    assert_problem(
        attach(client, registrar, ELDER_PROJECT, "milestone:mid_term", "plan", "x.pdf", make.pdf()), 422, "document.slot"
    )
    assert_problem(attach(client, registrar, ELDER_PROJECT, "elsewhere", "plan", "x.pdf", make.pdf()), 422, "document.slot")
