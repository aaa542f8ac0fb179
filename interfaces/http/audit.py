"""/api/audit: the integrity chain, recomputed on request, and its checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get

from domain.provenance import Role
from interfaces.http.commands import system_of
from interfaces.http.security import allow


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
         guards=[allow(Role.ADMIN, Role.REGISTRAR, Role.AUDITOR)], sync_to_thread=True)
    def integrity(self, request: Request[Any, Any, Any]) -> IntegrityOut:
        chain = system_of(request).integrity
        r = chain.verify()
        checkpoints = [CheckpointOut(c.position, c.hash, c.at) for c in chain.checkpoints()]
        return IntegrityOut(r.ok, r.checked, r.head_position, r.head_hash, r.problem, r.position, checkpoints)
