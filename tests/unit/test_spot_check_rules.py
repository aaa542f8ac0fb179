"""Random inspections (双随机一公开) in the domain: the draw is a pure function of the seed and the
published candidate list, honours the rule set's ratios (higher for the risk groups), sends at
least two inspectors, never one with a conflict; a spot check's steps come in order."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from domain.errors import InvalidTransition, InvalidValue
from domain.provenance import Basis, Role
from domain.rules import SpotCheckRules
from domain.spot_check import (
    CandidateList,
    Conclusion,
    Inspector,
    MaterialSource,
    RiskGroup,
    SpotCheck,
    SpotCheckDraw,
    Stage,
    group_of,
    quota,
    select,
)
from tests.unit.given import NATIONAL, by

RULES = SpotCheckRules(
    ordinary_ratio=Decimal("0.05"),
    late_report_ratio=Decimal("0.20"),
    listed_ratio=Decimal("0.50"),
    complained_ratio=Decimal("0.50"),
    inspectors_per_check=2,
    complaints_within_months=12,
)
SEED = "5eed" * 8


def org(n: int) -> UUID:
    return UUID(int=(0xC0FFEE << 64) | n)


def inspector(n: int) -> UUID:
    return UUID(int=(0xBEEF << 64) | n)


def candidates(
    ordinary: int = 100,
    late: int = 10,
    listed: int = 10,
    complained: int = 0,
    inspectors: int = 6,
    recusals: dict[UUID, set[UUID]] | None = None,
) -> CandidateList:
    groups: dict[UUID, set[RiskGroup]] = {}
    n = 0
    for count, group in (
        (ordinary, None),
        (late, RiskGroup.LATE_REPORT),
        (listed, RiskGroup.LISTED),
        (complained, RiskGroup.COMPLAINED),
    ):
        for _ in range(count):
            n += 1
            groups[org(n)] = {group} if group else set()
    team = {inspector(i): set((recusals or {}).get(inspector(i), set())) for i in range(1, inspectors + 1)}
    return CandidateList.of(2026, "3407", NATIONAL, RULES, groups, team)


def test_the_same_seed_and_list_give_the_same_selection_and_another_seed_another() -> None:
    listed = candidates()
    assert select(SEED, listed) == select(SEED, CandidateList.parse(listed.canonical()))
    assert select(SEED, listed) != select("0123456789abcdef" * 2, listed)


def test_the_hash_is_sha256_of_the_canonical_list_and_changes_with_the_list() -> None:
    listed = candidates()
    assert listed.sha256() == hashlib.sha256(listed.canonical()).hexdigest()
    assert CandidateList.parse(listed.canonical()).sha256() == listed.sha256()
    assert candidates(ordinary=99).sha256() != listed.sha256()  # one organization fewer
    assert candidates(recusals={inspector(1): {org(1)}}).sha256() != listed.sha256()  # one more recusal


def test_each_group_is_drawn_at_its_ratio_rounded_up_and_the_risk_groups_at_higher_ones() -> None:
    drawn = select(SEED, candidates(ordinary=100, late=10, listed=10, complained=3))
    by_group = {g.value: sum(1 for s in drawn if s.group == g.value) for g in RiskGroup}
    assert by_group == {"ordinary": 5, "late_report": 2, "listed": 5, "complained": 2}
    assert quota(Decimal("0.05"), 1) == 1 and quota(Decimal("0.05"), 0) == 0 and quota(Decimal("0"), 50) == 0


def test_an_organization_in_several_groups_is_drawn_at_the_highest_ratio_and_only_once() -> None:
    ratios = {"ordinary": Decimal("0.05"), "late_report": Decimal("0.2"), "listed": Decimal("0.5"), "complained": Decimal("0.5")}
    listed = candidates(ordinary=0, late=0, listed=0)
    both = CandidateList.of(2026, "3407", NATIONAL, RULES, {org(1): {RiskGroup.LATE_REPORT, RiskGroup.LISTED}}, {})
    assert group_of(both.organizations[0], ratios) == "listed"
    assert both.organizations[0].groups == ("listed", "late_report", "ordinary")
    assert listed.organizations == ()


def test_every_check_gets_the_rule_sets_inspectors_and_never_one_with_a_conflict() -> None:
    conflicted = inspector(1)
    recusals = {conflicted: {org(n) for n in range(1, 121)}}  # recused for every organization
    drawn = select(SEED, candidates(recusals=recusals, inspectors=3))
    assert drawn and all(len(s.inspector_ids) == 2 and len(set(s.inspector_ids)) == 2 for s in drawn)
    assert all(conflicted not in s.inspector_ids for s in drawn)


def test_a_draw_without_enough_conflict_free_inspectors_is_refused_naming_the_numbers() -> None:
    recusals = {inspector(1): {org(n) for n in range(1, 121)}}
    with pytest.raises(InvalidValue) as refused:
        select(SEED, candidates(recusals=recusals, inspectors=2))
    assert refused.value.code == "spot_check.too_few_inspectors"
    assert refused.value.details["available"] == 1 and refused.value.details["needed"] == 2
    assert "只有1人" in refused.value.message_zh and "a check needs 2" in refused.value.message_en


def test_a_rule_set_with_fewer_than_two_inspectors_or_a_ratio_beyond_one_is_not_loaded() -> None:
    with pytest.raises(ValueError, match="inspectors_per_check"):
        SpotCheckRules(Decimal("0.05"), Decimal("0.2"), Decimal("0.5"), Decimal("0.5"), 1, 12)
    with pytest.raises(ValueError, match="listed_ratio"):
        SpotCheckRules(Decimal("0.05"), Decimal("0.2"), Decimal("1.5"), Decimal("0.5"), 2, 12)


def test_a_seed_is_hex_and_a_list_not_in_the_format_is_refused() -> None:
    with pytest.raises(InvalidValue) as bad_seed:
        select("not a seed", candidates())
    assert bad_seed.value.code == "spot_check.seed"
    with pytest.raises(InvalidValue) as unreadable:
        CandidateList.parse(b'{"format": "something else"}')
    assert unreadable.value.code == "spot_check.candidates_unreadable" and "无法读取" in unreadable.value.message_zh


def test_the_draw_is_recorded_with_its_seed_hash_and_selection_and_replays() -> None:
    listed = candidates()
    draw = SpotCheckDraw.draw(SEED, listed, by())
    assert (draw.seed, draw.candidates_sha256) == (SEED, listed.sha256())
    assert draw.selection == draw.replay() == select(SEED, listed)
    with pytest.raises(InvalidValue) as unnumbered:
        SpotCheckDraw.draw(SEED, listed, by(basis=Basis(None, "年度抽查")))
    assert unnumbered.value.code == "basis.required"


def a_check() -> SpotCheck:
    draw = SpotCheckDraw.draw(SEED, candidates(), by())
    team = tuple(Inspector(i, f"inspector-{n}", f"检查员{n}") for n, i in enumerate(draw.selection[0].inspector_ids))
    return SpotCheck.open(draw, draw.selection[0], team, by())


def test_a_spot_check_goes_notice_materials_findings_conclusion_rectification() -> None:
    check = a_check()
    assert check.stage is Stage.DRAWN
    check.notify(date(2026, 5, 20), by(basis=Basis("民社抽〔2026〕3号")))
    check.add_material(MaterialSource.ORGANIZATION, "2025年度财务报表", "", by(Role.ORGANIZATION))
    check.add_material(MaterialSource.INSPECTOR, "现场照片", "办公场所与登记住所一致", by())
    check.record_findings("账目与年报不符", by())
    check.conclude(
        Conclusion.RECTIFICATION_ORDERED,
        "限期补正账目",
        date(2026, 7, 1),
        date(2026, 5, 20),
        by(basis=Basis("民社抽〔2026〕4号")),
    )
    assert (check.stage, check.decision_no, check.rectification_deadline) == (
        Stage.CONCLUDED,
        "民社抽〔2026〕4号",
        date(2026, 7, 1),
    )
    check.confirm_rectification(date(2026, 6, 20), "已补正", by())
    assert (check.stage, check.rectified_on, len(check.materials)) == (Stage.RECTIFIED, date(2026, 6, 20), 2)


def test_steps_out_of_order_are_refused_in_chinese_and_english() -> None:
    check = a_check()
    with pytest.raises(InvalidTransition) as early:
        check.record_findings("……", by())
    assert early.value.code == "spot_check.findings"
    assert "须先通知被检查组织" in early.value.message_zh and "notify the organization" in early.value.message_en
    with pytest.raises(InvalidTransition) as material:
        check.add_material(MaterialSource.ORGANIZATION, "财务报表", "", by())
    assert material.value.code == "spot_check.material"
    with pytest.raises(InvalidTransition) as conclusion:
        check.conclude(Conclusion.NO_PROBLEMS, "未发现问题", None, date(2026, 5, 20), by())
    assert conclusion.value.code == "spot_check.conclude" and "须先记录现场检查情况" in conclusion.value.message_zh
    check.notify(date(2026, 5, 20), by())
    with pytest.raises(InvalidTransition) as twice:
        check.notify(date(2026, 5, 20), by())
    assert twice.value.code == "spot_check.notify" and "already" in twice.value.message_en
    check.record_findings("未发现问题", by())
    with pytest.raises(InvalidTransition) as rectified:
        check.confirm_rectification(date(2026, 5, 20), "", by())
    assert rectified.value.code == "spot_check.rectification" and "责令整改" in rectified.value.message_zh
    with pytest.raises(InvalidValue) as deadline:
        check.conclude(Conclusion.RECTIFICATION_ORDERED, "需整改", None, date(2026, 5, 20), by())
    assert deadline.value.code == "spot_check.rectification_deadline"
    with pytest.raises(InvalidValue) as unnumbered:
        check.conclude(Conclusion.NO_PROBLEMS, "未发现问题", None, date(2026, 5, 20), by(basis=Basis(None, "检查")))
    assert unnumbered.value.code == "basis.required"
    check.conclude(Conclusion.NO_PROBLEMS, "未发现问题", None, date(2026, 5, 20), by())
    with pytest.raises(InvalidTransition) as after:
        check.add_material(MaterialSource.INSPECTOR, "补充材料", "", by())
    assert "结论已作出" in after.value.message_zh and "after the conclusion" in after.value.message_en
    with pytest.raises(InvalidTransition):
        check.confirm_rectification(date(2026, 5, 20), "", by())  # no rectification was ordered
