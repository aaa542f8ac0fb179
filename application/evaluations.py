"""Evaluation use cases: open a case, check eligibility, draw a panel, score, compute,
announce, appeal, finalize (→ the organization's grade). Shares the one event store,
so a finalized case and the grade it awards are saved in one transaction."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from application import rights
from application.aggregate_cache import replay
from application.certificates import certify_grade
from application.context import CommandContext
from application.documents import accept
from application.errors import NotFound, NotPermitted, StaleVersion
from application.ports import DocumentStore, DocumentUpload
from application.reminders.notices import notice, registrars
from application.rights import authorize
from application.usecases import UseCases
from domain.base import LedgerAggregate
from domain.credit import CreditRecord
from domain.documents import Attached, DocumentRef, find, slot
from domain.drafts import TypedSheet, ValidPart, valid_part
from domain.errors import InvalidTransition, InvalidValue
from domain.evaluation import (
    Evaluation,
    EvaluationKind,
    PanelMember,
    RecusalGround,
    ScoreChange,
    Stage,
    SubjectFacts,
    eligibility_bars,
    outliers,
    result_bands,
)
from domain.expert import ConflictOfInterest, Employment, Expert, Relation, SubjectTies, conflicts_of_interest
from domain.funding import Project
from domain.organization import Organization
from domain.periods import Deadline, Period, Weekdays, WorkingDays
from domain.provenance import Provenance, Role
from domain.reminder import Reminder
from domain.rules import RuleSet, grade_at_least, grade_validity
from domain.scoring import IndicatorScore, Sheet, compute
from domain.spot_check import SpotCheck, spot_check_id


@dataclass(frozen=True)
class SheetChangeNotice:
    """For the chair: a submitted sheet changed after it was reopened — who, when, what."""

    expert_id: UUID
    expert_name: str
    at: datetime
    old_total: Decimal
    new_total: Decimal
    changes: tuple[ScoreChange, ...]


EVALUATION_SLOTS = {"self_assessment": ("self_assessment",), "indicator": ("supporting",), "appeal": ("appeal_grounds",)}
# who reads a case's documents, and the relation they need to it (reads are not in the rights table, which holds changes)
DOCUMENT_READERS = {
    Role.ADMIN: rights.Relation.ANY,
    Role.REGISTRAR: rights.Relation.ANY,
    Role.AUDITOR: rights.Relation.ANY,
    Role.ORGANIZATION: rights.Relation.OWN,
    Role.CHAIR: rights.Relation.CHAIR,
    Role.EVALUATOR: rights.Relation.MEMBER,
}


@dataclass(frozen=True)
class Sight:
    """What one reader sees of a case's scores: every sheet (None) or only these members' own,
    and whether the total, result and aggregation steps."""

    sheets: frozenset[UUID] | None
    result: bool

    def sees(self, expert_id: UUID) -> bool:
        return self.sheets is None or expert_id in self.sheets


# Finalizations racing for a series' numbers: each collision means another one took a number, so
# every round one of them gets through; enough rounds for a registrar's burst of finalizations.
NUMBERING_RETRIES = 30
SEALED_FIELDS = frozenset({"sheet", "scores", "total", "old_total", "new_total", "changes", "drafts", "as_submitted"})


def sealed(data: Any) -> Any:
    """An event's data or an aggregate's state with every score and total replaced by "sealed"."""
    if isinstance(data, dict):
        return {k: ("sealed" if k in SEALED_FIELDS and v not in (None, {}, []) else sealed(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [sealed(v) for v in data]
    return data


WEEKENDS = Weekdays()  # where no official calendar is wired in


class Evaluations(UseCases):
    def __init__(
        self, *args: Any, documents: DocumentStore | None = None, calendar: WorkingDays | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.documents = documents
        self.calendar = calendar  # working days by the official holiday calendar (deadlines shown to people)

    def _period(self, rule_set: RuleSet, period: Period, start: date) -> Deadline:
        """A period of the rule set from a day, in its unit (working days on the official calendar)."""
        return period.due_from(start, self.calendar or WEEKENDS, rule_set.unknown_calendar_years)

    def _appeal_deadline(self, evaluation: Evaluation, rule_set: RuleSet) -> Deadline:
        assert evaluation.appeal_filed_on is not None, "an appealed case has its filing date"
        return self._period(rule_set, rule_set.evaluation.appeal_decision, evaluation.appeal_filed_on)

    def appeal_due(self, evaluation: Evaluation) -> tuple[Deadline, Deadline | None] | None:
        """While an appeal waits: its decision's deadline, and the latest day an extension may reach
        (None where the rule set allows none, or once extended). None when no appeal waits."""
        if evaluation.stage is not Stage.APPEALED:
            return None
        rule_set = self.rule_set_of(evaluation)
        due = self._appeal_deadline(evaluation, rule_set)
        extension = rule_set.evaluation.appeal_extension
        if extension is None or evaluation.appeal_extended_to is not None:
            return due, None
        return due, self._period(rule_set, extension, due.due)

    def extend_appeal_decision(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, until: date, reasons: str
    ) -> Evaluation:
        """延长复核期限: the case's chair or a registrar, once, before the period ends; the appellant is told."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "extend_appeal_decision", evaluation)
        due = self.appeal_due(evaluation)
        if due is None:
            raise InvalidTransition("appeal.none", "没有待决定的复核申请", "No appeal waits for a decision")
        deadline, latest = due
        if latest is None and evaluation.appeal_extended_to is None:
            raise InvalidTransition(
                "appeal.no_extension", "规则不允许延长复核期限", "The rules allow no extension of this period"
            )
        at = self._at(ctx, self.rule_set_of(evaluation))
        evaluation.extend_appeal_decision(until, reasons, self.store.today(), deadline, latest or deadline, at)
        told = self._tell_subject(
            evaluation,
            "appeal_extended",
            at,
            until=until.isoformat(),
            was=deadline.due.isoformat(),
            reasons=reasons.strip()[:200],
        )
        return self._save(evaluation, *told)

    def eligibility_due(self, evaluation: Evaluation) -> Deadline | None:
        """While a case waits for its eligibility check: the last day of the rule set's period for it,
        counted from the day the case was opened (None without a calendar, or once decided)."""
        if self.calendar is None or evaluation.stage is not Stage.OPEN:
            return None
        rule_set = self.rule_set_of(evaluation)
        opened = evaluation.created_on.astimezone(ZoneInfo(rule_set.timezone)).date()
        return rule_set.evaluation.eligibility_check.due_from(opened, self.calendar, rule_set.unknown_calendar_years)

    # -- documents: the self-assessment report, each indicator's supporting material, an appeal's grounds --
    def check_attach(self, ctx: CommandContext, evaluation_id: UUID, subject: str, slot_key: str) -> Evaluation:
        """Asked before an upload's bytes are read: the organization the case is about (or a
        registrar), a slot the subject takes, an indicator of the case's scheme, the stage."""
        evaluation = self.evaluation(evaluation_id)
        self._authorize(ctx, "check_attach", evaluation)
        slot(slot_key, EVALUATION_SLOTS.get(subject.partition(":")[0], ()))
        kind, _, key = subject.partition(":")
        if (
            kind == "indicator"
            and self.rule_set_of(evaluation).evaluation.scheme_for(evaluation.subject_type).indicator(key) is None
        ):
            raise InvalidValue("document.indicator", f"评估指标中没有「{key[:40]}」", f"The scheme has no indicator '{key[:40]}'")
        evaluation.check_can_attach(subject)
        return evaluation

    def attach_document(
        self,
        ctx: CommandContext,
        evaluation_id: UUID,
        subject: str,
        slot_key: str,
        upload: DocumentUpload,
        file_name: str,
    ) -> tuple[Evaluation, DocumentRef]:
        self.check_attach(ctx, evaluation_id, subject, slot_key)
        self._authorize(ctx, "attach_document", self.evaluation(evaluation_id))
        if self.documents is None:
            raise InvalidTransition("document.no_store", "未配置文件存储", "No document store is configured")
        kind = slot(slot_key)
        ref = accept(self.documents, upload, kind.key, file_name, kind.types)

        def attach() -> Evaluation:
            evaluation = self.evaluation(evaluation_id)
            evaluation.attach_document(kind, subject, ref, self._at(ctx))
            return self._save(evaluation)

        return self._retrying(None, attach), ref

    def withdraw_document(
        self,
        ctx: CommandContext,
        evaluation_id: UUID,
        subject: str,
        slot_key: str,
        sha256: str,
        reason: str,
    ) -> Evaluation:
        evaluation = self.evaluation(evaluation_id)
        self._authorize(ctx, "withdraw_document", evaluation)
        evaluation.withdraw_document(slot_key, subject, sha256, reason, self._at(ctx))
        return self._save(evaluation)

    def documents_of(self, ctx: CommandContext, evaluation_id: UUID) -> Evaluation:
        """The case, for reading its documents: staff and auditors, the organization it is about,
        its chair and the (not recused) members of its panel."""
        evaluation = self.evaluation(evaluation_id)
        needed = DOCUMENT_READERS.get(ctx.actor.role)
        if needed is None or (needed is not rights.Relation.ANY and needed not in self.relations(ctx, evaluation)):
            raise NotPermitted(
                "只有被评估组织、本案评估专家和工作人员可以查看评估材料",
                "Only the organization evaluated, this case's evaluators and staff see its documents",
            )
        return evaluation

    def document(self, ctx: CommandContext, evaluation_id: UUID, sha256: str) -> Attached:
        found = find(self.documents_of(ctx, evaluation_id).documents, sha256)
        if found is None:
            raise NotFound("document", sha256)
        return found

    # -- experts -------------------------------------------------------------------
    def enroll_expert(
        self,
        ctx: CommandContext,
        user_id: str,
        name: str,
        field: str,
        affiliation: str,
        employments: tuple[Employment, ...] = (),
    ) -> Expert:
        authorize(ctx, "evaluations.enroll_expert")
        expert = Expert.enroll(
            self.ids.new_id(),
            user_id,
            name,
            field=field,
            affiliation=affiliation,
            employments=employments,
            provenance=self._at(ctx),
        )
        self.store.save(expert)
        return expert

    def expert(self, expert_id: UUID) -> Expert:
        return self._get(expert_id, Expert, "expert")

    def declare_relation(self, ctx: CommandContext, expert_id: UUID, expected: int | None, relation: Relation) -> Expert:
        """An expert declares a tie to an organization (member, director, donor, relative working
        there); staff may record it for them. It counts in every later conflict check."""
        expert = self.expert(expert_id)
        if expected is not None and expert.version != expected:
            raise StaleVersion(expected, expert.version)
        authorize(ctx, "evaluations.declare_relation", {rights.Relation.SELF} if ctx.actor.user_id == expert.user_id else ())
        expert.declare_relation(relation, self._at(ctx))
        return self._save(expert)

    def conflicts(self, evaluation: Evaluation, experts: list[Expert]) -> dict[UUID, list[ConflictOfInterest]]:
        """Each expert's conflicts of interest with the case's subject today (empty: none)."""
        rule_set = self.rule_set_of(evaluation)
        ties, today = self._ties(evaluation), self.store.today()
        years = rule_set.evaluation.recusal_years_after_leaving
        return {e.id: conflicts_of_interest(e, ties, today, years) for e in experts}

    def _ties(self, evaluation: Evaluation) -> SubjectTies:
        """The organization a case is about (a project's applicant) and its hub."""
        org = self._find(self.subject_organization(evaluation))
        if not isinstance(org, Organization):
            return SubjectTies(evaluation.subject_id, str(evaluation.subject_id))
        hub = self._find(org.hub_id) if org.hub_id else None
        return SubjectTies(org.id, org.name, org.hub_id, hub.name if isinstance(hub, Organization) else None)

    # -- opening and eligibility -------------------------------------------------------
    def open_grade_evaluation(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        scoring_deadline: date,
        chair_user_id: str,
        evaluation_id: UUID | None = None,
    ) -> Evaluation:
        authorize(ctx, "evaluations.open_grade_evaluation")
        org = self._organization(organization_id)
        rule_set = self.rules.for_division(org.profile.division_code, self.store.today(org.profile.division_code))
        scheme = rule_set.evaluation.scheme_for(org.profile.org_type.value)
        evaluation = Evaluation.open(
            evaluation_id or self.ids.new_id(),
            EvaluationKind.GRADE,
            org.id,
            subject_type=org.profile.org_type.value,
            rule_set=rule_set.ref,
            scheme_id=scheme.id,
            scoring_deadline=scoring_deadline,
            chair_user_id=chair_user_id,
            provenance=self._at(ctx, rule_set),
        )
        self._save(evaluation)
        return evaluation

    def submit_application(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, self_assessment: Decimal | None, statement: str
    ) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "submit_application", evaluation)
        evaluation.submit_application(self_assessment, statement, self._at(ctx))
        return self._save(evaluation)

    def check_eligibility(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None = None) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "check_eligibility", evaluation)
        rule_set = self.rule_set_of(evaluation)
        org = self._organization(evaluation.subject_id)
        today = self.store.today(org.profile.division_code)
        facts = self._facts(org, today)
        evaluation.record_eligibility(tuple(eligibility_bars(rule_set.grades, facts, today)), self._at(ctx, rule_set))
        return self._save(evaluation)

    def _facts(self, org: Organization, today: date) -> SubjectFacts:
        """The subject's history as eligibility sees it: the latest two concluded inspections, penalties, lists."""
        outcomes = []
        for year in range(today.year - 1, today.year - 4, -1):
            inspection = self._inspection_of(org.id, year)
            if inspection is not None and inspection.outcome is not None:
                outcomes.append((year, inspection.outcome.value))
        record = self._credit_record_of(org.id)
        penalties = tuple(p.decided_on for p in record.penalties) if record is not None else ()
        return SubjectFacts(
            registered_on=org.registered_on,
            track=org.track.value,
            status=org.status.value,
            grade=org.grade,
            grade_valid_until=org.grade_valid_until,
            grade_lost_on=org.grade_lost_on,
            inspection_outcomes=tuple(outcomes),
            penalty_dates=penalties,
            credit_status=record.status if isinstance(record, CreditRecord) else "none",
            under_investigation=org.under_investigation_on(today),
            spot_check_conclusions=tuple(
                (year, check.conclusion.value)
                for year in range(today.year, today.year - 4, -1)
                if isinstance(check := self._find(spot_check_id(org.id, year)), SpotCheck) and check.conclusion is not None
            ),
        )

    # -- panel ---------------------------------------------------------------------------
    def assign_panel(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, expert_ids: list[UUID]) -> Evaluation:
        """A named panel: refused, naming the conflict, if any expert has one."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "assign_panel", evaluation)
        return self._assign(ctx, evaluation, [self.expert(e) for e in expert_ids], None)

    def draw_panel(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, pool: list[UUID], size: int, seed: int
    ) -> Evaluation:
        """A random draw from the pool's experts without a conflict; the seed is recorded, so
        `random.Random(seed).sample(sorted conflict-free pool, size)` replays it."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "draw_panel", evaluation)
        experts = [self.expert(x) for x in set(pool)]
        conflicts = self.conflicts(evaluation, experts)
        eligible = sorted((e for e in experts if not conflicts[e.id]), key=lambda e: str(e.id))
        if size > len(eligible):
            raise InvalidValue(
                "panel.pool_too_small",
                f"无利益冲突的专家只有{len(eligible)}人",
                f"Only {len(eligible)} experts in the pool have no conflict",
                eligible=len(eligible),
                conflicted=len(experts) - len(eligible),
            )
        return self._assign(ctx, evaluation, random.Random(seed).sample(eligible, size), seed)

    def _assign(self, ctx: CommandContext, evaluation: Evaluation, experts: list[Expert], seed: int | None) -> Evaluation:
        rule_set = self.rule_set_of(evaluation)
        members = tuple(PanelMember(e.id, e.user_id, e.name) for e in experts)
        found = [c for cs in self.conflicts(evaluation, experts).values() for c in cs]
        evaluation.assign_panel(members, found, rule_set.evaluation.min_panel_size, seed, self._at(ctx, rule_set))
        return self._save(evaluation)

    def replace_member(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, expert_id: UUID, replacement_id: UUID, reason: str
    ) -> Evaluation:
        """The chair replaces a recused, withdrawn or non-responsive member from the pool before
        computation; the replacement is checked for conflicts like any member."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "replace_member", evaluation)
        replacement = self.expert(replacement_id)
        member = PanelMember(replacement.id, replacement.user_id, replacement.name)
        found = self.conflicts(evaluation, [replacement])[replacement.id]
        evaluation.replace_member(expert_id, member, found, reason, self._at(ctx))
        return self._save(evaluation)

    # -- recusal ---------------------------------------------------------------------------
    def declare_conflict(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, expert_id: UUID, note: str
    ) -> Evaluation:
        """An expert declares their own conflict and leaves the panel (ground: declared)."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "declare_conflict", evaluation, expert_id)
        evaluation.recuse(expert_id, RecusalGround.DECLARED, note, self._at(ctx))
        return self._save(evaluation)

    def force_recusal(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, expert_id: UUID, grounds: str
    ) -> Evaluation:
        """The case's chair or a registrar removes a member, stating the grounds (ground: forced)."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "force_recusal", evaluation)
        evaluation.recuse(expert_id, RecusalGround.FORCED, grounds, self._at(ctx))
        return self._save(evaluation)

    def request_recusal(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, expert_id: UUID, reasons: str
    ) -> Evaluation:
        """The organization asks for a member's recusal; the member stays until the request is granted."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "request_recusal", evaluation)
        evaluation.request_recusal(expert_id, reasons, self._at(ctx))
        return self._save(evaluation)

    def decide_recusal_request(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, expert_id: UUID, granted: bool, reasons: str
    ) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "decide_recusal_request", evaluation)
        evaluation.decide_recusal_request(expert_id, granted, reasons, self._at(ctx))
        return self._save(evaluation)

    # -- score sheets ---------------------------------------------------------------------
    def save_draft(
        self,
        ctx: CommandContext,
        evaluation_id: UUID,
        expected: int | None,
        scores: tuple[IndicatorScore, ...],
        bonus: Decimal = Decimal(0),
    ) -> Evaluation:
        return self._retrying(expected, lambda: self._save_draft(ctx, evaluation_id, expected, scores, bonus))

    def _save_draft(
        self,
        ctx: CommandContext,
        evaluation_id: UUID,
        expected: int | None,
        scores: tuple[IndicatorScore, ...],
        bonus: Decimal,
    ) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "save_draft", evaluation)
        rules = self.rule_set_of(evaluation).evaluation
        scheme = rules.scheme_for(evaluation.subject_type)
        evaluation.save_draft(self._my_seat(ctx, evaluation), scores, bonus, scheme, rules.score_decimals, self._at(ctx))
        return self._save(evaluation)

    def save_typed_draft(self, ctx: CommandContext, evaluation_id: UUID, typed: TypedSheet) -> tuple[Evaluation, ValidPart]:
        """The score form's save: what the member typed that the scheme accepts is saved, a refused
        field keeps its last saved value, and the refusals come back for the form to show."""
        return self._retrying(None, lambda: self._save_typed_draft(ctx, evaluation_id, typed))

    def _save_typed_draft(self, ctx: CommandContext, evaluation_id: UUID, typed: TypedSheet) -> tuple[Evaluation, ValidPart]:
        evaluation = self.evaluation(evaluation_id)
        self._authorize(ctx, "save_typed_draft", evaluation)
        rules = self.rule_set_of(evaluation).evaluation
        scheme = rules.scheme_for(evaluation.subject_type)
        seat = self._my_seat(ctx, evaluation)
        part = valid_part(typed, scheme, rules.score_decimals, evaluation.drafts.get(seat))
        evaluation.save_draft(seat, part.scores, part.bonus, scheme, rules.score_decimals, self._at(ctx))
        return self._save(evaluation), part

    def submit_sheet(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None) -> Evaluation:
        return self._retrying(expected, lambda: self._submit_sheet(ctx, evaluation_id, expected))

    def _submit_sheet(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "submit_sheet", evaluation)
        scheme = self.rule_set_of(evaluation).evaluation.scheme_for(evaluation.subject_type)
        evaluation.submit_sheet(self._my_seat(ctx, evaluation), scheme, self._at(ctx))
        return self._save(evaluation)

    def reopen_sheet(
        self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, expert_id: UUID, reason: str
    ) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "reopen_sheet", evaluation)
        evaluation.reopen_sheet(expert_id, reason, self._at(ctx))
        return self._save(evaluation)

    def close_scoring(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "close_scoring", evaluation)
        rules = self.rule_set_of(evaluation).evaluation
        active = {m.expert_id for m in evaluation.active_members()}
        has_quorum = rules.has_quorum(len(evaluation.submitted & active), len(active))
        evaluation.close_scoring(has_quorum, rules.min_panel_size, self._at(ctx))
        return self._save(evaluation)

    # -- result -----------------------------------------------------------------------------
    def compute_result(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "compute_result", evaluation)
        rule_set = self.rule_set_of(evaluation)
        computation = self._compute(evaluation, rule_set, evaluation.counted_sheets())
        evaluation.record_result(computation, rule_set.evaluation.min_panel_size, self._at(ctx, rule_set))
        return self._save(evaluation)

    def _compute(self, evaluation: Evaluation, rule_set: RuleSet, sheets: list[Sheet]) -> Any:
        scheme = rule_set.evaluation.scheme_for(evaluation.subject_type)
        return compute(scheme, sheets, rule_set.evaluation, result_bands(rule_set, evaluation.kind))

    def open_announcement(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "open_announcement", evaluation)
        rule_set = self.rule_set_of(evaluation)
        starts = self.store.today()
        at = self._at(ctx, rule_set)
        window = self._period(rule_set, rule_set.evaluation.announcement, starts - timedelta(days=1))  # the first day counts
        evaluation.open_announcement(starts, window.due, at)
        assert evaluation.announcement is not None and evaluation.computation is not None  # just opened, on a computed case
        label = evaluation.computation.label
        told = self._tell_subject(
            evaluation,
            "grade_announced",
            at,
            result_zh=label or "未达等级",
            result_en=label or "no grade",
            total=evaluation.computation.total,
            ends=evaluation.announcement[1],
        )
        return self._save(evaluation, *told)

    def file_appeal(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, grounds: str) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "file_appeal", evaluation)
        at = self._at(ctx)
        evaluation.file_appeal(grounds, self.store.today(), at)
        chair = f"user:{evaluation.chair_user_id}" if evaluation.chair_user_id else registrars()
        rule_set = self.rule_set_of(evaluation)
        assert evaluation.appeal_filed_on is not None, "just filed"
        decide_by = self._period(rule_set, rule_set.evaluation.appeal_decision, evaluation.appeal_filed_on)
        name = self._subject_name(evaluation)
        told = notice(
            "appeal_filed",
            evaluation.id,
            chair,
            f"v{evaluation.version}",
            self.store.today(),
            at,
            name=name,
            grounds=grounds.strip(),
            days=decide_by.span_zh,
            days_en=decide_by.span_en,
            due=decide_by.due.isoformat(),
        )
        return self._save(evaluation, told)

    def decide_appeal(
        self,
        ctx: CommandContext,
        evaluation_id: UUID,
        expected: int | None,
        upheld: bool,
        decision: str,
        revised_sheets: dict[UUID, tuple[IndicatorScore, ...]] | None = None,
    ) -> Evaluation:
        """Upheld: the named members' sheets are replaced by revised scores and the result recomputed;
        a member with a conflict of interest today (e.g. a relation declared since) revises nothing."""
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "decide_appeal", evaluation)
        rule_set = self.rule_set_of(evaluation)
        revised = None
        if upheld:
            rules = rule_set.evaluation
            sheets = evaluation.revised_sheets(
                revised_sheets or {}, rules.scheme_for(evaluation.subject_type), rules.score_decimals
            )
            revised = self._compute(evaluation, rule_set, sheets)
        revising = [self.expert(e) for e in (revised_sheets or {})] if upheld else []
        found = [c for cs in self.conflicts(evaluation, revising).values() for c in cs]
        at = self._at(ctx, rule_set)
        evaluation.decide_appeal(
            upheld,
            decision,
            revised,
            decided_on=self.store.today(),
            decide_by=self._appeal_deadline(evaluation, rule_set),
            provenance=at,
            conflicts=found,
        )
        told = self._tell_subject(
            evaluation,
            "appeal_decided",
            at,
            outcome_zh="得到支持,结果已按修订后的评分重新计算" if upheld else "未获支持,维持原结果",
            outcome_en="upheld and the result recomputed from the revised scores" if upheld else "dismissed; the result stands",
            decision=decision.strip(),
        )
        return self._save(evaluation, *told)

    def finalize(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None) -> Evaluation:
        """The result becomes the organization's grade (GradeAwarded), and a grade of the
        certificate level its numbered certificate, in the same transaction. Another writer
        taking the series' next number at the same time makes this one number again; a case
        somebody else changed stays a stale version."""
        for attempt in range(NUMBERING_RETRIES):
            seen = self.evaluation(evaluation_id, expected).version
            try:
                return self._finalize(ctx, evaluation_id, seen)
            except StaleVersion:
                if attempt == NUMBERING_RETRIES - 1 or self.evaluation(evaluation_id).version != seen:
                    raise
        raise AssertionError("unreachable")

    def _finalize(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "finalize", evaluation)
        rule_set = self.rule_set_of(evaluation)
        at = self._at(ctx, rule_set)
        decided_on = at.effective_day(self.store.today())  # a committee's decision entered later counts from its day
        evaluation.finalize(decided_on, at)
        changed: list[LedgerAggregate] = []
        caused = replace(at, caused_by=f"evaluation:{evaluation.id}")
        if evaluation.kind is EvaluationKind.GRADE and evaluation.result:
            org = self._organization(evaluation.subject_id)
            assert evaluation.announcement is not None
            valid_from, valid_until = grade_validity(rule_set.grades, decided_on, evaluation.announcement[1])
            org.award_grade(
                evaluation.result,
                valid_from,
                valid_until,
                evaluation.id,
                grade_at_least(evaluation.result, rule_set.grades.certificate_from),
                caused,
            )
            changed += [org, *certify_grade(self._find, org, rule_set, decided_on, caused)]
        elif evaluation.kind is not EvaluationKind.GRADE:
            changed.append(self._project_result(evaluation, caused))
        told = self._tell_subject(
            evaluation,
            "grade_decided",
            caused,
            result_zh=evaluation.result or "未达等级",
            result_en=evaluation.result or "no grade",
        )
        return self._save(evaluation, *changed, *told)

    def _subject_name(self, evaluation: Evaluation) -> str:
        if evaluation.kind is EvaluationKind.GRADE:
            return self._organization(evaluation.subject_id).profile.name
        return self._get(evaluation.subject_id, Project, "project").application.title

    def _tell_subject(self, evaluation: Evaluation, kind: str, at: Provenance, **values: Any) -> list[Reminder]:
        """A notice to the organization the case is about (for a project, its applicant)."""
        org_id = self.subject_organization(evaluation)
        return [
            notice(
                kind,
                evaluation.id,
                f"organization:{org_id}",
                f"v{evaluation.version}",
                self.store.today(),
                at,
                name=self._subject_name(evaluation),
                **values,
            )
        ]

    def _project_result(self, evaluation: Evaluation, caused: Provenance) -> Project:
        """A project case's result goes to the project: review score, mid-term pass, closing stars."""
        project = self._get(evaluation.subject_id, Project, "project")
        assert evaluation.computation is not None
        score, label = evaluation.computation.total, evaluation.result
        if evaluation.kind is EvaluationKind.PROJECT_REVIEW:
            project.record_review(score, label is not None, caused)
        elif evaluation.kind is EvaluationKind.MID_TERM:
            project.record_mid_term(label is not None, score, caused)
        else:
            project.rate(int(label) if label else None, score, caused)
        return project

    def subject_organization(self, evaluation: Evaluation) -> UUID:
        """The organization a case is about: the subject itself, or the project's applicant."""
        if evaluation.kind is EvaluationKind.GRADE:
            return evaluation.subject_id
        project = self._find(evaluation.subject_id)
        return project.organization_id if isinstance(project, Project) else evaluation.subject_id

    def withdraw(self, ctx: CommandContext, evaluation_id: UUID, expected: int | None, reason: str) -> Evaluation:
        evaluation = self.evaluation(evaluation_id, expected)
        self._authorize(ctx, "withdraw", evaluation)
        evaluation.withdraw(reason, self._at(ctx))
        return self._save(evaluation)

    # -- queries ----------------------------------------------------------------------------
    def evaluation(self, evaluation_id: UUID, expected: int | None = None) -> Evaluation:
        evaluation = self._get(evaluation_id, Evaluation, "evaluation")
        if expected is not None and evaluation.version != expected:
            raise StaleVersion(expected, evaluation.version)
        return evaluation

    def sheet_changes(self, evaluation: Evaluation) -> list[SheetChangeNotice]:
        """Every submitted sheet changed after a reopening, oldest first (from the case's events)."""
        names = {m.expert_id: m.name for m in evaluation.panel}
        events = list(self.store.events.get(evaluation.id))
        return [
            SheetChangeNotice(e.expert_id, names.get(e.expert_id, ""), e.timestamp, e.old_total, e.new_total, e.changes)
            for e in events
            if isinstance(e, Evaluation.SubmittedSheetChanged)
        ]

    def outliers(self, evaluation: Evaluation) -> dict[UUID, Decimal]:
        """Advisory: the active members whose submitted total lies far from the panel's median
        (the rule set's outlier share of full marks), with the distance; scores are not touched."""
        rules = self.rule_set_of(evaluation).evaluation
        scheme = rules.scheme_for(evaluation.subject_type)
        active = {m.expert_id for m in evaluation.active_members()}
        totals = {e: evaluation.drafts[e].total(scheme) for e in evaluation.submitted & active if e in evaluation.drafts}
        return outliers(totals, rules.outlier_threshold(scheme))

    def history(self, evaluation_id: UUID) -> list[Any]:
        """The case's events; while scores are sealed, the sheets' scores and totals read "sealed"."""
        evaluation = self.evaluation(evaluation_id)
        entries = self.store.history(evaluation_id)
        if self.scores_sealed(evaluation):
            entries = [msgspec.structs.replace(entry, data=sealed(entry.data)) for entry in entries]
        return entries

    def scores_sealed(self, evaluation: Evaluation) -> bool:
        """Before scoring closes (or the rule set's later moment), nobody reads the sheets' records."""
        return not evaluation.disclosed(self.rule_set_of(evaluation).evaluation.sheets_visible_from)

    def sight(self, viewer: CommandContext, evaluation: Evaluation) -> Sight:
        """Sealed scores: until scoring closes a member sees their own sheet and nobody sees another's;
        after that the rule set says from when the panel and officials, and the organization, see what."""
        rules = self.rule_set_of(evaluation).evaluation
        own = frozenset(m.expert_id for m in evaluation.panel if m.user_id == viewer.actor.user_id)
        if viewer.actor.role is Role.ORGANIZATION:
            shown = evaluation.disclosed(rules.organization_sees_result_from)
            return Sight(None if shown else frozenset(), shown)
        if evaluation.disclosed(rules.sheets_visible_from):
            return Sight(None, True)
        return Sight(own, False)

    def recompute(self, evaluation_id: UUID) -> tuple[Any, Any]:
        """(stored computation, recomputation from the stored sheets and the case's own rule set). The
        case is replayed from every stored event, never taken from the cache or a snapshot: an
        auditor's recomputation reads what the log holds now."""
        events = list(self.store.events.get(evaluation_id))
        evaluation = replay(None, events) if events else self.evaluation(evaluation_id)
        if evaluation.computation is None:
            raise InvalidValue("evaluation.no_result", "该评估尚无结果", "The evaluation has no result yet")
        appeal = next((e for e in reversed(events) if isinstance(e, Evaluation.AppealDecided) and e.revised), None)
        if appeal is not None:
            return evaluation.computation, appeal.revised  # an upheld appeal's revision is its own record
        computed = next(e for e in events if isinstance(e, Evaluation.ResultComputed))
        return computed.computation, self._compute(evaluation, self.rule_set_of(evaluation), evaluation.counted_sheets())

    # -- helpers ------------------------------------------------------------------------------
    def rule_set_of(self, evaluation: Evaluation) -> RuleSet:
        """The rule-set version fixed when the case was opened, whatever came into force since."""
        return self.rules.get(evaluation.rule_set.id, evaluation.rule_set.version)

    def _my_seat(self, ctx: CommandContext, evaluation: Evaluation) -> UUID:
        """The actor's seat on the panel; whether it still counts (not recused, not replaced) is the case's to say."""
        seat = next((m.expert_id for m in evaluation.panel if m.user_id == ctx.actor.user_id), None)
        if seat is None:
            raise NotPermitted("您不在该评估的专家组中", "You are not on this evaluation's panel")
        return seat

    def relations(self, ctx: CommandContext, evaluation: Evaluation, expert_id: UUID | None = None) -> set[rights.Relation]:
        """How the actor stands to this case: its chair, a member of its panel, the expert the
        command names, the organization it is about."""
        me = ctx.actor.user_id
        holds = set()
        if me == evaluation.chair_user_id:
            holds.add(rights.Relation.CHAIR)
        if any(m.user_id == me for m in evaluation.active_members()):
            holds.add(rights.Relation.MEMBER)
        if expert_id is not None and any(m.expert_id == expert_id and m.user_id == me for m in evaluation.panel):
            holds.add(rights.Relation.SELF)
        if ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization == self.subject_organization(evaluation):
            holds.add(rights.Relation.OWN)
        return holds

    def _authorize(self, ctx: CommandContext, command: str, evaluation: Evaluation, expert_id: UUID | None = None) -> None:
        authorize(ctx, f"evaluations.{command}", self.relations(ctx, evaluation, expert_id))
