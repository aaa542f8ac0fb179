"""/api/audit: the integrity chain, recomputed on request, and its checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter

from application.audit import AggregateState, Change
from application.queries import HistoryEntry

from domain.provenance import Role
from interfaces.http.commands import system_of
from interfaces.http.problems import problem
from interfaces.http.security import allow

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

    @get("/integrity", operation_id="verifyIntegrity",
         summary="校验事件日志完整性 / Verify the event log's integrity chain",
         description="重新计算整条哈希链,指出第一个不符的事件;附已记录的检查点。Recomputes the whole chain and names the "
         "first event that does not match; with the recorded checkpoints.",
         guards=[allow(*AUDITORS)], sync_to_thread=True)
    def integrity(self, request: Request[Any, Any, Any]) -> IntegrityOut:
        chain = system_of(request).integrity
        r = chain.verify()
        checkpoints = [CheckpointOut(c.position, c.hash, c.at) for c in chain.checkpoints()]
        return IntegrityOut(r.ok, r.checked, r.head_position, r.head_hash, r.problem, r.position, checkpoints)

    @get("/aggregates/{aggregate_id:uuid}/history", operation_id="getAggregateHistory",
         summary="任一聚合的事件历史 / Any aggregate's history",
         description="可按事件类型(逗号分隔)和时间范围筛选。Filter by event types (comma-separated) and a time range.",
         guards=[allow(*AUDITORS)], sync_to_thread=True)
    def history(
        self, request: Request[Any, Any, Any], aggregate_id: UUID,
        event_type: Annotated[str | None, Parameter(max_length=500)] = None,
        since: datetime | None = None, until: datetime | None = None,
    ) -> list[HistoryEntry]:
        types = {t.strip() for t in event_type.split(",") if t.strip()} if event_type else None
        return system_of(request).audit.history(aggregate_id, types, _aware(since), _aware(until))

    @get("/aggregates/{aggregate_id:uuid}/state", operation_id="getAggregateState",
         summary="某一时刻或版本的状态 / State as of an instant or a version",
         description="给出 at(带时区的时间)或 version 之一。Give `at` (a timestamp with its offset) or `version`.",
         guards=[allow(*AUDITORS)], sync_to_thread=True)
    def state(
        self, request: Request[Any, Any, Any], aggregate_id: UUID, at: datetime | None = None,
        version: Annotated[int | None, Parameter(ge=1)] = None,
    ) -> AggregateState:
        audit = system_of(request).audit
        if (at is None) == (version is None):
            raise problem(400, "audit.at_or_version", "请给出 at 或 version 之一", "Give either at or version")
        return audit.state_at(aggregate_id, _aware(at)) if at is not None else audit.state_at_version(aggregate_id, version)

    @get("/aggregates/{aggregate_id:uuid}/changes/{version:int}", operation_id="getAggregateChange",
         summary="某一事件前后的状态差异 / What one event changed (before/after)",
         guards=[allow(*AUDITORS)], sync_to_thread=True)
    def change(self, request: Request[Any, Any, Any], aggregate_id: UUID, version: Annotated[int, Parameter(ge=1)]) -> Change:
        return system_of(request).audit.change(aggregate_id, version)


def _aware(moment: datetime | None) -> datetime | None:
    """Instants must carry their offset: a naive time is ambiguous across time zones."""
    if moment is not None and moment.tzinfo is None:
        raise problem(400, "audit.naive_time", "时间须带时区,如 2026-06-01T09:00:00+08:00",
                      "A time needs its offset, e.g. 2026-06-01T09:00:00+08:00")
    return moment
