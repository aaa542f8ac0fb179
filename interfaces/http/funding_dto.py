"""API shapes for funding rounds, projects and subsidies (amounts are CNY decimals)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from domain import values
from domain.funding import BudgetLine, FundingRound, Milestone, Project, ProjectApplication, RoundTerms
from domain.organization import OrganizationType, Track
from interfaces.http.compliance_dto import ExtensionOut
from interfaces.http.dto import BasisIn

Money = Annotated[Decimal, Meta(description="人民币元 / CNY, at most 2 decimals")]
Text = Annotated[str, Meta(min_length=1, max_length=20_000)]
Grade = Literal["1A", "2A", "3A", "4A", "5A"]
ProjectEvaluationKind = Literal["project_review", "mid_term", "closing"]


class RoundIn(msgspec.Struct, frozen=True):
    """申报指南: budget, dates (applications open/close, project start, mid-term and closing reports), who may apply."""

    title: Annotated[str, Meta(min_length=1, max_length=200)]
    division_prefix: Annotated[str, Meta(pattern=r"^(\d{2}|\d{4}|\d{6})$")]
    budget: Money
    per_project_cap: Money
    applications_open: date
    applications_close: date
    project_start: date
    mid_term_due: date
    closing_due: date
    min_grade: Grade | None = None
    org_types: Annotated[list[OrganizationType], Meta(max_length=3)] = []
    tracks: Annotated[list[Track], Meta(max_length=2)] = []
    basis: BasisIn | None = None

    def __post_init__(self) -> None:
        values.money(self.budget, "budget", "预算", positive=True)
        values.money(self.per_project_cap, "per_project_cap", "单个项目上限", positive=True)

    def to_domain(self) -> RoundTerms:
        return RoundTerms(
            self.title,
            self.division_prefix,
            self.budget,
            self.per_project_cap,
            self.applications_open,
            self.applications_close,
            self.project_start,
            self.mid_term_due,
            self.closing_due,
            self.min_grade,
            tuple(t.value for t in self.org_types),
            tuple(t.value for t in self.tracks),
        )


class RoundOut(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    title: str
    division_prefix: str
    budget: Decimal
    per_project_cap: Decimal
    committed: Decimal
    remaining: Decimal
    applications_open: date
    applications_close: date
    mid_term_due: date
    closing_due: date
    min_grade: str | None
    rule_set: str

    @classmethod
    def of(cls, r: FundingRound) -> RoundOut:
        t = r.terms
        return cls(
            r.id,
            r.version,
            t.title,
            t.division_prefix,
            t.budget,
            t.per_project_cap,
            r.committed,
            r.remaining,
            t.applications_open,
            t.applications_close,
            t.mid_term_due,
            t.closing_due,
            t.min_grade,
            f"{r.rule_set.id}@{r.rule_set.version}",
        )


class BudgetLineIn(msgspec.Struct, frozen=True):
    item: Annotated[str, Meta(min_length=1, max_length=100)]
    amount: Money

    def __post_init__(self) -> None:
        values.money(self.amount, "amount", "预算金额", positive=True)


class ApplicationIn(msgspec.Struct, frozen=True):
    """项目申报书: title, target group, plan, expected outputs and budget lines (the request is their sum)."""

    organization_id: UUID
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    target_group: Annotated[str, Meta(min_length=1, max_length=500)]
    plan: Text
    expected_outputs: Annotated[str, Meta(min_length=1, max_length=5000)]
    budget_lines: Annotated[list[BudgetLineIn], Meta(min_length=1, max_length=50)]

    def to_domain(self) -> ProjectApplication:
        return ProjectApplication(
            self.title,
            self.target_group,
            self.plan,
            self.expected_outputs,
            tuple(BudgetLine(line.item, line.amount) for line in self.budget_lines),
        )


class TrancheOut(msgspec.Struct, frozen=True):
    share: Decimal
    condition: str
    amount: Decimal
    paid_on: date | None


class ProjectOut(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    round_id: UUID
    organization_id: UUID
    title: str
    target_group: str
    plan: str
    expected_outputs: str
    budget_lines: list[BudgetLineIn]
    requested: Decimal
    stage: str
    bars: list[str]
    review_score: Decimal | None
    awarded: Decimal | None
    paid: Decimal
    tranches: list[TrancheOut]
    due: dict[str, date]
    reports: dict[str, date]
    evaluations: dict[str, UUID]
    mid_term_passed: bool | None
    stars: int | None
    closing_score: Decimal | None
    extensions: dict[str, ExtensionOut] = {}  # 延期 per milestone: the request pending or the last decided
    original_due: dict[str, date] = {}  # the agreement's days an extension moved

    @classmethod
    def of(cls, p: Project) -> ProjectOut:
        a = p.application
        tranches = [
            TrancheOut(t.share, t.condition.value, t.amount, p.paid[i] if i < len(p.paid) else None)
            for i, t in enumerate(p.tranches)
        ]
        return cls(
            p.id,
            p.version,
            p.round_id,
            p.organization_id,
            a.title,
            a.target_group,
            a.plan,
            a.expected_outputs,
            [BudgetLineIn(line.item, line.amount) for line in a.budget_lines],
            p.requested,
            p.stage.value,
            list(p.bars),
            p.review_score,
            p.awarded,
            p.paid_amount,
            tranches,
            {m.value: d for m, d in p.due.items()},
            {m.value: d for m, d in p.reports.items()},
            dict(p.evaluations),
            p.mid_term_passed,
            p.stars,
            p.closing_score,
            {m.value: ExtensionOut.of(x) for m, x in p.extensions.items()},
            {m.value: d for m, d in p.original_due.items()},
        )


class ProjectEvaluationIn(msgspec.Struct, frozen=True):
    kind: ProjectEvaluationKind
    scoring_deadline: date
    chair_user_id: Annotated[str, Meta(min_length=1, max_length=100)]


class AwardIn(msgspec.Struct, frozen=True):
    amount: Money
    basis: BasisIn | None = None

    def __post_init__(self) -> None:
        values.money(self.amount, "amount", "资助金额", positive=True)


class ReasonIn(msgspec.Struct, frozen=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    basis: BasisIn | None = None


class AgreementIn(msgspec.Struct, frozen=True):
    agreement_no: Annotated[str, Meta(min_length=1, max_length=100)]


class MilestoneExtensionIn(msgspec.Struct, frozen=True):
    """延期申请: which report, the day asked for and why."""

    milestone: Milestone
    until: date
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]


class MilestoneExtensionDecisionIn(msgspec.Struct, frozen=True):
    """延期决定: granted (to the day asked for, or `until`) or refused, with reasons."""

    milestone: Milestone
    granted: bool
    reasons: Annotated[str, Meta(min_length=1, max_length=1000)]
    until: date | None = None
    basis: BasisIn | None = None


class ReportIn(msgspec.Struct, frozen=True):
    milestone: Milestone
    summary: Text


class TerminationIn(msgspec.Struct, frozen=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    breach: bool = False
    basis: BasisIn | None = None


class GrantIn(msgspec.Struct, frozen=True):
    year: Annotated[int, Meta(ge=2000, le=2100)]
    division_prefix: Annotated[str, Meta(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = ""


class EvaluationOpenedOut(msgspec.Struct, frozen=True):
    evaluation_id: UUID
    kind: str
    project_id: UUID
