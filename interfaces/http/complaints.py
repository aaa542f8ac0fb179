"""投诉举报 and 立案调查 over HTTP: anyone files a complaint (no sign-in, limited per address) and
follows it by reference; the registry lists, triages and answers complaints and opens and closes
investigations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter, QueryParameter
from litestar.response import Stream

from application.complaints import ComplaintState
from application.errors import NotFound
from application.queries.common import Page
from application.queries.complaints import ComplaintQuery, ComplaintRow
from domain.complaints import Channel, Complaint, Finding, Triage
from domain.provenance import Role
from interfaces.common.commands import context, etag, expected_version, system_of
from interfaces.common.documents import DocumentOut, FileName, Sha256, download, receive
from interfaces.common.security import STAFF, allow
from interfaces.http.dto import BasisIn

FILERS = tuple(r for r in Role if r not in (Role.AUDITOR, Role.SYSTEM))  # auditors change nothing
Reference = Annotated[str, Parameter(max_length=40, description="投诉举报编号 / the complaint's reference")]


class ComplaintIn(msgspec.Struct, frozen=True):
    """投诉举报: about which organization, who (kept private), how to reach them, what happened."""

    organization_id: UUID
    name: Annotated[str, msgspec.Meta(max_length=100)]
    contact: Annotated[str, msgspec.Meta(max_length=200)]
    content: Annotated[str, msgspec.Meta(max_length=5000)]
    channel: Channel = Channel.WEB  # staff entering a letter, call or visit say which
    basis: BasisIn | None = None  # staff: the day a letter came in (effective_on)


class ComplaintFiled(msgspec.Struct, frozen=True):
    reference: str
    message_zh: str
    message_en: str


class ComplaintOut(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    reference: str
    organization_id: UUID
    complainant_name: str
    complainant_contact: str
    channel: str
    content: str
    received_on: date
    triage_by: date
    state: str
    triage: str | None
    triage_reasons: str
    referred_to: str | None
    investigation_number: str | None
    answer_by: date | None
    answer: str | None
    answered_on: date | None
    documents: list[DocumentOut] = []

    @classmethod
    def of(cls, c: Complaint) -> ComplaintOut:
        return cls(
            c.id,
            c.version,
            c.reference,
            c.organization_id,
            c.complainant.name,
            c.complainant.contact,
            c.channel.value,
            c.content,
            c.received_on,
            c.triage_by,
            c.state,
            c.triage.value if c.triage else None,
            c.triage_reasons,
            c.referred_to,
            c.investigation_number,
            c.answer_by,
            c.answer,
            c.answered_on,
            [DocumentOut.of(a) for a in c.documents],
        )


class TriageIn(msgspec.Struct, frozen=True):
    decision: Triage
    reasons: Annotated[str, msgspec.Meta(max_length=2000)]
    referred_to: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    investigation_number: Annotated[str, msgspec.Meta(max_length=60)] | None = None
    basis: BasisIn | None = None


class AnswerIn(msgspec.Struct, frozen=True):
    text: Annotated[str, msgspec.Meta(max_length=5000)]


class InvestigationIn(msgspec.Struct, frozen=True):
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    grounds: Annotated[str, msgspec.Meta(max_length=2000)]
    basis: BasisIn | None = None


class ClosureIn(msgspec.Struct, frozen=True):
    finding: Finding
    reasons: Annotated[str, msgspec.Meta(max_length=2000)]
    penalty_decision_no: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    basis: BasisIn | None = None


class InvestigationOut(msgspec.Struct, frozen=True):
    number: str
    grounds: str
    opened_on: date
    complaint_reference: str | None
    closed_on: date | None
    finding: str | None
    penalty_decision_no: str | None
    reasons: str


def _complaint(c: Complaint) -> Response[ComplaintOut]:
    return Response(ComplaintOut.of(c), headers=etag(c.version))


class ComplaintController(Controller):
    path = "/api"
    tags = ["complaints 投诉举报"]

    @post(
        "/public/complaints",
        operation_id="fileComplaint",
        summary="投诉举报 / File a complaint about an organization",
        description="无需登录;每个地址每小时有上限(429);投诉人姓名和联系方式不公开。返回的编号用于查询处理情况。"
        "No sign-in; limited per address and hour (429); the complainant's name and contact stay private. "
        "Keep the reference to follow it up.",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=201,
    )
    def file(self, request: Request[Any, Any, Any], data: ComplaintIn) -> ComplaintFiled:
        address = request.client.host if request.client else None
        reference = system_of(request).complaints.file(
            context(request, data.basis), data.organization_id, data.name, data.contact, data.content, data.channel, address
        )
        return ComplaintFiled(
            reference,
            f"投诉举报已收到,编号 {reference}。请保存编号,凭编号查询处理情况。",
            f"Your complaint is received: reference {reference}. Keep it to follow the complaint up.",
        )

    @get(
        "/public/complaints/{reference:str}",
        operation_id="complaintState",
        summary="凭编号查询投诉举报的处理情况 / A complaint's state by its reference",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def state(self, request: Request[Any, Any, Any], reference: Reference) -> ComplaintState:
        return system_of(request).complaints.state(reference)

    @post(
        "/public/complaints/{reference:str}/documents",
        operation_id="attachComplaintMaterial",
        summary="投诉举报材料 / Material for a complaint, by its reference",
        description="请求体为文件本身;类型按内容判断。凭编号即可上传,答复之后不再接收。"
        "The body is the file itself (its type decided from the content); the reference entitles the "
        "complainant; nothing is taken once the complaint is answered (404).",
        guards=[allow(*FILERS)],
        request_max_body_size=None,
        status_code=201,
    )
    async def attach(self, request: Request[Any, Any, Any], reference: Reference, name: FileName = "") -> DocumentOut:
        complaints, ctx = system_of(request).complaints, context(request)
        if (await anyio.to_thread.run_sync(lambda: complaints.state(reference))).state == "answered":
            raise NotFound("complaint", reference[:40])  # closed: nothing more is taken, and nothing is read
        upload = await receive(request)
        try:
            attached = await anyio.to_thread.run_sync(lambda: complaints.attach(ctx, reference, upload, name))
        finally:
            upload.discard()
        return DocumentOut.of(attached)

    @get(
        "/complaints/{complaint_id:uuid}/documents/{sha256:str}",
        operation_id="downloadComplaintMaterial",
        summary="下载投诉举报材料 / Download a complaint's material (the registry)",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
    )
    def material(self, request: Request[Any, Any, Any], complaint_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        return download(request, system_of(request).complaints.document(context(request), complaint_id, sha256), inline)

    @get(
        "/complaints",
        operation_id="listComplaints",
        summary="投诉举报列表 / Complaints, those waiting first",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
    )
    def complaints(
        self,
        request: Request[Any, Any, Any],
        stage: Annotated[Literal["received", "triaged", "answered"] | None, QueryParameter(name="state")] = None,
        organization_id: UUID | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=200)] = 20,
    ) -> Page[ComplaintRow]:
        return system_of(request).complaints.search(ComplaintQuery(stage, organization_id, page, per_page))

    @get(
        "/complaints/{complaint_id:uuid}",
        operation_id="getComplaint",
        summary="一件投诉举报(含投诉人)/ A complaint, with the complainant",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
    )
    def complaint(self, request: Request[Any, Any, Any], complaint_id: UUID) -> Response[ComplaintOut]:
        return _complaint(system_of(request).complaints.complaint(complaint_id))

    @post(
        "/complaints/{complaint_id:uuid}/triage",
        operation_id="triageComplaint",
        summary="受理、转交或不予受理 / Accept, refer or not accept",
        description="受理须写明立案编号(同时对该组织立案调查);转交须写明部门;均须写明理由。Accepting needs the "
        "investigation's number (an investigation is opened on the organization); referring, the body; all, reasons.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def triage(self, request: Request[Any, Any, Any], complaint_id: UUID, data: TriageIn) -> Response[ComplaintOut]:
        c = system_of(request).complaints.triage(
            context(request, data.basis),
            complaint_id,
            expected_version(request),
            data.decision,
            data.reasons,
            data.referred_to,
            data.investigation_number,
        )
        return _complaint(c)

    @post(
        "/complaints/{complaint_id:uuid}/answer",
        operation_id="answerComplaint",
        summary="答复投诉人 / Answer the complainant",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def answer(self, request: Request[Any, Any, Any], complaint_id: UUID, data: AnswerIn) -> Response[ComplaintOut]:
        c = system_of(request).complaints.answer(context(request), complaint_id, expected_version(request), data.text)
        return _complaint(c)

    @get(
        "/organizations/{organization_id:uuid}/investigations",
        operation_id="listInvestigations",
        summary="立案调查 / The organization's investigations",
        guards=[allow(*STAFF, Role.AUDITOR)],
        sync_to_thread=True,
    )
    def investigations(self, request: Request[Any, Any, Any], organization_id: UUID) -> list[InvestigationOut]:
        org = system_of(request).organizations.organization(organization_id)
        return [msgspec.convert(msgspec.to_builtins(i), InvestigationOut) for i in org.investigations]

    @post(
        "/organizations/{organization_id:uuid}/investigations",
        operation_id="openInvestigation",
        summary="立案调查 / Open an investigation",
        description="须有文号(basis.document_no);调查期间该组织不得参加等级评估(规则集的 under_investigation)。"
        "Needs its document number; while open, the rule sets' under_investigation bar holds.",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def open(self, request: Request[Any, Any, Any], organization_id: UUID, data: InvestigationIn) -> list[InvestigationOut]:
        org = system_of(request).complaints.open_investigation(
            context(request, data.basis), organization_id, expected_version(request), data.number, data.grounds
        )
        return [msgspec.convert(msgspec.to_builtins(i), InvestigationOut) for i in org.investigations]

    @post(
        "/organizations/{organization_id:uuid}/investigations/{number:str}/closure",
        operation_id="closeInvestigation",
        summary="调查终结 / Close an investigation with its finding",
        description="查实违法违规须写明处罚决定文号(处罚在信用记录中登记)。A violation found names the penalty decision "
        "(recorded in the credit record).",
        guards=[allow(*STAFF)],
        sync_to_thread=True,
        status_code=200,
    )
    def close(
        self, request: Request[Any, Any, Any], organization_id: UUID, number: str, data: ClosureIn
    ) -> list[InvestigationOut]:
        org = system_of(request).complaints.close_investigation(
            context(request, data.basis),
            organization_id,
            expected_version(request),
            number,
            data.finding,
            data.penalty_decision_no,
            data.reasons,
        )
        return [msgspec.convert(msgspec.to_builtins(i), InvestigationOut) for i in org.investigations]
