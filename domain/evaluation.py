"""The Evaluation aggregate (评估): one case, a grade evaluation of an organization or a
project evaluation (review, mid-term, closing), from opening to a final result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import InvalidTransition, InvalidValue
from domain.provenance import Provenance, RuleSetRef
from domain.rules import Band, GradeBands, RuleSet
from domain.scoring import Computation, IndicatorScore, Sheet


class EvaluationKind(str, Enum):
    GRADE = "grade"  # 等级评估 → 1A…5A
    PROJECT_REVIEW = "project_review"  # 立项评审 → score / rank
    MID_TERM = "mid_term"  # 中期评估 → pass / fail
    CLOSING = "closing"  # 结项评估 → 1–5 stars


def result_bands(rule_set: RuleSet, kind: EvaluationKind) -> GradeBands:
    """How a total becomes a result: grade bands, star bands, or one pass mark (label None = not
    graded / below one star / not fundable / failed)."""
    if kind is EvaluationKind.GRADE:
        return rule_set.grade_bands
    if kind is EvaluationKind.CLOSING:
        return rule_set.star_bands
    label, minimum = (
        ("fundable", rule_set.funding.review_pass_minimum) if kind is EvaluationKind.PROJECT_REVIEW
        else ("pass", rule_set.funding.mid_term_pass_minimum)
    )
    return GradeBands(rule_set.star_bands.scale, (Band(label, minimum),))


class Stage(str, Enum):
    OPEN = "open"
    ELIGIBLE = "eligible"
    BARRED = "barred"
    SCORING = "scoring"
    SCORING_CLOSED = "scoring_closed"
    COMPUTED = "computed"
    ANNOUNCED = "announced"  # 公示
    APPEALED = "appealed"  # 复核
    APPEAL_DECIDED = "appeal_decided"
    FINALIZED = "finalized"
    WITHDRAWN = "withdrawn"


class RecusalGround(str, Enum):
    DECLARED = "declared"  # the evaluator declared a conflict
    REQUESTED = "requested"  # the organization asked for it
    FORCED = "forced"  # the rule set requires it (interest, or left the organization recently)


@dataclass(frozen=True)
class PanelMember:
    expert_id: UUID
    user_id: str
    name: str


_CLOSED = (Stage.BARRED, Stage.FINALIZED, Stage.WITHDRAWN)


class Evaluation(LedgerAggregate):
    class Opened(LedgerAggregate.Created):
        kind: EvaluationKind
        subject_id: UUID
        subject_type: str  # the organization type, or "project"
        rule_set: RuleSetRef
        scheme_id: str
        scoring_deadline: date
        chair_user_id: str
        provenance: Provenance

    def __init__(
        self,
        kind: EvaluationKind,
        subject_id: UUID,
        subject_type: str,
        rule_set: RuleSetRef,
        scheme_id: str,
        scoring_deadline: date,
        chair_user_id: str,
    ) -> None:
        self.kind = kind
        self.subject_id = subject_id
        self.subject_type = subject_type
        self.rule_set = rule_set
        self.scheme_id = scheme_id
        self.scoring_deadline = scoring_deadline
        self.chair_user_id = chair_user_id
        self.stage = Stage.OPEN
        self.self_assessment: Decimal | None = None
        self.bars: tuple[str, ...] = ()
        self.panel: tuple[PanelMember, ...] = ()
        self.recused: dict[UUID, RecusalGround] = {}
        self.drafts: dict[UUID, Sheet] = {}
        self.submitted: set[UUID] = set()
        self.computation: Computation | None = None
        self.announcement: tuple[date, date] | None = None
        self.appeal_filed_on: date | None = None
        self.result: str | None = None

    @classmethod
    def open(
        cls,
        id: UUID,
        kind: EvaluationKind,
        subject_id: UUID,
        subject_type: str,
        rule_set: RuleSetRef,
        scheme_id: str,
        scoring_deadline: date,
        chair_user_id: str,
        provenance: Provenance,
    ) -> Evaluation:
        if scoring_deadline < provenance.at.date():
            raise InvalidValue("evaluation.deadline_past", "评分截止日期不能早于今天", "The scoring deadline lies in the past")
        return cls._create(
            cls.Opened, id=id, kind=kind, subject_id=subject_id, subject_type=subject_type, rule_set=rule_set,
            scheme_id=scheme_id, scoring_deadline=scoring_deadline, chair_user_id=chair_user_id, provenance=provenance,
        )

    # -- guards ----------------------------------------------------------------
    def _require(self, *stages: Stage) -> None:
        if self.stage not in stages:
            raise InvalidTransition(
                "evaluation.wrong_stage",
                f"评估当前处于“{self.stage.value}”阶段,不能办理此事项",
                f"The evaluation is at stage '{self.stage.value}'; this cannot be done now",
                stage=self.stage.value, allowed=[s.value for s in stages],
            )

    def active_members(self) -> list[PanelMember]:
        return [m for m in self.panel if m.expert_id not in self.recused]

    def member(self, expert_id: UUID) -> PanelMember:
        """A panel member who may see and score this case (not recused)."""
        found = next((m for m in self.panel if m.expert_id == expert_id), None)
        if found is None or expert_id in self.recused:
            raise InvalidTransition(
                "evaluation.not_on_panel", "您不在该评估的专家组中,或已回避", "You are not on this panel, or you have recused"
            )
        return found

    # -- application and eligibility -----------------------------------------------
    def submit_application(self, self_assessment: Decimal | None, statement: str, provenance: Provenance) -> None:
        self._require(Stage.OPEN)
        if self_assessment is not None and (self_assessment < 0 or not self_assessment.is_finite()):
            raise InvalidValue("evaluation.self_assessment", "自评分不能为负数", "A self-assessment is not negative")
        self._application_submitted(self_assessment, statement.strip()[:5000], provenance)

    @event("ApplicationSubmitted")
    def _application_submitted(self, self_assessment: Decimal | None, statement: str, provenance: Provenance) -> None:
        self.self_assessment = self_assessment

    def record_eligibility(self, bars: tuple[str, ...], provenance: Provenance) -> None:
        """The rule set's bars found in the subject's history; any bar closes the case."""
        self._require(Stage.OPEN)
        self._eligibility_checked(tuple(bars), provenance)

    @event("EligibilityChecked")
    def _eligibility_checked(self, bars: tuple[str, ...], provenance: Provenance) -> None:
        self.bars = bars
        self.stage = Stage.BARRED if bars else Stage.ELIGIBLE

    # -- panel -------------------------------------------------------------------
    def assign_panel(self, members: tuple[PanelMember, ...], min_size: int, seed: int | None, provenance: Provenance) -> None:
        self._require(Stage.ELIGIBLE)
        if len({m.expert_id for m in members}) != len(members):
            raise InvalidValue("panel.duplicate", "专家组成员重复", "An expert appears twice on the panel")
        if len(members) < min_size:
            raise InvalidValue(
                "panel.too_small", f"专家组至少需要{min_size}人", f"A panel needs at least {min_size} members", minimum=min_size
            )
        self._panel_assigned(tuple(members), seed, provenance)

    @event("PanelAssigned")
    def _panel_assigned(self, members: tuple[PanelMember, ...], seed: int | None, provenance: Provenance) -> None:
        self.panel = members
        self.stage = Stage.SCORING

    def recuse(self, expert_id: UUID, ground: RecusalGround, note: str, provenance: Provenance) -> None:
        self._require(Stage.ELIGIBLE, Stage.SCORING)
        self.member(expert_id)
        self._recused(expert_id, ground, note.strip()[:1000], provenance)

    @event("EvaluatorRecused")
    def _recused(self, expert_id: UUID, ground: RecusalGround, note: str, provenance: Provenance) -> None:
        self.recused[expert_id] = ground
        self.drafts.pop(expert_id, None)
        self.submitted.discard(expert_id)

    # -- score sheets -----------------------------------------------------------------
    def save_draft(self, expert_id: UUID, scores: tuple[IndicatorScore, ...], bonus: Decimal, provenance: Provenance) -> None:
        """Scores already checked against the scheme (domain.scoring.checked_scores)."""
        self._require(Stage.SCORING)
        member = self.member(expert_id)
        if expert_id in self.submitted:
            raise InvalidTransition("sheet.submitted", "评分表已提交,需由主任退回后才能修改", "The sheet is submitted; the chair must reopen it first")
        self._sheet_drafted(expert_id, Sheet(member.user_id, scores, bonus), provenance)

    @event("SheetDrafted")
    def _sheet_drafted(self, expert_id: UUID, sheet: Sheet, provenance: Provenance) -> None:
        self.drafts[expert_id] = sheet

    def submit_sheet(self, expert_id: UUID, missing: list[str], total: Decimal, provenance: Provenance) -> None:
        self._require(Stage.SCORING)
        self.member(expert_id)
        if expert_id in self.submitted:
            raise InvalidTransition("sheet.submitted", "评分表已提交", "The sheet is submitted already")
        if expert_id not in self.drafts or missing:
            raise InvalidValue(
                "sheet.incomplete", f"还有{len(missing)}项指标未评分", f"{len(missing)} indicators have no score yet", missing=missing
            )
        self._sheet_submitted(expert_id, total, provenance)

    @event("SheetSubmitted")
    def _sheet_submitted(self, expert_id: UUID, total: Decimal, provenance: Provenance) -> None:
        self.submitted.add(expert_id)

    def reopen_sheet(self, expert_id: UUID, reason: str, provenance: Provenance) -> None:
        self._require(Stage.SCORING)
        self.member(expert_id)
        if expert_id not in self.submitted:
            raise InvalidTransition("sheet.not_submitted", "该评分表尚未提交", "That sheet is not submitted")
        if not reason.strip():
            raise InvalidValue("sheet.reopen_reason", "退回评分表须说明理由", "Reopening a sheet needs a reason")
        self._sheet_reopened(expert_id, reason.strip()[:1000], provenance)

    @event("SheetReopened")
    def _sheet_reopened(self, expert_id: UUID, reason: str, provenance: Provenance) -> None:
        self.submitted.discard(expert_id)

    def close_scoring(self, has_quorum: bool, provenance: Provenance) -> None:
        """All active members submitted, or the chair closes with the rule set's quorum."""
        self._require(Stage.SCORING)
        active = {m.expert_id for m in self.active_members()}
        everyone = active <= self.submitted
        if not everyone and not has_quorum:
            raise InvalidTransition(
                "scoring.no_quorum", "已提交的评分表不足法定比例,不能结束评分", "Too few sheets are submitted to close scoring (quorum)",
                submitted=len(self.submitted & active), active=len(active),
            )
        self._scoring_closed(tuple(sorted(self.submitted & active, key=str)), not everyone, provenance)

    @event("ScoringClosed")
    def _scoring_closed(self, counted: tuple[UUID, ...], with_quorum_only: bool, provenance: Provenance) -> None:
        self.stage = Stage.SCORING_CLOSED
        self.submitted = set(counted)

    def counted_sheets(self) -> list[Sheet]:
        return [self.drafts[e] for e in sorted(self.submitted, key=str)]

    # -- result, announcement, appeal ------------------------------------------------------
    def record_result(self, computation: Computation, provenance: Provenance) -> None:
        self._require(Stage.SCORING_CLOSED)
        self._result_computed(computation, provenance)

    @event("ResultComputed")
    def _result_computed(self, computation: Computation, provenance: Provenance) -> None:
        self.computation = computation
        self.stage = Stage.COMPUTED

    def open_announcement(self, starts: date, ends: date, provenance: Provenance) -> None:
        self._require(Stage.COMPUTED)
        if ends < starts:
            raise InvalidValue("announcement.dates", "公示结束日期早于开始日期", "The announcement ends before it starts")
        self._announcement_opened(starts, ends, provenance)

    @event("AnnouncementOpened")
    def _announcement_opened(self, starts: date, ends: date, provenance: Provenance) -> None:
        self.announcement = (starts, ends)
        self.stage = Stage.ANNOUNCED

    def file_appeal(self, grounds: str, filed_on: date, provenance: Provenance) -> None:
        self._require(Stage.ANNOUNCED)
        assert self.announcement is not None
        starts, ends = self.announcement
        if not starts <= filed_on <= ends:
            raise InvalidTransition(
                "appeal.outside_announcement", f"复核申请须在公示期内({starts}至{ends})提出",
                f"An appeal is filed within the announcement period ({starts} to {ends})",
            )
        if not grounds.strip():
            raise InvalidValue("appeal.grounds", "请说明复核理由", "An appeal states its grounds")
        self._appeal_filed(grounds.strip()[:5000], filed_on, provenance)

    @event("AppealFiled")
    def _appeal_filed(self, grounds: str, filed_on: date, provenance: Provenance) -> None:
        self.appeal_filed_on = filed_on
        self.stage = Stage.APPEALED

    def decide_appeal(
        self, upheld: bool, decision: str, revised: Computation | None, decided_on: date, limit_days: int, provenance: Provenance
    ) -> None:
        self._require(Stage.APPEALED)
        assert self.appeal_filed_on is not None
        if (decided_on - self.appeal_filed_on).days > limit_days:
            raise InvalidTransition(
                "appeal.too_late", f"复核决定须在{limit_days}日内作出", f"An appeal is decided within {limit_days} days"
            )
        if upheld and revised is None:
            raise InvalidValue("appeal.needs_revision", "支持复核须附修订后的评分", "An upheld appeal comes with revised scores")
        self._appeal_decided(upheld, decision.strip()[:5000], revised if upheld else None, provenance)

    @event("AppealDecided")
    def _appeal_decided(self, upheld: bool, decision: str, revised: Computation | None, provenance: Provenance) -> None:
        if revised is not None:
            self.computation = revised
        self.stage = Stage.APPEAL_DECIDED

    def finalize(self, on: date, provenance: Provenance) -> None:
        self._require(Stage.ANNOUNCED, Stage.APPEAL_DECIDED)
        assert self.announcement is not None and self.computation is not None
        if self.stage is Stage.ANNOUNCED and on <= self.announcement[1]:
            raise InvalidTransition(
                "announcement.running", f"公示期至{self.announcement[1]}结束,之后才能确认结果",
                f"The announcement runs until {self.announcement[1]}; finalize after it",
            )
        self._finalized(self.computation.label, self.computation.total, provenance)

    @event("Finalized")
    def _finalized(self, result: str | None, total: Decimal, provenance: Provenance) -> None:
        self.result = result
        self.stage = Stage.FINALIZED

    def withdraw(self, reason: str, provenance: Provenance) -> None:
        if self.stage in _CLOSED:
            raise InvalidTransition("evaluation.closed", "该评估已结束", "The evaluation is closed")
        self._withdrawn(reason.strip()[:1000], provenance)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, provenance: Provenance) -> None:
        self.stage = Stage.WITHDRAWN
