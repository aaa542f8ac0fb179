"""公示 over the API, no sign-in: grade results under announcement, inspection results by year and
locality, funded projects, and the integrity chain's checkpoints (to keep and check the log against)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter

from application.announcements import FundedRound
from application.objections import ObjectionState
from application.queries.cases import AnnouncedGrade
from application.queries.common import Page
from application.queries.compliance import InspectionResultQuery, InspectionResultRow
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.security import allow

Year = Annotated[int, Parameter(ge=2000, le=2100, description="公告年份 / the year")]
Outcome = Literal["pass", "basic_pass", "fail", "missed"]
OBJECTORS = tuple(r for r in Role if r not in (Role.AUDITOR, Role.SYSTEM))  # auditors change nothing
Reference = Annotated[str, Parameter(max_length=40, description="异议编号,如 YY-ABCDEFGHIJ / the objection's reference")]


class CheckpointOut(msgspec.Struct, frozen=True):
    position: int
    hash: str
    at: str  # ISO 8601 with its offset, as `starledger verify --checkpoints` prints it


class AnnouncementController(Controller):
    path = "/api/public"
    tags = ["public 信息公示"]

    @get(
        "/announcements/grades",
        operation_id="publicGradeAnnouncements",
        summary="公示:等级评估结果 / Grade results announced",
        description="公示中的在前(open=true,可在 ends 之前提出异议),其余按公示开始日期由近及远。"
        "Those under announcement first (open=true: objections until `ends`), then the rest, newest first.",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def grades(self, request: Request[Any, Any, Any], year: Year | None = None) -> list[AnnouncedGrade]:
        return system_of(request).announcements.grades(year)

    @get(
        "/announcements/inspections",
        operation_id="publicInspectionResults",
        summary="公示:年检结果公告 / A year's inspection results",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def inspections(
        self,
        request: Request[Any, Any, Any],
        year: Year,
        district: Annotated[str | None, Parameter(max_length=50)] = None,
        outcome: Outcome | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=500)] = 50,
    ) -> Page[InspectionResultRow]:
        query = InspectionResultQuery(year, district or None, outcome, page, per_page)
        return system_of(request).announcements.inspection_results(query)

    @get(
        "/announcements/projects",
        operation_id="publicFundedProjects",
        summary="公示:资助项目 / Projects each funding round awarded",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def projects(self, request: Request[Any, Any, Any]) -> list[FundedRound]:
        return system_of(request).announcements.funded_projects()

    @get(
        "/checkpoints",
        operation_id="publicCheckpoints",
        summary="公示:日志检查点 / The log's checkpoints",
        description="每日记录的完整性链头(位置、链值、时间)。保存其中一个,日后用 `starledger verify --against` "
        "核对日志只被追加过。Keep one; later `starledger verify --against` shows the log has only been appended to.",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def checkpoints(self, request: Request[Any, Any, Any]) -> list[CheckpointOut]:
        return [CheckpointOut(c.position, c.hash, c.at.isoformat()) for c in system_of(request).announcements.checkpoints()]


class ObjectionIn(msgspec.Struct, frozen=True):
    objector: Annotated[str, msgspec.Meta(max_length=50)]
    contact: Annotated[str, msgspec.Meta(max_length=100)]
    grounds: Annotated[str, msgspec.Meta(max_length=5000)]


class ObjectionFiled(msgspec.Struct, frozen=True):
    reference: str
    message_zh: str
    message_en: str


class ObjectionDecisionIn(msgspec.Struct, frozen=True):
    upheld: bool
    reasons: Annotated[str, msgspec.Meta(max_length=5000)]


class ObjectionController(Controller):
    tags = ["public 信息公示"]

    @post(
        "/api/public/announcements/grades/{evaluation_id:uuid}/objections",
        operation_id="fileObjection",
        summary="公示:对公示结果提出异议 / Object to a result under announcement",
        description="无需登录;须在公示期内;每个地址每小时有上限(429)。返回的编号用于查询处理结果。"
        "No sign-in; within the announcement period; limited per address per hour (429). Keep the reference.",
        guards=[allow(*OBJECTORS)],
        sync_to_thread=True,
        status_code=201,
    )
    def file(self, request: Request[Any, Any, Any], evaluation_id: UUID, data: ObjectionIn) -> ObjectionFiled:
        address = request.client.host if request.client else None
        reference = system_of(request).objections.file(
            context(request), evaluation_id, data.objector, data.contact, data.grounds, address
        )
        return ObjectionFiled(
            reference,
            f"异议已收到,编号 {reference}。请保存编号,凭编号查询处理结果。",
            f"Your objection is received: reference {reference}. Keep it to look up the decision.",
        )

    @get(
        "/api/public/objections/{reference:str}",
        operation_id="objectionState",
        summary="公示:凭编号查询异议处理结果 / An objection's state by its reference",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def state(self, request: Request[Any, Any, Any], reference: Reference) -> ObjectionState:
        return system_of(request).objections.state(reference)

    @post(
        "/api/evaluations/{evaluation_id:uuid}/objections/{reference:str}/decision",
        operation_id="decideObjection",
        summary="处理异议 / Decide an objection (the case's chair or a registrar)",
        guards=[allow(Role.ADMIN, Role.REGISTRAR, Role.CHAIR)],
        sync_to_thread=True,
        status_code=200,
    )
    def decide(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, reference: Reference, data: ObjectionDecisionIn
    ) -> ObjectionState:
        objections = system_of(request).objections
        objections.decide(context(request), evaluation_id, reference, data.upheld, data.reasons)
        return objections.state(reference)
