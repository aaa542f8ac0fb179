"""A whole grade evaluation on SQLite and PostgreSQL: opening, eligibility, a panel refused
for a conflict of interest, score sheets, closing, computation, announcement, an upheld appeal, and the
organization's grade — with every refusal on the way."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from application.context import CommandContext
from application.errors import NotPermitted
from application.evaluations import Evaluations
from application.queries.register import RegisterQuery
from domain.errors import Conflict, InvalidTransition, InvalidValue
from domain.evaluation import Stage
from domain.expert import Employment
from domain.provenance import Actor, Role
from domain.scoring import IndicatorScore
from tests.integration.helpers import REGISTRAR, code, profile

CHAIR = CommandContext(Actor("chair-1", Role.CHAIR), "req-chair")


def as_expert(n: int) -> CommandContext:
    return CommandContext(Actor(f"expert-user-{n}", Role.EVALUATOR), f"req-e{n}")


def scores(evaluations: Evaluations, evaluation, share: str) -> tuple[IndicatorScore, ...]:
    rule_set = evaluations.rule_set_of(evaluation)
    scheme = rule_set.evaluation.scheme_for(evaluation.subject_type)
    return tuple(IndicatorScore(i.key, (i.maximum * Decimal(share)).quantize(Decimal("0.1")), "良好") for i in scheme.indicators)


def case_with_panel(system, desk: Evaluations, members: int):  # type: ignore[no-untyped-def]
    """An eligible organization's grade evaluation with a panel of experts 1…members, scoring."""
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    experts = [desk.enroll_expert(REGISTRAR, f"expert-user-{n}", f"专家{n}", "财务", "高校") for n in range(1, members + 1)]
    evaluation = desk.open_grade_evaluation(REGISTRAR, org.id, date(2026, 6, 30), "chair-1")
    desk.check_eligibility(REGISTRAR, evaluation.id)
    desk.assign_panel(REGISTRAR, evaluation.id, None, [e.id for e in experts])
    return org, experts, evaluation


@pytest.fixture
def desk(system) -> Evaluations:
    return Evaluations(system.store, system.rules, system.clock, system.ids)


def test_a_grade_evaluation_from_opening_to_the_organizations_grade(system, desk, clock) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    org_user = CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org.id)
    experts = [
        desk.enroll_expert(
            REGISTRAR,
            f"expert-user-{n}",
            f"专家{n}",
            "社会工作",
            "安徽大学",
            (Employment(profile().name, org.id, date(2025, 12, 31)),) if n == 4 else (),
        )
        for n in range(1, 5)
    ]
    evaluation = desk.open_grade_evaluation(REGISTRAR, org.id, date(2026, 6, 30), "chair-1")
    assert (evaluation.rule_set.id, evaluation.rule_set.version) == ("anhui", 1)
    desk.submit_application(org_user, evaluation.id, 1, Decimal("930"), "自评报告")
    evaluation = desk.check_eligibility(REGISTRAR, evaluation.id)
    assert evaluation.stage is Stage.ELIGIBLE

    with pytest.raises(Conflict) as refused:  # expert 4 left the organization < 2 years ago
        desk.assign_panel(REGISTRAR, evaluation.id, evaluation.version, [e.id for e in experts])
    assert refused.value.code == "panel.conflict_of_interest" and "专家4于2025-12-31离开" in refused.value.message_zh
    evaluation = desk.assign_panel(REGISTRAR, evaluation.id, evaluation.version, [e.id for e in experts[:3]])
    with pytest.raises(NotPermitted):
        desk.save_draft(as_expert(4), evaluation.id, None, scores(desk, evaluation, "0.9"))

    with pytest.raises(InvalidValue) as caught:
        desk.save_draft(as_expert(1), evaluation.id, None, (IndicatorScore("basic.legal_status", Decimal(99)),))
    assert caught.value.code == "score.out_of_range"
    with pytest.raises(InvalidValue):
        desk.submit_sheet(as_expert(1), evaluation.id, None)  # nothing drafted yet
    for n, share in ((1, "0.96"), (2, "0.90"), (3, "0.93")):
        desk.save_draft(as_expert(n), evaluation.id, None, scores(desk, evaluation, share))
        desk.submit_sheet(as_expert(n), evaluation.id, None)
    with pytest.raises(InvalidTransition):
        desk.save_draft(as_expert(1), evaluation.id, None, scores(desk, evaluation, "0.5"))  # locked once submitted
    with pytest.raises(NotPermitted):
        desk.close_scoring(as_expert(1), evaluation.id, None)  # only the chair closes

    desk.close_scoring(CHAIR, evaluation.id, None)
    evaluation = desk.compute_result(CHAIR, evaluation.id, None)
    assert evaluation.computation.total == Decimal("930.0") and evaluation.computation.label == "4A"
    evaluation = desk.open_announcement(CHAIR, evaluation.id, None)
    starts, ends = evaluation.announcement
    assert (ends - starts).days == 6

    desk.file_appeal(org_user, evaluation.id, None, "基础条件评分偏低")
    revised = {experts[1].id: scores(desk, evaluation, "0.96")}
    evaluation = desk.decide_appeal(CHAIR, evaluation.id, None, True, "复核支持,修订专家2评分", revised)
    assert evaluation.computation.total == Decimal("950.0") and evaluation.computation.label == "5A"

    with pytest.raises(InvalidTransition, match="announcement"):  # a decided appeal does not cut the period short
        desk.finalize(CHAIR, evaluation.id, None)
    clock.advance(days=7)  # the day after the announcement ended
    evaluation = desk.finalize(CHAIR, evaluation.id, None)
    graded = system.organizations.organization(org.id)
    assert (graded.grade, graded.grade_valid_from, graded.grade_valid_until) == ("5A", date(2026, 5, 27), date(2031, 5, 26))
    award, certificate = system.organizations.history(org.id)[-2:]
    assert award.event_type == "GradeAwarded" and award.caused_by == f"evaluation:{evaluation.id}"
    assert certificate.event_type == "CertificateIssued" and certificate.data["certificate"]["number"] == "340000-2026-0001"
    assert award.rule_set == "anhui@1" and award.data["certificate"] is True
    entry = system.register_view.search(RegisterQuery(text=profile().name)).items[0]
    assert (entry.grade, entry.grade_valid_until) == ("5A", date(2031, 5, 26))

    stored, again = desk.recompute(evaluation.id)
    assert stored == again


def test_a_young_organization_is_barred_with_the_reason(system, desk) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2025, 9, 1))
    evaluation = desk.open_grade_evaluation(REGISTRAR, org.id, date(2026, 6, 30), "chair-1")
    evaluation = desk.check_eligibility(REGISTRAR, evaluation.id)
    assert evaluation.stage is Stage.BARRED and evaluation.bars == ("registered_less_than_2_years",)
    with pytest.raises(InvalidTransition):
        desk.assign_panel(REGISTRAR, evaluation.id, None, [])


def test_the_chair_closes_with_quorum_and_no_sheet_is_accepted_after(system, desk) -> None:
    _org, _experts, evaluation = case_with_panel(system, desk, 3)
    desk.save_draft(as_expert(1), evaluation.id, None, scores(desk, evaluation, "0.9"))
    desk.submit_sheet(as_expert(1), evaluation.id, None)
    with pytest.raises(InvalidTransition) as caught:
        desk.close_scoring(CHAIR, evaluation.id, None)  # 1 of 3 < 2/3
    assert caught.value.code == "scoring.no_quorum"
    desk.save_draft(as_expert(2), evaluation.id, None, scores(desk, evaluation, "0.8"))
    desk.submit_sheet(as_expert(2), evaluation.id, None)
    desk.save_draft(as_expert(3), evaluation.id, None, scores(desk, evaluation, "0.7"))
    evaluation = desk.close_scoring(CHAIR, evaluation.id, None)  # 2 of 3 is the quorum
    assert evaluation.stage is Stage.SCORING_CLOSED and len(evaluation.counted_sheets()) == 2
    with pytest.raises(InvalidTransition):
        desk.submit_sheet(as_expert(3), evaluation.id, None)


def test_a_random_draw_is_replayable_from_its_seed(system, desk) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    pool = [desk.enroll_expert(REGISTRAR, f"u{n}", f"专家{n}", "社会工作", "高校").id for n in range(8)]
    drawn = []
    for _ in range(2):
        evaluation = desk.open_grade_evaluation(REGISTRAR, org.id, date(2026, 6, 30), "chair-1")
        desk.check_eligibility(REGISTRAR, evaluation.id)
        drawn.append([m.expert_id for m in desk.draw_panel(REGISTRAR, evaluation.id, None, pool, 5, seed=20260520).panel])
    assert drawn[0] == drawn[1] and len(set(drawn[0])) == 5


def test_the_cases_read_model_follows_the_case(system, desk) -> None:
    org, experts, evaluation = case_with_panel(system, desk, 3)
    desk.declare_conflict(as_expert(3), evaluation.id, None, experts[2].id, "曾为该组织提供咨询")
    desk.save_draft(as_expert(1), evaluation.id, None, scores(desk, evaluation, "0.9"))
    desk.submit_sheet(as_expert(1), evaluation.id, None)
    [mine] = system.cases.assignments("expert-user-1")
    assert (mine.stage, mine.my_sheet_submitted, mine.subject_name) == ("scoring", True, profile().name)
    assert system.cases.assignments("expert-user-3") == []  # recused: the case is gone from their list
    members = {m.name: m for m in system.cases.members(evaluation.id)}
    assert members["专家3"].recused == "declared" and members["专家1"].submitted
    assert [c.id for c in system.cases.cases(chair_user_id="chair-1")] == [evaluation.id]
    assert len(system.cases.experts()) == 3
    rows = system.cases.cases(subject_id=org.id)
    system.cases.rebuild()
    assert system.cases.cases(subject_id=org.id) == rows


def test_sheets_racing_the_chairs_closing_are_either_counted_or_refused(system, desk) -> None:
    """Two evaluators submit while the chair closes with quorum: no sheet is lost, none is
    accepted after closing, and the closing counts exactly the sheets submitted before it."""
    import threading

    from application.errors import StaleVersion

    _org, _experts, evaluation = case_with_panel(system, desk, 5)
    for n in range(1, 6):
        desk.save_draft(as_expert(n), evaluation.id, None, scores(desk, evaluation, "0.9"))
    for n in range(1, 4):
        desk.submit_sheet(as_expert(n), evaluation.id, None)  # 3 of 5 = quorum already
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(3)

    def run(name: str, command) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            command()
            outcomes[name] = "ok"
        except (InvalidTransition, StaleVersion) as e:
            outcomes[name] = type(e).__name__

    threads = [
        threading.Thread(target=run, args=("e4", lambda: desk.submit_sheet(as_expert(4), evaluation.id, None))),
        threading.Thread(target=run, args=("e5", lambda: desk.submit_sheet(as_expert(5), evaluation.id, None))),
        threading.Thread(target=run, args=("chair", lambda: desk.close_scoring(CHAIR, evaluation.id, None))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    final = desk.evaluation(evaluation.id)
    events = [type(e).__name__ for e in system.store.events.get(evaluation.id)]
    accepted = {n for n in ("e4", "e5") if outcomes[n] == "ok"}
    closing = events.index("ScoringClosed") if "ScoringClosed" in events else None
    if outcomes["chair"] == "ok":
        assert final.stage is Stage.SCORING_CLOSED
        # every accepted sheet was recorded before the closing, and is counted
        assert events.count("SheetSubmitted") == 3 + len(accepted)
        assert closing is not None and events[closing + 1 :].count("SheetSubmitted") == 0
        assert len(final.counted_sheets()) == 3 + len(accepted)
    else:
        assert final.stage is Stage.SCORING and accepted == {"e4", "e5"}
    assert all(v in {"ok", "InvalidTransition", "StaleVersion"} for v in outcomes.values())


def test_findings_lower_or_revoke_the_grade_and_bar_reapplying(system, desk, clock) -> None:
    from domain.evaluation import SubjectFacts, eligibility_bars

    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    evaluation = desk.open_grade_evaluation(REGISTRAR, org.id, date(2026, 6, 30), "chair-1")
    rule_set = desk.rule_set_of(evaluation)
    org_now = system.organizations.organization(org.id)
    org_now.award_grade("4A", date(2026, 1, 1), date(2030, 12, 31), evaluation.id, True, REGISTRAR.provenance(clock.now()))
    system.store.save(org_now)

    lowered = system.organizations.apply_grade_finding(REGISTRAR, org.id, None, "inspection_failed")
    assert lowered.grade == "3A"
    last = system.organizations.history(org.id)[-1]
    assert (last.event_type, last.data["finding"], last.data["previous"], last.rule_set) == (
        "GradeLowered",
        "inspection_failed",
        "4A",
        "anhui@1",
    )
    revoked = system.organizations.apply_grade_finding(REGISTRAR, org.id, None, "evaluation_fraud")
    assert revoked.grade is None and system.register_view.get(org.id).grade is None
    with pytest.raises(InvalidTransition):
        system.organizations.apply_grade_finding(REGISTRAR, org.id, None, "penalty")  # nothing left to lower
    with pytest.raises(InvalidValue):
        system.organizations.apply_grade_finding(REGISTRAR, org.id, None, "bad_weather")

    facts = SubjectFacts(
        registered_on=date(2015, 6, 1),
        track="registered",
        status="active",
        grade=None,
        grade_valid_until=None,
        grade_lost_on=revoked.grade_lost_on,
    )
    assert eligibility_bars(rule_set.grades, facts, date(2027, 5, 1)) == ["grade_lost_within_2_years"]
    assert eligibility_bars(rule_set.grades, facts, date(2028, 6, 1)) == []


def test_a_grade_expires_after_its_validity(system, clock) -> None:
    import uuid

    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    graded = system.organizations.organization(org.id)
    graded.award_grade("3A", date(2021, 5, 1), date(2026, 4, 30), uuid.uuid4(), True, REGISTRAR.provenance(clock.now()))
    system.store.save(graded)
    expired = system.organizations.expire_grade(REGISTRAR, org.id)  # the clock says 2026-05-20
    assert expired.grade is None and system.organizations.history(org.id)[-1].event_type == "GradeExpired"
    with pytest.raises(InvalidTransition):
        system.organizations.expire_grade(REGISTRAR, org.id)


def test_audit_recompute_finds_every_result_and_a_tampered_one(system, desk, clock) -> None:
    from application.explanations import recheck_all

    _org, _experts, evaluation = case_with_panel(system, desk, 3)
    for n in (1, 2, 3):
        desk.save_draft(as_expert(n), evaluation.id, None, scores(desk, evaluation, "0.9"))
        desk.submit_sheet(as_expert(n), evaluation.id, None)
    desk.close_scoring(CHAIR, evaluation.id, None)
    desk.compute_result(CHAIR, evaluation.id, None)
    checks = recheck_all(desk, [c.id for c in system.cases.cases()])
    assert [(c.evaluation_id, c.matches) for c in checks] == [(evaluation.id, True)]
    # a stored draft edited in the database: the recomputation no longer matches the stored result
    table = system.store.recorder.events_table_name
    nid = "notification_id" if system.backend == "postgres" else "rowid"
    with system.database.transaction(write=True) as tx:
        row = tx.execute(f"SELECT {nid} AS n, state FROM {table} WHERE topic LIKE ? ORDER BY {nid}", ("%SheetDrafted",)).one()
        state = bytes(row["state"])
        edited = re.sub(rb'"points":"[0-9.]+"', b'"points":"0"', state, count=1)
        assert edited != state
        tx.execute(f"UPDATE {table} SET state = ? WHERE {nid} = ?", (edited, row["n"]))
    checks = recheck_all(desk, [c.id for c in system.cases.cases()])
    assert [c.matches for c in checks] == [False]
    assert system.integrity.verify().problem.startswith(f"event #{row['n']} ")  # the chain names the edited event


def test_a_sheet_submitted_before_a_recusal_is_kept_and_excluded_with_its_reason(system, desk) -> None:
    from application.explanations import explain

    _org, experts, evaluation = case_with_panel(system, desk, 4)
    for n, share in ((1, "0.5"), (2, "0.9"), (3, "0.9"), (4, "0.9")):
        desk.save_draft(as_expert(n), evaluation.id, None, scores(desk, evaluation, share))
        desk.submit_sheet(as_expert(n), evaluation.id, None)
    with pytest.raises(NotPermitted):  # a fellow member may not remove them
        desk.force_recusal(as_expert(2), evaluation.id, None, experts[0].id, "分数太低")
    desk.force_recusal(CHAIR, evaluation.id, None, experts[0].id, "经查与被评估组织存在利益关系")
    desk.close_scoring(CHAIR, evaluation.id, None)
    evaluation = desk.compute_result(CHAIR, evaluation.id, None)
    x = explain(desk, evaluation.id, True, desk.sight(CHAIR, evaluation))
    kept = {s.evaluator: s for s in x.sheets}
    assert set(kept) == {"专家1", "专家2", "专家3", "专家4"}
    assert (kept["专家1"].counted, kept["专家1"].excluded, kept["专家1"].excluded_note) == (
        False,
        "forced",
        "经查与被评估组织存在利益关系",
    )
    assert all(kept[f"专家{n}"].counted and kept[f"专家{n}"].excluded is None for n in (2, 3, 4))
    assert len(x.steps[-1].values) == 3 and x.recomputation is not None and x.recomputation.matches
    assert [e.event_type for e in desk.history(evaluation.id)].count("SheetSubmitted") == 4  # still in the history
