"""/api/audit: the integrity chain, recomputed on request, and its checkpoints; any aggregate's
history, timeline with what each event changed, and state as of an instant; the register as of an
instant; and, for anyone who may see the case, the explanation behind a grade or a project's stars."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, overload
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter

from application.audit import AggregateState, Change, TimelineEntry, parse_event_types
from application.explanations import Explanation, explain
from application.queries.common import HistoryEntry, Page
from application.queries.register import RegisterAsOfQuery, RegisterLine
from domain.provenance import Role
from interfaces.common.case_access import CASE_ROLES, require_case_access, reveals_names
from interfaces.common.commands import context, system_of
from interfaces.common.problems import problem
from interfaces.common.security import allow

BEIJING = ZoneInfo("Asia/Shanghai")  # the register's days are Beijing days

AUDITORS = (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR)


class CheckpointOut(msgspec.Struct, frozen=True):
    position: int
    hash: str
    at: datetime


class IntegrityOut(msgspec.Struct, frozen=True):
    ok: bool
    checked: int
    head_position: int
    head_hash: str
    problem: str | None
    position: int | None
    checkpoints: list[CheckpointOut]


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit 审计"]

    @get(
        "/integrity",
        operation_id="verifyIntegrity",
        summary="校验事件日志完整性 / Verify the event log's integrity chain",
        description="重新计算整条哈希链,指出第一个不符的事件;附已记录的检查点。Recomputes the whole chain and names the "
        "first event that does not match; with the recorded checkpoints.",
        guards=[allow(*AUDITORS)],
        sync_to_thread=True,
    )
    def integrity(self, request: Request[Any, Any, Any]) -> IntegrityOut:
        chain = system_of(request).integrity
        r = chain.verify()
        checkpoints = [CheckpointOut(c.position, c.hash, c.at) for c in chain.checkpoints()]
        return IntegrityOut(r.ok, r.checked, r.head_position, r.head_hash, r.problem, r.position, checkpoints)

    @get(
        "/aggregates/{aggregate_id:uuid}/history",
        operation_id="getAggregateHistory",
        summary="任一聚合的事件历史 / Any aggregate's history",
        description="可按事件类型(逗号分隔)和时间范围筛选。Filter by event types (comma-separated) and a time range.",
        guards=[allow(*AUDITORS)],
        sync_to_thread=True,
    )
    def history(
        self,
        request: Request[Any, Any, Any],
        aggregate_id: UUID,
        event_type: Annotated[str | None, Parameter(max_length=500)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HistoryEntry]:
        return system_of(request).audit.history(aggregate_id, parse_event_types(event_type), _aware(since), _aware(until))

    @get(
        "/aggregates/{aggregate_id:uuid}/state",
        operation_id="getAggregateState",
        summary="某一时刻或版本的状态 / State as of an instant or a version",
        description="给出 at(带时区的时间)或 version 之一。Give `at` (a timestamp with its offset) or `version`.",
        guards=[allow(*AUDITORS)],
        sync_to_thread=True,
    )
    def state(
        self,
        request: Request[Any, Any, Any],
        aggregate_id: UUID,
        at: datetime | None = None,
        version: Annotated[int | None, Parameter(ge=1)] = None,
    ) -> AggregateState:
        audit = system_of(request).audit
        if at is not None and version is None:
            return audit.state_at(aggregate_id, _aware(at))
        if version is not None and at is None:
            return audit.state_at_version(aggregate_id, version)
        raise problem(400, "audit.at_or_version", "请给出 at 或 version 之一", "Give either at or version")

    @get(
        "/aggregates/{aggregate_id:uuid}/changes/{version:int}",
        operation_id="getAggregateChange",
        summary="某一事件前后的状态差异 / What one event changed (before/after)",
        guards=[allow(*AUDITORS)],
        sync_to_thread=True,
    )
    def change(self, request: Request[Any, Any, Any], aggregate_id: UUID, version: Annotated[int, Parameter(ge=1)]) -> Change:
        return system_of(request).audit.change(aggregate_id, version)

    @get(
        "/aggregates/{aggregate_id:uuid}/timeline",
        operation_id="getAggregateTimeline",
        summary="时间线:每个事件及其改变的字段 / Timeline: each event and the fields it changed",
        description="每个事件附带前后差异(字段 → [之前, 之后])。Each event with its diff (field → [before, after]).",
        guards=[allow(*AUDITORS)],
        sync_to_thread=True,
    )
    def timeline(
        self,
        request: Request[Any, Any, Any],
        aggregate_id: UUID,
        event_type: Annotated[str | None, Parameter(max_length=500)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[TimelineEntry]:
        return system_of(request).audit.timeline(aggregate_id, parse_event_types(event_type), _aware(since), _aware(until))

    @get(
        "/register",
        operation_id="getRegisterAsOf",
        summary="某日生效的登记名册(按某时已知)/ The register in effect on a day, as known at an instant",
        description="每个组织在 effective_at 那天生效的状态、等级和信用状态,按 known_at 时刻系统所知(默认:现在),"
        "来自双时间轴区间(不逐个重放)。at 是 effective_at 的旧写法(取其北京时间的日期)。"
        "Every organization's status, grade and credit status in effect on `effective_at` (a day), as the system "
        "knew it at `known_at` (default: now), from bitemporal intervals (no replay per request). `at` is the older "
        "spelling of `effective_at` (its Asia/Shanghai day). Without either day: today; with only `known_at`: that "
        "instant's day as known then.",
        guards=[allow(*AUDITORS)],
        sync_to_thread=True,
    )
    def register(
        self,
        request: Request[Any, Any, Any],
        at: datetime | None = None,
        effective_at: date | None = None,
        known_at: datetime | None = None,
        status: Literal["active", "suspended", "deregistered", "revoked"] | None = None,
        grade: Annotated[str | None, Parameter(pattern=r"^([1-5]A|none)$", description="1A…5A, or none")] = None,
        credit_status: Literal["none", "abnormal", "serious"] | None = None,
        district: Annotated[str | None, Parameter(max_length=50)] = None,
        org_type: Annotated[str | None, Parameter(max_length=40)] = None,
        division: Annotated[str | None, Parameter(pattern=r"^\d{2,6}$")] = None,
        sort: Literal["name", "district", "status", "grade", "valid_from"] = "name",
        order: Literal["asc", "desc"] = "asc",
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=500)] = 50,
    ) -> Page[RegisterLine]:
        known = _aware(known_at)
        anchor = _aware(at) or known or system_of(request).clock.now()
        query = RegisterAsOfQuery(
            effective_on=effective_at or anchor.astimezone(BEIJING).date(),
            known_at=known,
            status=status,
            grade=grade,
            credit_status=credit_status,
            district=district,
            org_type=org_type,
            division_prefix=division,
            sort=sort,
            descending=order == "desc",
            page=page,
            per_page=per_page,
        )
        return system_of(request).audit.register_as_of(query)

    @get(
        "/organizations/{organization_id:uuid}/register-lines",
        operation_id="getRegisterLines",
        summary="组织的名册记录区间 / An organization's register line through time",
        guards=[allow(*AUDITORS)],
        sync_to_thread=True,
    )
    def register_lines(
        self, request: Request[Any, Any, Any], organization_id: UUID, known_at: datetime | None = None
    ) -> list[RegisterLine]:
        return system_of(request).audit.register_intervals(organization_id, _aware(known_at))


class RatingController(Controller):
    """From a rating to the case that decided it; the explanation's own access rules apply."""

    path = "/api"
    tags = ["audit 审计"]

    @get(
        "/organizations/{organization_id:uuid}/grade-explanation",
        operation_id="explainGrade",
        summary="等级的来由 / Why an organization holds (or held) its grade",
        description="at 省略时为当前等级;给出 at 时为该时刻所持等级。Without `at`, the current grade; with it, the "
        "grade held at that instant.",
        guards=[allow(*CASE_ROLES)],
        sync_to_thread=True,
    )
    def grade(self, request: Request[Any, Any, Any], organization_id: UUID, at: datetime | None = None) -> Explanation:
        system = system_of(request)
        return _explained(request, system.audit.grade_evaluation(organization_id, _aware(at)))

    @get(
        "/projects/{project_id:uuid}/stars-explanation",
        operation_id="explainStars",
        summary="项目星级的来由 / Why a project has its stars",
        guards=[allow(*CASE_ROLES)],
        sync_to_thread=True,
    )
    def stars(self, request: Request[Any, Any, Any], project_id: UUID) -> Explanation:
        return _explained(request, system_of(request).audit.stars_evaluation(project_id))


def _explained(request: Request[Any, Any, Any], evaluation_id: UUID) -> Explanation:
    desk = system_of(request).evaluations
    evaluation = desk.evaluation(evaluation_id)
    require_case_access(request.user, evaluation, desk.subject_organization(evaluation))
    return explain(desk, evaluation_id, reveals_names(request.user, evaluation), desk.sight(context(request), evaluation))


@overload
def _aware(moment: datetime) -> datetime: ...
@overload
def _aware(moment: datetime | None) -> datetime | None: ...
def _aware(moment: datetime | None) -> datetime | None:
    """Instants must carry their offset: a naive time is ambiguous across time zones."""
    if moment is not None and moment.tzinfo is None:
        raise problem(
            400,
            "audit.naive_time",
            "时间须带时区,如 2026-06-01T09:00:00+08:00",
            "A time needs its offset, e.g. 2026-06-01T09:00:00+08:00",
        )
    return moment
