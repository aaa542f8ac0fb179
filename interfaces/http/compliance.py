"""/api: annual inspections (年检), credit records (信用信息) and public disclosure (信息公示)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter

from application.context import CommandContext
from application.public import PublicCard, PublicEntry
from application.queries.common import Page
from application.queries.compliance import CampaignRow, InspectionRow, ListingQuery, ListingRow
from application.queries.register import RegisterQuery
from domain.credit import CreditList
from domain.inspection import Inspection, Outcome
from domain.provenance import Role
from interfaces.common.commands import context, etag, expected_version, optional_version, system_of
from interfaces.common.exports import csv_download
from interfaces.common.security import READERS_OF_HISTORY, STAFF, allow, require_own_organization
from interfaces.http import compliance_dto as dto

STAFF_AND_AUDITOR = (*STAFF, Role.AUDITOR)
FILERS = (*STAFF, Role.ORGANIZATION)
Year = Annotated[int, Parameter(ge=1990, le=2100)]
InspectionAct = Callable[[Any, CommandContext, int], Inspection]


def _inspection(inspection: Inspection, status: int = 200) -> Response[dto.InspectionOut]:
    return Response(dto.InspectionOut.of(inspection), status_code=status, headers=etag(inspection.version))


def _act(request: Request[Any, Any, Any], organization_id: UUID, basis: Any, act: InspectionAct) -> Response[dto.InspectionOut]:
    require_own_organization(request.user, organization_id)
    version = expected_version(request)
    return _inspection(act(system_of(request).inspections, context(request, basis), version))


class InspectionController(Controller):
    path = "/api"
    tags = ["inspections 年检"]

    @get(
        "/inspection-campaigns",
        operation_id="listInspectionCampaigns",
        summary="年检工作列表 / Inspection campaigns",
        guards=[allow(*STAFF_AND_AUDITOR)],
        sync_to_thread=True,
    )
    def campaigns(self, request: Request[Any, Any, Any]) -> list[CampaignRow]:
        return system_of(request).compliance.campaigns()

    @post(
        "/inspection-campaigns",
        operation_id="openInspectionCampaign",
        summary="开展年度检查 / Open a report year's inspection in a locality",
        description="截止日期取自规则集。Deadlines come from the rule set in force.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def open_campaign(self, request: Request[Any, Any, Any], data: dto.CampaignIn) -> Response[dto.CampaignOut]:
        campaign = system_of(request).inspections.open_campaign(
            context(request, data.basis), data.report_year, data.division_prefix
        )
        return Response(dto.CampaignOut.of(campaign), status_code=201, headers=etag(campaign.version))

    @post(
        "/inspection-deadlines",
        operation_id="recordMissedInspections",
        summary="记录逾期未报 / Record missed inspections as of a date",
        description="截止日已过而未提交报告的组织记为未参检,并按规则集产生后果;可重复执行。"
        "Organizations without a submitted report after the deadline are recorded as missed, with the rule "
        "set's consequences; idempotent.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def record_missed(self, request: Request[Any, Any, Any], data: dto.AsOfIn) -> dict[str, int]:
        return system_of(request).inspections.record_missed(context(request), data.as_of)

    @get(
        "/organizations/{organization_id:uuid}/inspections",
        operation_id="listInspections",
        summary="组织的年检记录 / An organization's inspections",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def list_inspections(self, request: Request[Any, Any, Any], organization_id: UUID) -> list[InspectionRow]:
        require_own_organization(request.user, organization_id)
        system_of(request).organizations.organization(organization_id)
        return system_of(request).compliance.inspections_of(organization_id)

    @get(
        "/organizations/{organization_id:uuid}/inspections/{year:int}",
        operation_id="getInspection",
        summary="某年度年检 / One year's inspection and report",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def get_inspection(self, request: Request[Any, Any, Any], organization_id: UUID, year: Year) -> Response[dto.InspectionOut]:
        require_own_organization(request.user, organization_id)
        return _inspection(system_of(request).inspections.inspection(organization_id, year))

    @put(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/report",
        operation_id="draftAnnualReport",
        summary="填写年度工作报告(草稿) / Draft the annual report",
        description="首次填写无需 If-Match;之后须附带。No If-Match for the first draft; required afterwards.",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
    )
    def draft(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.ReportIn
    ) -> Response[dto.InspectionOut]:
        require_own_organization(request.user, organization_id)
        inspection = system_of(request).inspections.draft_report(
            context(request), organization_id, year, optional_version(request), data.to_domain()
        )
        return _inspection(inspection)

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/submission",
        operation_id="submitAnnualReport",
        summary="提交年度工作报告 / Submit the annual report",
        description="无请求体时提交最近保存的草稿;附报告时,该报告即为提交内容(保存与提交一次完成,要么都成,要么都不成)。"
        "Without a body the last saved draft is submitted; with a report in the body, that report is what is "
        "submitted (drafted and submitted in one command, both or neither).",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def submit(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.ReportIn | None = None
    ) -> Response[dto.InspectionOut]:
        report = data.to_domain() if data is not None else None
        return _act(request, organization_id, None, lambda s, c, v: s.submit_report(c, organization_id, year, v, report))

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/extension-request",
        operation_id="requestReportExtension",
        summary="申请延期报送年度报告 / Ask for more time to file the annual report",
        description="须在报送期限届满前申请,延至的日期不超过规则集允许的天数。Asked before the deadline passes, for a "
        "day within the rule set's limit.",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def request_extension(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.ExtensionRequestIn
    ) -> Response[dto.InspectionOut]:
        return _act(
            request,
            organization_id,
            None,
            lambda s, c, v: s.request_extension(c, organization_id, year, v, data.until, data.reason),
        )

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/extension-decision",
        operation_id="decideReportExtension",
        summary="准予或不予延期 / Grant or refuse the extension",
        description="准予时期限改为所申请的日期(或 until);提醒和逾期未报的处理随之按新期限。Granted: the deadline "
        "becomes the day asked for (or `until`); reminders and the missed-report sweep follow it.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def decide_extension(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.ExtensionDecisionIn
    ) -> Response[dto.InspectionOut]:
        return _act(
            request,
            organization_id,
            data.basis,
            lambda s, c, v: s.decide_extension(c, organization_id, year, v, data.granted, data.until, data.reasons),
        )

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/withdrawal",
        operation_id="withdrawAnnualReport",
        summary="撤回报告(审查前) / Withdraw the report before review",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def withdraw(self, request: Request[Any, Any, Any], organization_id: UUID, year: Year) -> Response[dto.InspectionOut]:
        return _act(request, organization_id, None, lambda s, c, v: s.withdraw_report(c, organization_id, year, v))

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/preliminary-opinion",
        operation_id="givePreliminaryOpinion",
        summary="业务主管单位初审意见 / Supervising unit's preliminary opinion",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def opinion(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.OpinionIn
    ) -> Response[dto.InspectionOut]:
        return _act(
            request,
            organization_id,
            data.basis,
            lambda s, c, v: s.give_preliminary_opinion(c, organization_id, year, v, data.opinion),
        )

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/correction-request",
        operation_id="requestReportCorrection",
        summary="退回补正 / Ask for correction and resubmission",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def correction(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.ReasonsIn
    ) -> Response[dto.InspectionOut]:
        return _act(
            request,
            organization_id,
            data.basis,
            lambda s, c, v: s.request_correction(c, organization_id, year, v, tuple(data.reasons)),
        )

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/review",
        operation_id="reviewInspection",
        summary="年检结论 / Review: pass, basic pass or fail",
        description="基本合格、不合格须说明理由;后果按规则集记录。Basic pass and fail need reasons; consequences follow the rule set.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def review(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.ReviewIn
    ) -> Response[dto.InspectionOut]:
        return _act(
            request,
            organization_id,
            data.basis,
            lambda s, c, v: s.review(c, organization_id, year, v, Outcome(data.outcome), tuple(data.reasons)),
        )

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/rectification-order",
        operation_id="orderRectification",
        summary="责令整改 / Order rectification with a deadline",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def rectification(
        self, request: Request[Any, Any, Any], organization_id: UUID, year: Year, data: dto.RectificationIn
    ) -> Response[dto.InspectionOut]:
        return _act(
            request,
            organization_id,
            data.basis,
            lambda s, c, v: s.order_rectification(c, organization_id, year, v, tuple(data.items), data.deadline),
        )

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/rectification-confirmation",
        operation_id="confirmRectification",
        summary="确认整改完成 / Confirm the rectification",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def rectified(self, request: Request[Any, Any, Any], organization_id: UUID, year: Year) -> Response[dto.InspectionOut]:
        return _act(request, organization_id, None, lambda s, c, v: s.confirm_rectification(c, organization_id, year, v))


class CreditController(Controller):
    path = "/api"
    tags = ["credit 信用信息"]

    @get(
        "/organizations/{organization_id:uuid}/credit",
        operation_id="getCreditRecord",
        summary="信用记录 / An organization's credit record",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def record(self, request: Request[Any, Any, Any], organization_id: UUID) -> dto.CreditOut:
        require_own_organization(request.user, organization_id)
        return dto.CreditOut.of(organization_id, system_of(request).credit.record_of(organization_id))

    @post(
        "/organizations/{organization_id:uuid}/credit/penalties",
        operation_id="recordPenalty",
        summary="记录行政处罚 / Record an administrative penalty",
        description="按规则集列入名录、降低等级;停止活动和撤销登记同时改变组织状态。Lists the organization and lowers "
        "its grade per the rule set; a suspension or revocation changes its status too.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def penalty(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.PenaltyIn) -> dto.CreditOut:
        record = system_of(request).credit.record_penalty(context(request), organization_id, data.to_domain())
        return dto.CreditOut.of(organization_id, record)

    @post(
        "/organizations/{organization_id:uuid}/credit/grounds",
        operation_id="addListingGround",
        summary="认定列入事由 / Establish a listing ground by hand",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def ground(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.GroundIn) -> dto.CreditOut:
        record = system_of(request).credit.add_ground(context(request), organization_id, data.code, data.on, data.detail)
        return dto.CreditOut.of(organization_id, record)

    @post(
        "/organizations/{organization_id:uuid}/credit/returned-letters",
        operation_id="recordReturnedLetter",
        summary="挂号信被退回 / A registered letter came back unsigned",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def letter(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.LetterIn) -> dto.CreditOut:
        record = system_of(request).credit.record_returned_letter(context(request), organization_id, data.on, data.detail)
        return dto.CreditOut.of(organization_id, record)

    @post(
        "/organizations/{organization_id:uuid}/credit/removal-requests",
        operation_id="requestListingRemoval",
        summary="申请移出名录 / Apply for removal from a list",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=201,
    )
    def removal_request(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.ListIn) -> dto.CreditOut:
        require_own_organization(request.user, organization_id)
        record = system_of(request).credit.request_removal(context(request), organization_id, CreditList(data.list_name))
        return dto.CreditOut.of(organization_id, record)

    @post(
        "/organizations/{organization_id:uuid}/credit/objections",
        operation_id="fileCreditObjection",
        summary="对列入名录提出异议 / Dispute a listing",
        description="核查期间公示页注明“有异议,核查中”。While it is verified the public card says the listing is disputed.",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=201,
    )
    def objection(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.CreditObjectionIn
    ) -> dto.CreditObjectionFiled:
        require_own_organization(request.user, organization_id)
        reference = system_of(request).credit.file_objection(
            context(request), organization_id, CreditList(data.list_name), data.grounds
        )
        return dto.CreditObjectionFiled(reference)

    @post(
        "/organizations/{organization_id:uuid}/credit/objections/{reference:str}/decision",
        operation_id="decideCreditObjection",
        summary="处理列入异议 / Decide a listing's objection",
        description="成立:自列入之日起移出(更正);不成立:维持。Upheld: removed from the day it began; dismissed: it stays.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def objection_decision(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        reference: Annotated[str, Parameter(max_length=40)],
        data: dto.CreditObjectionDecisionIn,
    ) -> dto.CreditOut:
        record = system_of(request).credit.decide_objection(
            context(request), organization_id, reference, data.upheld, data.reasons
        )
        return dto.CreditOut.of(organization_id, record)

    @post(
        "/organizations/{organization_id:uuid}/credit/obligation-verifications",
        operation_id="verifyObligation",
        summary="核实已履行义务 / Verify the obligation is met",
        description="异常名录即时移出;严重失信名单须满整洁期。Removes from the abnormal list at once; the serious list "
        "also needs the clean period over.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def verify(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.ListIn) -> dto.CreditOut:
        record = system_of(request).credit.verify_obligation(context(request), organization_id, CreditList(data.list_name))
        return dto.CreditOut.of(organization_id, record)

    @post(
        "/organizations/{organization_id:uuid}/credit/revocation-decision",
        operation_id="decideRevocation",
        summary="撤销登记建议的决定 / Decide on a revocation proposal",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def decide(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.RevocationDecisionIn) -> dto.CreditOut:
        record = system_of(request).credit.decide_revocation(
            context(request, data.basis), organization_id, data.accepted, data.note
        )
        return dto.CreditOut.of(organization_id, record)

    @post(
        "/credit/rule-application",
        operation_id="applyCreditRules",
        summary="按日期执行信用规则 / Apply the credit rules as of a date",
        description="到期的升级、自动移出、整改逾期列入;可重复执行。Due escalations, automatic removals and overdue "
        "rectifications; idempotent.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def apply_rules(self, request: Request[Any, Any, Any], data: dto.AsOfIn) -> dict[str, int]:
        return system_of(request).credit.apply_rules(context(request), data.as_of)


class PublicController(Controller):
    """No sign-in: only what the law makes public."""

    path = "/api/public"
    tags = ["public 信息公示"]

    @get(
        "/organizations",
        operation_id="publicSearch",
        summary="公示:查询社会组织 / Public register search",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def search(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str | None, Parameter(max_length=100)] = None,
        district: Annotated[str | None, Parameter(max_length=50)] = None,
        credit_status: dto.ListName | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=200)] = 20,
    ) -> Page[PublicEntry]:
        query = RegisterQuery(text=q, district=district, credit_status=credit_status, page=page, per_page=per_page)
        return system_of(request).public.search(query)

    @get(
        "/organizations/{organization_id:uuid}",
        operation_id="publicCard",
        summary="公示:组织信用档案 / An organization's public card",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def card(self, request: Request[Any, Any, Any], organization_id: UUID) -> PublicCard:
        return system_of(request).public.card(organization_id)

    @get(
        "/lists/{list_name:str}",
        operation_id="publicList",
        summary="公示:活动异常名录 / 严重违法失信名单 — The credit lists",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def listing(
        self,
        request: Request[Any, Any, Any],
        list_name: dto.ListName,
        current: bool = True,
        q: Annotated[str | None, Parameter(max_length=100)] = None,
        district: Annotated[str | None, Parameter(max_length=50)] = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=500)] = 50,
    ) -> Page[ListingRow]:
        query = ListingQuery(list_name=list_name, current=current, text=q, district=district, page=page, per_page=per_page)
        return system_of(request).public.listings(query)

    @get(
        "/lists/{list_name:str}/csv",
        operation_id="publicListCsv",
        summary="公示名录 CSV 下载 / The list as CSV",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
        media_type="text/csv",
    )
    def listing_csv(
        self, request: Request[Any, Any, Any], list_name: dto.ListName, current: bool = True, lang: Literal["zh", "en"] = "zh"
    ) -> Response[str]:
        """Grounds stay codes here (report_not_filed …), for programs; the pages' download names them."""
        return csv_download(system_of(request).public.listings_csv(list_name, current, lang=lang), list_name)
