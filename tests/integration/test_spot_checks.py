"""Random inspections (双随机一公开) on SQLite and PostgreSQL: the draw reads its candidates from the
register (risk groups at their higher ratios), records its seed and the list's hash, replays,
never sends a conflicted inspector, cannot be made twice; each check goes through its steps in
order, by its team and the registry, and its conclusion is on the public card."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from application.errors import NotPermitted
from application.queries.spot_checks import SpotCheckQuery
from domain.errors import Conflict, InvalidTransition, InvalidValue
from domain.provenance import Basis
from domain.spot_check import CandidateList, Conclusion, MaterialSource, Stage, select
from tests.integration.helpers import REGISTRAR
from tests.integration.spot_check_support import DRAW, as_inspector, as_org, division


def test_the_draw_honours_the_groups_ratios_records_its_seed_and_hash_and_replays(system, clock) -> None:
    d = division(system, clock)
    preview = system.spot_checks.preview(2026, "3407", [d.complained])
    assert preview.report_year == 2024  # the 2025 report is not due before 31 May 2026
    assert preview.groups == {"ordinary": 35, "late_report": 0, "listed": 4, "complained": 1}
    assert preview.quotas == {"ordinary": 2, "late_report": 0, "listed": 2, "complained": 1}  # 5%, 50%, 50%, rounded up
    assert d.outside not in {c.organization_id for c in preview.candidates.organizations}

    made, checks = system.spot_checks.draw(DRAW, 2026, "3407", [d.complained])
    assert made.seed == f"{1:032x}"  # the injected seed source's first
    assert made.candidates_sha256 == preview.sha256 == CandidateList.parse(made.candidates.canonical()).sha256()
    assert made.replay() == made.selection == select(made.seed, preview.candidates)
    drawn = {s.organization_id: s.group for s in made.selection}
    assert sorted(drawn.values()) == ["complained", "listed", "listed", "ordinary", "ordinary"]
    assert set(drawn) - set(d.ordinary) <= set(d.late) and drawn[d.complained] == "complained"
    assert len(checks) == 5 and {c.organization_id for c in checks} == set(drawn)
    for check in checks:  # two inspectors, never one with a conflict of interest with the organization
        assert len({i.expert_id for i in check.inspectors}) == 2 and check.stage is Stage.DRAWN
    [complained_check] = [c for c in checks if c.organization_id == d.complained]
    assert d.inspectors[0] not in {i.expert_id for i in complained_check.inspectors}
    assert system.spot_checks.draw_of(2026, "3407").id == made.id
    assert [c.id for c in system.spot_checks.checks_of(made)] == [c.id for c in checks]

    with pytest.raises(Conflict) as again:
        system.spot_checks.draw(DRAW, 2026, "3407", [])
    assert again.value.code == "spot_check.draw_exists" and "不能重新抽取" in again.value.message_zh
    # an enclosed division's draw this year leaves out the organizations checked already
    assert set(drawn).isdisjoint(c.organization_id for c in system.spot_checks.preview(2026, "340711").candidates.organizations)


def test_a_draw_is_refused_without_its_document_number_or_outside_its_years_or_for_an_unknown_complaint(system, clock) -> None:
    d = division(system, clock)
    with pytest.raises(InvalidValue) as unnumbered:
        system.spot_checks.draw(replace(REGISTRAR, basis=Basis(None, "抽查")), 2026, "3407")
    assert unnumbered.value.code == "basis.required"
    with pytest.raises(InvalidValue) as year:
        system.spot_checks.draw(DRAW, 2024, "3407")
    assert year.value.code == "spot_check.year"
    with pytest.raises(InvalidValue) as outside:
        system.spot_checks.draw(DRAW, 2026, "3407", [d.outside])
    assert outside.value.code == "spot_check.complained_unknown" and str(d.outside) in outside.value.message_en
    with pytest.raises(NotPermitted):
        system.spot_checks.draw(as_org(d.late[0]), 2026, "3407")


def test_a_spot_check_goes_through_its_steps_by_its_team_and_the_registry_and_reaches_the_public_card(system, clock) -> None:
    d = division(system, clock)
    _made, checks = system.spot_checks.draw(DRAW, 2026, "3407", [d.complained])
    check = next(c for c in checks if c.organization_id == d.complained)
    team = sorted(int(i.user_id.rsplit("-", 1)[1]) for i in check.inspectors)
    stranger = next(n for n in (1, 2, 3, 4) if n not in team)
    steps = system.spot_checks

    with pytest.raises(InvalidTransition) as early:  # nothing before the notice
        steps.record_findings(as_inspector(team[0]), check.id, None, "现场核查")
    assert early.value.code == "spot_check.findings" and "须先通知" in early.value.message_zh
    with pytest.raises(NotPermitted):  # an inspector not on this check's team
        steps.notify(replace(as_inspector(stranger), basis=Basis("铜民抽通〔2026〕5号")), check.id, None)
    with pytest.raises(InvalidValue) as unnumbered:
        steps.notify(as_inspector(team[0]), check.id, None)
    assert unnumbered.value.code == "basis.required"
    notice = replace(as_inspector(team[0]), basis=Basis("铜民抽通〔2026〕5号"))
    check = steps.notify(notice, check.id, check.version)
    assert (check.stage, check.notice_no, check.notified_on) == (Stage.NOTIFIED, "铜民抽通〔2026〕5号", date(2026, 5, 20))

    check = steps.add_material(as_org(d.complained), check.id, None, "2025年度财务报表", "")
    with pytest.raises(NotPermitted):
        steps.add_material(as_org(d.late[0]), check.id, None, "别家的材料", "")
    check = steps.add_material(as_inspector(team[1]), check.id, None, "现场照片", "办公场所与登记住所一致")
    assert [m.source for m in check.materials] == [MaterialSource.ORGANIZATION, MaterialSource.INSPECTOR]
    with pytest.raises(InvalidTransition) as too_soon:
        steps.conclude(DRAW, check.id, None, Conclusion.NO_PROBLEMS, "未发现问题")
    assert too_soon.value.code == "spot_check.conclude" and "record the on-site findings" in too_soon.value.message_en
    check = steps.record_findings(as_inspector(team[0]), check.id, None, "会计账簿与年报收入不符")
    with pytest.raises(NotPermitted):  # the conclusion is the registry's decision
        steps.conclude(as_inspector(team[0]), check.id, None, Conclusion.NO_PROBLEMS, "未发现问题")
    decision = replace(DRAW, basis=Basis("铜民抽结〔2026〕7号"))
    check = steps.conclude(decision, check.id, None, Conclusion.RECTIFICATION_ORDERED, "限期补正会计账簿", date(2026, 7, 31))
    assert (check.stage, check.decision_no, check.concluded_on) == (Stage.CONCLUDED, "铜民抽结〔2026〕7号", date(2026, 5, 20))
    check = steps.confirm_rectification(REGISTRAR, check.id, None, "已补正")
    assert check.stage is Stage.RECTIFIED
    with pytest.raises(InvalidTransition) as twice:
        steps.confirm_rectification(REGISTRAR, check.id, None, "")
    assert "整改已经确认" in twice.value.message_zh

    [concluded] = steps.conclusions_of(d.complained)
    assert (concluded.year, concluded.conclusion) == (2026, Conclusion.RECTIFICATION_ORDERED)
    org = system.organizations.organization(d.complained)
    facts = system.evaluations._facts(org, date(2026, 5, 20))
    assert facts.spot_check_conclusions == ((2026, "rectification_ordered"),)  # for a rule that names it
    assert [e.event_type for e in steps.history(check.id)][-1] == "RectificationConfirmed"


def test_a_complaint_on_file_puts_the_organization_in_the_complained_group_unless_turned_away(system, clock) -> None:
    from application.context import CommandContext
    from application.queries.complaints import ComplaintQuery
    from domain.complaints import Triage
    from domain.provenance import Actor, Role

    d = division(system, clock)
    public = CommandContext(Actor("public", Role.PUBLIC), "req-public")
    system.complaints.file(public, d.ordinary[1], "张某", "138-0000-0000", "以协会名义违规收费", address="10.0.0.9")
    system.complaints.file(public, d.ordinary[2], "李某", "139-0000-0000", "邻里纠纷", address="10.0.0.10")
    turned_away = next(r for r in system.complaints.search(ComplaintQuery()).items if r.organization_id == d.ordinary[2])
    system.complaints.triage(REGISTRAR, turned_away.id, None, Triage.NOT_ACCEPTED, "不属于登记管理机关职责")

    preview = system.spot_checks.preview(2026, "3407")
    groups = {c.organization_id: c.groups for c in preview.candidates.organizations}
    assert groups[d.ordinary[1]] == ("complained", "ordinary")  # received, not yet triaged: it counts
    assert groups[d.ordinary[2]] == ("ordinary",)  # 不予受理: it does not
    assert preview.groups["complained"] == 1 and preview.quotas["complained"] == 1
    made, _checks = system.spot_checks.draw(DRAW, 2026, "3407")
    assert {s.organization_id: s.group for s in made.selection}[d.ordinary[1]] == "complained"


def test_the_draws_and_each_inspectors_open_checks_are_listed_from_the_read_model(system, clock) -> None:
    d = division(system, clock)
    made, checks = system.spot_checks.draw(DRAW, 2026, "3407", [d.complained])
    [row] = system.spot_checks.draws()
    assert (row.id, row.year, row.division_prefix, row.selected) == (made.id, 2026, "3407", len(checks))
    assert system.spot_checks.draws(2025) == []

    for n in (1, 2, 3, 4):  # each inspector's worklist holds exactly the checks on their team
        mine = system.spot_checks.checks(SpotCheckQuery(inspector=f"inspector-user-{n}", open_only=True, per_page=200))
        expected = {c.id for c in checks if any(i.user_id == f"inspector-user-{n}" for i in c.inspectors)}
        assert {r.id for r in mine.items} == expected and mine.total == len(expected)
    assert system.spot_checks.checks(SpotCheckQuery(inspector="inspector-user-")).total == 0  # a whole id, not a prefix

    first = checks[0]
    member = next(int(i.user_id.rsplit("-", 1)[1]) for i in first.inspectors)
    steps = system.spot_checks
    steps.notify(replace(as_inspector(member), basis=Basis("铜民抽通〔2026〕9号")), first.id, None)
    steps.record_findings(as_inspector(member), first.id, None, "未见异常")
    steps.conclude(replace(DRAW, basis=Basis("铜民抽结〔2026〕9号")), first.id, None, Conclusion.NO_PROBLEMS, "未发现问题")
    still_open = steps.checks(SpotCheckQuery(inspector=f"inspector-user-{member}", open_only=True, per_page=200))
    assert first.id not in {r.id for r in still_open.items}
    every = steps.checks(SpotCheckQuery(year=2026, per_page=200))
    assert every.total == len(checks) and every.items[-1].id == first.id  # the concluded last
    assert (every.items[-1].stage, every.items[-1].conclusion) == ("concluded", "no_problems")
    assert every.items[-1].version == steps.spot_check(first.id).version
