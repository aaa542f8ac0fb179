"""/api/experts and /api/evaluations: panels, score sheets, results, announcement, appeal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.exceptions import PermissionDeniedException
from msgspec import Meta

from application.evaluations import Evaluations
from application.explanations import Explanation, explain
from application.queries.common import HistoryEntry
from domain import values
from domain.evaluation import Evaluation, RecusalGround
from domain.expert import Employment, Relation, RelationKind
from domain.provenance import Role
from domain.scoring import IndicatorScore
from interfaces.common.case_access import CASE_ROLES, require_case_access, reveals_names
from interfaces.common.commands import context, etag, expected_version, optional_version, system_of
from interfaces.common.security import STAFF, Principal, allow
from interfaces.http.dto import BasisIn

Points = Decimal  # ranges are the scheme's, checked by the domain with a clear message
Note = Annotated[str, Meta(max_length=5000)]
CHAIRS = (Role.ADMIN, Role.REGISTRAR, Role.CHAIR)
RECUSERS = (Role.ADMIN, Role.REGISTRAR, Role.CHAIR, Role.EVALUATOR, Role.ORGANIZATION)  # never the auditor


class EmploymentIn(msgspec.Struct, frozen=True):
    organization_name: Annotated[str, Meta(min_length=1, max_length=100)]
    organization_id: UUID | None = None
    until: date | None = None


class ExpertIn(msgspec.Struct, frozen=True):
    user_id: Annotated[str, Meta(min_length=1, max_length=64)]
    name: Annotated[str, Meta(min_length=1, max_length=50)]
    field: Annotated[str, Meta(max_length=100)] = ""
    affiliation: Annotated[str, Meta(max_length=100)] = ""
    employments: list[EmploymentIn] = []


class RelationIn(msgspec.Struct, frozen=True):
    """A tie the expert declares to an organization (member, director, donor, relative working there)."""

    organization_id: UUID
    organization_name: Annotated[str, Meta(min_length=1, max_length=100)]
    kind: RelationKind
    until: date | None = None


class ExpertOut(msgspec.Struct, frozen=True):
    id: UUID
    user_id: str
    name: str
    field: str
    affiliation: str
    relations: list[RelationIn] = []
    version: int | None = None


def _expert_out(e: Any) -> ExpertOut:
    relations = [RelationIn(r.organization_id, r.organization_name, r.kind, r.until) for r in e.relations]
    return ExpertOut(e.id, e.user_id, e.name, e.field, e.affiliation, relations, e.version)


class ConflictOut(msgspec.Struct, frozen=True):
    expert_id: UUID
    expert: str
    ground: str  # employment | former_employment | relation | hub
    organization: str
    message_zh: str
    message_en: str


class ReplacementIn(msgspec.Struct, frozen=True):
    """Replace a recused, withdrawn or non-responsive member by an expert from the pool."""

    expert_id: UUID
    replacement_id: UUID
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]


class ScoreChangeOut(msgspec.Struct, frozen=True):
    key: str
    old: Decimal | None  # None while scores are sealed (scoring), or for a line that was not there
    new: Decimal | None


class SheetChangeOut(msgspec.Struct, frozen=True):
    expert_id: UUID
    expert: str
    at: datetime
    old_total: Decimal | None  # None while scoring is open: the scores are sealed until it closes
    new_total: Decimal | None
    changes: list[ScoreChangeOut]


class OpenIn(msgspec.Struct, frozen=True):
    organization_id: UUID
    scoring_deadline: date
    chair_user_id: Annotated[str, Meta(min_length=1, max_length=64)]


class ApplicationIn(msgspec.Struct, frozen=True):
    self_assessment: Points | None = None
    statement: Note = ""

    def __post_init__(self) -> None:
        if self.self_assessment is not None:
            values.points(self.self_assessment, "self_assessment", "自评分")


class PanelIn(msgspec.Struct, frozen=True):
    """Either name the experts, or draw `size` of them from `pool` with a recorded `seed`."""

    expert_ids: list[UUID] = []
    pool: list[UUID] = []
    size: Annotated[int, Meta(ge=1, le=50)] | None = None
    seed: Annotated[int, Meta(ge=0, le=2**31)] | None = None


class RecusalIn(msgspec.Struct, frozen=True):
    """declared: the expert's own conflict; forced: the chair or a registrar, `note` giving the
    grounds; requested: the organization's request, decided later by the chair or a registrar."""

    expert_id: UUID
    ground: RecusalGround
    note: Note = ""


class RecusalDecisionIn(msgspec.Struct, frozen=True):
    granted: bool
    reasons: Annotated[str, Meta(min_length=1, max_length=2000)]


class ScoreIn(msgspec.Struct, frozen=True):
    key: Annotated[str, Meta(min_length=1, max_length=80)]
    points: Points
    comment: Annotated[str, Meta(max_length=1000)] = ""

    def __post_init__(self) -> None:
        values.points(self.points, "points", "分数")


class SheetIn(msgspec.Struct, frozen=True):
    scores: Annotated[list[ScoreIn], Meta(max_length=200)]
    bonus: Points = Decimal(0)

    def __post_init__(self) -> None:
        values.points(self.bonus, "bonus", "加分")


class ReasonIn(msgspec.Struct, frozen=True):
    reason: Annotated[str, Meta(min_length=1, max_length=1000)]


class AppealIn(msgspec.Struct, frozen=True):
    grounds: Annotated[str, Meta(min_length=1, max_length=5000)]


class RevisedSheetIn(msgspec.Struct, frozen=True):
    expert_id: UUID
    scores: Annotated[list[ScoreIn], Meta(max_length=200)]


class FinalizeIn(msgspec.Struct, frozen=True):
    """确认结果 / Finalize: optionally the committee's decision (document number, the day it was decided)."""

    basis: BasisIn | None = None


class AppealDecisionIn(msgspec.Struct, frozen=True):
    upheld: bool
    decision: Annotated[str, Meta(min_length=1, max_length=5000)]
    revised: list[RevisedSheetIn] = []


class AppealExtensionIn(msgspec.Struct, frozen=True):
    """延长复核期限: the new day and why (the appellant is told)."""

    until: date
    reasons: Annotated[str, Meta(min_length=1, max_length=2000)]
    basis: BasisIn | None = None


class MemberOut(msgspec.Struct, frozen=True):
    expert_id: UUID
    name: str | None
    recused: str | None
    submitted: bool
    replaced_by: UUID | None = None  # kept on record, no longer counted
    outlier: Decimal | None = None  # for the chair once scoring closed: distance of the total from the median (advisory)
    recusal_requested: bool = False  # a request of the organization awaits a decision


class EvaluationOut(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    kind: str
    stage: str
    subject_id: UUID
    rule_set: str
    scheme_id: str
    scoring_deadline: date
    chair_user_id: str
    panel: list[MemberOut]
    bars: list[str]
    total: Decimal | None
    result: str | None
    announcement: tuple[date, date] | None
    min_panel_size: int = 0
    panel_shortfall: int = 0  # active members missing to reach the minimum: scoring cannot close nor the result be computed
    appeal_decide_by: date | None = None  # while an appeal waits: the day its decision is due (extended or not)
    appeal_extended_to: date | None = None


def _desk(request: Request[Any, Any, Any]) -> Evaluations:
    return system_of(request).evaluations


def _out(evaluation: Evaluation, request: Request[Any, Any, Any]) -> Response[EvaluationOut]:
    principal: Principal = request.user
    names = reveals_names(principal, evaluation)
    desk = _desk(request)
    minimum = desk.rule_set_of(evaluation).evaluation.min_panel_size
    flagged = desk.outliers(evaluation) if names and evaluation.panel and not desk.scores_sealed(evaluation) else {}
    computation = evaluation.computation if desk.sight(context(request), evaluation).result else None  # sealed scores
    body = EvaluationOut(
        id=evaluation.id,
        version=evaluation.version,
        kind=evaluation.kind.value,
        stage=evaluation.stage.value,
        subject_id=evaluation.subject_id,
        rule_set=f"{evaluation.rule_set.id}@{evaluation.rule_set.version}",
        scheme_id=evaluation.scheme_id,
        scoring_deadline=evaluation.scoring_deadline,
        chair_user_id=evaluation.chair_user_id,
        panel=[
            MemberOut(
                m.expert_id,
                m.name if names else None,
                evaluation.recused[m.expert_id].value if m.expert_id in evaluation.recused else None,
                m.expert_id in evaluation.submitted,
                evaluation.replaced.get(m.expert_id),
                flagged.get(m.expert_id),
                m.expert_id in evaluation.recusal_requests,
            )
            for m in evaluation.panel
        ],
        bars=list(evaluation.bars),
        total=computation.total if computation else None,
        result=computation.label if computation else None,
        announcement=evaluation.announcement,
        min_panel_size=minimum,
        panel_shortfall=evaluation.panel_shortfall(minimum) if evaluation.panel else 0,
        appeal_decide_by=_appeal_decide_by(desk, evaluation),
        appeal_extended_to=evaluation.appeal_extended_to,
    )
    return Response(body, headers=etag(evaluation.version))


def _appeal_decide_by(desk: Evaluations, evaluation: Evaluation) -> date | None:
    due = desk.appeal_due(evaluation)
    return None if due is None else evaluation.appeal_extended_to or due[0].due


def _scores(items: list[ScoreIn]) -> tuple[IndicatorScore, ...]:
    return tuple(IndicatorScore(s.key, s.points, s.comment) for s in items)


class ExpertController(Controller):
    path = "/api/experts"
    tags = ["evaluations 评估"]

    @post(
        "/",
        operation_id="enrollExpert",
        summary="登记评估专家 / Enroll an expert in the pool",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def enroll(self, request: Request[Any, Any, Any], data: ExpertIn) -> ExpertOut:
        jobs = tuple(Employment(j.organization_name, j.organization_id, j.until) for j in data.employments)
        e = _desk(request).enroll_expert(context(request), data.user_id, data.name, data.field, data.affiliation, jobs)
        return _expert_out(e)

    @get(
        "/{expert_id:uuid}",
        operation_id="getExpert",
        summary="专家信息 / An expert's profile",
        guards=[allow(*CHAIRS, Role.AUDITOR)],
        sync_to_thread=True,
    )
    def detail(self, request: Request[Any, Any, Any], expert_id: UUID) -> ExpertOut:
        return _expert_out(_desk(request).expert(expert_id))

    @post(
        "/{expert_id:uuid}/relations",
        operation_id="declareExpertRelation",
        summary="申报关联关系 / Declare a relation to an organization",
        description="专家本人(或登记管理人员)申报与组织的关系:会员、理事、捐赠人、近亲属任职;此后组建专家组时据此回避。"
        "The expert (or registry staff) declares a tie to an organization; later panels check it before seating them.",
        guards=[allow(Role.EVALUATOR, *STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def relation(self, request: Request[Any, Any, Any], expert_id: UUID, data: RelationIn) -> ExpertOut:
        relation = Relation(data.organization_id, data.organization_name, data.kind, data.until)
        return _expert_out(_desk(request).declare_relation(context(request), expert_id, optional_version(request), relation))


class EvaluationController(Controller):
    path = "/api/evaluations"
    tags = ["evaluations 评估"]

    @post(
        "/",
        operation_id="openGradeEvaluation",
        summary="启动等级评估 / Open a grade evaluation",
        description="规则集版本在启动时确定,整个评估期间不变。The rule-set version is fixed for the whole case.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def open(self, request: Request[Any, Any, Any], data: OpenIn) -> Response[EvaluationOut]:
        evaluation = _desk(request).open_grade_evaluation(
            context(request), data.organization_id, data.scoring_deadline, data.chair_user_id
        )
        response = _out(evaluation, request)
        response.status_code = 201
        response.headers["Location"] = f"/api/evaluations/{evaluation.id}"
        return response

    @get(
        "/{evaluation_id:uuid}",
        operation_id="getEvaluation",
        summary="评估案件 / An evaluation case",
        guards=[allow(*CASE_ROLES)],
        sync_to_thread=True,
    )
    def detail(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Response[EvaluationOut]:
        evaluation = _desk(request).evaluation(evaluation_id)
        require_case_access(request.user, evaluation, _desk(request).subject_organization(evaluation))
        return _out(evaluation, request)

    @get(
        "/{evaluation_id:uuid}/explanation",
        operation_id="explainEvaluation",
        summary="结果说明 / Why the result is what it is",
        description="评分表、回避、逐步汇总、等级区间、规则版本,以及由事件重新计算的核对。Sheets, recusals, "
        "aggregation step by step, bands, rule-set version, and a recomputation from the events.",
        guards=[allow(*CASE_ROLES)],
        sync_to_thread=True,
    )
    def explanation(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Explanation:
        evaluation = _desk(request).evaluation(evaluation_id)
        require_case_access(request.user, evaluation, _desk(request).subject_organization(evaluation))
        desk = _desk(request)
        return explain(desk, evaluation_id, reveals_names(request.user, evaluation), desk.sight(context(request), evaluation))

    @get(
        "/{evaluation_id:uuid}/history",
        operation_id="getEvaluationHistory",
        summary="评估事件历史 / The case's events",
        guards=[allow(Role.ADMIN, Role.REGISTRAR, Role.AUDITOR)],
        sync_to_thread=True,
    )
    def history(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> list[HistoryEntry]:
        return _desk(request).history(evaluation_id)  # scores read "sealed" until scoring closes

    @post(
        "/{evaluation_id:uuid}/application",
        operation_id="submitEvaluationApplication",
        summary="提交申请与自评 / Submit the application and self-assessment",
        guards=[allow(Role.ORGANIZATION, *STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def application(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: ApplicationIn) -> Response[EvaluationOut]:
        e = _desk(request).submit_application(
            context(request), evaluation_id, expected_version(request), data.self_assessment, data.statement
        )
        return _out(e, request)

    @post(
        "/{evaluation_id:uuid}/eligibility-check",
        operation_id="checkEligibility",
        summary="资格审查 / Check eligibility against the rule set's bars",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def eligibility(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Response[EvaluationOut]:
        return _out(_desk(request).check_eligibility(context(request), evaluation_id, expected_version(request)), request)

    @post(
        "/{evaluation_id:uuid}/panel",
        operation_id="assignPanel",
        summary="组建专家组(指定或随机抽取)/ Assign or draw the panel",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def panel(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: PanelIn) -> Response[EvaluationOut]:
        desk, ctx, version = _desk(request), context(request), expected_version(request)
        if data.size is not None:
            seed = data.seed if data.seed is not None else system_of(request).ids.new_id().int % 2**31
            evaluation = desk.draw_panel(ctx, evaluation_id, version, data.pool, data.size, seed)
        else:
            evaluation = desk.assign_panel(ctx, evaluation_id, version, data.expert_ids)
        return _out(evaluation, request)

    @get(
        "/{evaluation_id:uuid}/conflicts",
        operation_id="getPanelConflicts",
        summary="专家利益冲突检查 / Conflicts of interest in the pool",
        description="组建或替换专家组之前:库中每位有利益冲突的专家及原因(任职、离职未满年限、申报关系、所属枢纽型组织)。"
        "Before assigning or replacing: every expert in the pool with a conflict, and why.",
        guards=[allow(*CHAIRS, Role.AUDITOR)],
        sync_to_thread=True,
    )
    def conflicts(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> list[ConflictOut]:
        desk = _desk(request)
        evaluation = desk.evaluation(evaluation_id)
        experts = [desk.expert(x.id) for x in system_of(request).cases.experts()]
        return [
            ConflictOut(c.expert_id, c.expert_name, c.ground, c.organization_name, c.zh, c.en)
            for found in desk.conflicts(evaluation, experts).values()
            for c in found
        ]

    @post(
        "/{evaluation_id:uuid}/panel/replacements",
        operation_id="replacePanelMember",
        summary="替换专家 / Replace a panel member",
        description="计算结果之前,主任以库中专家替换回避、退出或未响应的专家;原记录与草稿保留但不计分,提醒随席位转移。"
        "Before computation the chair replaces a recused, withdrawn or non-responsive member; their record and draft "
        "are kept but not counted, and reminders move to the replacement.",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def replace(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: ReplacementIn) -> Response[EvaluationOut]:
        e = _desk(request).replace_member(
            context(request), evaluation_id, expected_version(request), data.expert_id, data.replacement_id, data.reason
        )
        return _out(e, request)

    @get(
        "/{evaluation_id:uuid}/sheet-changes",
        operation_id="getSheetChanges",
        summary="已提交评分表的修改 / Changes to submitted sheets",
        description="退回后修改并重新提交的评分表:谁、何时、逐项原分与新分(评分结束前分数保密)。"
        "Sheets changed after a reopening: who, when, old and new points per line (scores sealed until scoring closes).",
        guards=[allow(*CHAIRS, Role.AUDITOR)],
        sync_to_thread=True,
    )
    def sheet_changes(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> list[SheetChangeOut]:
        desk = _desk(request)
        evaluation = desk.evaluation(evaluation_id)
        if not reveals_names(request.user, evaluation):
            raise PermissionDeniedException("only this case's chair sees its changed sheets")
        sealed = evaluation.stage.value == "scoring"
        return [
            SheetChangeOut(
                n.expert_id,
                n.expert_name,
                n.at,
                None if sealed else n.old_total,
                None if sealed else n.new_total,
                [ScoreChangeOut(c.key, None if sealed else c.old, None if sealed else c.new) for c in n.changes],
            )
            for n in desk.sheet_changes(evaluation)
        ]

    @post(
        "/{evaluation_id:uuid}/recusals",
        operation_id="recordRecusal",
        summary="回避:专家声明、主任强制或组织申请 / A recusal: declared, forced, or requested",
        guards=[allow(*RECUSERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def recusal(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: RecusalIn) -> Response[EvaluationOut]:
        desk, ctx, version = _desk(request), context(request), optional_version(request)
        if data.ground is RecusalGround.DECLARED:
            e = desk.declare_conflict(ctx, evaluation_id, version, data.expert_id, data.note)
        elif data.ground is RecusalGround.FORCED:
            e = desk.force_recusal(ctx, evaluation_id, version, data.expert_id, data.note)
        else:
            e = desk.request_recusal(ctx, evaluation_id, version, data.expert_id, data.note)
        return _out(e, request)

    @post(
        "/{evaluation_id:uuid}/recusal-requests/{expert_id:uuid}/decision",
        operation_id="decideRecusalRequest",
        summary="决定组织的回避申请 / Grant or refuse the organization's recusal request",
        description="本案主任或登记管理机关,须说明理由。The case's chair or a registrar, with reasons.",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def decide_recusal(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, expert_id: UUID, data: RecusalDecisionIn
    ) -> Response[EvaluationOut]:
        e = _desk(request).decide_recusal_request(
            context(request), evaluation_id, expected_version(request), expert_id, data.granted, data.reasons
        )
        return _out(e, request)

    @put(
        "/{evaluation_id:uuid}/my-sheet",
        operation_id="saveMySheet",
        summary="保存我的评分表草稿 / Save my score sheet (draft)",
        description="If-Match 可选;缺省时并发冲突会自动重试。If-Match is optional; without it a conflict is retried.",
        guards=[allow(Role.EVALUATOR)],
        sync_to_thread=True,
    )
    def save_sheet(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: SheetIn) -> Response[EvaluationOut]:
        e = _desk(request).save_draft(
            context(request), evaluation_id, optional_version(request), _scores(data.scores), data.bonus
        )
        return _out(e, request)

    @post(
        "/{evaluation_id:uuid}/my-sheet/submission",
        operation_id="submitMySheet",
        summary="提交我的评分表(提交后锁定)/ Submit my sheet (locks it)",
        guards=[allow(Role.EVALUATOR)],
        sync_to_thread=True,
        status_code=200,
    )
    def submit_sheet(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Response[EvaluationOut]:
        return _out(_desk(request).submit_sheet(context(request), evaluation_id, optional_version(request)), request)

    @post(
        "/{evaluation_id:uuid}/sheets/{expert_id:uuid}/reopening",
        operation_id="reopenSheet",
        summary="退回评分表 / Reopen a submitted sheet",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def reopen(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, expert_id: UUID, data: ReasonIn
    ) -> Response[EvaluationOut]:
        e = _desk(request).reopen_sheet(context(request), evaluation_id, expected_version(request), expert_id, data.reason)
        return _out(e, request)

    @post(
        "/{evaluation_id:uuid}/scoring-closure",
        operation_id="closeScoring",
        summary="结束评分 / Close scoring",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def close(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Response[EvaluationOut]:
        return _out(_desk(request).close_scoring(context(request), evaluation_id, expected_version(request)), request)

    @post(
        "/{evaluation_id:uuid}/result",
        operation_id="computeResult",
        summary="计算结果 / Compute the result",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def compute(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Response[EvaluationOut]:
        return _out(_desk(request).compute_result(context(request), evaluation_id, expected_version(request)), request)

    @post(
        "/{evaluation_id:uuid}/announcement",
        operation_id="openAnnouncement",
        summary="开始公示 / Open the announcement period",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def announce(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> Response[EvaluationOut]:
        return _out(_desk(request).open_announcement(context(request), evaluation_id, expected_version(request)), request)

    @post(
        "/{evaluation_id:uuid}/appeal",
        operation_id="fileAppeal",
        summary="申请复核 / File an appeal",
        guards=[allow(Role.ORGANIZATION, *STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def appeal(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: AppealIn) -> Response[EvaluationOut]:
        return _out(_desk(request).file_appeal(context(request), evaluation_id, expected_version(request), data.grounds), request)

    @post(
        "/{evaluation_id:uuid}/appeal-decision",
        operation_id="decideAppeal",
        summary="复核决定 / Decide the appeal",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def decide(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: AppealDecisionIn) -> Response[EvaluationOut]:
        revised = {r.expert_id: _scores(r.scores) for r in data.revised}
        e = _desk(request).decide_appeal(
            context(request), evaluation_id, expected_version(request), data.upheld, data.decision, revised
        )
        return _out(e, request)

    @post(
        "/{evaluation_id:uuid}/appeal-extension",
        operation_id="extendAppealDecision",
        summary="延长复核决定期限 / Extend the period for deciding the appeal",
        description="仅一次,须在期限届满前,延长不超过规则集允许的期间,并说明理由;申请人会收到通知。"
        "Once, before the period ends, within the rule set's extension, with reasons; the appellant is told.",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def extend_appeal(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, data: AppealExtensionIn
    ) -> Response[EvaluationOut]:
        e = _desk(request).extend_appeal_decision(
            context(request, data.basis), evaluation_id, expected_version(request), data.until, data.reasons
        )
        return _out(e, request)

    @post(
        "/{evaluation_id:uuid}/finalization",
        operation_id="finalizeEvaluation",
        summary="确认结果(授予等级)/ Finalize (award the grade)",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def finalize(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, data: FinalizeIn | None = None
    ) -> Response[EvaluationOut]:
        ctx = context(request, data.basis if data else None)
        return _out(_desk(request).finalize(ctx, evaluation_id, expected_version(request)), request)

    @post(
        "/{evaluation_id:uuid}/withdrawal",
        operation_id="withdrawEvaluation",
        summary="撤回评估 / Withdraw the case",
        guards=[allow(*CHAIRS)],
        sync_to_thread=True,
        status_code=200,
    )
    def withdraw(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: ReasonIn) -> Response[EvaluationOut]:
        return _out(_desk(request).withdraw(context(request), evaluation_id, expected_version(request), data.reason), request)
