"""The pure panel rules: conflicts of interest from an expert's ties on a date, the lines a
resubmitted sheet changed, and totals far from the panel's median."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from domain.evaluation import ScoreChange, outliers, score_changes
from domain.expert import Employment, Expert, Relation, RelationKind, SubjectTies, conflicts_of_interest
from domain.provenance import Actor, Provenance, Role
from domain.scoring import IndicatorScore, Sheet

ORG, HUB, OTHER = UUID(int=1), UUID(int=2), UUID(int=3)
AT = Provenance(datetime(2026, 5, 20, tzinfo=UTC), Actor("registrar-1", Role.REGISTRAR), "req")
TIES = SubjectTies(ORG, "居家养老服务中心", HUB, "社会组织联合会")


def expert(*jobs: Employment, relations: tuple[Relation, ...] = ()) -> Expert:
    e = Expert.enroll(uuid4(), "u1", "王老师", field="", affiliation="", employments=jobs, provenance=AT)
    for r in relations:
        e.declare_relation(r, AT)
    return e


def test_an_expert_with_no_tie_to_the_organization_or_its_hub_has_no_conflict() -> None:
    e = expert(Employment("别的组织", OTHER), relations=(Relation(OTHER, "别的组织", RelationKind.DONOR),))
    assert conflicts_of_interest(e, TIES, date(2026, 5, 20), 2) == []


def test_a_tie_ended_within_the_rule_sets_years_conflicts_and_one_ended_earlier_does_not() -> None:
    recent = expert(Employment("居家养老服务中心", ORG, date(2025, 6, 1)))
    old = expert(Employment("居家养老服务中心", ORG, date(2024, 5, 1)))
    [found] = conflicts_of_interest(recent, TIES, date(2026, 5, 20), 2)
    assert found.ground == "former_employment" and "不满2年" in found.zh and "less than 2 years" in found.en
    assert conflicts_of_interest(old, TIES, date(2026, 5, 20), 2) == []


def test_a_tie_counts_in_calendar_years_until_the_same_day_n_years_after_it_ended() -> None:
    left = expert(Employment("居家养老服务中心", ORG, date(2023, 5, 20)))  # two years spanning 29 February 2024
    assert len(conflicts_of_interest(left, TIES, date(2025, 5, 19), 2)) == 1
    assert conflicts_of_interest(left, TIES, date(2025, 5, 20), 2) == []


def test_a_tie_ended_on_29_february_lapses_on_28_february_n_years_later() -> None:
    left = expert(Employment("居家养老服务中心", ORG, date(2024, 2, 29)))
    assert len(conflicts_of_interest(left, TIES, date(2026, 2, 27), 2)) == 1
    assert conflicts_of_interest(left, TIES, date(2026, 2, 28), 2) == []


def test_working_for_or_being_related_to_the_hub_conflicts_for_its_members() -> None:
    e = expert(Employment("社会组织联合会", HUB), relations=(Relation(HUB, "社会组织联合会", RelationKind.DIRECTOR),))
    found = conflicts_of_interest(e, TIES, date(2026, 5, 20), 2)
    assert [c.ground for c in found] == ["hub", "hub"] and all("枢纽型组织" in c.zh for c in found)
    assert conflicts_of_interest(e, SubjectTies(ORG, "居家养老服务中心"), date(2026, 5, 20), 2) == []  # not a member


def test_every_declared_relation_kind_conflicts_while_in_force() -> None:
    for kind in RelationKind:
        [found] = conflicts_of_interest(expert(relations=(Relation(ORG, "中心", kind),)), TIES, date(2026, 5, 20), 2)
        assert found.ground == "relation" and found.zh.startswith("王老师申报与")


def test_a_changed_sheet_lists_only_the_lines_that_changed_with_old_and_new_points() -> None:
    old = Sheet("u1", (IndicatorScore("a", Decimal("9")), IndicatorScore("b", Decimal("5"))), Decimal("1"))
    new = Sheet("u1", (IndicatorScore("a", Decimal("9"), "评语改了"), IndicatorScore("b", Decimal("4"))), Decimal("2"))
    assert score_changes(old, new) == (
        ScoreChange("b", Decimal("5"), Decimal("4")),
        ScoreChange("bonus", Decimal("1"), Decimal("2")),
    )
    assert score_changes(old, old) == ()


def test_outliers_are_measured_from_the_median_and_need_three_sheets() -> None:
    a, b, c, d = (UUID(int=n) for n in range(10, 14))
    assert outliers({a: Decimal(900), b: Decimal(600)}, Decimal(50)) == {}
    assert outliers({a: Decimal(900), b: Decimal(910), c: Decimal(600)}, Decimal(50)) == {c: Decimal(-300)}
    # even count: the median is the mean of the middle two (905); 960 is 55 away, 850 exactly 55 too
    assert outliers({a: Decimal(900), b: Decimal(910), c: Decimal(850), d: Decimal(960)}, Decimal(55)) == {}
    assert outliers({a: Decimal(900), b: Decimal(910), c: Decimal(850), d: Decimal(961)}, Decimal(55)) == {d: Decimal(56)}
