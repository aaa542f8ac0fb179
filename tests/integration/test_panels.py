"""Panels that hold under real behaviour, on SQLite and PostgreSQL: conflicts of interest are
found before anyone is seated (employment, declared relations, the subject's hub), the panel
never scores or computes below the rule set's minimum, the chair replaces a member, and a
changed sheet or a far-off total is shown to the chair without altering a score."""

from __future__ import annotations

from datetime import date

import pytest

from application.context import CommandContext
from application.errors import NotPermitted
from application.evaluations import Evaluations
from application.reminders.completion import task_done
from domain.errors import Conflict, InvalidTransition
from domain.evaluation import RecusalGround, Stage
from domain.expert import Employment, Relation, RelationKind
from domain.provenance import Actor, Role
from domain.reminder import Reminder
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_evaluation_flow import CHAIR, as_expert, case_with_panel, scores


@pytest.fixture
def desk(system) -> Evaluations:
    return Evaluations(system.store, system.rules, system.clock, system.ids)


def submit(desk: Evaluations, evaluation, n: int, share: str) -> None:  # type: ignore[no-untyped-def]
    desk.save_draft(as_expert(n), evaluation.id, None, scores(desk, evaluation, share))
    desk.submit_sheet(as_expert(n), evaluation.id, None)


def eligible_case(system, desk: Evaluations, org_id=None):  # type: ignore[no-untyped-def]
    if org_id is None:
        org_id = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1)).id
    evaluation = desk.open_grade_evaluation(REGISTRAR, org_id, date(2026, 6, 30), "chair-1")
    return desk.check_eligibility(REGISTRAR, evaluation.id)


# -- 1. the minimum is held on the active panel ---------------------------------------------------
def test_a_named_panel_with_an_expert_working_at_the_organization_is_refused_naming_the_conflict(system, desk) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    experts = [desk.enroll_expert(REGISTRAR, f"expert-user-{n}", f"专家{n}", "财务", "高校") for n in (1, 2)]
    staff = desk.enroll_expert(REGISTRAR, "expert-user-3", "专家3", "财务", "本会", (Employment(profile().name, org.id),))
    evaluation = eligible_case(system, desk, org.id)
    with pytest.raises(Conflict) as refused:
        desk.assign_panel(REGISTRAR, evaluation.id, evaluation.version, [e.id for e in (*experts, staff)])
    assert refused.value.code == "panel.conflict_of_interest"
    assert f"专家3现任职于{profile().name}" in refused.value.message_zh and "works for" in refused.value.message_en
    assert refused.value.details["conflicts"][0]["expert_id"] == str(staff.id)
    assert desk.evaluation(evaluation.id).version == evaluation.version  # nothing was written: scoring did not open


def test_a_recusal_below_the_minimum_stops_closing_and_computing_until_the_chair_replaces_the_member(system, desk) -> None:
    _org, experts, evaluation = case_with_panel(system, desk, 3)
    spare = desk.enroll_expert(REGISTRAR, "expert-user-4", "专家4", "财务", "高校")
    desk.declare_conflict(as_expert(3), evaluation.id, None, experts[2].id, "曾为该组织提供咨询")
    evaluation = desk.evaluation(evaluation.id)
    assert evaluation.panel_shortfall(3) == 1
    submit(desk, evaluation, 1, "0.9")
    submit(desk, evaluation, 2, "0.9")  # 2 of 2 active: everyone, but below the minimum of 3
    with pytest.raises(InvalidTransition) as refused:
        desk.close_scoring(CHAIR, evaluation.id, None)
    assert refused.value.code == "panel.below_minimum" and refused.value.details == {"active": 2, "minimum": 3}
    assert "少于规则要求的3人" in refused.value.message_zh

    with pytest.raises(InvalidTransition) as late:  # a second assignment is not how a panel grows
        desk.assign_panel(CHAIR, evaluation.id, None, [spare.id])
    assert late.value.code == "evaluation.wrong_stage"
    evaluation = desk.replace_member(CHAIR, evaluation.id, None, experts[2].id, spare.id, "专家3回避,由专家4替补")
    assert evaluation.panel_shortfall(3) == 0 and evaluation.stage is Stage.SCORING
    submit(desk, evaluation, 4, "0.8")
    desk.close_scoring(CHAIR, evaluation.id, None)
    computed = desk.compute_result(CHAIR, evaluation.id, None)
    assert len(computed.computation.evaluator_ids) == 3


def test_a_case_is_not_computed_below_the_minimum(system, desk) -> None:
    _org, experts, evaluation = case_with_panel(system, desk, 3)
    for n in (1, 2, 3):
        submit(desk, evaluation, n, "0.9")
    evaluation = desk.close_scoring(CHAIR, evaluation.id, None)
    evaluation.recused[experts[0].id] = RecusalGround.FORCED  # as if a recusal came in after closing
    with pytest.raises(InvalidTransition) as refused:
        evaluation.record_result(
            desk._compute(evaluation, desk.rule_set_of(evaluation), evaluation.counted_sheets()),
            3,
            REGISTRAR.provenance(system.clock.now()),
        )
    assert refused.value.code == "panel.below_minimum"


# -- 2. replacing an evaluator ---------------------------------------------------------------------
def test_the_chair_replaces_a_non_responsive_member_whose_draft_is_kept_and_not_counted(system, desk, clock) -> None:
    _org, experts, evaluation = case_with_panel(system, desk, 3)  # scoring deadline 2026-06-30
    submit(desk, evaluation, 1, "0.9")
    submit(desk, evaluation, 2, "0.8")
    desk.save_draft(as_expert(3), evaluation.id, None, scores(desk, evaluation, "0.2"))  # drafts, never submits
    spare = desk.enroll_expert(REGISTRAR, "expert-user-4", "专家4", "财务", "高校")
    [chased] = [p for p in system.reminders.plan(date(2026, 6, 29)) if p.kind == "scores_due"]
    assert chased.recipient == "user:expert-user-3"
    clock.move_to(date(2026, 7, 1))
    overdue = [p for p in system.reminders.plan(date(2026, 7, 1)) if p.kind == "scores_overdue"]
    assert [(p.recipient, p.text_en.split(" with ")[1][:1]) for p in overdue] == [("user:chair-1", "1")]

    with pytest.raises(NotPermitted):
        desk.replace_member(as_expert(1), evaluation.id, None, experts[2].id, spare.id, "未按时评分")
    evaluation = desk.replace_member(CHAIR, evaluation.id, None, experts[2].id, spare.id, "未按时评分,更换专家")
    assert experts[2].id in evaluation.drafts and evaluation.replaced == {experts[2].id: spare.id}
    with pytest.raises(NotPermitted):
        desk.submit_sheet(as_expert(3), evaluation.id, None)  # the replaced member no longer scores
    assert system.cases.assignments("expert-user-3") == []
    [seat] = system.cases.assignments("expert-user-4")
    assert (seat.stage, seat.my_sheet_submitted) == ("scoring", False)
    members = {m.name: m for m in system.cases.members(evaluation.id)}
    assert members["专家3"].recused == "replaced" and members["专家4"].recused is None

    planning = system.reminders.planning  # a "scores due" already issued to the replaced member is cancelled at delivery
    assert planning.seat_vacated(evaluation.id, "expert-user-3") and not planning.seat_vacated(evaluation.id, "expert-user-4")
    issued = Reminder.issue(chased, ("email",), REGISTRAR.provenance(system.clock.now()))
    assert task_done(issued, planning)[0] == "seat_vacated"
    # the replacement gets the "scores due" reminder, the replaced member none
    due = {p.recipient for p in system.reminders.plan(date(2026, 6, 29)) if p.kind == "scores_due"}
    assert due == {"user:expert-user-4"}
    submit(desk, evaluation, 4, "0.85")
    assert [p for p in system.reminders.plan(date(2026, 7, 1)) if p.kind == "scores_overdue"] == []

    desk.close_scoring(CHAIR, evaluation.id, None)
    computed = desk.compute_result(CHAIR, evaluation.id, None)
    assert "expert-user-3" not in computed.computation.evaluator_ids and len(computed.computation.evaluator_ids) == 3
    with pytest.raises(InvalidTransition) as late:
        desk.replace_member(CHAIR, evaluation.id, None, experts[0].id, experts[2].id, "太迟")
    assert late.value.code == "evaluation.wrong_stage"
    assert [h.event_type for h in desk.history(evaluation.id)].count("MemberReplaced") == 1


def test_a_replacement_with_a_conflict_or_already_on_the_panel_is_refused(system, desk) -> None:
    org, experts, evaluation = case_with_panel(system, desk, 3)
    tied = desk.enroll_expert(REGISTRAR, "expert-user-5", "专家5", "财务", "高校")
    desk.declare_relation(as_expert(5), tied.id, None, Relation(org.id, profile().name, RelationKind.DONOR))
    with pytest.raises(Conflict) as refused:
        desk.replace_member(CHAIR, evaluation.id, None, experts[2].id, tied.id, "更换")
    assert "申报与" in refused.value.message_zh and "a donor" in refused.value.message_en
    with pytest.raises(Exception) as twice:
        desk.replace_member(CHAIR, evaluation.id, None, experts[2].id, experts[1].id, "更换")
    assert getattr(twice.value, "code", None) == "panel.duplicate"


# -- 3. conflicts before assignment ------------------------------------------------------------------
def test_a_drawn_panel_never_draws_an_expert_with_a_declared_relation_or_a_tie_to_the_subjects_hub(system, desk) -> None:
    organizations = system.organizations
    hub = organizations.register_organization(
        REGISTRAR, profile("铜陵市郊区社会组织联合会", is_hub=True), code(1), date(2015, 6, 1)
    )
    member = organizations.register_organization(REGISTRAR, profile("铜陵市郊区阳光志愿者协会"), code(2), date(2015, 6, 1))
    organizations.join_hub(REGISTRAR, member.id, None, hub.id)
    free = [desk.enroll_expert(REGISTRAR, f"u{n}", f"专家{n}", "社会工作", "高校") for n in range(3)]
    hub_staff = desk.enroll_expert(REGISTRAR, "u-hub", "枢纽专家", "社会工作", "联合会", (Employment("联合会", hub.id),))
    director = desk.enroll_expert(REGISTRAR, "u-dir", "理事专家", "社会工作", "高校")
    desk.declare_relation(REGISTRAR, director.id, None, Relation(member.id, "阳光志愿者协会", RelationKind.DIRECTOR))
    pool = [e.id for e in (*free, hub_staff, director)]

    for seed in range(12):
        evaluation = eligible_case(system, desk, member.id)
        drawn = {m.expert_id for m in desk.draw_panel(REGISTRAR, evaluation.id, None, pool, 3, seed).panel}
        assert drawn == {e.id for e in free}
    found = desk.conflicts(evaluation, [hub_staff, desk.expert(director.id)])
    assert [c.ground for c in found[hub_staff.id]] == ["hub"] and "所属的枢纽型组织" in found[hub_staff.id][0].zh
    assert [c.ground for c in found[director.id]] == ["relation"]
    with pytest.raises(Exception) as short:
        desk.draw_panel(REGISTRAR, eligible_case(system, desk, member.id).id, None, pool, 4, 1)
    assert getattr(short.value, "code", None) == "panel.pool_too_small"


def test_a_relation_or_employment_that_ended_long_enough_ago_is_no_conflict(system, desk, clock) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    today = system.store.today()
    old = desk.enroll_expert(
        REGISTRAR, "u-old", "老专家", "财务", "高校", (Employment(profile().name, org.id, date(2020, 1, 1)),)
    )
    desk.declare_relation(REGISTRAR, old.id, None, Relation(org.id, profile().name, RelationKind.MEMBER, date(2021, 1, 1)))
    recent = desk.enroll_expert(REGISTRAR, "u-new", "新专家", "财务", "高校")
    desk.declare_relation(REGISTRAR, recent.id, None, Relation(org.id, profile().name, RelationKind.RELATIVE, today))
    evaluation = eligible_case(system, desk, org.id)
    found = desk.conflicts(evaluation, [desk.expert(old.id), desk.expert(recent.id)])
    assert found[old.id] == [] and [c.ground for c in found[recent.id]] == ["relation"]
    with pytest.raises(NotPermitted):  # an expert declares only their own relations
        desk.declare_relation(as_expert(9), old.id, None, Relation(org.id, profile().name, RelationKind.DONOR))


# -- 7. score changes and outliers -------------------------------------------------------------------
def test_a_reopened_sheet_changed_and_resubmitted_is_shown_to_the_chair_line_by_line(system, desk) -> None:
    _org, experts, evaluation = case_with_panel(system, desk, 3)
    for n in (1, 2, 3):
        submit(desk, evaluation, n, "0.9")
    desk.reopen_sheet(CHAIR, evaluation.id, None, experts[1].id, "请核对基础条件得分")
    evaluation = desk.evaluation(evaluation.id)
    assert desk.sheet_changes(evaluation) == []
    changed = scores(desk, evaluation, "0.9")
    changed = (changed[0].__class__(changed[0].key, changed[0].points - 1, "复核后下调"), *changed[1:])
    desk.save_draft(as_expert(2), evaluation.id, None, changed)
    desk.submit_sheet(as_expert(2), evaluation.id, None)
    [notice] = desk.sheet_changes(desk.evaluation(evaluation.id))
    assert (notice.expert_name, notice.new_total, notice.old_total - notice.new_total) == ("专家2", notice.old_total - 1, 1)
    [line] = notice.changes
    assert (line.key, line.old, line.new) == (changed[0].key, changed[0].points + 1, changed[0].points)
    before = system.clock.now()
    assert notice.at < before and notice.at.tzinfo is not None  # when: the resubmission's time

    desk.reopen_sheet(CHAIR, evaluation.id, None, experts[0].id, "再核对")  # resubmitted unchanged: no notice
    desk.submit_sheet(as_expert(1), evaluation.id, None)
    assert len(desk.sheet_changes(desk.evaluation(evaluation.id))) == 1


def test_an_evaluator_far_from_the_panels_median_is_flagged_and_no_score_is_altered(system, desk) -> None:
    _org, experts, evaluation = case_with_panel(system, desk, 4)
    for n, share in ((1, "0.90"), (2, "0.92"), (3, "0.91"), (4, "0.60")):
        submit(desk, evaluation, n, share)
    evaluation = desk.close_scoring(CHAIR, evaluation.id, None)
    flagged = desk.outliers(evaluation)
    assert list(flagged) == [experts[3].id] and flagged[experts[3].id] < -50  # 5 % of 1,000 points (anhui@1)
    computed = desk.compute_result(CHAIR, evaluation.id, None)
    assert min(computed.computation.totals.values) == evaluation.drafts[experts[3].id].total(
        desk.rule_set_of(evaluation).evaluation.scheme_for(evaluation.subject_type)
    )


def test_the_same_cases_appeal_is_not_revised_by_a_member_with_a_conflict_declared_since(system, desk) -> None:
    org, experts, evaluation = case_with_panel(system, desk, 3)
    org_user = CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org.id)
    for n in (1, 2, 3):
        submit(desk, evaluation, n, "0.9")
    desk.close_scoring(CHAIR, evaluation.id, None)
    desk.compute_result(CHAIR, evaluation.id, None)
    desk.open_announcement(CHAIR, evaluation.id, None)
    desk.file_appeal(org_user, evaluation.id, None, "社会评价得分偏低")
    desk.declare_relation(as_expert(2), experts[1].id, None, Relation(org.id, profile().name, RelationKind.MEMBER))
    with pytest.raises(Conflict) as refused:
        desk.decide_appeal(CHAIR, evaluation.id, None, True, "复核支持", {experts[1].id: scores(desk, evaluation, "0.95")})
    assert "专家2申报与" in refused.value.message_zh and desk.evaluation(evaluation.id).stage is Stage.APPEALED
    decided = desk.decide_appeal(CHAIR, evaluation.id, None, True, "复核支持", {experts[0].id: scores(desk, evaluation, "0.95")})
    assert decided.stage is Stage.APPEAL_DECIDED


def appealed_case(system, desk: Evaluations):  # type: ignore[no-untyped-def]
    """A case scored, computed and announced, and the organization's appeal against it filed."""
    org, _experts, evaluation = case_with_panel(system, desk, 3)
    org_user = CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org.id)
    for n in (1, 2, 3):
        submit(desk, evaluation, n, "0.9")
    for step in (desk.close_scoring, desk.compute_result, desk.open_announcement):
        step(CHAIR, evaluation.id, None)
    desk.file_appeal(org_user, evaluation.id, None, "社会评价得分偏低")
    return org, org_user, evaluation


def test_the_appeals_decision_period_is_extended_once_within_the_rules_and_then_holds(system, desk, clock) -> None:
    from datetime import timedelta

    from application.queries.reminders import ReminderQuery
    from domain.errors import InvalidValue

    org, org_user, evaluation = appealed_case(system, desk)
    filed = system.store.today()
    due, latest = desk.appeal_due(desk.evaluation(evaluation.id))
    assert (due.due, latest.due) == (filed + timedelta(days=15), filed + timedelta(days=30))  # 15 days, then 15 more

    with pytest.raises(NotPermitted):  # the appellant does not extend its own appeal
        desk.extend_appeal_decision(org_user, evaluation.id, None, due.due + timedelta(days=5), "需要调查")
    with pytest.raises(InvalidValue) as too_far:
        desk.extend_appeal_decision(CHAIR, evaluation.id, None, latest.due + timedelta(days=1), "需要调查")
    assert too_far.value.code == "appeal.extension_until" and str(latest.due) in too_far.value.message_zh
    extended = desk.extend_appeal_decision(CHAIR, evaluation.id, None, due.due + timedelta(days=10), "需补充调取活动记录")
    assert extended.appeal_extended_to == due.due + timedelta(days=10)
    with pytest.raises(InvalidTransition) as twice:
        desk.extend_appeal_decision(CHAIR, evaluation.id, None, due.due + timedelta(days=12), "再延")
    assert twice.value.code == "appeal.extended"
    told = system.reminder_view.reminders(ReminderQuery(recipients=[f"organization:{org.id}"], kind="appeal_extended"))
    assert told.total == 1 and str(due.due + timedelta(days=10)) in told.items[0].text_zh

    clock.move_to(due.due + timedelta(days=3))  # past the first period, within the extension: still decided
    assert desk.decide_appeal(CHAIR, evaluation.id, None, False, "维持原结果").stage is Stage.APPEAL_DECIDED


def test_an_appeal_is_not_decided_after_its_extended_period(system, desk, clock) -> None:
    from datetime import timedelta

    _org, _org_user, evaluation = appealed_case(system, desk)
    due, _latest = desk.appeal_due(desk.evaluation(evaluation.id))
    desk.extend_appeal_decision(CHAIR, evaluation.id, None, due.due + timedelta(days=5), "需补充调查")
    clock.move_to(due.due + timedelta(days=6))
    with pytest.raises(InvalidTransition) as late:
        desk.decide_appeal(CHAIR, evaluation.id, None, False, "维持原结果")
    assert late.value.code == "appeal.too_late" and "延长至" in late.value.message_zh
