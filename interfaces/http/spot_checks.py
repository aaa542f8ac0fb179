"""/api/spot-checks (the registrar's draw and each check's steps) and /api/public/spot-check-draws
(what anyone may read and rerun: the seed, the candidate list's exact bytes and hash, the selection)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter, QueryParameter
from litestar.response import Stream
from msgspec import Meta

from application.errors import NotPermitted
from application.queries.common import HistoryEntry, Page
from application.queries.spot_checks import DrawRow, SpotCheckQuery, SpotCheckRow
from application.spot_checks import DrawPreview, PublishedDraw, SpotChecks
from domain.errors import Conflict
from domain.provenance import Role
from domain.spot_check import Conclusion, MaterialSource, SpotCheck, SpotCheckDraw
from interfaces.common.commands import context, etag, expected_version, fingerprint, idempotency_key, idempotency_scope, system_of
from interfaces.common.documents import DocumentOut, FileName, Sha256, attach_received, download
from interfaces.common.problems import problem
from interfaces.common.security import STAFF, Principal, allow
from interfaces.http.dto import BasisIn

Prefix = Annotated[str, Meta(min_length=2, max_length=6, pattern=r"^[0-9]+$")]
Year = Annotated[int, Meta(ge=2000, le=2100)]
READERS = (*STAFF, Role.AUDITOR, Role.EVALUATOR, Role.CHAIR, Role.ORGANIZATION)
TEAM = (*STAFF, Role.EVALUATOR, Role.CHAIR)


class DrawIn(msgspec.Struct, frozen=True):
    """The year's draw for a division: irreversible. `complained`: organizations named by complaints on file."""

    year: Year
    division_prefix: Prefix
    complained: list[UUID] = []
    basis: BasisIn = BasisIn()
    # the preview's hash: refused (409 spot_check.candidates_changed) if the list is no longer that one
    candidates_sha256: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")] | None = None


class PreviewOut(msgspec.Struct, frozen=True):
    year: int
    division_prefix: str
    rule_set: str
    report_year: int
    candidates_sha256: str
    groups: dict[str, int]
    quotas: dict[str, int]
    inspectors: int
    candidates: dict[str, Any]


class MaterialOut(msgspec.Struct, frozen=True):
    source: MaterialSource
    title: str
    note: str


class InspectorOut(msgspec.Struct, frozen=True):
    expert_id: UUID
    user_id: str
    name: str


class SpotCheckOut(msgspec.Struct, frozen=True):
    id: UUID
    organization_id: UUID
    year: int
    draw_id: UUID
    group: str
    stage: str
    inspectors: list[InspectorOut]
    notice_no: str | None
    notified_on: date | None
    materials: list[MaterialOut]
    findings: str | None
    conclusion: Conclusion | None
    conclusion_reasons: str | None
    decision_no: str | None
    concluded_on: date | None
    rectification_deadline: date | None
    rectified_on: date | None
    version: int


class NoticeIn(msgspec.Struct, frozen=True):
    basis: BasisIn  # the notice's number (文号)


class MaterialIn(msgspec.Struct, frozen=True):
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    note: Annotated[str, Meta(max_length=5000)] = ""


class FindingsIn(msgspec.Struct, frozen=True):
    findings: Annotated[str, Meta(min_length=1, max_length=5000)]


class ConclusionIn(msgspec.Struct, frozen=True):
    conclusion: Conclusion
    reasons: Annotated[str, Meta(min_length=1, max_length=5000)]
    basis: BasisIn  # the decision's number (文号)
    rectification_deadline: date | None = None


class RectificationIn(msgspec.Struct, frozen=True):
    note: Annotated[str, Meta(max_length=2000)] = ""
    basis: BasisIn = BasisIn()


def _desk(request: Request[Any, Any, Any]) -> SpotChecks:
    return system_of(request).spot_checks


def draw_out(request: Request[Any, Any, Any], made: SpotCheckDraw) -> PublishedDraw:
    return _desk(request).published(made)


def check_out(check: SpotCheck) -> SpotCheckOut:
    return SpotCheckOut(
        id=check.id,
        organization_id=check.organization_id,
        year=check.year,
        draw_id=check.draw_id,
        group=check.group,
        stage=check.stage.value,
        inspectors=[InspectorOut(i.expert_id, i.user_id, i.name) for i in check.inspectors],
        notice_no=check.notice_no,
        notified_on=check.notified_on,
        materials=[MaterialOut(m.source, m.title, m.note) for m in check.materials],
        findings=check.findings,
        conclusion=check.conclusion,
        conclusion_reasons=check.conclusion_reasons,
        decision_no=check.decision_no,
        concluded_on=check.concluded_on,
        rectification_deadline=check.rectification_deadline,
        rectified_on=check.rectified_on,
        version=check.version,
    )


def _respond(check: SpotCheck, status: int = 200) -> Response[SpotCheckOut]:
    return Response(check_out(check), status_code=status, headers=etag(check.version))


def _readable(request: Request[Any, Any, Any], check: SpotCheck) -> SpotCheck:
    """Staff and auditors read every check; an inspector their team's, an organization its own."""
    principal: Principal = request.user
    if principal.role in (*STAFF, Role.AUDITOR) or _desk(request).relations(context(request), check):
        return check
    raise NotPermitted(
        "只有检查组成员、被检查组织和工作人员可以查看该抽查", "Only the check's team, the organization and staff see it"
    )


class SpotCheckController(Controller):
    path = "/api/spot-checks"
    tags = ["spot checks 双随机抽查"]

    @get(
        "/preview",
        operation_id="previewSpotCheckDraw",
        summary="抽查摇号前预览名录 / Preview a draw's candidate list",
        description="摇号之前:候选组织(按风险分组)与检查人员名录、其哈希值和各组将抽取的数量;名录随登记情况变化。"
        "Before drawing: the candidates by group, the inspectors, the list's hash and how many each group will give.",
        guards=[allow(*STAFF, Role.AUDITOR)],
        sync_to_thread=True,
    )
    def preview(
        self,
        request: Request[Any, Any, Any],
        year: Annotated[int, Parameter(ge=2000, le=2100)],
        division_prefix: Annotated[str, Parameter(min_length=2, max_length=6, pattern=r"^[0-9]+$")],
        complained: list[UUID] | None = None,
    ) -> PreviewOut:
        found: DrawPreview = _desk(request).preview(year, division_prefix, complained or [])
        c = found.candidates
        return PreviewOut(
            c.year,
            c.division_prefix,
            c.rule_set,
            found.report_year,
            found.sha256,
            found.groups,
            found.quotas,
            len(c.inspectors),
            c.document(),
        )

    @post(
        "/draws",
        operation_id="drawSpotChecks",
        summary="抽查摇号(不可撤销)/ Draw the year's spot checks (irreversible)",
        description="以随机种子按规则集比例抽取检查对象和检查人员,公布种子和名录哈希;每个区划每年一次,须写明文号。"
        "支持 Idempotency-Key。Draws organizations and inspectors at the rule set's ratios with a fresh seed, published "
        "with the candidate list's hash; once per division and year, on a numbered decision. Accepts Idempotency-Key.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=201,
    )
    def draw(self, request: Request[Any, Any, Any], data: DrawIn) -> Response[Any]:
        system = system_of(request)
        key = idempotency_key(request)
        scope, print_ = idempotency_scope(request), fingerprint(msgspec.json.encode(data))
        if key is not None and (stored := system.idempotency.recall(scope, key)) is not None:
            if stored.fingerprint != print_:
                raise problem(
                    422,
                    "idempotency.key_reused",
                    "该 Idempotency-Key 已用于另一个请求",
                    "This Idempotency-Key was already used for a different request",
                )
            return Response(
                stored.body,
                status_code=stored.status,
                headers={"Idempotent-Replayed": "true", "Location": stored.location or ""},
                media_type="application/json",
            )
        try:
            made, _checks = _desk(request).draw(
                context(request, data.basis), data.year, data.division_prefix, data.complained, data.candidates_sha256
            )
        except Conflict as refused:
            # a retry whose first attempt committed but lost its answer: the draw is this request's
            # when it was made by the same person on the same decision
            if key is None or refused.code != "spot_check.draw_exists":
                raise
            made = _desk(request).draw_of(data.year, data.division_prefix)
            if not _same_request(made, request, data):
                raise
        out = draw_out(request, made)
        location = f"/api/public/spot-check-draws/{made.id}"
        if key is not None:
            body = msgspec.json.encode(out)
            system.idempotency.remember(
                scope, key, SimpleNamespace(fingerprint=print_, status=201, body=body, location=location), system.clock.now()
            )
        return Response(out, status_code=201, headers={"Location": location})

    @get(
        "/draws",
        operation_id="listSpotCheckDraws",
        summary="已作出的抽查摇号 / The draws made, the newest first",
        guards=[allow(*STAFF, Role.AUDITOR)],
        sync_to_thread=True,
    )
    def draws(
        self, request: Request[Any, Any, Any], year: Annotated[int | None, Parameter(ge=2000, le=2100)] = None
    ) -> list[DrawRow]:
        return _desk(request).draws(year)

    @get(
        "/",
        operation_id="listSpotChecks",
        summary="抽查案件列表 / Spot checks, those in progress first",
        description="工作人员和审计人员看全部;检查人员(专家)只看自己所在检查组的案件。"
        "Staff and auditors see every check; an inspector (expert) only those on their team. `open=true`: not concluded.",
        guards=[allow(*STAFF, Role.AUDITOR, Role.EVALUATOR, Role.CHAIR)],
        sync_to_thread=True,
    )
    def checks(
        self,
        request: Request[Any, Any, Any],
        year: Annotated[int | None, Parameter(ge=2000, le=2100)] = None,
        open_only: Annotated[bool, QueryParameter(name="open")] = False,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=200)] = 20,
    ) -> Page[SpotCheckRow]:
        principal: Principal = request.user
        inspector = None if principal.role in (*STAFF, Role.AUDITOR) else principal.user_id
        return _desk(request).checks(SpotCheckQuery(year, inspector, open_only, page, per_page))

    @get(
        "/{check_id:uuid}",
        operation_id="getSpotCheck",
        summary="抽查案件 / A spot check",
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def get_check(self, request: Request[Any, Any, Any], check_id: UUID) -> Response[SpotCheckOut]:
        return _respond(_readable(request, _desk(request).spot_check(check_id)))

    @get(
        "/{check_id:uuid}/history",
        operation_id="getSpotCheckHistory",
        summary="抽查案件的事件记录 / A spot check's events",
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def history(self, request: Request[Any, Any, Any], check_id: UUID) -> list[HistoryEntry]:
        _readable(request, _desk(request).spot_check(check_id))
        return _desk(request).history(check_id)

    @post(
        "/{check_id:uuid}/notice",
        operation_id="notifySpotCheck",
        summary="发出抽查通知(文号)/ Give the spot-check notice (numbered)",
        guards=[allow(*TEAM)],
        sync_to_thread=True,
        status_code=200,
    )
    def notice(self, request: Request[Any, Any, Any], check_id: UUID, data: NoticeIn) -> Response[SpotCheckOut]:
        return _respond(_desk(request).notify(context(request, data.basis), check_id, expected_version(request)))

    @post(
        "/{check_id:uuid}/materials",
        operation_id="addSpotCheckMaterial",
        summary="提交或记录抽查材料 / Submit or record material",
        description="通知之后、结论之前:被检查组织提交,或检查人员记录。After the notice and before the conclusion: "
        "the organization submits, or an inspector records.",
        guards=[allow(*TEAM, Role.ORGANIZATION)],
        sync_to_thread=True,
        status_code=200,
    )
    def material(self, request: Request[Any, Any, Any], check_id: UUID, data: MaterialIn) -> Response[SpotCheckOut]:
        return _respond(_desk(request).add_material(context(request), check_id, expected_version(request), data.title, data.note))

    @post(
        "/{check_id:uuid}/findings",
        operation_id="recordSpotCheckFindings",
        summary="记录现场检查情况 / Record the on-site findings",
        guards=[allow(*TEAM)],
        sync_to_thread=True,
        status_code=200,
    )
    def findings(self, request: Request[Any, Any, Any], check_id: UUID, data: FindingsIn) -> Response[SpotCheckOut]:
        return _respond(_desk(request).record_findings(context(request), check_id, expected_version(request), data.findings))

    @post(
        "/{check_id:uuid}/conclusion",
        operation_id="concludeSpotCheck",
        summary="作出抽查结论(文号)/ Conclude the spot check (numbered decision)",
        description="未发现问题 / 发现问题责令整改(须有整改期限)/ 移交行政处罚;结论在组织的公示档案中公开。"
        "No problems / rectification ordered (with its deadline) / referred for a penalty; published on the public card.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def conclusion(self, request: Request[Any, Any, Any], check_id: UUID, data: ConclusionIn) -> Response[SpotCheckOut]:
        check = _desk(request).conclude(
            context(request, data.basis),
            check_id,
            expected_version(request),
            data.conclusion,
            data.reasons,
            data.rectification_deadline,
        )
        return _respond(check)

    @post(
        "/{check_id:uuid}/rectification",
        operation_id="confirmSpotCheckRectification",
        summary="确认整改完成 / Confirm the rectification",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def rectification(self, request: Request[Any, Any, Any], check_id: UUID, data: RectificationIn) -> Response[SpotCheckOut]:
        return _respond(
            _desk(request).confirm_rectification(context(request, data.basis), check_id, expected_version(request), data.note)
        )


def _same_request(made: SpotCheckDraw, request: Request[Any, Any, Any], data: DrawIn) -> bool:
    principal: Principal = request.user
    return _desk(request).drawn_by(made) == (principal.user_id, data.basis.document_no)


class PublicSpotCheckController(Controller):
    """No sign-in: each draw with its seed, its candidate list and the selection, so anyone can rerun it."""

    path = "/api/public/spot-check-draws"
    tags = ["public 信息公示"]

    @get(
        "/",
        operation_id="publicSpotCheckDrawOf",
        summary="公示:某区划某年度的抽查摇号 / The draw of a division and year",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def of(
        self,
        request: Request[Any, Any, Any],
        year: Annotated[int, Parameter(ge=2000, le=2100)],
        division_prefix: Annotated[str, Parameter(min_length=2, max_length=6, pattern=r"^[0-9]+$")],
    ) -> PublishedDraw:
        return draw_out(request, _desk(request).draw_of(year, division_prefix))

    @get(
        "/{draw_id:uuid}",
        operation_id="publicSpotCheckDraw",
        summary="公示:抽查摇号的种子、名录哈希与抽取结果 / A draw's seed, candidate hash and selection",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def draw(self, request: Request[Any, Any, Any], draw_id: UUID) -> PublishedDraw:
        return draw_out(request, _desk(request).draw_record(draw_id))

    @get(
        "/{draw_id:uuid}/candidates",
        operation_id="publicSpotCheckCandidates",
        summary="公示:抽查名录(哈希所依据的原始字节)/ The candidate list, the exact bytes hashed",
        description="下载后计算 SHA-256 应与 candidates_sha256 相同;用 `starledger spot-checks redraw` 可重新抽取。"
        "The SHA-256 of the download equals candidates_sha256; `starledger spot-checks redraw` reruns the draw.",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
        media_type="application/json",
    )
    def candidates(self, request: Request[Any, Any, Any], draw_id: UUID) -> Response[bytes]:
        made = _desk(request).draw_record(draw_id)
        return Response(
            made.candidates.canonical(),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="spot-check-candidates-{made.year}-{made.division_prefix}.json"'
            },
        )


class SpotCheckDocumentController(Controller):
    """Files of a check's materials: the organization checked uploads them, or the team or the registry;
    the body is the file itself. Never public."""

    path = "/api/spot-checks/{check_id:uuid}/documents"
    tags = ["spot checks 双随机抽查"]

    @get(
        "/",
        operation_id="listSpotCheckDocuments",
        summary="抽查材料文件 / A spot check's files",
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def list_documents(self, request: Request[Any, Any, Any], check_id: UUID) -> list[DocumentOut]:
        check = _readable(request, _desk(request).spot_check(check_id))
        return [DocumentOut.of(a) for a in check.documents]

    @post(
        "/",
        operation_id="attachSpotCheckDocument",
        summary="上传抽查材料 / Upload a spot-check material",
        description="通知之后、结论之前;请求体为文件本身,name 为文件名。After the notice and before the conclusion; "
        "the body is the file itself, `name` its name.",
        guards=[allow(*TEAM, Role.ORGANIZATION)],
        request_max_body_size=None,
        status_code=201,
    )
    async def attach(self, request: Request[Any, Any, Any], check_id: UUID, name: FileName = "") -> DocumentOut:
        desk, ctx = _desk(request), context(request)
        attached = await attach_received(
            request,
            lambda: desk.check_attach(ctx, check_id),
            lambda upload: desk.attach_document(ctx, check_id, upload, name),
            "",
        )
        return DocumentOut.of(attached)

    @get(
        "/{sha256:str}",
        operation_id="getSpotCheckDocument",
        summary="下载或预览抽查材料 / Download a spot-check material",
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def document(self, request: Request[Any, Any, Any], check_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        return download(request, _desk(request).document(context(request), check_id, sha256), inline)
