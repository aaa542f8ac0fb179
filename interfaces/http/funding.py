"""/api: funding rounds (公益创投), projects, subsidies (资金扶持) and the dashboards' tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from application.context import CommandContext
from application.errors import StaleVersion
from application.queries.common import Page, Table
from application.queries.funding import ProjectQuery, ProjectRow, RoundRow, SubsidyRow, SubsidyTotal
from application.subsidies import GrantSummary
from domain.evaluation import EvaluationKind
from domain.funding import Project
from domain.provenance import Role
from interfaces.common.commands import (
    context,
    etag,
    expected_version,
    found,
    id_for_key,
    idempotency_key,
    idempotency_scope,
    system_of,
)
from interfaces.common.exports import DASHBOARDS
from interfaces.common.problems import problem
from interfaces.common.security import SIGNED_IN, STAFF, allow, require_own_organization
from interfaces.http import funding_dto as dto

STAFF_AND_AUDITOR = (*STAFF, Role.AUDITOR)
FILERS = (*STAFF, Role.ORGANIZATION)
PROJECT_READERS = (*STAFF, Role.AUDITOR, Role.ORGANIZATION)
ProjectAct = Callable[[Any, CommandContext, int], Project]
PerPage = Annotated[int, Parameter(ge=1, le=200)]
PageNo = Annotated[int, Parameter(ge=1, le=100_000)]


def _project(project: Project, status: int = 200) -> Response[dto.ProjectOut]:
    headers = etag(project.version) | ({"Location": f"/api/projects/{project.id}"} if status == 201 else {})
    return Response(dto.ProjectOut.of(project), status_code=status, headers=headers)


def _act(request: Request[Any, Any, Any], basis: Any, act: ProjectAct) -> Response[dto.ProjectOut]:
    return _project(act(system_of(request).funding, context(request, basis), expected_version(request)))


def created_once(
    request: Request[Any, Any, Any], make: Callable[[UUID | None], Any], find: Callable[[UUID], Any]
) -> tuple[Any, bool]:
    """A create retried with the same Idempotency-Key derives the same id: the second call answers
    with what the first created instead of creating twice. Returns (aggregate, newly created)."""
    key = idempotency_key(request)
    new_id = id_for_key(idempotency_scope(request), key) if key else None
    if new_id is not None and (existing := found(find, new_id)) is not None:
        return existing, False
    try:
        return make(new_id), True
    except StaleVersion:
        if new_id is not None and (existing := found(find, new_id)) is not None:
            return existing, False  # a concurrent twin won
        raise


def require_own_project(request: Request[Any, Any, Any], project_id: UUID) -> Project:
    project = system_of(request).funding.project(project_id)
    require_own_organization(request.user, project.organization_id)
    return project


class FundingController(Controller):
    path = "/api"
    tags = ["funding 公益创投"]

    @get(
        "/funding-rounds",
        operation_id="listFundingRounds",
        summary="资助项目批次 / Funding rounds",
        guards=[allow(*SIGNED_IN)],
        sync_to_thread=True,
    )
    def rounds(self, request: Request[Any, Any, Any]) -> list[RoundRow]:
        return system_of(request).funding_view.rounds()

    @post(
        "/funding-rounds",
        operation_id="openFundingRound",
        summary="发布申报指南 / Open a funding round",
        description="资金总额、单项上限、日期与申报条件;规则集按地区选定。Budget, cap, dates and who may apply; the "
        "locality's rule set in force decides its bars, tranches and pass marks. Idempotency-Key makes a retry safe.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def open_round(self, request: Request[Any, Any, Any], data: dto.RoundIn) -> Response[dto.RoundOut]:
        funding = system_of(request).funding
        found, new = created_once(
            request, lambda i: funding.open_round(context(request, data.basis), data.to_domain(), i), funding.funding_round
        )
        return Response(
            dto.RoundOut.of(found),
            status_code=201 if new else 200,
            headers=etag(found.version) | {"Location": f"/api/funding-rounds/{found.id}"},
        )

    @get(
        "/funding-rounds/{round_id:uuid}",
        operation_id="getFundingRound",
        summary="批次详情 / One funding round",
        guards=[allow(*SIGNED_IN)],
        sync_to_thread=True,
    )
    def get_round(self, request: Request[Any, Any, Any], round_id: UUID) -> Response[dto.RoundOut]:
        found = system_of(request).funding.funding_round(round_id)
        return Response(dto.RoundOut.of(found), headers=etag(found.version))

    @get(
        "/funding-rounds/{round_id:uuid}/projects",
        operation_id="listRoundProjects",
        summary="批次内项目(按评审得分排名) / The round's projects, ranked by review score",
        guards=[allow(*STAFF_AND_AUDITOR)],
        sync_to_thread=True,
    )
    def round_projects(
        self,
        request: Request[Any, Any, Any],
        round_id: UUID,
        stage: str | None = None,
        district: str | None = None,
        sort: Literal["rank", "title", "requested", "awarded"] = "rank",
        page: PageNo = 1,
        per_page: PerPage = 50,
    ) -> Page[ProjectRow]:
        system_of(request).funding.funding_round(round_id)
        query = ProjectQuery(round_id=round_id, stage=stage, district=district, sort=sort, page=page, per_page=per_page)
        return system_of(request).funding_view.projects(query)

    @post(
        "/funding-rounds/{round_id:uuid}/projects",
        operation_id="applyForFunding",
        summary="申报项目 / Apply with a project",
        description="组织只能为本组织申报;申请金额为预算合计,不得超过单项上限。"
        "An organization applies for itself; the request is the budget lines' sum, at most the round's cap.",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=201,
    )
    def apply(self, request: Request[Any, Any, Any], round_id: UUID, data: dto.ApplicationIn) -> Response[dto.ProjectOut]:
        require_own_organization(request.user, data.organization_id)
        funding = system_of(request).funding
        found, new = created_once(
            request,
            lambda i: funding.apply(context(request), round_id, data.organization_id, data.to_domain(), i),
            funding.project,
        )
        return _project(found, 201 if new else 200)

    @get(
        "/projects",
        operation_id="listProjects",
        summary="项目列表 / Projects",
        description="组织用户只看到本组织的项目。Organization users see their own projects only.",
        guards=[allow(*PROJECT_READERS)],
        sync_to_thread=True,
    )
    def projects(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID | None = None,
        stage: str | None = None,
        page: PageNo = 1,
        per_page: PerPage = 50,
    ) -> Page[ProjectRow]:
        if request.user.role is Role.ORGANIZATION:
            organization_id = request.user.organization_id
        query = ProjectQuery(organization_id=organization_id, stage=stage, sort="title", page=page, per_page=per_page)
        return system_of(request).funding_view.projects(query)

    @get(
        "/projects/{project_id:uuid}",
        operation_id="getProject",
        summary="项目详情 / One project",
        guards=[allow(*PROJECT_READERS)],
        sync_to_thread=True,
    )
    def get_project(self, request: Request[Any, Any, Any], project_id: UUID) -> Response[dto.ProjectOut]:
        return _project(require_own_project(request, project_id))

    @post(
        "/projects/{project_id:uuid}/eligibility-check",
        operation_id="checkProjectEligibility",
        summary="资格审查 / Check the applicant's eligibility",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def eligibility(self, request: Request[Any, Any, Any], project_id: UUID) -> Response[dto.ProjectOut]:
        return _act(request, None, lambda f, c, v: f.check_eligibility(c, project_id, v))

    @post(
        "/projects/{project_id:uuid}/evaluations",
        operation_id="openProjectEvaluation",
        summary="开启立项评审、中期或结项评估 / Open the review, mid-term or closing evaluation",
        description="之后按评估接口组建专家组、评分、公示、确认。Then panel, sheets, announcement and finalization "
        "go through /api/evaluations.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def open_evaluation(
        self, request: Request[Any, Any, Any], project_id: UUID, data: dto.ProjectEvaluationIn
    ) -> Response[dto.EvaluationOpenedOut]:
        evaluation = system_of(request).funding.open_evaluation(
            context(request),
            project_id,
            expected_version(request),
            EvaluationKind(data.kind),
            data.scoring_deadline,
            chair_user_id=data.chair_user_id,
        )
        return Response(
            dto.EvaluationOpenedOut(evaluation.id, data.kind, project_id),
            status_code=201,
            headers={"Location": f"/api/evaluations/{evaluation.id}"},
        )

    @post(
        "/projects/{project_id:uuid}/award",
        operation_id="awardProject",
        summary="确定资助金额 / Award an amount within the round's budget",
        description="不超过申请金额,批次资金不会超额承诺(并发时亦然)。At most the request; the round's budget is never "
        "over-committed, even by concurrent awards (409 round.budget_exceeded).",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def award(self, request: Request[Any, Any, Any], project_id: UUID, data: dto.AwardIn) -> Response[dto.ProjectOut]:
        return _act(request, data.basis, lambda f, c, v: f.award(c, project_id, v, data.amount))

    @post(
        "/projects/{project_id:uuid}/decline",
        operation_id="declineProject",
        summary="不予资助 / Do not fund",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def decline(self, request: Request[Any, Any, Any], project_id: UUID, data: dto.ReasonIn) -> Response[dto.ProjectOut]:
        return _act(request, data.basis, lambda f, c, v: f.decline(c, project_id, v, data.reason))

    @post(
        "/projects/{project_id:uuid}/agreement",
        operation_id="signProjectAgreement",
        summary="签订协议并拨付首笔资金 / Sign the agreement; the first tranche is paid on signing",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def agreement(self, request: Request[Any, Any, Any], project_id: UUID, data: dto.AgreementIn) -> Response[dto.ProjectOut]:
        return _act(request, None, lambda f, c, v: f.sign_agreement(c, project_id, v, data.agreement_no))

    @post(
        "/projects/{project_id:uuid}/tranche-payments",
        operation_id="payNextTranche",
        summary="拨付下一笔资金 / Pay the next tranche once its condition is met",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def pay(self, request: Request[Any, Any, Any], project_id: UUID) -> Response[dto.ProjectOut]:
        return _act(request, None, lambda f, c, v: f.pay_tranche(c, project_id, v))

    @post(
        "/projects/{project_id:uuid}/milestone-reports",
        operation_id="submitMilestoneReport",
        summary="提交中期/结项报告 / Submit the mid-term or closing report",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def report(self, request: Request[Any, Any, Any], project_id: UUID, data: dto.ReportIn) -> Response[dto.ProjectOut]:
        require_own_project(request, project_id)
        return _act(request, None, lambda f, c, v: f.submit_report(c, project_id, v, data.milestone, data.summary))

    @post(
        "/projects/{project_id:uuid}/extension-requests",
        operation_id="requestMilestoneExtension",
        summary="申请阶段报告延期 / Ask for more time for a milestone report",
        description="须在报告期限之前申请,延期不超过规则集允许的天数;登记管理机关会收到通知。"
        "Asked before the report is due, for a day within the rule set's limit; the registrars are told.",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def request_extension(
        self, request: Request[Any, Any, Any], project_id: UUID, data: dto.MilestoneExtensionIn
    ) -> Response[dto.ProjectOut]:
        require_own_project(request, project_id)
        return _act(request, None, lambda f, c, v: f.request_extension(c, project_id, v, data.milestone, data.until, data.reason))

    @post(
        "/projects/{project_id:uuid}/extension-decisions",
        operation_id="decideMilestoneExtension",
        summary="准予或不予阶段报告延期 / Grant or refuse a milestone report's extension",
        description="准予后,提醒按新期限重新计算,逾期判断也以新期限为准。"
        "Once granted, the report's reminders and its lateness follow the new day.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def decide_extension(
        self, request: Request[Any, Any, Any], project_id: UUID, data: dto.MilestoneExtensionDecisionIn
    ) -> Response[dto.ProjectOut]:
        return _act(
            request,
            data.basis,
            lambda f, c, v: f.decide_extension(c, project_id, v, data.milestone, data.granted, data.until, data.reasons),
        )

    @post(
        "/projects/{project_id:uuid}/termination",
        operation_id="terminateProject",
        summary="终止项目(违约将限制再申报) / Terminate; a breach bars the organization from similar funding",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def terminate(self, request: Request[Any, Any, Any], project_id: UUID, data: dto.TerminationIn) -> Response[dto.ProjectOut]:
        return _act(request, data.basis, lambda f, c, v: f.terminate(c, project_id, v, data.reason, data.breach))

    @post(
        "/projects/{project_id:uuid}/completion",
        operation_id="completeProject",
        summary="项目结项 / Complete",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def complete(self, request: Request[Any, Any, Any], project_id: UUID) -> Response[dto.ProjectOut]:
        return _act(request, None, lambda f, c, v: f.complete(c, project_id, v))

    # -- subsidies ------------------------------------------------------------------------------------
    @post(
        "/subsidy-grants",
        operation_id="grantSubsidies",
        summary="按规则发放年度补贴 / Grant a year's subsidies",
        description="依据组织历史与规则集计算;同一期间只发放一次,可重复执行。Computed from history by the rule set; "
        "each once per period, so it may be repeated.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def grant(self, request: Request[Any, Any, Any], data: dto.GrantIn) -> GrantSummary:
        return system_of(request).subsidies.grant_year(context(request), data.year, data.division_prefix)

    @get(
        "/subsidies",
        operation_id="listSubsidies",
        summary="补贴发放记录 / Subsidies granted",
        guards=[allow(*STAFF_AND_AUDITOR)],
        sync_to_thread=True,
    )
    def subsidies(
        self,
        request: Request[Any, Any, Any],
        year: Annotated[int | None, Parameter(ge=2000, le=2100)] = None,
        district: str | None = None,
    ) -> list[SubsidyRow]:
        return system_of(request).funding_view.subsidies(year, district)

    @get(
        "/subsidies/report",
        operation_id="subsidyReport",
        summary="区县年度补贴汇总 / A year's subsidies per district",
        guards=[allow(*STAFF_AND_AUDITOR)],
        sync_to_thread=True,
    )
    def subsidy_report(
        self, request: Request[Any, Any, Any], year: Annotated[int, Parameter(ge=2000, le=2100)]
    ) -> list[SubsidyTotal]:
        return system_of(request).funding_view.subsidy_report(year)

    @get(
        "/dashboards/{key:str}",
        operation_id="dashboardTable",
        summary="统计图表的数据 / The figures behind a dashboard chart",
        description=f"key: {', '.join(DASHBOARDS)}",
        guards=[allow(*STAFF_AND_AUDITOR)],
        sync_to_thread=True,
    )
    def dashboard(self, request: Request[Any, Any, Any], key: str) -> Table:
        if key not in DASHBOARDS:
            raise problem(
                404, "dashboard.unknown", f"没有该统计表:{key}", f"No dashboard table named {key}", known=list(DASHBOARDS)
            )
        return system_of(request).dashboards.table(key)
