"""A funding round on SQLite and PostgreSQL (issue scenario): CNY 300,000, 12 applications,
3 ineligible (grade too low, abnormal list, breach bar), reviewed by a panel, 7 awarded within
the budget, tranches paid, one failing its mid-term (later tranches stop), closings rated with
stars. Plus concurrent awards that together exceed the budget, and refusals that store nothing."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

from application.errors import NotPermitted
from application.queries.funding import ProjectQuery
from domain.errors import Conflict, InvalidTransition, InvalidValue
from domain.evaluation import EvaluationKind
from domain.funding import Milestone, ProjectStage
from tests.integration.funding_support import (
    application,
    as_org,
    enroll_panel,
    evaluate,
    experts,
    graded_organization,
    signed_project,
    terms,
)
from tests.integration.helpers import REGISTRAR


def events(system) -> int:  # type: ignore[no-untyped-def]
    return int(system.store.recorder.max_notification_id() or 0)


def breached_organization(system, clock) -> object:  # type: ignore[no-untyped-def]
    """An organization whose project in last year's round was terminated for breach."""
    org = graded_organization(system, 99, "4A")
    earlier = system.funding.open_round(REGISTRAR, terms(title="2025年社区公益创投", min_grade=None))
    project = system.funding.apply(as_org(org), earlier.id, org, application("违约项目"))
    system.funding.check_eligibility(REGISTRAR, project.id)
    evaluate(system, clock, [project.id], EvaluationKind.PROJECT_REVIEW, {project.id: "0.8"})
    system.funding.award(REGISTRAR, project.id, None, Decimal("40000"))
    system.funding.sign_agreement(REGISTRAR, project.id, None, "郊民协〔2026〕1号")
    system.funding.terminate(REGISTRAR, project.id, None, "虚报服务人次,挪用项目资金", breach=True)
    barred = system.organizations.organization(org)
    assert barred.funding_barred_until == date(2029, 5, 28)  # 3 years (rule set) from the termination
    assert system.funding.funding_round(earlier.id).committed == Decimal("20000.00")  # unpaid half released
    return org


def test_a_round_from_applications_to_star_ratings(system, clock) -> None:
    enroll_panel(system)
    breached = breached_organization(system, clock)
    orgs = [graded_organization(system, n, "2A" if n == 0 else "3A") for n in range(11)]
    system.credit.add_ground(REGISTRAR, orgs[1], "no_party_organization", system.store.today(), "未建立党组织")
    funding_round = system.funding.open_round(REGISTRAR, terms(applications_close=date(2026, 6, 30)))
    assert funding_round.rule_set.id == "anhui"

    applicants = [*orgs, breached]
    projects = [
        system.funding.apply(as_org(o), funding_round.id, o, application(f"邻里守望{n + 1}号")).id
        for n, o in enumerate(applicants)
    ]
    checked = [system.funding.check_eligibility(REGISTRAR, p) for p in projects]
    assert [p.bars for p in checked if p.bars] == [("grade_below_minimum",), ("abnormal_list",), ("breach_bar",)]
    eligible = [p.id for p in checked if p.stage is ProjectStage.ELIGIBLE]
    assert len(eligible) == 9

    # Review: eight fundable with distinct scores, one below the pass mark.
    shares = {p: str(Decimal("0.95") - Decimal("0.03") * i) for i, p in enumerate(eligible)}
    shares[eligible[-1]] = "0.55"
    evaluate(system, clock, eligible, EvaluationKind.PROJECT_REVIEW, shares)
    ranked = system.funding_view.projects(ProjectQuery(round_id=funding_round.id, sort="rank")).items
    fundable = [r for r in ranked if r.stage == "reviewed"]
    assert [r.rank for r in ranked if r.rank] == list(range(1, 10))
    assert len(fundable) == 8 and ranked[8].stage == "not_fundable"

    # Award in rank order until the budget refuses: 7 × 40,000 fit in 300,000, the 8th does not.
    for row in fundable[:7]:
        system.funding.award(REGISTRAR, row.id, row.version, Decimal("40000"))
    before = events(system)
    with pytest.raises(InvalidTransition) as refused:
        system.funding.award(REGISTRAR, fundable[7].id, None, Decimal("40000"))
    assert refused.value.code == "round.budget_exceeded" and events(system) == before
    system.funding.decline(REGISTRAR, fundable[7].id, None, "资金已用完")
    assert system.funding.funding_round(funding_round.id).remaining == Decimal("20000")

    awarded = [r.id for r in fundable[:7]]
    for n, project_id in enumerate(awarded):
        project = system.funding.sign_agreement(REGISTRAR, project_id, None, f"郊民协〔2026〕{n + 10}号")
        assert [t.amount for t in project.tranches] == [Decimal("20000.0"), Decimal("12000.0"), Decimal("8000.0")]
        assert project.paid_amount == Decimal("20000.0")
        with pytest.raises(InvalidTransition) as waits:
            system.funding.pay_tranche(REGISTRAR, project_id, None)
        assert waits.value.code == "tranche.condition_not_met"

    clock.move_to(date(2026, 12, 20))
    for project_id in awarded:
        org = system.funding.project(project_id).organization_id
        system.funding.submit_report(as_org(org), project_id, None, Milestone.MID_TERM, "已服务老人58名,开展活动40次")
    failing = awarded[-1]
    evaluate(system, clock, awarded, EvaluationKind.MID_TERM, {p: "0.5" if p == failing else "0.85" for p in awarded})
    with pytest.raises(InvalidTransition):
        system.funding.pay_tranche(REGISTRAR, failing, None)  # later tranches stop
    with pytest.raises(InvalidTransition):
        system.funding.open_evaluation(
            REGISTRAR, failing, None, EvaluationKind.CLOSING, date(2027, 7, 31), chair_user_id="chair-1"
        )
    system.funding.terminate(REGISTRAR, failing, None, "中期评估未通过", breach=False)
    running = awarded[:-1]
    for project_id in running:
        assert system.funding.pay_tranche(REGISTRAR, project_id, None).paid_amount == Decimal("32000.0")

    clock.move_to(date(2027, 6, 20))
    for project_id in running:
        org = system.funding.project(project_id).organization_id
        system.funding.submit_report(as_org(org), project_id, None, Milestone.CLOSING, "项目如期完成")
    closing_shares = dict(zip(running, ("0.95", "0.92", "0.85", "0.78", "0.72", "0.65"), strict=True))
    evaluate(system, clock, running, EvaluationKind.CLOSING, closing_shares)
    for project_id in running:
        system.funding.pay_tranche(REGISTRAR, project_id, None)
        assert system.funding.complete(REGISTRAR, project_id, None).stage is ProjectStage.COMPLETED

    rows = {r.id: r for r in system.funding_view.projects(ProjectQuery(round_id=funding_round.id)).items}
    assert [rows[p].stars for p in running] == [5, 5, 4, 3, 3, 2]
    assert rows[failing].stage == "terminated" and rows[failing].mid_term_passed is False
    summary = system.funding_view.round(funding_round.id)
    assert (summary.committed, summary.paid) == (Decimal("260000"), Decimal("260000"))
    stars = system.dashboards.table("stars")
    assert stars.rows == [["5", 2], ["4", 1], ["3", 2], ["2", 1]]
    funds = system.dashboards.table("funds")
    assert funds.columns == ["round", "district", "awarded_cny", "paid_cny"]
    assert [r[2:] for r in funds.rows if r[0] == funding_round.terms.title] == [[Decimal("280000"), Decimal("260000")]]

    # Every finalized project case recomputes from its events.
    for row in rows.values():
        for case_id in row.evaluations.values():
            stored, again = system.evaluations.recompute(case_id)
            assert stored == again


def test_concurrent_awards_that_exceed_the_budget_one_is_refused(system, clock) -> None:
    enroll_panel(system)
    funding_round = system.funding.open_round(REGISTRAR, terms(budget=Decimal("60000"), min_grade=None))
    orgs = [graded_organization(system, n, None) for n in range(2)]
    projects = [system.funding.apply(as_org(o), funding_round.id, o, application(f"项目{o}")).id for o in orgs]
    for p in projects:
        system.funding.check_eligibility(REGISTRAR, p)
    evaluate(system, clock, projects, EvaluationKind.PROJECT_REVIEW, dict.fromkeys(projects, "0.8"))

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def award(project_id: object) -> None:
        barrier.wait()
        try:
            system.funding.award(REGISTRAR, project_id, None, Decimal("40000"))
            outcomes.append("awarded")
        except InvalidTransition as e:
            outcomes.append(e.code)

    threads = [threading.Thread(target=award, args=(p,)) for p in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["awarded", "round.budget_exceeded"]
    assert system.funding.funding_round(funding_round.id).committed == Decimal("40000")
    assert sum(system.funding.project(p).stage is ProjectStage.AWARDED for p in projects) == 1


def test_bad_input_is_refused_and_nothing_is_stored(system, clock) -> None:
    org = graded_organization(system, 1, "3A")
    other = graded_organization(system, 2, "3A")
    with pytest.raises(InvalidValue) as caught:
        system.funding.open_round(REGISTRAR, terms(per_project_cap=Decimal("400000")))
    assert caught.value.code == "round.cap_above_budget"
    with pytest.raises(InvalidValue):
        system.funding.open_round(REGISTRAR, terms(budget=Decimal("100.001")))
    with pytest.raises(InvalidValue):
        system.funding.open_round(REGISTRAR, terms(mid_term_due=date(2026, 6, 1)))
    funding_round = system.funding.open_round(REGISTRAR, terms())
    before = events(system)
    for bad, expected in (
        (application("超上限", "60000"), "project.above_cap"),
        (application("   "), "project.title.empty"),
        (application("负数", "-10"), "project.budget_amount.not_positive"),
    ):
        with pytest.raises(InvalidValue) as caught:
            system.funding.apply(as_org(org), funding_round.id, org, bad)
        assert caught.value.code == expected
    with pytest.raises(NotPermitted):
        system.funding.apply(as_org(other), funding_round.id, org, application("替人申报"))
    project = system.funding.apply(as_org(org), funding_round.id, org, application("正常申报"))
    assert events(system) == before + 2  # the application and its claim
    with pytest.raises(InvalidTransition):
        system.funding.award(REGISTRAR, project.id, None, Decimal("1000"))  # not reviewed
    clock.move_to(date(2026, 7, 1))
    with pytest.raises(InvalidTransition) as late:
        system.funding.apply(as_org(org), funding_round.id, org, application("逾期申报"))
    assert late.value.code == "round.not_accepting"
    assert events(system) == before + 2


def test_milestone_reports_are_reminded_before_and_after_their_due_date(system, clock) -> None:
    from application.context import system_context

    org = graded_organization(system, 1, "3A")
    project = signed_project(system, clock, org)
    sweep = system_context("daily-sweep", "sweep-test")

    def milestone_reminders(day: date) -> list[tuple[str, str, str]]:
        clock.move_to(day)
        return [(p.kind, p.period, p.offset) for p in system.reminders.plan(day) if p.kind.startswith("milestone")]

    assert milestone_reminders(date(2026, 12, 1)) == []
    assert milestone_reminders(date(2026, 12, 17)) == [("milestone_due", "mid_term", "14")]
    assert system.reminders.issue(sweep, date(2026, 12, 17))["issued"] >= 1
    assert system.reminders.issue(sweep, date(2026, 12, 17))["issued"] == 0  # each once
    assert milestone_reminders(date(2027, 1, 2)) == [("milestone_overdue", "mid_term", "overdue")]
    planning = system.reminders.planning  # what a reminder retried now would find: the mid-term report is done
    assert planning.milestone_reported_on(project, "mid_term") is None
    system.funding.submit_report(as_org(org), project, None, Milestone.MID_TERM, "已服务40人")
    assert planning.milestone_reported_on(project, "mid_term") is not None
    assert planning.milestone_reported_on(project, "closing") is None
    assert milestone_reminders(date(2027, 1, 3)) == []  # the closing report is months away
    assert milestone_reminders(date(2027, 6, 27)) == [("milestone_due", "closing", "3")]
    texts = [p.text_zh for p in system.reminders.plan(date(2027, 6, 27)) if p.kind == "milestone_due"]
    assert texts and "结项报告" in texts[0] and "社区助餐" in texts[0]
    assert system.register_view.get(org).name in texts[0]  # the organization named, from the register


def test_a_milestones_outputs_are_attached_before_its_report_and_read_by_its_evaluators(system, clock) -> None:
    from application.context import CommandContext
    from domain.provenance import Actor, Role
    from tests.support.documents import pdf, upload_of

    enroll_panel(system)
    org = graded_organization(system, 2, "3A")
    funding_round = system.funding.open_round(REGISTRAR, terms(min_grade=None))
    project = system.funding.apply(as_org(org), funding_round.id, org, application("社区助餐")).id
    system.funding.check_eligibility(REGISTRAR, project)
    evaluate(system, clock, [project], EvaluationKind.PROJECT_REVIEW, {project: "0.8"})
    system.funding.award(REGISTRAR, project, None, Decimal("30000"))
    system.funding.sign_agreement(REGISTRAR, project, None, "郊民协〔2026〕8号")
    with upload_of(system, pdf("58 elderly served, 40 activities")) as upload:
        system.funding.attach_document(as_org(org), project, "milestone:mid_term", "outputs", upload, "中期成果.pdf")
    system.funding.submit_report(as_org(org), project, None, Milestone.MID_TERM, "已服务老人58名")
    with upload_of(system, pdf("late photo")) as upload, pytest.raises(InvalidTransition):
        system.funding.attach_document(as_org(org), project, "milestone:mid_term", "outputs", upload, "补交.pdf")
    evaluation = system.funding.open_evaluation(
        REGISTRAR, project, None, EvaluationKind.MID_TERM, date(2027, 1, 20), chair_user_id="chair-1"
    )
    system.evaluations.assign_panel(REGISTRAR, evaluation.id, None, experts(system))
    member = system.evaluations.evaluation(evaluation.id).panel[0]
    reviewer = CommandContext(Actor(member.user_id, Role.EVALUATOR), "req-review")
    outputs = [a for a in system.funding.documents_of(reviewer, project).documents if a.subject == "milestone:mid_term"]
    assert [a.document.file_name for a in outputs] == ["中期成果.pdf"]
    stranger = CommandContext(Actor("someone-else", Role.EVALUATOR), "req-x")
    with pytest.raises(NotPermitted):
        system.funding.documents_of(stranger, project)


def test_the_same_project_applied_for_twice_is_refused_and_the_first_stays(system, clock) -> None:
    org = graded_organization(system, 1, "3A")
    funding_round = system.funding.open_round(REGISTRAR, terms(applications_close=date(2026, 6, 30)))
    first = system.funding.apply(as_org(org), funding_round.id, org, application("邻里守望"))
    with pytest.raises(Conflict) as refused:
        system.funding.apply(as_org(org), funding_round.id, org, application(" 邻里 守望 "))  # spacing aside, the same
    assert refused.value.code == "project.duplicate" and "邻里" in refused.value.message_zh
    another = system.funding.apply(as_org(org), funding_round.id, org, application("助餐服务"))
    listed = system.funding_view.projects(ProjectQuery(round_id=funding_round.id, organization_id=org)).items
    assert sorted(p.id for p in listed) == sorted([first.id, another.id])


def test_a_milestone_extension_moves_the_reports_reminders_and_lateness_to_the_granted_day(system, clock) -> None:
    from application.context import system_context
    from application.queries.reminders import ReminderQuery

    org = graded_organization(system, 1, "3A")
    project = signed_project(system, clock, org)
    sweep = system_context("daily-sweep", "sweep-test")

    def milestone_reminders(day: date) -> list[tuple[str, str, str]]:
        clock.move_to(day)
        return [(p.kind, p.period, p.offset) for p in system.reminders.plan(day) if p.kind.startswith("milestone")]

    assert milestone_reminders(date(2026, 12, 17)) == [("milestone_due", "mid_term", "14")]
    system.reminders.issue(sweep, date(2026, 12, 17))  # planned and stored for the agreement's day
    clock.move_to(date(2026, 12, 18))
    with pytest.raises(InvalidValue) as too_long:  # 30 days past 31 December at most
        system.funding.request_extension(as_org(org), project, None, Milestone.MID_TERM, date(2027, 2, 15), "志愿者不足")
    assert too_long.value.code == "extension.too_long" and "2027-01-30" in too_long.value.message_zh
    asked = system.funding.request_extension(as_org(org), project, None, Milestone.MID_TERM, date(2027, 1, 20), "志愿者不足")
    assert asked.extensions[Milestone.MID_TERM].granted is None
    with pytest.raises(InvalidTransition):  # one request at a time
        system.funding.request_extension(as_org(org), project, None, Milestone.MID_TERM, date(2027, 1, 10), "再申请")
    with pytest.raises(NotPermitted):  # the funder decides, not the organization
        system.funding.decide_extension(as_org(org), project, None, Milestone.MID_TERM, True, None, "同意")
    told = system.reminder_view.reminders(ReminderQuery(recipients=["role:registrar"], kind="milestone_extension_requested"))
    assert told.total == 1 and "2027-01-20" in told.items[0].text_zh

    clock.move_to(date(2026, 12, 20))
    granted = system.funding.decide_extension(REGISTRAR, project, None, Milestone.MID_TERM, True, None, "确因疫情影响")
    assert granted.due[Milestone.MID_TERM] == date(2027, 1, 20) and granted.original_due[Milestone.MID_TERM] == date(2026, 12, 31)
    answer = system.reminder_view.reminders(ReminderQuery(recipients=[f"organization:{org}"], kind="milestone_extension_decided"))
    assert answer.total == 1 and "已获准许" in answer.items[0].text_zh and "2027-01-20" in answer.items[0].text_zh

    assert milestone_reminders(date(2026, 12, 28)) == []  # nothing for the old day: not "3 days left", not overdue
    assert milestone_reminders(date(2027, 1, 2)) == []
    assert milestone_reminders(date(2027, 1, 6)) == [("milestone_due", "mid_term", "14@2027-01-20")]
    assert system.reminders.issue(sweep, date(2027, 1, 6))["issued"] >= 1  # a new occasion, not the stored "14"
    clock.move_to(date(2027, 1, 15))
    system.funding.submit_report(as_org(org), project, None, Milestone.MID_TERM, "已服务40人")
    [submitted] = [e for e in system.store.history(project) if e.event_type == "MilestoneReportSubmitted"]
    assert submitted.data["late"] is False  # after the agreement's day, before the granted one
    clock.move_to(date(2027, 7, 2))
    with pytest.raises(InvalidTransition) as too_late:  # the closing report was due on 30 June
        system.funding.request_extension(as_org(org), project, None, Milestone.CLOSING, date(2027, 7, 20), "还要")
    assert too_late.value.code == "extension.too_late"
