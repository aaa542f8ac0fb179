"""Funding rounds (公益创投, 政府购买服务) and the projects they fund.

A round holds the budget: every award is committed on the round in the same transaction
as on the project, so two concurrent awards cannot together over-commit it (the second
save collides on the round's version and is decided again against the new total).
A project goes from application through eligibility, review (an Evaluation of kind
project review), award, agreement, tranches, milestone reports, mid-term and closing
evaluations to its star rating, or is terminated. Money is Decimal CNY, never float."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import ClassVar, cast
from uuid import UUID

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.documents import Attached, DocumentRef, Slot, current, replaced_by, with_attached, with_withdrawn
from domain.errors import InvalidTransition, InvalidValue
from domain.inspection import Extension
from domain.provenance import Provenance, RuleSetRef
from domain.rules import GRADE_ORDER, FundingRules, TrancheCondition, deciding_rule_set, grade_at_least
from domain.values import MONEY_LIMIT, decimals

FEN = Decimal("0.01")


def checked_amount(value: Decimal, code: str, zh: str, en: str) -> Decimal:
    """A positive CNY amount with at most two decimals (fen)."""
    if not value.is_finite() or value <= 0:
        raise InvalidValue(f"{code}.not_positive", f"{zh}须大于零", f"{en} must be above zero")
    if value > MONEY_LIMIT:
        raise InvalidValue(f"{code}.too_large", f"{zh}不能超过一万亿元", f"{en} is at most 1,000,000,000,000 CNY")
    if decimals(value) > 2:
        raise InvalidValue(f"{code}.precision", f"{zh}最多保留两位小数(分)", f"{en} has at most 2 decimals (fen)")
    return value.quantize(FEN)  # every amount is kept to the fen


def _text(value: str, code: str, zh: str, en: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidValue(f"{code}.empty", f"请填写{zh}", f"{en} is required")
    if len(value) > limit:
        raise InvalidValue(f"{code}.too_long", f"{zh}过长(最多{limit}字)", f"{en} is too long (at most {limit} characters)")
    return value


# -- rounds ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoundTerms:
    """The call (申报指南): budget, dates, who may apply, and the cap per project."""

    title: str
    division_prefix: str  # locality: a 2, 4 or 6 digit division-code prefix
    budget: Decimal
    per_project_cap: Decimal
    applications_open: date
    applications_close: date
    project_start: date
    mid_term_due: date  # mid-term report due (中期报告)
    closing_due: date  # closing report due (结项报告)
    min_grade: str | None = None  # e.g. "3A": 3A+ priority for purchase of services
    org_types: tuple[str, ...] = ()  # () = every type
    tracks: tuple[str, ...] = ()  # registered / filed; () = both


def checked_terms(terms: RoundTerms) -> RoundTerms:
    title = _text(terms.title, "round.title", "项目名称", "The title", 200)
    if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", terms.division_prefix):
        raise InvalidValue("round.division", "地区应为2、4或6位行政区划代码", "A locality is a 2, 4 or 6 digit division code")
    budget = checked_amount(terms.budget, "round.budget", "资金总额", "The budget")
    cap = checked_amount(terms.per_project_cap, "round.cap", "单个项目资助上限", "The cap per project")
    if cap > budget:
        raise InvalidValue("round.cap_above_budget", "单个项目上限不能超过资金总额", "The cap per project exceeds the budget")
    dates = (terms.applications_open, terms.applications_close, terms.project_start, terms.mid_term_due, terms.closing_due)
    if list(dates) != sorted(dates) or len(set(dates)) != len(dates):
        raise InvalidValue(
            "round.dates",
            "日期须依次为:开始申报、截止申报、项目启动、中期报告、结项报告",
            "Dates run in order: applications open, close, project start, mid-term report, closing report",
        )
    if terms.min_grade is not None and terms.min_grade not in GRADE_ORDER:
        raise InvalidValue("round.min_grade", "最低等级应为1A至5A", "A minimum grade is 1A to 5A")
    return replace(terms, title=title, budget=budget, per_project_cap=cap)


class FundingRound(LedgerAggregate):
    class Opened(LedgerAggregate.Created):
        terms: RoundTerms
        rule_set: RuleSetRef
        provenance: Provenance

    def __init__(self, terms: RoundTerms, rule_set: RuleSetRef) -> None:
        self.terms = terms
        self.rule_set = rule_set
        self.awards: dict[UUID, Decimal] = {}  # committed, net of releases

    @classmethod
    def open(cls, id: UUID, terms: RoundTerms, provenance: Provenance) -> FundingRound:
        rule_set = deciding_rule_set(provenance)
        return cls._create(cls.Opened, id=id, terms=checked_terms(terms), rule_set=rule_set, provenance=provenance)

    @property
    def committed(self) -> Decimal:
        return sum(self.awards.values(), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        return self.terms.budget - self.committed

    def accepts_applications(self, on: date) -> bool:
        return self.terms.applications_open <= on <= self.terms.applications_close

    def commit_award(self, project_id: UUID, amount: Decimal, provenance: Provenance) -> None:
        if project_id in self.awards:
            raise InvalidTransition("round.already_awarded", "该项目已获资助", "This project is awarded already")
        if amount > self.remaining:
            raise InvalidTransition(
                "round.budget_exceeded",
                f"资金余额不足:剩余{self.remaining}元,本次{amount}元",
                f"Not enough budget left: CNY {self.remaining} remains, this award is CNY {amount}",
                remaining=str(self.remaining),
                amount=str(amount),
            )
        self._award_committed(project_id, amount, self.committed + amount, provenance)

    @event("AwardCommitted")
    def _award_committed(self, project_id: UUID, amount: Decimal, committed_total: Decimal, provenance: Provenance) -> None:
        self.awards[project_id] = amount

    def release_award(self, project_id: UUID, unpaid: Decimal, provenance: Provenance) -> None:
        """A terminated project's unpaid remainder goes back to the round."""
        if project_id in self.awards and unpaid > 0:
            self._award_released(project_id, unpaid, provenance)

    @event("AwardReleased")
    def _award_released(self, project_id: UUID, amount: Decimal, provenance: Provenance) -> None:
        self.awards[project_id] -= amount


# -- projects ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetLine:
    item: str
    amount: Decimal


@dataclass(frozen=True)
class ProjectApplication:
    title: str
    target_group: str  # 服务对象
    plan: str  # 实施方案
    expected_outputs: str  # 预期成效
    budget_lines: tuple[BudgetLine, ...]

    @property
    def requested(self) -> Decimal:
        return sum((line.amount for line in self.budget_lines), Decimal(0))


def checked_application(application: ProjectApplication, cap: Decimal) -> ProjectApplication:
    if not application.budget_lines:
        raise InvalidValue("project.budget_empty", "请至少填写一项预算", "List at least one budget line")
    if len(application.budget_lines) > 50:
        raise InvalidValue("project.budget_lines", "预算最多50项", "At most 50 budget lines")
    lines = tuple(
        BudgetLine(
            _text(line.item, "project.budget_item", "预算科目", "A budget item", 100),
            checked_amount(line.amount, "project.budget_amount", "预算金额", "A budget amount"),
        )
        for line in application.budget_lines
    )
    checked = ProjectApplication(
        _text(application.title, "project.title", "项目名称", "The title", 200),
        _text(application.target_group, "project.target_group", "服务对象", "The target group", 500),
        _text(application.plan, "project.plan", "实施方案", "The plan", 20_000),
        _text(application.expected_outputs, "project.outputs", "预期成效", "The expected outputs", 5_000),
        lines,
    )
    if checked.requested > cap:
        raise InvalidValue(
            "project.above_cap",
            f"申请金额{checked.requested}元超过单个项目上限{cap}元",
            f"The request of CNY {checked.requested} exceeds the cap of CNY {cap} per project",
            requested=str(checked.requested),
            cap=str(cap),
        )
    return checked


class ProjectStage(str, Enum):
    APPLIED = "applied"
    INELIGIBLE = "ineligible"
    ELIGIBLE = "eligible"
    UNDER_REVIEW = "under_review"  # 立项评审
    REVIEWED = "reviewed"
    NOT_FUNDABLE = "not_fundable"  # reviewed below the pass mark
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"
    IN_PROGRESS = "in_progress"  # agreement signed
    RATED = "rated"  # closing evaluation gave its stars
    COMPLETED = "completed"
    TERMINATED = "terminated"


class Milestone(str, Enum):
    MID_TERM = "mid_term"
    CLOSING = "closing"


@dataclass(frozen=True)
class ScheduledTranche:
    share: Decimal
    condition: TrancheCondition
    amount: Decimal


_FINISHED = (
    ProjectStage.INELIGIBLE,
    ProjectStage.NOT_FUNDABLE,
    ProjectStage.NOT_AWARDED,
    ProjectStage.COMPLETED,
    ProjectStage.TERMINATED,
)


class Project(LedgerAggregate):
    DECISIONS: ClassVar[dict[str, tuple[str, str]]] = {
        "MilestoneExtensionGranted": ("准予阶段报告延期", "milestone report extension granted"),
        "MilestoneExtensionRefused": ("不予阶段报告延期", "milestone report extension refused"),
    }
    # 延期 of a milestone report (class defaults: states from before extensions existed)
    extensions = cast("dict[Milestone, Extension]", MappingProxyType({}))  # the request pending or the last decided
    original_due = cast("dict[Milestone, date]", MappingProxyType({}))  # the agreement's day, once an extension moved it

    class Applied(LedgerAggregate.Created):
        round_id: UUID
        organization_id: UUID
        application: ProjectApplication
        requested: Decimal
        provenance: Provenance

    def __init__(self, round_id: UUID, organization_id: UUID, application: ProjectApplication, requested: Decimal) -> None:
        self.round_id = round_id
        self.organization_id = organization_id
        self.application = application
        self.requested = requested
        self.stage = ProjectStage.APPLIED
        self.bars: tuple[str, ...] = ()
        self.review_evaluation_id: UUID | None = None
        self.review_score: Decimal | None = None
        self.awarded: Decimal | None = None
        self.tranches: tuple[ScheduledTranche, ...] = ()
        self.paid: list[date] = []  # payment dates, one per tranche paid, in order
        self.due: dict[Milestone, date] = {}
        self.reports: dict[Milestone, date] = {}
        self.evaluations: dict[str, UUID] = {}  # evaluation kind → case
        self.mid_term_passed: bool | None = None
        self.stars: int | None = None
        self.closing_score: Decimal | None = None
        self.documents: tuple[Attached, ...] = ()  # the application's plan and budget, each milestone's outputs

    @classmethod
    def apply(
        cls,
        id: UUID,
        funding_round: FundingRound,
        organization_id: UUID,
        application: ProjectApplication,
        on: date,
        provenance: Provenance,
    ) -> Project:
        if not funding_round.accepts_applications(on):
            t = funding_round.terms
            raise InvalidTransition(
                "round.not_accepting",
                f"申报时间为{t.applications_open}至{t.applications_close}",
                f"Applications are accepted from {t.applications_open} to {t.applications_close}",
            )
        checked = checked_application(application, funding_round.terms.per_project_cap)
        return cls._create(
            cls.Applied,
            id=id,
            round_id=funding_round.id,
            organization_id=organization_id,
            application=checked,
            requested=checked.requested,
            provenance=provenance,
        )

    # -- guards ---------------------------------------------------------------------------------
    def _require(self, *stages: ProjectStage) -> None:
        if self.stage not in stages:
            raise InvalidTransition(
                "project.wrong_stage",
                f"项目当前处于“{self.stage.value}”阶段,不能办理此事项",
                f"The project is at stage '{self.stage.value}'; this cannot be done now",
                stage=self.stage.value,
                allowed=[s.value for s in stages],
            )

    @property
    def paid_amount(self) -> Decimal:
        return sum((t.amount for t in self.tranches[: len(self.paid)]), Decimal(0))

    @property
    def unpaid_amount(self) -> Decimal:
        return (self.awarded or Decimal(0)) - self.paid_amount

    # -- eligibility and review ---------------------------------------------------------------
    def record_eligibility(self, bars: tuple[str, ...], provenance: Provenance) -> None:
        self._require(ProjectStage.APPLIED)
        self._eligibility_checked(tuple(bars), provenance)

    @event("EligibilityChecked")
    def _eligibility_checked(self, bars: tuple[str, ...], provenance: Provenance) -> None:
        self.bars = bars
        self.stage = ProjectStage.INELIGIBLE if bars else ProjectStage.ELIGIBLE

    def open_evaluation(self, kind: str, evaluation_id: UUID, provenance: Provenance) -> None:
        """Review once eligible; mid-term once the agreement runs; closing after the mid-term."""
        if kind == "project_review":
            self._require(ProjectStage.ELIGIBLE)
        else:
            self._require(ProjectStage.IN_PROGRESS)
            if kind == "closing" and self.mid_term_passed is not True:
                raise InvalidTransition(
                    "project.mid_term_not_passed", "中期评估未通过,不能进行结项评估", "The mid-term evaluation has not passed"
                )
        if kind in self.evaluations:
            raise InvalidTransition("project.evaluation_open", "该评估已开启", "This evaluation is open already")
        self._evaluation_opened(kind, evaluation_id, provenance)

    @event("EvaluationOpened")
    def _evaluation_opened(self, kind: str, evaluation_id: UUID, provenance: Provenance) -> None:
        self.evaluations[kind] = evaluation_id
        if kind == "project_review":
            self.review_evaluation_id = evaluation_id
            self.stage = ProjectStage.UNDER_REVIEW

    def record_review(self, score: Decimal, fundable: bool, provenance: Provenance) -> None:
        self._require(ProjectStage.UNDER_REVIEW)
        self._review_recorded(score, fundable, provenance)

    @event("ReviewRecorded")
    def _review_recorded(self, score: Decimal, fundable: bool, provenance: Provenance) -> None:
        self.review_score = score
        self.stage = ProjectStage.REVIEWED if fundable else ProjectStage.NOT_FUNDABLE

    # -- award and agreement -------------------------------------------------------------------
    def award(
        self, amount: Decimal, tranches: tuple[ScheduledTranche, ...], due: dict[Milestone, date], provenance: Provenance
    ) -> None:
        self._require(ProjectStage.REVIEWED)
        amount = checked_amount(amount, "award.amount", "资助金额", "The award")
        if amount > self.requested:
            raise InvalidValue(
                "award.above_request",
                f"资助金额不能超过申请金额{self.requested}元",
                f"An award cannot exceed the CNY {self.requested} requested",
                requested=str(self.requested),
            )
        self._awarded(amount, tranches, due[Milestone.MID_TERM], due[Milestone.CLOSING], provenance)

    @event("Awarded")
    def _awarded(
        self,
        amount: Decimal,
        tranches: tuple[ScheduledTranche, ...],
        mid_term_due: date,
        closing_due: date,
        provenance: Provenance,
    ) -> None:
        self.awarded = amount
        self.tranches = tranches
        self.due = {Milestone.MID_TERM: mid_term_due, Milestone.CLOSING: closing_due}
        self.stage = ProjectStage.AWARDED

    def decline(self, reason: str, provenance: Provenance) -> None:
        self._require(ProjectStage.REVIEWED)
        self._not_awarded(_text(reason, "award.reason", "不予资助的理由", "A reason", 1000), provenance)

    @event("NotAwarded")
    def _not_awarded(self, reason: str, provenance: Provenance) -> None:
        self.stage = ProjectStage.NOT_AWARDED

    def sign_agreement(self, agreement_no: str, signed_on: date, provenance: Provenance) -> None:
        self._require(ProjectStage.AWARDED)
        self._agreement_signed(
            _text(agreement_no, "agreement.no", "协议编号", "The agreement number", 100), signed_on, provenance
        )

    @event("AgreementSigned")
    def _agreement_signed(self, agreement_no: str, signed_on: date, provenance: Provenance) -> None:
        self.stage = ProjectStage.IN_PROGRESS

    # -- tranches ------------------------------------------------------------------------------------
    def next_tranche(self) -> tuple[int, ScheduledTranche] | None:
        index = len(self.paid)
        return (index, self.tranches[index]) if index < len(self.tranches) else None

    def condition_met(self, condition: TrancheCondition) -> bool:
        if condition is TrancheCondition.AGREEMENT_SIGNED:
            return self.stage in (ProjectStage.IN_PROGRESS, ProjectStage.RATED)
        if condition is TrancheCondition.MID_TERM_PASSED:
            return self.mid_term_passed is True
        return self.stars is not None

    def pay_next_tranche(self, paid_on: date, provenance: Provenance) -> None:
        self._require(ProjectStage.IN_PROGRESS, ProjectStage.RATED)
        found = self.next_tranche()
        if found is None:
            raise InvalidTransition("tranche.none_left", "资金已全部拨付", "Every tranche is paid")
        index, tranche = found
        if not self.condition_met(tranche.condition):
            raise InvalidTransition(
                "tranche.condition_not_met",
                f"第{index + 1}笔资金的拨付条件未满足({tranche.condition.value})",
                f"Tranche {index + 1} waits for its condition ({tranche.condition.value})",
                condition=tranche.condition.value,
            )
        self._tranche_paid(index, tranche.amount, tranche.condition, paid_on, provenance)

    @event("TranchePaid")
    def _tranche_paid(
        self, index: int, amount: Decimal, condition: TrancheCondition, paid_on: date, provenance: Provenance
    ) -> None:
        self.paid.append(paid_on)

    # -- documents (证明材料) -------------------------------------------------------------------------------
    def check_can_attach(self, subject: str) -> None:
        """The plan and budget go with the application until its review opens; a milestone's
        outputs with the milestone until its report is submitted."""
        if subject == "application":
            self._require(ProjectStage.APPLIED, ProjectStage.ELIGIBLE)
            return
        kind, _, ref = subject.partition(":")
        if kind == "milestone" and ref in {m.value for m in Milestone}:
            self._require(ProjectStage.IN_PROGRESS)
            if Milestone(ref) in self.reports:
                raise InvalidTransition("milestone.reported", "该阶段报告已提交", "This report is submitted already")
            return
        raise InvalidValue(
            "document.subject", "项目材料应属于申报或某一阶段报告", "A project document belongs to the application or a milestone"
        )

    def attach_document(self, slot: Slot, subject: str, document: DocumentRef, provenance: Provenance) -> None:
        self.check_can_attach(subject)
        self._document_attached(
            slot.key,
            subject,
            document,
            public=slot.public,
            replaces=replaced_by(self.documents, slot, subject),
            owner=self.organization_id,
            provenance=provenance,
        )

    @event("DocumentAttached")
    def _document_attached(
        self,
        slot: str,
        subject: str,
        document: DocumentRef,
        *,
        public: bool,
        replaces: str | None,
        owner: UUID,
        provenance: Provenance,
    ) -> None:
        new = Attached(slot, document, public, provenance.at.isoformat(), provenance.actor.user_id, subject=subject)
        self.documents = with_attached(self.documents, new, replaces)

    def withdraw_document(self, slot: str, subject: str, sha256: str, reason: str, provenance: Provenance) -> None:
        self.check_can_attach(subject)
        current(self.documents, slot, sha256, subject)
        self._document_withdrawn(slot, subject, sha256, reason.strip()[:500], provenance)

    @event("DocumentWithdrawn")
    def _document_withdrawn(self, slot: str, subject: str, sha256: str, reason: str, provenance: Provenance) -> None:
        self.documents = with_withdrawn(self.documents, slot, sha256, subject)

    # -- milestones and evaluations ---------------------------------------------------------------------
    def submit_report(self, milestone: Milestone, summary: str, on: date, provenance: Provenance) -> None:
        self._require(ProjectStage.IN_PROGRESS)
        if milestone in self.reports:
            raise InvalidTransition("milestone.reported", "该阶段报告已提交", "This report is submitted already")
        if milestone is Milestone.CLOSING and Milestone.MID_TERM not in self.reports:
            raise InvalidTransition("milestone.order", "请先提交中期报告", "Submit the mid-term report first")
        summary = _text(summary, "milestone.summary", "报告内容", "The report", 20_000)
        self._report_submitted(milestone, summary, on, on > self.due[milestone], provenance)

    @event("MilestoneReportSubmitted")
    def _report_submitted(
        self, milestone: Milestone, summary: str, submitted_on: date, late: bool, provenance: Provenance
    ) -> None:
        self.reports[milestone] = submitted_on

    # -- 延期: more time for a milestone report ------------------------------------------------------------
    def request_extension(
        self, milestone: Milestone, until: date, reason: str, today: date, max_days: int, provenance: Provenance
    ) -> None:
        """Asked before the report is due, for a later day within the rule set's limit, with a reason."""
        self._require(ProjectStage.IN_PROGRESS)
        if milestone in self.reports:
            raise InvalidTransition("milestone.reported", "该阶段报告已提交", "This report is submitted already")
        pending = self.extensions.get(milestone)
        if pending is not None and pending.granted is None:
            raise InvalidTransition(
                "extension.pending", "已有延期申请待资助方决定", "An extension request is already waiting for a decision"
            )
        if today > self.due[milestone]:
            raise InvalidTransition(
                "extension.too_late",
                f"报告期限{self.due[milestone]}已过,不能再申请延期,请尽快提交",
                f"The report was due on {self.due[milestone]}; an extension can no longer be asked for: submit it now",
            )
        self._check_extension(milestone, until, max_days)
        if not reason.strip():
            raise InvalidValue("extension.reason", "请说明申请延期的理由", "Say why more time is needed")
        self._milestone_extension_requested(milestone, until, reason.strip()[:1000], today, provenance)

    def _check_extension(self, milestone: Milestone, until: date, max_days: int) -> None:
        due = self.due[milestone]
        latest = self.original_due.get(milestone, due) + timedelta(days=max_days)
        if milestone is Milestone.MID_TERM:  # the mid-term report comes before the closing one
            latest = min(latest, self.due[Milestone.CLOSING])
        if until <= due:
            raise InvalidValue(
                "extension.not_later",
                f"延期后的期限应晚于现在的期限{due}",
                f"The new deadline must be after the current one ({due})",
            )
        if until > latest:
            raise InvalidValue(
                "extension.too_long",
                f"最多可延至{latest}(不超过{max_days}天,中期报告不晚于结项报告期限)",
                f"The latest possible day is {latest} (at most {max_days} days; a mid-term report not after the closing one)",
                latest=latest.isoformat(),
            )

    @event("MilestoneExtensionRequested")
    def _milestone_extension_requested(
        self, milestone: Milestone, until: date, reason: str, on: date, provenance: Provenance
    ) -> None:
        self.extensions = {**self.extensions, milestone: Extension(until, reason, on)}

    def decide_extension(
        self,
        milestone: Milestone,
        granted: bool,
        until: date | None,
        reasons: str,
        today: date,
        max_days: int,
        provenance: Provenance,
    ) -> None:
        """The funder grants (the day asked for, or another within the limit) or refuses, with reasons."""
        pending = self.extensions.get(milestone)
        if pending is None or pending.granted is not None:
            raise InvalidTransition("extension.none", "没有待决定的延期申请", "There is no extension request to decide")
        self._require(ProjectStage.IN_PROGRESS)
        if milestone in self.reports:
            raise InvalidTransition("milestone.reported", "该阶段报告已提交", "This report is submitted already")
        if not reasons.strip():
            raise InvalidValue("extension.reasons", "请写明决定的理由", "Give the decision's reasons")
        if granted:
            new_due = until or pending.requested_until
            self._check_extension(milestone, new_due, max_days)
            self._milestone_extension_granted(milestone, new_due, reasons.strip()[:1000], today, provenance)
        else:
            self._milestone_extension_refused(milestone, reasons.strip()[:1000], today, provenance)

    @event("MilestoneExtensionGranted")
    def _milestone_extension_granted(
        self, milestone: Milestone, until: date, reasons: str, on: date, provenance: Provenance
    ) -> None:
        decided = replace(self.extensions[milestone], granted=True, until=until, reasons=reasons, decided_on=on)
        self.extensions = {**self.extensions, milestone: decided}
        self.original_due = {**self.original_due, milestone: self.original_due.get(milestone, self.due[milestone])}
        self.due = {**self.due, milestone: until}

    @event("MilestoneExtensionRefused")
    def _milestone_extension_refused(self, milestone: Milestone, reasons: str, on: date, provenance: Provenance) -> None:
        decided = replace(self.extensions[milestone], granted=False, reasons=reasons, decided_on=on)
        self.extensions = {**self.extensions, milestone: decided}

    def record_mid_term(self, passed: bool, score: Decimal, provenance: Provenance) -> None:
        self._require(ProjectStage.IN_PROGRESS)
        self._mid_term_evaluated(passed, score, provenance)

    @event("MidTermEvaluated")
    def _mid_term_evaluated(self, passed: bool, score: Decimal, provenance: Provenance) -> None:
        self.mid_term_passed = passed

    def rate(self, stars: int | None, score: Decimal, provenance: Provenance) -> None:
        """The closing evaluation's star rating (结项评估 → 1–5 stars; None = below one star)."""
        self._require(ProjectStage.IN_PROGRESS)
        self._rated(stars, score, provenance)

    @event("Rated")
    def _rated(self, stars: int | None, score: Decimal, provenance: Provenance) -> None:
        self.stars = stars
        self.closing_score = score
        self.stage = ProjectStage.RATED

    # -- ending ---------------------------------------------------------------------------------------------
    def complete(self, on: date, provenance: Provenance) -> None:
        self._require(ProjectStage.RATED)
        found = self.next_tranche()
        if found is not None and self.condition_met(found[1].condition):
            raise InvalidTransition(
                "project.tranches_unpaid", "尚有应拨付的资金未拨付", "A tranche that is due has not been paid yet"
            )
        self._completed(on, self.paid_amount, provenance)

    @event("Completed")
    def _completed(self, on: date, paid_total: Decimal, provenance: Provenance) -> None:
        self.stage = ProjectStage.COMPLETED

    def terminate(self, reason: str, breach: bool, on: date, provenance: Provenance) -> None:
        """Ended early; a breach (违约) also bars the organization from similar funding."""
        if self.stage in _FINISHED:
            raise InvalidTransition("project.finished", "项目已结束", "The project has ended")
        reason = _text(reason, "termination.reason", "终止理由", "A reason", 2000)
        self._terminated(reason, breach, on, self.unpaid_amount, provenance)

    @event("Terminated")
    def _terminated(self, reason: str, breach: bool, on: date, released: Decimal, provenance: Provenance) -> None:
        self.stage = ProjectStage.TERMINATED


# -- eligibility (pure) ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ApplicantFacts:
    track: str
    org_type: str
    division_code: str
    status: str
    grade: str | None  # valid on the day of the check
    credit_status: str  # "none" | "abnormal" | "serious"
    funding_barred_until: date | None


def project_bars(rules: FundingRules, terms: RoundTerms, facts: ApplicantFacts, on: date) -> list[str]:
    """The round's own conditions, then the rule set's bars from the applicant's history."""
    bars = []
    if not facts.division_code.startswith(terms.division_prefix):
        bars.append("outside_locality")
    if terms.org_types and facts.org_type not in terms.org_types:
        bars.append("type_not_admitted")
    if terms.tracks and facts.track not in terms.tracks:
        bars.append("track_not_admitted")
    if terms.min_grade and not grade_at_least(facts.grade, terms.min_grade):
        bars.append("grade_below_minimum")
    found = {
        "not_active": facts.status != "active",
        "abnormal_list": facts.credit_status == "abnormal",
        "serious_dishonesty_list": facts.credit_status == "serious",
        "breach_bar": facts.funding_barred_until is not None and facts.funding_barred_until >= on,
    }
    return bars + [bar for bar in rules.bars if found.get(bar)]
