"""The Evaluation aggregate (评估): one case, a grade evaluation of an organization or a
project evaluation (review, mid-term, closing), from opening to a final result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.documents import Attached, DocumentRef, Slot, current, replaced_by, with_attached, with_withdrawn
from domain.errors import Conflict, InvalidTransition, InvalidValue
from domain.expert import ConflictOfInterest
from domain.objections import PublicObjection, checked_objection, require_none_open, require_within, to_decide
from domain.organization import Status, Track
from domain.periods import Deadline
from domain.provenance import Provenance, RuleSetRef
from domain.rules import Band, Disclosure, GradeBands, GradeRules, RuleSet, ScoringScheme, add_years
from domain.scoring import Computation, IndicatorScore, Sheet, checked_scores, missing_indicators


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
        ("fundable", rule_set.funding.review_pass_minimum)
        if kind is EvaluationKind.PROJECT_REVIEW
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


@dataclass(frozen=True)
class ScoreChange:
    """One line of a submitted sheet that changed after it was reopened (key "bonus" for the bonus)."""

    key: str
    old: Decimal | None
    new: Decimal | None


_CLOSED = (Stage.BARRED, Stage.FINALIZED, Stage.WITHDRAWN)
_AFTER_ANNOUNCEMENT = (Stage.ANNOUNCED, Stage.APPEALED, Stage.APPEAL_DECIDED, Stage.FINALIZED)
_DISCLOSED_FROM = {
    Disclosure.SCORING_CLOSED: (Stage.SCORING_CLOSED, Stage.COMPUTED, *_AFTER_ANNOUNCEMENT),
    Disclosure.COMPUTED: (Stage.COMPUTED, *_AFTER_ANNOUNCEMENT),
    Disclosure.ANNOUNCEMENT: _AFTER_ANNOUNCEMENT,
    Disclosure.FINALIZED: (Stage.FINALIZED,),
}
_EMPTY: Mapping[Any, Any] = MappingProxyType({})


def refuse_conflicts(conflicts: Sequence[ConflictOfInterest]) -> None:
    """A panel never seats an expert with a conflict of interest: the refusal names each one."""
    if conflicts:
        raise Conflict(
            "panel.conflict_of_interest",
            "存在利益冲突,不能进入专家组:" + ";".join(c.zh for c in conflicts),
            "Conflict of interest, cannot sit on the panel: " + "; ".join(c.en for c in conflicts),
            conflicts=[
                {
                    "expert_id": str(c.expert_id),
                    "expert": c.expert_name,
                    "ground": c.ground,
                    "organization": c.organization_name,
                    "zh": c.zh,
                    "en": c.en,
                }
                for c in conflicts
            ],
        )


class Evaluation(LedgerAggregate):
    DECISIONS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "EligibilityChecked": ("资格审查", "eligibility check"),
        "AppealDecided": ("复核决定", "decision on the appeal"),
        "AppealDecisionExtended": ("延长复核决定期限", "extension of the appeal's decision period"),
        "Finalized": ("确认结果", "finalization"),
        "Withdrawn": ("撤回", "withdrawal"),
    }

    # Read back by the chair deciding the appeal; a class default so snapshots taken before it still load.
    appeal_grounds: str | None = None
    appeal_decision: str | None = None
    appeal_extended_to: date | None = None  # 延长复核期限: the day the decision is now due
    appeal_extension_reasons: str | None = None

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
        *,
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
        self.recusal_notes: dict[UUID, str] = {}  # why each member was recused
        self.recusal_requests: dict[UUID, str] = {}  # pending requests of the organization: expert → its reasons
        self.excluded: set[UUID] = set()  # submitted sheets kept on record but not counted (recused after submitting)
        self.drafts: dict[UUID, Sheet] = {}
        self.submitted: set[UUID] = set()
        self.replaced = {}
        self.as_submitted = {}
        self.computation: Computation | None = None
        self.announcement: tuple[date, date] | None = None
        self.appeal_filed_on: date | None = None
        self.result: str | None = None

    # cases opened before replacements and score-change notices (old snapshots): read-only defaults
    # typed by cast, not annotated: class attributes, not dataclass fields
    replaced = cast("dict[UUID, UUID]", _EMPTY)
    as_submitted = cast("dict[UUID, tuple[Sheet, Decimal]]", _EMPTY)
    documents = cast("tuple[Attached, ...]", ())  # cases from before documents (old snapshots)
    objections = cast("tuple[PublicObjection, ...]", ())  # 异议 from the public (domain/objections.py)

    @classmethod
    def open(
        cls,
        id: UUID,
        kind: EvaluationKind,
        subject_id: UUID,
        *,
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
            cls.Opened,
            id=id,
            kind=kind,
            subject_id=subject_id,
            subject_type=subject_type,
            rule_set=rule_set,
            scheme_id=scheme_id,
            scoring_deadline=scoring_deadline,
            chair_user_id=chair_user_id,
            provenance=provenance,
        )

    # -- guards ----------------------------------------------------------------
    def _require(self, *stages: Stage) -> None:
        if self.stage not in stages:
            raise InvalidTransition(
                "evaluation.wrong_stage",
                f"评估当前处于“{self.stage.value}”阶段,不能办理此事项",
                f"The evaluation is at stage '{self.stage.value}'; this cannot be done now",
                stage=self.stage.value,
                allowed=[s.value for s in stages],
            )

    def disclosed(self, moment: Disclosure) -> bool:
        """Whether the case has reached the moment (a withdrawn or barred case never closed scoring)."""
        return self.stage in _DISCLOSED_FROM[moment]

    def active_members(self) -> list[PanelMember]:
        """The members who count: neither recused nor replaced."""
        return [m for m in self.panel if m.expert_id not in self.recused and m.expert_id not in self.replaced]

    def panel_shortfall(self, min_size: int) -> int:
        """How many active members the panel lacks to reach the rule set's minimum (0 once assigned and full)."""
        return max(0, min_size - len(self.active_members()))

    def _require_full_panel(self, min_size: int) -> None:
        active = len(self.active_members())
        if active < min_size:
            raise InvalidTransition(
                "panel.below_minimum",
                f"专家组在任成员只有{active}人,少于规则要求的{min_size}人;请先替换回避或退出的专家",
                f"The panel has {active} active members, fewer than the {min_size} the rules require; replace the recused "
                "or withdrawn members first",
                active=active,
                minimum=min_size,
            )

    def member(self, expert_id: UUID) -> PanelMember:
        """A panel member who may see and score this case (not recused, not replaced)."""
        found = next((m for m in self.panel if m.expert_id == expert_id), None)
        if found is None or expert_id in self.recused or expert_id in self.replaced:
            raise InvalidTransition(
                "evaluation.not_on_panel", "您不在该评估的专家组中,或已回避", "You are not on this panel, or you have recused"
            )
        return found

    # -- documents (证明材料) -------------------------------------------------------
    def check_can_attach(self, subject: str) -> None:
        """The self-assessment report and each indicator's supporting material go in before
        scoring opens (the panel scores what was there); an appeal's grounds while it can be filed
        or is pending."""
        if subject == "self_assessment" or subject.startswith("indicator:"):
            self._require(Stage.OPEN, Stage.ELIGIBLE)
        elif subject == "appeal":
            self._require(Stage.ANNOUNCED, Stage.APPEALED)
        elif subject.startswith("objection:"):  # the objector's material, while the objection is open
            reference = subject.partition(":")[2]
            if not any(o.reference == reference and o.open for o in self.objections):
                raise InvalidTransition(
                    "objection.closed", "该异议不存在或已处理,不再接收材料", "No open objection takes this material"
                )
        else:
            raise InvalidValue(
                "document.subject",
                "评估材料应属于自评报告、某项指标、复核申请或异议",
                "An evaluation document belongs to the self-assessment, an indicator, the appeal or an objection",
            )

    def attach_document(self, slot: Slot, subject: str, document: DocumentRef, provenance: Provenance) -> None:
        self.check_can_attach(subject)
        self._document_attached(
            slot.key,
            subject,
            document,
            public=slot.public,
            replaces=replaced_by(self.documents, slot, subject),
            owner=self.subject_id,
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

    # -- application and eligibility -----------------------------------------------
    def submit_application(self, self_assessment: Decimal | None, statement: str, provenance: Provenance) -> None:
        self._require(Stage.OPEN)
        if self_assessment is not None and (not self_assessment.is_finite() or self_assessment < 0):
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
    def assign_panel(
        self,
        members: tuple[PanelMember, ...],
        conflicts: Sequence[ConflictOfInterest],
        min_size: int,
        seed: int | None,
        provenance: Provenance,
    ) -> None:
        """Scoring opens with a panel of at least the minimum, none of them conflicted (checked
        before assignment: `domain.expert.conflicts_of_interest` for each member)."""
        self._require(Stage.ELIGIBLE)
        if len({m.expert_id for m in members}) != len(members):
            raise InvalidValue("panel.duplicate", "专家组成员重复", "An expert appears twice on the panel")
        refuse_conflicts(conflicts)
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
        """The member leaves the panel. A sheet they had submitted is kept on record and excluded
        from the result, with this recusal as the reason (never silently discarded)."""
        self._require(Stage.ELIGIBLE, Stage.SCORING)
        self.member(expert_id)
        note = note.strip()[:1000]
        if ground is RecusalGround.FORCED and not note:
            raise InvalidValue("recusal.grounds", "强制回避须写明理由", "A forced recusal states its grounds")
        if ground is RecusalGround.DECLARED and not note:
            raise InvalidValue(
                "recusal.reason",
                "声明回避须说明与评估对象的关系",
                "A declared conflict states the tie with the subject",
                missing=["note"],
            )
        self._recused(expert_id, ground, note, provenance)

    def replace_member(
        self,
        expert_id: UUID,
        replacement: PanelMember,
        conflicts: Sequence[ConflictOfInterest],
        reason: str,
        provenance: Provenance,
    ) -> None:
        """The chair replaces a recused, withdrawn or non-responsive member before computation:
        the member's record and any draft stay in the history but no longer count; the case is
        scoring again (the replacement has a sheet to fill)."""
        self._require(Stage.SCORING, Stage.SCORING_CLOSED)
        if not any(m.expert_id == expert_id for m in self.panel):
            raise InvalidTransition("evaluation.not_on_panel", "该专家不在本案专家组中", "That expert is not on this panel")
        if expert_id in self.replaced:
            raise InvalidTransition("panel.already_replaced", "该专家已被替换", "That member has been replaced already")
        if any(m.expert_id == replacement.expert_id for m in self.panel):
            raise InvalidValue(
                "panel.duplicate", "替换的专家已在本案专家组中(或曾在)", "The replacement is or was on this panel already"
            )
        refuse_conflicts(conflicts)
        if not reason.strip():
            raise InvalidValue("panel.replacement_reason", "替换专家须说明理由", "Replacing a member needs a reason")
        self._member_replaced(expert_id, replacement, reason.strip()[:1000], provenance)

    @event("MemberReplaced")
    def _member_replaced(self, expert_id: UUID, replacement: PanelMember, reason: str, provenance: Provenance) -> None:
        self.panel = (*self.panel, replacement)
        self.replaced = {**self.replaced, expert_id: replacement.expert_id}
        self.recusal_requests.pop(expert_id, None)
        if expert_id in self.submitted:  # a submitted sheet stays on record, excluded with this reason
            self.excluded.add(expert_id)
        self.submitted.discard(expert_id)  # a draft stays in `drafts`, never counted
        self.stage = Stage.SCORING

    @event("EvaluatorRecused")
    def _recused(self, expert_id: UUID, ground: RecusalGround, note: str, provenance: Provenance) -> None:
        self.recused[expert_id] = ground
        self.recusal_notes[expert_id] = note
        self.recusal_requests.pop(expert_id, None)
        if expert_id in self.submitted:
            self.excluded.add(expert_id)
        else:
            self.drafts.pop(expert_id, None)
        self.submitted.discard(expert_id)

    def request_recusal(self, expert_id: UUID, reasons: str, provenance: Provenance) -> None:
        """The organization asks for a member's recusal: nothing changes until the chair or a
        registrar grants or refuses it."""
        self._require(Stage.ELIGIBLE, Stage.SCORING)
        self.member(expert_id)
        if expert_id in self.recusal_requests:
            raise InvalidTransition(
                "recusal.request_pending", "对该专家的回避申请尚待决定", "A request to recuse this member awaits a decision"
            )
        if not reasons.strip():
            raise InvalidValue("recusal.request_reasons", "回避申请须说明理由", "A recusal request states its reasons")
        self._recusal_requested(expert_id, reasons.strip()[:2000], provenance)

    @event("RecusalRequested")
    def _recusal_requested(self, expert_id: UUID, reasons: str, provenance: Provenance) -> None:
        self.recusal_requests[expert_id] = reasons

    def decide_recusal_request(self, expert_id: UUID, granted: bool, reasons: str, provenance: Provenance) -> None:
        """Granted, the member is recused (ground: requested); refused, they stay. Either way with reasons."""
        self._require(Stage.ELIGIBLE, Stage.SCORING)
        if expert_id not in self.recusal_requests:
            raise InvalidTransition(
                "recusal.no_request", "没有待决定的回避申请", "No recusal request for this member awaits a decision"
            )
        if not reasons.strip():
            raise InvalidValue("recusal.decision_reasons", "决定须说明理由", "A decision on a recusal request states its reasons")
        reasons = reasons.strip()[:2000]
        if granted:
            self._recusal_request_granted(expert_id, reasons, provenance)
            self._recused(expert_id, RecusalGround.REQUESTED, reasons, provenance)
        else:
            self._recusal_request_refused(expert_id, reasons, provenance)

    @event("RecusalRequestGranted")
    def _recusal_request_granted(self, expert_id: UUID, reasons: str, provenance: Provenance) -> None:
        self.recusal_requests.pop(expert_id, None)

    @event("RecusalRequestRefused")
    def _recusal_request_refused(self, expert_id: UUID, reasons: str, provenance: Provenance) -> None:
        self.recusal_requests.pop(expert_id, None)

    # -- score sheets -----------------------------------------------------------------
    def save_draft(
        self,
        expert_id: UUID,
        scores: tuple[IndicatorScore, ...],
        bonus: Decimal,
        scheme: ScoringScheme,
        decimals: int,
        provenance: Provenance,
    ) -> None:
        """A sitting member's draft, checked against the case's scheme: each score names one of its
        indicators once and lies between 0 and that indicator's maximum with at most the rule
        set's decimals; the bonus stays under the scheme's cap."""
        self._require(Stage.SCORING)
        member = self.member(expert_id)
        if expert_id in self.submitted:
            raise InvalidTransition(
                "sheet.submitted", "评分表已提交,需由主任退回后才能修改", "The sheet is submitted; the chair must reopen it first"
            )
        checked = checked_scores(scheme, scores, bonus, decimals)
        self._sheet_drafted(expert_id, Sheet(member.user_id, checked, bonus), provenance)

    @event("SheetDrafted")
    def _sheet_drafted(self, expert_id: UUID, sheet: Sheet, provenance: Provenance) -> None:
        self.drafts[expert_id] = sheet

    def submit_sheet(self, expert_id: UUID, scheme: ScoringScheme, provenance: Provenance) -> None:
        """A sheet goes in with every indicator of the scheme scored; its total is the scheme's
        (indicators plus bonus, capped at full marks). Submitted again after the chair reopened it,
        with different scores, it records the changes line by line (old and new), so the chair is
        told who changed what and when."""
        self._require(Stage.SCORING)
        self.member(expert_id)
        if expert_id in self.submitted:
            raise InvalidTransition("sheet.submitted", "评分表已提交", "The sheet is submitted already")
        draft = self.drafts.get(expert_id)
        missing = missing_indicators(scheme, draft) if draft else [i.key for i in scheme.indicators]
        if draft is None or missing:
            raise InvalidValue(
                "sheet.incomplete",
                f"还有{len(missing)}项指标未评分",
                f"{len(missing)} indicators have no score yet",
                missing=missing,
            )
        total = draft.total(scheme)
        before = self.as_submitted.get(expert_id)
        if before is not None:
            changes = score_changes(before[0], draft)
            if changes or before[1] != total:
                self._submitted_sheet_changed(expert_id, changes, before[1], total, provenance)
        self._sheet_submitted(expert_id, total, provenance)

    @event("SheetSubmitted")
    def _sheet_submitted(self, expert_id: UUID, total: Decimal, provenance: Provenance) -> None:
        self.submitted.add(expert_id)
        if expert_id in self.drafts:  # the sheet as submitted, to tell the chair what a later resubmission changed
            self.as_submitted = {**self.as_submitted, expert_id: (self.drafts[expert_id], total)}

    class SubmittedSheetChanged(LedgerAggregate.Event):  # declared: read back by class (the chair's notices)
        expert_id: UUID
        changes: tuple[ScoreChange, ...]
        old_total: Decimal
        new_total: Decimal
        provenance: Provenance

    @event(SubmittedSheetChanged)
    def _submitted_sheet_changed(
        self, expert_id: UUID, changes: tuple[ScoreChange, ...], old_total: Decimal, new_total: Decimal, provenance: Provenance
    ) -> None:
        pass  # a notice for the chair; the sheet itself is the draft just submitted

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

    def close_scoring(self, has_quorum: bool, min_size: int, provenance: Provenance) -> None:
        """All active members submitted, or the chair closes with the rule set's quorum; never
        with fewer active members than the rule set's minimum."""
        self._require(Stage.SCORING)
        if self.recusal_requests:
            raise InvalidTransition(
                "scoring.pending_recusal_requests",
                f"还有{len(self.recusal_requests)}项回避申请尚待决定",
                f"{len(self.recusal_requests)} recusal requests await a decision",
                pending=len(self.recusal_requests),
            )
        self._require_full_panel(min_size)
        active = {m.expert_id for m in self.active_members()}
        everyone = active <= self.submitted
        if not everyone and not has_quorum:
            raise InvalidTransition(
                "scoring.no_quorum",
                "已提交的评分表不足法定比例,不能结束评分",
                "Too few sheets are submitted to close scoring (quorum)",
                submitted=len(self.submitted & active),
                active=len(active),
            )
        self._scoring_closed(tuple(sorted(self.submitted & active, key=str)), not everyone, provenance)

    @event("ScoringClosed")
    def _scoring_closed(self, counted: tuple[UUID, ...], with_quorum_only: bool, provenance: Provenance) -> None:
        self.stage = Stage.SCORING_CLOSED
        self.submitted = set(counted)

    def counted_sheets(self) -> list[Sheet]:
        return [self.drafts[e] for e in sorted(self.submitted, key=str)]

    def revised_sheets(
        self, revisions: Mapping[UUID, tuple[IndicatorScore, ...]], scheme: ScoringScheme, decimals: int
    ) -> list[Sheet]:
        """The counted sheets as an upheld appeal revises them: only a counted member's sheet is
        revised, its new scores checked against the scheme like a draft's; its bonus stays."""
        sheets = {e: self.drafts[e] for e in self.submitted}
        for expert_id, scores in revisions.items():
            old = sheets.get(expert_id)
            if old is None:
                raise InvalidValue(
                    "appeal.unknown_sheet", "修订的评分表不属于计分的专家", "A revised sheet belongs to no counted member"
                )
            sheets[expert_id] = Sheet(old.evaluator_id, checked_scores(scheme, scores, old.bonus, decimals), old.bonus)
        return [sheets[e] for e in sorted(sheets, key=str)]

    # -- result, announcement, appeal ------------------------------------------------------
    def record_result(self, computation: Computation, min_size: int, provenance: Provenance) -> None:
        self._require(Stage.SCORING_CLOSED)
        self._require_full_panel(min_size)
        self._result_computed(computation, provenance)

    class ResultComputed(LedgerAggregate.Event):  # declared: read back by class (the recomputation)
        computation: Computation
        provenance: Provenance

    @event(ResultComputed)
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
        assert self.announcement is not None, "an announced case has its dates: AnnouncementOpened set them"
        starts, ends = self.announcement
        if not starts <= filed_on <= ends:
            raise InvalidTransition(
                "appeal.outside_announcement",
                f"复核申请须在公示期内({starts}至{ends})提出",
                f"An appeal is filed within the announcement period ({starts} to {ends})",
            )
        if not grounds.strip():
            raise InvalidValue("appeal.grounds", "请说明复核理由", "An appeal states its grounds")
        self._appeal_filed(grounds.strip()[:5000], filed_on, provenance)

    @event("AppealFiled")
    def _appeal_filed(self, grounds: str, filed_on: date, provenance: Provenance) -> None:
        self.appeal_filed_on = filed_on
        self.appeal_grounds = grounds
        self.stage = Stage.APPEALED

    def decide_appeal(
        self,
        upheld: bool,
        decision: str,
        revised: Computation | None,
        *,
        decided_on: date,
        decide_by: Deadline,
        provenance: Provenance,
        conflicts: Sequence[ConflictOfInterest] = (),
    ) -> None:
        """`conflicts`: those of the members whose sheets an upheld appeal revises, checked again on
        the decision date (a tie declared since the panel sat bars them from the appeal)."""
        self._require(Stage.APPEALED)
        assert self.appeal_filed_on is not None, "an appealed case has its filing date: AppealFiled set it"
        if self.appeal_extended_to is not None and decided_on > self.appeal_extended_to:
            raise InvalidTransition(
                "appeal.too_late",
                f"复核决定期限已延长至{self.appeal_extended_to},现已届满",
                f"The appeal's decision period was extended to {self.appeal_extended_to}, which has passed",
            )
        if self.appeal_extended_to is None and decided_on > decide_by.due:
            raise InvalidTransition(
                "appeal.too_late",
                f"复核决定须在{decide_by.span_zh}内作出(至{decide_by.due})",
                f"An appeal is decided within {decide_by.span_en} (by {decide_by.due})",
            )
        if not decision.strip():
            raise InvalidValue(
                "appeal.reasons",
                "复核决定须写明理由(支持或不支持均须说明)",
                "An appeal's decision states its reasons, upheld or not",
            )
        if upheld and revised is None:
            raise InvalidValue("appeal.needs_revision", "支持复核须附修订后的评分", "An upheld appeal comes with revised scores")
        if upheld:
            refuse_conflicts(conflicts)
        self._appeal_decided(upheld, decision.strip()[:5000], revised if upheld else None, provenance)

    def extend_appeal_decision(
        self, until: date, reasons: str, today: date, decide_by: Deadline, latest: Deadline, provenance: Provenance
    ) -> None:
        """延长复核期限: once, before the decision period ends, to a day within the rule set's extension
        (`latest`, counted from the end of the period), with reasons; the appellant is told."""
        self._require(Stage.APPEALED)
        if self.appeal_extended_to is not None:
            raise InvalidTransition(
                "appeal.extended",
                f"复核期限已延长至{self.appeal_extended_to},不能再次延长",
                "The period was extended once already",
            )
        if today > decide_by.due:
            raise InvalidTransition(
                "appeal.too_late",
                f"复核决定期限已于{decide_by.due}届满,不能再延长",
                f"The decision period ended on {decide_by.due}; it can no longer be extended",
            )
        if not decide_by.due < until <= latest.due:
            raise InvalidValue(
                "appeal.extension_until",
                f"延长后的期限应在{decide_by.due}之后、不晚于{latest.due}(最多延长{latest.span_zh})",
                f"The new day must be after {decide_by.due} and not after {latest.due} (at most {latest.span_en} more)",
                latest=latest.due.isoformat(),
            )
        if not reasons.strip():
            raise InvalidValue("appeal.extension_reasons", "请写明延长期限的理由", "Give the reasons for the extension")
        self._appeal_decision_extended(until, reasons.strip()[:2000], provenance)

    @event("AppealDecisionExtended")
    def _appeal_decision_extended(self, until: date, reasons: str, provenance: Provenance) -> None:
        self.appeal_extended_to = until
        self.appeal_extension_reasons = reasons

    class AppealDecided(LedgerAggregate.Event):  # declared: read back by class (an upheld appeal's revision)
        upheld: bool
        decision: str
        revised: Computation | None
        provenance: Provenance

    @event(AppealDecided)
    def _appeal_decided(self, upheld: bool, decision: str, revised: Computation | None, provenance: Provenance) -> None:
        self.appeal_decision = decision
        if revised is not None:
            self.computation = revised
        self.stage = Stage.APPEAL_DECIDED

    # -- 异议: objections from the public during the announcement ---------------------------------
    def receive_objection(
        self, reference: str, objector: str, contact: str, grounds: str, on: date, provenance: Provenance
    ) -> None:
        self._require(Stage.ANNOUNCED, Stage.APPEALED, Stage.APPEAL_DECIDED)
        require_within(self.announcement, on)
        name, reach, why = checked_objection(objector, contact, grounds)
        self._objection_received(reference, name, reach, why, on, provenance)

    @event("ObjectionReceived")
    def _objection_received(
        self, reference: str, objector: str, contact: str, grounds: str, received_on: date, provenance: Provenance
    ) -> None:
        self.objections = (*self.objections, PublicObjection(reference, objector, contact, grounds, received_on))

    def decide_objection(self, reference: str, upheld: bool, reasons: str, on: date, provenance: Provenance) -> None:
        _, why = to_decide(self.objections, reference, reasons)
        self._objection_decided(reference, upheld, why, on, provenance)

    @event("ObjectionDecided")
    def _objection_decided(self, reference: str, upheld: bool, reasons: str, decided_on: date, provenance: Provenance) -> None:
        self.objections = tuple(
            o.decided(upheld, reasons, decided_on) if o.reference == reference else o for o in self.objections
        )

    def finalize(self, on: date, provenance: Provenance) -> None:
        self._require(Stage.ANNOUNCED, Stage.APPEAL_DECIDED)
        require_none_open(self.objections)
        assert self.announcement is not None and self.computation is not None, (
            "an announced case has its result (ResultComputed) and dates (AnnouncementOpened)"
        )
        # Whatever happened during it (an appeal filed and decided early), the announcement runs its full period.
        if on <= self.announcement[1]:
            raise InvalidTransition(
                "announcement.running",
                f"公示期至{self.announcement[1]}结束,之后才能确认结果",
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
        if not reason.strip():
            raise InvalidValue("evaluation.withdraw_reason", "请说明撤回评估的理由", "A withdrawal states its reason")
        self._withdrawn(reason.strip()[:1000], provenance)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, provenance: Provenance) -> None:
        self.stage = Stage.WITHDRAWN


def score_changes(old: Sheet, new: Sheet) -> tuple[ScoreChange, ...]:
    """The lines whose points differ between two versions of a sheet, in indicator order."""
    keys = sorted({s.key for s in old.scores} | {s.key for s in new.scores})
    changes = [ScoreChange(k, old.points(k), new.points(k)) for k in keys if old.points(k) != new.points(k)]
    if old.bonus != new.bonus:
        changes.append(ScoreChange("bonus", old.bonus, new.bonus))
    return tuple(changes)


def outliers(totals: Mapping[UUID, Decimal], threshold: Decimal) -> dict[UUID, Decimal]:
    """Advisory: the sheets whose total lies further than the threshold from the panel's median,
    with their distance from it (signed). Nothing is altered; fewer than three sheets flag nothing."""
    if len(totals) < 3:
        return {}
    ordered = sorted(totals.values())
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {who: total - median for who, total in totals.items() if abs(total - median) > threshold}


# -- eligibility (pure) ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SubjectFacts:
    """What eligibility looks at in the subject's history."""

    registered_on: date | None
    track: str
    status: str
    grade: str | None
    grade_valid_until: date | None
    grade_lost_on: date | None = None
    inspection_outcomes: tuple[tuple[int, str], ...] = ()  # (report year, outcome), latest first
    penalty_dates: tuple[date, ...] = ()
    credit_status: str = "none"
    under_investigation: bool = False  # 立案调查 open on the day of the check
    # (year, conclusion) of concluded spot checks, latest first: recorded for a rule set that names a bar on them
    spot_check_conclusions: tuple[tuple[int, str], ...] = ()


def _history_bars(rules: GradeRules, facts: SubjectFacts, on: date) -> list[str]:
    """The bars a rule set may name that look at inspections, penalties and credit lists."""
    outcomes = [o for _, o in facts.inspection_outcomes if o != "exempt"]
    found = {
        "inspection_missed_or_failed_last_year": bool(outcomes) and outcomes[0] in ("missed", "fail"),
        "basic_pass_two_years": outcomes[:2] == ["basic_pass", "basic_pass"],
        "penalty_last_year": any(d.year == on.year - 1 for d in facts.penalty_dates),
        "abnormal_list": facts.credit_status == "abnormal",
        "serious_dishonesty_list": facts.credit_status == "serious",
        "under_investigation": facts.under_investigation,
    }
    return [bar for bar in rules.bars if found.get(bar)]


def eligibility_bars(rules: GradeRules, facts: SubjectFacts, on: date) -> list[str]:
    """The rule set's bars that apply, as machine codes (explained in zh/en by the interfaces)."""
    bars = []
    if facts.track != Track.REGISTERED.value:
        bars.append("not_registered")
    if facts.status != Status.ACTIVE.value:
        bars.append("not_active")
    years = rules.min_years_registered
    if facts.registered_on is None or facts.registered_on > add_years(on, -years):
        bars.append(f"registered_less_than_{years}_years")
    if facts.grade and facts.grade_valid_until and facts.grade_valid_until >= on:
        bars.append("grade_still_valid")
    wait = rules.reapply_after_downgrade_years
    if facts.grade_lost_on and facts.grade_lost_on > add_years(on, -wait):
        bars.append(f"grade_lost_within_{wait}_years")
    return bars + _history_bars(rules, facts, on)
