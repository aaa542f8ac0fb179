"""/api/organizations: the register and every command on an organization."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import Parameter

from application.context import CommandContext
from application.organizations import Organizations
from application.queries.common import HistoryEntry, Page
from application.queries.register import RegisterEntry, RegisterQuery
from domain.errors import DomainError
from domain.organization import Organization, OrganizationType, Status, Track
from domain.provenance import Role
from interfaces.common.commands import (
    context,
    etag,
    expected_version,
    fingerprint,
    found,
    id_for_key,
    idempotency_key,
    idempotency_scope,
    system_of,
)
from interfaces.common.problems import problem
from interfaces.common.security import READERS_OF_HISTORY, STAFF, allow, require_own_organization
from interfaces.http import dto

Change = Callable[[Organizations, CommandContext, int], Organization]
_PUBLIC = tuple(Role)


def _ok(org: Organization, status: int = 200, location: str | None = None) -> Response[dto.OrganizationOut]:
    headers = etag(org.version)
    if location:
        headers["Location"] = location
    return Response(dto.OrganizationOut.of(org), status_code=status, headers=headers)


def _change(request: Request[Any, Any, Any], basis: Any, act: Change) -> Response[dto.OrganizationOut]:
    version = expected_version(request)
    org = act(system_of(request).organizations, context(request, basis), version)
    return _ok(org)


def _create(
    request: Request[Any, Any, Any], data: msgspec.Struct, make: Callable[[CommandContext, UUID | None], Organization]
) -> Response[Any]:
    """A create that a retry with the same Idempotency-Key answers again instead of repeating."""
    system = system_of(request)
    ctx = context(request, getattr(data, "basis", None))
    key = idempotency_key(request)
    if key is None:
        org = make(ctx, None)
        return _ok(org, 201, f"/api/organizations/{org.id}")
    scope, print_ = idempotency_scope(request), fingerprint(msgspec.json.encode(data))
    if (stored := system.idempotency.recall(scope, key)) is not None:
        return _replay(stored, print_)
    new_id = id_for_key(scope, key)
    try:
        org = make(ctx, new_id)
    except DomainError:
        if (stored := system.idempotency.recall(scope, key)) is not None:  # a concurrent twin won
            return _replay(stored, print_)
        if (org := found(system.organizations.organization, new_id)) is None:
            raise
        # The first attempt's events committed but its answer was lost (a crash between the two):
        # the id derives from the key, so the organization in the log is this request's own.
    response = _ok(org, 201, f"/api/organizations/{org.id}")
    body = msgspec.json.encode(response.content)
    record = SimpleNamespace(fingerprint=print_, status=201, body=body, location=response.headers["Location"])
    system.idempotency.remember(scope, key, record, system.clock.now())
    return response


def _replay(stored: Any, print_: str) -> Response[Any]:
    if stored.fingerprint != print_:
        raise problem(
            422,
            "idempotency.key_reused",
            "该 Idempotency-Key 已用于另一个请求",
            "This Idempotency-Key was already used for a different request",
        )
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return Response(stored.body, status_code=stored.status, headers=headers, media_type="application/json")


class OrganizationController(Controller):
    path = "/api/organizations"
    tags = ["organizations 社会组织"]

    @get(
        "/",
        operation_id="searchRegister",
        summary="查询登记名册 / Search the register",
        description="按名称、代码、法定代表人检索,可筛选、排序、分页。Search by name, code or legal representative; "
        "filter, sort and page.",
        guards=[allow(*_PUBLIC)],
        sync_to_thread=True,
    )
    def search(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str | None, Parameter(max_length=100, description="名称/代码/法定代表人 name, code, person")] = None,
        org_type: OrganizationType | None = None,
        track: Track | None = None,
        status: Status | None = None,
        district: Annotated[str | None, Parameter(max_length=50)] = None,
        division: Annotated[str | None, Parameter(pattern=r"^\d{2,6}$")] = None,
        hub_id: UUID | None = None,
        is_hub: bool | None = None,
        sort: Literal["name", "registered_on", "district", "status", "updated_at"] = "name",
        order: Literal["asc", "desc"] = "asc",
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=200)] = 20,
    ) -> Page[RegisterEntry]:
        query = RegisterQuery(
            text=q,
            org_type=org_type.value if org_type else None,
            track=track.value if track else None,
            status=status.value if status else None,
            district=district,
            division_prefix=division,
            hub_id=hub_id,
            is_hub=is_hub,
            sort=sort,
            descending=order == "desc",
            page=page,
            per_page=per_page,
        )
        return system_of(request).register_view.search(query)

    @get(
        "/{organization_id:uuid}",
        operation_id="getOrganization",
        summary="组织登记信息 / An organization's registration data",
        guards=[allow(*_PUBLIC)],
        sync_to_thread=True,
    )
    def detail(self, request: Request[Any, Any, Any], organization_id: UUID) -> Response[dto.OrganizationOut]:
        return _ok(system_of(request).organizations.organization(organization_id))

    @get(
        "/by-code/{code:str}",
        operation_id="getOrganizationByCode",
        summary="按统一社会信用代码查找 / Find by unified social credit code",
        guards=[allow(*_PUBLIC)],
        sync_to_thread=True,
    )
    def by_code(self, request: Request[Any, Any, Any], code: str) -> Response[dto.OrganizationOut]:
        return _ok(system_of(request).organizations.organization_by_code(code[:40]))

    @get(
        "/{organization_id:uuid}/history",
        operation_id="getOrganizationHistory",
        summary="组织的完整事件历史 / The organization's full event history",
        description="每个事件的时间、操作人及角色、依据、关联编号和数据。Every event with time, actor, role, basis, "
        "correlation id and data.",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def history(self, request: Request[Any, Any, Any], organization_id: UUID) -> list[HistoryEntry]:
        require_own_organization(request.user, organization_id)
        return system_of(request).organizations.history(organization_id)

    @post(
        "/",
        operation_id="registerOrganization",
        summary="登记社会组织 / Register an organization",
        description="支持 Idempotency-Key:重试不会重复登记。Accepts Idempotency-Key: a retry registers nothing twice.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def register(self, request: Request[Any, Any, Any], data: dto.RegisterIn) -> Response[dto.OrganizationOut]:
        return _create(
            request,
            data,
            lambda ctx, id: system_of(request).organizations.register_organization(
                ctx, data.profile.to_domain(), data.code, data.registered_on, id
            ),
        )

    @post(
        "/filings",
        operation_id="fileOrganization",
        summary="备案社区社会组织 / File a community organization",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def file(self, request: Request[Any, Any, Any], data: dto.FileIn) -> Response[dto.OrganizationOut]:
        return _create(
            request,
            data,
            lambda ctx, id: system_of(request).organizations.file_organization(
                ctx, data.profile.to_domain(), data.filing_no, data.filed_with, data.filed_on, id
            ),
        )

    @post(
        "/{organization_id:uuid}/registration",
        operation_id="promoteToRegistration",
        summary="备案转登记 / Promote a filed organization to registration",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def promote(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.PromoteIn
    ) -> Response[dto.OrganizationOut]:
        return _change(
            request, data.basis, lambda r, c, v: r.promote_to_registration(c, organization_id, v, data.code, data.registered_on)
        )

    @put(
        "/{organization_id:uuid}/name",
        operation_id="renameOrganization",
        summary="名称变更 / Change the name",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
    )
    def rename(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.RenameIn) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.rename(c, organization_id, v, data.name))

    @put(
        "/{organization_id:uuid}/address",
        operation_id="changeAddress",
        summary="住所变更 / Change the address",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
    )
    def change_address(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.AddressIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.change_address(c, organization_id, v, data.address))

    @put(
        "/{organization_id:uuid}/legal-representative",
        operation_id="changeLegalRepresentative",
        summary="法定代表人变更 / Change the legal representative",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
    )
    def change_legal_representative(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.LegalRepresentativeIn
    ) -> Response[dto.OrganizationOut]:
        return _change(
            request, data.basis, lambda r, c, v: r.change_legal_representative(c, organization_id, v, data.legal_representative)
        )

    @post(
        "/{organization_id:uuid}/charter-amendments",
        operation_id="amendCharter",
        summary="章程核准 / Record an approved charter amendment",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def amend_charter(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.CharterIn
    ) -> Response[dto.OrganizationOut]:
        return _change(
            request, data.basis, lambda r, c, v: r.amend_charter(c, organization_id, v, data.summary, data.approved_on)
        )

    @post(
        "/{organization_id:uuid}/party-branch",
        operation_id="establishPartyBranch",
        summary="建立党组织 / Record the party branch",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def party_branch(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.PartyBranchIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.establish_party_branch(c, organization_id, v, data.established_on))

    @post(
        "/{organization_id:uuid}/hub-designation",
        operation_id="designateAsHub",
        summary="认定为枢纽型组织 / Designate as a hub",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def designate_hub(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.DecisionIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.designate_as_hub(c, organization_id, v))

    @put(
        "/{organization_id:uuid}/hub",
        operation_id="joinHub",
        summary="加入枢纽型组织 / Join a hub",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
    )
    def join_hub(self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.HubIn) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.join_hub(c, organization_id, v, data.hub_id))

    @delete(
        "/{organization_id:uuid}/hub",
        operation_id="leaveHub",
        summary="退出枢纽型组织 / Leave the hub",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def leave_hub(self, request: Request[Any, Any, Any], organization_id: UUID) -> Response[dto.OrganizationOut]:
        return _change(request, None, lambda r, c, v: r.leave_hub(c, organization_id, v))

    @post(
        "/{organization_id:uuid}/grade-findings",
        operation_id="applyGradeFinding",
        summary="等级降级或撤销 / Lower or revoke the grade for a finding",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def grade_finding(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.GradeFindingIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.apply_grade_finding(c, organization_id, v, data.finding))

    @post(
        "/{organization_id:uuid}/suspension",
        operation_id="suspendOrganization",
        summary="停止活动 / Suspend",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def suspend(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.DecisionIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.suspend(c, organization_id, v))

    @post(
        "/{organization_id:uuid}/resumption",
        operation_id="resumeOrganization",
        summary="恢复活动 / Resume",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def resume(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.DecisionIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.resume(c, organization_id, v))

    @post(
        "/{organization_id:uuid}/deregistration",
        operation_id="deregisterOrganization",
        summary="注销 / Deregister",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def deregister(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.DecisionIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.deregister(c, organization_id, v))

    @post(
        "/{organization_id:uuid}/revocation",
        operation_id="revokeRegistration",
        summary="撤销登记 / Revoke the registration",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def revoke(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.DecisionIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.revoke(c, organization_id, v))

    @post(
        "/{organization_id:uuid}/decision-corrections",
        operation_id="correctLastDecision",
        summary="更正最近的决定 / Correct the latest decision",
        description="该组织最近的决定(评定/降低/取消等级、停止活动、恢复、注销、撤销登记)被认定有误:状态和等级恢复为该决定"
        "之前的样子,自该决定生效之日起;须写明更正决定的文号和事由。更早的决定须先更正其后的决定。"
        "The organization's latest decision (a grade awarded, lowered or revoked, a suspension, resumption, "
        "deregistration or revocation) was wrong: its status and grade become what they were before it, with "
        "effect from the day it took effect; the correction needs its document number and grounds. An earlier "
        "decision is corrected after the later ones.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def correct(
        self, request: Request[Any, Any, Any], organization_id: UUID, data: dto.DecisionIn
    ) -> Response[dto.OrganizationOut]:
        return _change(request, data.basis, lambda r, c, v: r.correct_last_decision(c, organization_id, v))
