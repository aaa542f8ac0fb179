"""公示 over the API, no sign-in: grade results under announcement, inspection results by year and
locality, funded projects, and the integrity chain's checkpoints (to keep and check the log against)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter

from application.announcements import FundedRound, GradeAnnouncement
from application.queries.common import Page
from application.queries.compliance import InspectionResultQuery, InspectionResultRow
from domain.provenance import Role
from interfaces.common.commands import system_of
from interfaces.common.security import allow

Year = Annotated[int, Parameter(ge=2000, le=2100, description="公告年份 / the year")]
Outcome = Literal["pass", "basic_pass", "fail", "missed"]


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
    def grades(self, request: Request[Any, Any, Any], year: Year | None = None) -> list[GradeAnnouncement]:
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
