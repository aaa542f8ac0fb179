"""The evaluation case (评估): eligibility, the panel and its recusals, score sheets, closing with
the quorum, the result, the announcement period (公示), the appeal (复核) and its deadline, and
when a result may be finalized."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain.documents import SLOTS, DocumentRef
from domain.errors import Conflict, InvalidTransition, InvalidValue
from domain.evaluation import Evaluation, EvaluationKind, PanelMember, RecusalGround, Stage
from domain.expert import ConflictOfInterest
from domain.periods import Deadline, Period, PeriodUnit
from domain.provenance import Role
from domain.rules import (
    Aggregation,
    Band,
    Category,
    Disclosure,
    EvaluationRules,
    GradeBands,
    Indicator,
    ScoringScheme,
)
from domain.scoring import IndicatorScore, Sheet, compute
from tests.unit.given import NATIONAL, by

SCHEME = ScoringScheme(
    id="grade-test",
    name_zh="测试指标",
    name_en="Test scheme",
    total=Decimal(100),
    bonus_cap=Decimal(5),
    categories=(
        Category("basic", "基础条件", "Basic conditions", (Indicator("a", "组织机构", "Organization", Decimal(60)),)),
        Category("work", "工作绩效", "Performance", (Indicator("b", "服务成效", "Services", Decimal(40)),)),
    ),
)
RULES = EvaluationRules(
    aggregation=Aggregation.TRIMMED_MEAN,
    trim_from_panel_size=5,
    min_panel_size=3,
    quorum_numerator=2,
    quorum_denominator=3,
    score_decimals=1,
    announcement=Period(7),
    appeal_decision=Period(15),
    eligibility_check=Period(10, PeriodUnit.WORKING_DAYS),
    recusal_years_after_leaving=2,
    outlier_share=Decimal("0.05"),
    sheets_visible_from=Disclosure.SCORING_CLOSED,
    organization_sees_result_from=Disclosure.ANNOUNCEMENT,
    schemes={"private_non_enterprise": SCHEME},
)
APPEAL_BY = Deadline(date(2026, 6, 6), 15, PeriodUnit.CALENDAR_DAYS)  # 15 days from an appeal filed on 22 May
BANDS = GradeBands(Decimal(100), (Band("5A", Decimal(95)), Band("4A", Decimal(90)), Band("3A", Decimal(85))))
ORG = UUID(int=81)
E1, E2, E3, E4 = (UUID(int=n) for n in range(91, 95))
PANEL = tuple(PanelMember(e, f"expert-{e.int}", f"专家{e.int}") for e in (E1, E2, E3))
SPARE = PanelMember(E4, "expert-94", "专家94")
TODAY = date(2026, 5, 20)
CHAIR, ORGANIZATION = by(Role.CHAIR), by(Role.ORGANIZATION)


def opened() -> Evaluation:
    return Evaluation.open(
        UUID(int=80),
        EvaluationKind.GRADE,
        ORG,
        subject_type="private_non_enterprise",
        rule_set=NATIONAL,
        scheme_id=SCHEME.id,
        scoring_deadline=date(2026, 6, 30),
        chair_user_id="chair-1",
        provenance=CHAIR,
    )


def eligible() -> Evaluation:
    e = opened()
    e.record_eligibility((), CHAIR)
    return e


def scoring() -> Evaluation:
    e = eligible()
    e.assign_panel(PANEL, (), RULES.min_panel_size, 7, CHAIR)
    return e


def scores(a: str, b: str) -> tuple[IndicatorScore, ...]:
    return (IndicatorScore("a", Decimal(a)), IndicatorScore("b", Decimal(b)))


def draft(e: Evaluation, expert: UUID, sheet: tuple[IndicatorScore, ...], bonus: str = "0") -> None:
    e.save_draft(expert, sheet, Decimal(bonus), SCHEME, RULES.score_decimals, by(Role.EVALUATOR))


def submit(e: Evaluation, expert: UUID) -> None:
    e.submit_sheet(expert, SCHEME, by(Role.EVALUATOR))


def scored(*experts: UUID) -> Evaluation:
    e = scoring()
    for n, expert in enumerate(experts):
        draft(e, expert, scores(str(55 - n), "38"))
        submit(e, expert)
    return e


def closed() -> Evaluation:
    e = scored(E1, E2, E3)
    e.close_scoring(False, RULES.min_panel_size, CHAIR)
    return e


def computed() -> Evaluation:
    e = closed()
    e.record_result(compute(SCHEME, e.counted_sheets(), RULES, BANDS), RULES.min_panel_size, CHAIR)
    return e


def announced(starts: date = TODAY) -> Evaluation:
    e = computed()
    e.open_announcement(starts, date.fromordinal(starts.toordinal() + RULES.announcement.days - 1), CHAIR)
    return e


def refused(kind: type[Exception], command: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(kind) as caught:
        command(*args, **kwargs)  # type: ignore[operator]
    return caught.value.code  # type: ignore[attr-defined]


def conflict(expert: UUID) -> ConflictOfInterest:
    return ConflictOfInterest(
        expert, "专家", "former_employment", "服务中心", "曾在该组织任职不满2年", "worked there less than 2 years ago"
    )


# -- opening and eligibility --------------------------------------------------------------------------------
def test_a_case_cannot_be_opened_with_a_scoring_deadline_in_the_past() -> None:
    with pytest.raises(InvalidValue) as caught:
        Evaluation.open(
            UUID(int=80),
            EvaluationKind.GRADE,
            ORG,
            subject_type="x",
            rule_set=NATIONAL,
            scheme_id=SCHEME.id,
            scoring_deadline=date(2026, 5, 19),
            chair_user_id="chair-1",
            provenance=CHAIR,
        )
    assert caught.value.code == "evaluation.deadline_past"


def test_a_self_assessment_cannot_be_negative_and_is_given_while_the_case_is_open() -> None:
    e = opened()
    assert refused(InvalidValue, e.submit_application, Decimal(-1), "", ORGANIZATION) == "evaluation.self_assessment"
    e.submit_application(Decimal(92), " 自评 ", ORGANIZATION)
    assert e.self_assessment == Decimal(92)
    e.record_eligibility((), CHAIR)
    assert refused(InvalidTransition, e.submit_application, Decimal(90), "", ORGANIZATION) == "evaluation.wrong_stage"


def test_any_bar_closes_the_case_and_no_panel_can_sit_on_it() -> None:
    e = opened()
    e.record_eligibility(("registered_less_than_2_years",), CHAIR)
    assert e.stage is Stage.BARRED and e.bars == ("registered_less_than_2_years",)
    assert refused(InvalidTransition, e.assign_panel, PANEL, (), 3, None, CHAIR) == "evaluation.wrong_stage"
    assert refused(InvalidTransition, e.withdraw, "x", CHAIR) == "evaluation.closed"


# -- the panel -----------------------------------------------------------------------------------------------
def test_a_panel_smaller_than_the_rule_sets_minimum_cannot_be_assigned() -> None:
    with pytest.raises(InvalidValue) as caught:
        eligible().assign_panel(PANEL[:2], (), RULES.min_panel_size, None, CHAIR)
    assert caught.value.code == "panel.too_small" and caught.value.details["minimum"] == 3


def test_an_expert_cannot_sit_twice_on_a_panel() -> None:
    assert refused(InvalidValue, eligible().assign_panel, (*PANEL, PANEL[0]), (), 3, None, CHAIR) == "panel.duplicate"


def test_a_panel_never_seats_an_expert_with_a_conflict_of_interest() -> None:
    e = eligible()
    with pytest.raises(Conflict) as caught:
        e.assign_panel(PANEL, (conflict(E2),), 3, None, CHAIR)
    assert caught.value.code == "panel.conflict_of_interest" and caught.value.details["conflicts"][0]["expert_id"] == str(E2)
    assert e.stage is Stage.ELIGIBLE and e.panel == ()


def test_an_assigned_panel_opens_scoring() -> None:
    e = scoring()
    assert e.stage is Stage.SCORING and e.active_members() == list(PANEL) and e.panel_shortfall(3) == 0


def test_a_forced_recusal_must_state_its_grounds_and_a_declared_one_its_tie() -> None:
    e = scoring()
    assert refused(InvalidValue, e.recuse, E1, RecusalGround.FORCED, " ", CHAIR) == "recusal.grounds"
    assert refused(InvalidValue, e.recuse, E1, RecusalGround.DECLARED, "", by(Role.EVALUATOR)) == "recusal.reason"
    e.recuse(E1, RecusalGround.DECLARED, "曾为该组织提供咨询", by(Role.EVALUATOR))
    assert e.recused == {E1: RecusalGround.DECLARED} and e.panel_shortfall(3) == 1


def test_a_recused_member_can_no_longer_score_and_their_draft_is_dropped() -> None:
    e = scoring()
    draft(e, E1, scores("50", "30"))
    e.recuse(E1, RecusalGround.DECLARED, "曾为该组织提供咨询", by(Role.EVALUATOR))
    assert E1 not in e.drafts
    assert refused(InvalidTransition, draft, e, E1, scores("50", "30")) == "evaluation.not_on_panel"


def test_a_sheet_submitted_before_a_recusal_is_kept_on_record_but_not_counted() -> None:
    e = scored(E1)
    e.recuse(E1, RecusalGround.FORCED, "曾在该组织任职", CHAIR)
    assert E1 in e.drafts and E1 in e.excluded and E1 not in e.submitted


def test_a_recusal_request_needs_reasons_waits_for_one_decision_and_holds_scoring_open() -> None:
    e = scored(E1, E2, E3)
    assert refused(InvalidValue, e.request_recusal, E2, " ", ORGANIZATION) == "recusal.request_reasons"
    e.request_recusal(E2, "该专家是我会理事的配偶", ORGANIZATION)
    assert refused(InvalidTransition, e.request_recusal, E2, "again", ORGANIZATION) == "recusal.request_pending"
    with pytest.raises(InvalidTransition) as caught:
        e.close_scoring(True, 3, CHAIR)
    assert caught.value.code == "scoring.pending_recusal_requests" and caught.value.details["pending"] == 1
    assert refused(InvalidValue, e.decide_recusal_request, E2, False, "", CHAIR) == "recusal.decision_reasons"
    e.decide_recusal_request(E2, False, "关系已于2020年结束", CHAIR)
    assert e.recusal_requests == {} and E2 not in e.recused
    assert refused(InvalidTransition, e.decide_recusal_request, E2, True, "x", CHAIR) == "recusal.no_request"


def test_a_granted_recusal_request_recuses_the_member_on_the_organizations_request() -> None:
    e = scoring()
    e.request_recusal(E3, "利益关联", ORGANIZATION)
    e.decide_recusal_request(E3, True, "查证属实", CHAIR)
    assert e.recused == {E3: RecusalGround.REQUESTED} and e.recusal_notes[E3] == "查证属实"


def test_a_replacement_needs_a_reason_a_new_expert_and_replaces_a_member_once() -> None:
    e = scored(E1, E2, E3)
    assert refused(InvalidValue, e.replace_member, E1, SPARE, (), " ", CHAIR) == "panel.replacement_reason"
    assert refused(InvalidValue, e.replace_member, E1, PANEL[1], (), "x", CHAIR) == "panel.duplicate"
    assert refused(InvalidTransition, e.replace_member, E4, SPARE, (), "x", CHAIR) == "evaluation.not_on_panel"
    with pytest.raises(Conflict):
        e.replace_member(E1, SPARE, (conflict(E4),), "x", CHAIR)
    e.replace_member(E1, SPARE, (), "联系不上", CHAIR)
    assert [m.expert_id for m in e.active_members()] == [E2, E3, E4] and E1 in e.excluded
    assert refused(InvalidTransition, e.replace_member, E1, PanelMember(UUID(int=95), "u", "n"), (), "x", CHAIR) == (
        "panel.already_replaced"
    )


# -- score sheets ---------------------------------------------------------------------------------------------------
def test_a_score_above_the_indicators_maximum_is_refused() -> None:
    e = scoring()
    with pytest.raises(InvalidValue) as caught:
        draft(e, E1, scores("60.5", "30"))
    assert caught.value.code == "score.out_of_range" and caught.value.details == {"key": "a", "maximum": "60"}
    assert E1 not in e.drafts


def test_a_negative_score_is_refused() -> None:
    assert refused(InvalidValue, draft, scoring(), E1, scores("50", "-1")) == "score.out_of_range"


def test_a_score_at_the_indicators_maximum_is_accepted() -> None:
    e = scoring()
    draft(e, E1, scores("60", "40"))
    assert e.drafts[E1].points("a") == 60


def test_a_score_for_an_indicator_outside_the_scheme_is_refused() -> None:
    assert refused(InvalidValue, draft, scoring(), E1, (IndicatorScore("z", Decimal(1)),)) == "score.unknown_indicator"


def test_an_indicator_scored_twice_on_one_sheet_is_refused() -> None:
    sheet = (IndicatorScore("a", Decimal(1)), IndicatorScore("a", Decimal(2)))
    assert refused(InvalidValue, draft, scoring(), E1, sheet) == "score.duplicate_indicator"


def test_a_score_with_more_decimals_than_the_rule_set_allows_is_refused() -> None:
    assert refused(InvalidValue, draft, scoring(), E1, scores("50.25", "30")) == "score.precision"


def test_a_bonus_above_the_schemes_cap_is_refused() -> None:
    assert refused(InvalidValue, draft, scoring(), E1, scores("50", "30"), "5.5") == "score.bonus"


def test_a_draft_may_leave_indicators_unscored_and_keeps_its_scores_in_indicator_order() -> None:
    e = scoring()
    draft(e, E1, (IndicatorScore("b", Decimal(30)), IndicatorScore("a", Decimal(50))))
    draft(e, E2, (IndicatorScore("b", Decimal(30)),))
    assert [s.key for s in e.drafts[E1].scores] == ["a", "b"] and e.drafts[E2].points("a") is None


def test_the_submitted_total_counts_the_indicators_and_the_bonus() -> None:
    e = scoring()
    draft(e, E1, scores("50.5", "30"), bonus="2")
    submit(e, E1)
    assert e.as_submitted[E1][1] == Decimal("82.5")


def test_the_submitted_total_never_exceeds_the_schemes_full_marks() -> None:
    e = scoring()
    draft(e, E1, scores("60", "38"), bonus="5")
    submit(e, E1)
    assert e.as_submitted[E1][1] == SCHEME.total


def test_a_sheet_cannot_be_submitted_with_an_indicator_missing() -> None:
    e = scoring()
    draft(e, E1, (IndicatorScore("a", Decimal(50)),))
    with pytest.raises(InvalidValue) as caught:
        submit(e, E1)
    assert caught.value.code == "sheet.incomplete" and caught.value.details["missing"] == ["b"]
    assert E1 not in e.submitted


def test_a_sheet_cannot_be_submitted_without_a_draft() -> None:
    assert refused(InvalidValue, submit, scoring(), E1) == "sheet.incomplete"


def test_only_a_sitting_member_can_score() -> None:
    assert refused(InvalidTransition, draft, scoring(), E4, scores("50", "30")) == "evaluation.not_on_panel"


def test_a_submitted_sheet_cannot_be_changed_until_the_chair_reopens_it_with_a_reason() -> None:
    e = scored(E1)
    assert refused(InvalidTransition, draft, e, E1, scores("40", "30")) == "sheet.submitted"
    assert refused(InvalidTransition, submit, e, E1) == "sheet.submitted"
    assert refused(InvalidValue, e.reopen_sheet, E1, " ", CHAIR) == "sheet.reopen_reason"
    assert refused(InvalidTransition, e.reopen_sheet, E2, "x", CHAIR) == "sheet.not_submitted"
    e.reopen_sheet(E1, "第b项评分依据不足", CHAIR)
    assert E1 not in e.submitted


def test_a_reopened_sheet_resubmitted_with_other_scores_tells_the_chair_what_changed() -> None:
    e = scored(E1)
    e.reopen_sheet(E1, "复查", CHAIR)
    draft(e, E1, scores("55", "35"), bonus="2")
    e.collect_events()
    submit(e, E1)
    changed, submitted = e.collect_events()
    assert [(c.key, c.old, c.new) for c in changed.changes] == [("b", 38, 35), ("bonus", 0, 2)]  # type: ignore[attr-defined]
    assert (changed.old_total, changed.new_total, type(submitted).__name__) == (93, 92, "SheetSubmitted")  # type: ignore[attr-defined]


def test_a_reopened_sheet_resubmitted_unchanged_sends_no_notice() -> None:
    e = scored(E1)
    e.reopen_sheet(E1, "复查", CHAIR)
    e.collect_events()
    submit(e, E1)
    assert [type(x).__name__ for x in e.collect_events()] == ["SheetSubmitted"]


# -- closing scoring ------------------------------------------------------------------------------------------------------
def test_scoring_closes_when_every_sitting_member_has_submitted() -> None:
    e = scored(E1, E2, E3)
    e.close_scoring(False, RULES.min_panel_size, CHAIR)
    assert e.stage is Stage.SCORING_CLOSED and e.submitted == {E1, E2, E3}


def test_scoring_cannot_close_early_without_two_thirds_of_the_sheets() -> None:
    e = scored(E1)
    assert not RULES.has_quorum(1, 3)
    with pytest.raises(InvalidTransition) as caught:
        e.close_scoring(RULES.has_quorum(1, 3), RULES.min_panel_size, CHAIR)
    assert caught.value.code == "scoring.no_quorum" and caught.value.details == {"submitted": 1, "active": 3}


def test_scoring_closes_early_with_two_thirds_of_the_sheets_and_counts_only_those() -> None:
    e = scored(E1, E2)
    draft(e, E3, scores("10", "10"))
    assert RULES.has_quorum(2, 3)
    e.close_scoring(RULES.has_quorum(2, 3), RULES.min_panel_size, CHAIR)
    assert e.submitted == {E1, E2} and [s.evaluator_id for s in e.counted_sheets()] == ["expert-91", "expert-92"]


def test_scoring_cannot_close_with_fewer_sitting_members_than_the_minimum() -> None:
    e = scored(E1, E2, E3)
    e.recuse(E3, RecusalGround.DECLARED, "曾为该组织提供咨询", by(Role.EVALUATOR))
    with pytest.raises(InvalidTransition) as caught:
        e.close_scoring(True, RULES.min_panel_size, CHAIR)
    assert caught.value.code == "panel.below_minimum" and caught.value.details == {"active": 2, "minimum": 3}


# -- result, announcement, appeal ----------------------------------------------------------------------------------------
def test_a_result_is_recorded_only_once_scoring_has_closed() -> None:
    e = scored(E1, E2, E3)
    computation = compute(SCHEME, e.counted_sheets(), RULES, BANDS)
    assert refused(InvalidTransition, e.record_result, computation, 3, CHAIR) == "evaluation.wrong_stage"
    e = computed()
    assert e.stage is Stage.COMPUTED and e.computation is not None and e.computation.total == Decimal(92)
    assert e.computation.label == "4A"


def test_an_announcement_cannot_end_before_it_starts() -> None:
    e = computed()
    assert refused(InvalidValue, e.open_announcement, TODAY, date(2026, 5, 19), CHAIR) == "announcement.dates"


def test_an_appeal_is_filed_only_within_the_announcement_period_and_states_its_grounds() -> None:
    e = announced()
    assert e.announcement == (date(2026, 5, 20), date(2026, 5, 26))
    for outside in (date(2026, 5, 19), date(2026, 5, 27)):
        assert refused(InvalidTransition, e.file_appeal, "评分有误", outside, ORGANIZATION) == "appeal.outside_announcement"
    assert refused(InvalidValue, e.file_appeal, " ", date(2026, 5, 26), ORGANIZATION) == "appeal.grounds"
    e.file_appeal("评分有误", date(2026, 5, 26), ORGANIZATION)
    assert e.stage is Stage.APPEALED and e.appeal_filed_on == date(2026, 5, 26)


def test_an_appeal_is_decided_within_fifteen_days_of_filing() -> None:
    e = announced()
    e.file_appeal("评分有误", date(2026, 5, 22), ORGANIZATION)
    code = refused(
        InvalidTransition,
        e.decide_appeal,
        False,
        "维持",
        None,
        decided_on=date(2026, 6, 7),
        decide_by=APPEAL_BY,
        provenance=CHAIR,
    )
    assert code == "appeal.too_late"
    e.decide_appeal(False, "维持原结果", None, decided_on=date(2026, 6, 6), decide_by=APPEAL_BY, provenance=CHAIR)
    assert e.stage is Stage.APPEAL_DECIDED and e.computation is not None and e.computation.label == "4A"


def test_an_upheld_appeal_comes_with_revised_scores_from_members_without_a_conflict() -> None:
    e = announced()
    e.file_appeal("评分有误", date(2026, 5, 22), ORGANIZATION)
    assert (
        refused(
            InvalidValue, e.decide_appeal, True, "支持", None, decided_on=date(2026, 5, 25), decide_by=APPEAL_BY, provenance=CHAIR
        )
        == "appeal.needs_revision"
    )
    revised = compute(SCHEME, [Sheet(s.evaluator_id, scores("58", "40")) for s in e.counted_sheets()], RULES, BANDS)
    with pytest.raises(Conflict):
        e.decide_appeal(
            True, "支持", revised, decided_on=date(2026, 5, 25), decide_by=APPEAL_BY, provenance=CHAIR, conflicts=(conflict(E1),)
        )
    e.decide_appeal(True, "支持", revised, decided_on=date(2026, 5, 25), decide_by=APPEAL_BY, provenance=CHAIR)
    assert e.computation is revised and revised.label == "5A"


def test_an_appeal_revises_only_a_counted_members_sheet() -> None:
    e = announced()
    assert refused(InvalidValue, e.revised_sheets, {E4: scores("58", "40")}, SCHEME, RULES.score_decimals) == (
        "appeal.unknown_sheet"
    )


def test_an_appeals_revised_score_above_the_indicators_maximum_is_refused() -> None:
    e = announced()
    assert refused(InvalidValue, e.revised_sheets, {E1: scores("61", "40")}, SCHEME, RULES.score_decimals) == (
        "score.out_of_range"
    )


def test_an_appeals_revision_replaces_the_members_scores_and_keeps_the_other_sheets_and_the_bonus() -> None:
    e = scoring()
    for expert in (E1, E2, E3):
        draft(e, expert, scores("50", "30"), bonus="2")
        submit(e, expert)
    revised = e.revised_sheets({E2: scores("58", "40")}, SCHEME, RULES.score_decimals)
    assert [s.total(SCHEME) for s in revised] == [Decimal(82), Decimal(100), Decimal(82)]
    assert e.drafts[E2].points("a") == 50  # the record of what was submitted stays


def test_a_result_is_finalized_only_after_the_announcement_has_ended() -> None:
    e = announced()
    assert refused(InvalidTransition, e.finalize, date(2026, 5, 26), CHAIR) == "announcement.running"
    e.finalize(date(2026, 5, 27), CHAIR)
    assert e.stage is Stage.FINALIZED and e.result == "4A"
    assert refused(InvalidTransition, e.withdraw, "x", CHAIR) == "evaluation.closed"


def test_a_decided_appeal_does_not_cut_the_announcement_short() -> None:
    e = announced()
    e.file_appeal("评分有误", date(2026, 5, 21), ORGANIZATION)
    assert refused(InvalidTransition, e.finalize, date(2026, 5, 27), CHAIR) == "evaluation.wrong_stage"  # undecided
    e.decide_appeal(False, "维持原结果:评分符合细则", None, decided_on=date(2026, 5, 23), decide_by=APPEAL_BY, provenance=CHAIR)
    assert refused(InvalidTransition, e.finalize, date(2026, 5, 23), CHAIR) == "announcement.running"
    e.finalize(date(2026, 5, 27), CHAIR)
    assert e.result == "4A"


def test_an_appeal_is_decided_with_its_reasons_and_the_grounds_stay_for_the_chair_to_read() -> None:
    e = announced()
    e.file_appeal("社会评价得分偏低", date(2026, 5, 21), ORGANIZATION)
    assert e.appeal_grounds == "社会评价得分偏低"
    assert (
        refused(
            InvalidValue, e.decide_appeal, False, "  ", None, decided_on=date(2026, 5, 23), decide_by=APPEAL_BY, provenance=CHAIR
        )
        == "appeal.reasons"
    )
    e.decide_appeal(False, "评分符合细则,维持原结果", None, decided_on=date(2026, 5, 23), decide_by=APPEAL_BY, provenance=CHAIR)
    assert e.appeal_decision == "评分符合细则,维持原结果"


# -- disclosure, documents, withdrawal ---------------------------------------------------------------------------------------
def test_sheets_are_sealed_until_scoring_closes_and_the_organization_sees_the_result_from_the_announcement() -> None:
    e = scored(E1, E2, E3)
    assert not e.disclosed(RULES.sheets_visible_from)
    e = computed()
    assert e.disclosed(RULES.sheets_visible_from) and not e.disclosed(RULES.organization_sees_result_from)
    assert announced().disclosed(RULES.organization_sees_result_from)


def test_a_withdrawn_case_never_discloses_its_sheets() -> None:
    e = scored(E1, E2, E3)
    e.withdraw("组织撤回申请", ORGANIZATION)
    assert e.stage is Stage.WITHDRAWN and not any(e.disclosed(m) for m in Disclosure)


def test_a_case_is_withdrawn_only_with_its_reason() -> None:
    e = scored(E1, E2, E3)
    assert refused(InvalidValue, e.withdraw, "  ", CHAIR) == "evaluation.withdraw_reason"
    assert e.stage is not Stage.WITHDRAWN


def test_the_self_assessment_goes_in_before_scoring_and_the_appeals_grounds_during_the_announcement() -> None:
    pdf = DocumentRef("d" * 64, 1000, "application/pdf", "自评报告.pdf")
    e = eligible()
    e.attach_document(SLOTS["self_assessment"], "self_assessment", pdf, ORGANIZATION)
    e.assign_panel(PANEL, (), 3, None, CHAIR)
    assert refused(InvalidTransition, e.attach_document, SLOTS["supporting"], "indicator:a", pdf, ORGANIZATION) == (
        "evaluation.wrong_stage"
    )
    assert refused(InvalidTransition, e.attach_document, SLOTS["appeal_grounds"], "appeal", pdf, ORGANIZATION) == (
        "evaluation.wrong_stage"
    )
    assert refused(InvalidValue, e.attach_document, SLOTS["supporting"], "other", pdf, ORGANIZATION) == "document.subject"
    a = announced()
    a.attach_document(SLOTS["appeal_grounds"], "appeal", pdf, ORGANIZATION)
    assert [d.subject for d in a.documents] == ["appeal"]
