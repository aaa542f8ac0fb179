"""/api: documents (证明材料) — uploaded into a record's slot, read as the record they belong to.

An upload is the file's bytes as the request body (any Content-Type; the type is decided from
the content), the slot and the file name in the query: `POST …/documents?slot=audit_report&name=审计报告.pdf`.
The body streams to a spool file as it arrives, so a 20 MiB file is never whole in memory; over
the limit answers 413 at once. Downloads stream from the database chunk by chunk with the file
name in Content-Disposition (RFC 6266 / 5987), `X-Content-Type-Options: nosniff`, and inline
only for PDF and images (`?inline=1`, for the page's preview); nothing else renders in the browser."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Stream

from application.evidence import PublicDocument
from domain.provenance import Role
from interfaces.common.commands import context, etag, optional_version, system_of
from interfaces.common.documents import (
    DocumentOut,
    DocumentsOut,
    EvaluationSubject,
    FileName,
    ProjectSubject,
    Sha256,
    SlotKey,
    WithdrawalIn,
    attach_received,
    documents_out,
    download,
    receive,
)
from interfaces.common.security import READERS_OF_HISTORY, STAFF, allow, require_own_organization

FILERS = (*STAFF, Role.ORGANIZATION)
Year = Annotated[int, Parameter(ge=1990, le=2100)]


class DocumentController(Controller):
    path = "/api"
    tags = ["documents 证明材料"]

    # -- the annual report's documents -------------------------------------------------------------
    @get(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/documents",
        operation_id="listReportDocuments",
        summary="年度报告的材料 / The annual report's documents and the required list",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def report_documents(self, request: Request[Any, Any, Any], organization_id: UUID, year: Year) -> DocumentsOut:
        require_own_organization(request.user, organization_id)
        inspections = system_of(request).inspections
        required = inspections.required_documents(organization_id, year)
        found = inspections.found(organization_id, year)
        return documents_out(required, found.documents if found else (), found.version if found else None)

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/documents",
        operation_id="attachReportDocument",
        summary="上传年度报告材料 / Upload a document into a slot of the annual report",
        description="请求体为文件本身;类型按内容判断(PDF、JPEG、PNG、OFD、XLSX、DOCX,依材料类别而定)。"
        "The body is the file itself; its type is decided from its content against the slot's list. "
        "413 over the size limit, 415 for a type the slot does not take, 422 for an empty file. "
        "If-Match optional (the report's version).",
        guards=[allow(*FILERS)],
        request_max_body_size=None,
        status_code=201,
    )
    async def attach_report_document(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        year: Year,
        slot: SlotKey,
        name: FileName = "",
        public: bool | None = None,
    ) -> Response[DocumentOut]:
        require_own_organization(request.user, organization_id)
        system, ctx, expected = system_of(request), context(request), optional_version(request)
        await anyio.to_thread.run_sync(lambda: system.inspections.check_attach(ctx, organization_id, year, slot))
        upload = await receive(request)
        try:
            inspection, ref = await anyio.to_thread.run_sync(
                lambda: system.inspections.attach_document(
                    ctx, organization_id, year, expected, slot, upload, file_name=name, public=public
                )
            )
        finally:
            upload.discard()
        attached = next(a for a in reversed(inspection.documents) if a.document.sha256 == ref.sha256 and a.slot == slot)
        return Response(DocumentOut.of(attached), status_code=201, headers=etag(inspection.version))

    @get(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/documents/{sha256:str}",
        operation_id="getReportDocument",
        summary="下载或预览年度报告材料 / Download (or preview) a report document",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def report_document(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        year: Year,
        sha256: Sha256,
        inline: bool = False,
    ) -> Stream:
        require_own_organization(request.user, organization_id)
        return download(request, system_of(request).inspections.document(organization_id, year, sha256), inline)

    @post(
        "/organizations/{organization_id:uuid}/inspections/{year:int}/documents/{sha256:str}/withdrawal",
        operation_id="withdrawReportDocument",
        summary="撤回年度报告材料 / Withdraw a report document",
        description="撤回是一条记录,文件本身按保存期限保留。A withdrawal is recorded; the bytes are kept.",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def withdraw_report_document(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        year: Year,
        sha256: Sha256,
        data: WithdrawalIn,
    ) -> Response[DocumentsOut]:
        require_own_organization(request.user, organization_id)
        inspections = system_of(request).inspections
        inspection = inspections.withdraw_document(
            context(request), organization_id, year, optional_version(request), data.slot, sha256, reason=data.reason
        )
        out = documents_out(inspections.required_documents(organization_id, year), inspection.documents, inspection.version)
        return Response(out, headers=etag(inspection.version))


class CreditWithdrawalIn(msgspec.Struct, frozen=True):
    slot: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class SubjectDocumentOut(msgspec.Struct, frozen=True):
    subject: str
    document: DocumentOut


Subject = Annotated[str, Parameter(max_length=200, description="penalty:<处罚决定书文号> 或 removal:abnormal|serious")]


class CreditDocumentController(Controller):
    path = "/api/organizations/{organization_id:uuid}/credit/documents"
    tags = ["documents 证明材料"]

    @get(
        "/",
        operation_id="listCreditDocuments",
        summary="信用记录的材料 / The credit record's documents",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def list_documents(self, request: Request[Any, Any, Any], organization_id: UUID) -> list[SubjectDocumentOut]:
        require_own_organization(request.user, organization_id)
        record = system_of(request).credit.record_of(organization_id)
        return [SubjectDocumentOut(a.subject, DocumentOut.of(a)) for a in (record.documents if record else ())]

    @post(
        "/",
        operation_id="attachCreditDocument",
        summary="上传处罚决定书或移出申请材料 / Upload a penalty's decision letter or a removal request's grounds",
        description="subject=penalty:<文号>&slot=decision_letter(登记管理机关),或 subject=removal:abnormal&slot=removal_grounds"
        "(组织或登记管理机关)。请求体为文件本身。The body is the file itself; decision letters are public.",
        guards=[allow(*FILERS)],
        request_max_body_size=None,
        status_code=201,
    )
    async def attach(
        self,
        request: Request[Any, Any, Any],
        organization_id: UUID,
        subject: Subject,
        slot: SlotKey,
        name: FileName = "",
    ) -> SubjectDocumentOut:
        require_own_organization(request.user, organization_id)
        system, ctx = system_of(request), context(request)
        attached = await attach_received(
            request,
            lambda: system.credit.check_attach(ctx, organization_id, subject, slot),
            lambda upload: system.credit.attach_document(ctx, organization_id, subject, slot, upload, name),
            subject,
        )
        return SubjectDocumentOut(subject, DocumentOut.of(attached))

    @get(
        "/{sha256:str}",
        operation_id="getCreditDocument",
        summary="下载信用记录材料 / Download a credit document",
        guards=[allow(*READERS_OF_HISTORY)],
        sync_to_thread=True,
    )
    def document(self, request: Request[Any, Any, Any], organization_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        require_own_organization(request.user, organization_id)
        return download(request, system_of(request).credit.document(organization_id, sha256), inline)

    @post(
        "/{sha256:str}/withdrawal",
        operation_id="withdrawCreditDocument",
        summary="撤回信用记录材料 / Withdraw a credit document",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def withdraw(
        self, request: Request[Any, Any, Any], organization_id: UUID, sha256: Sha256, data: CreditWithdrawalIn
    ) -> list[SubjectDocumentOut]:
        require_own_organization(request.user, organization_id)
        record = system_of(request).credit.withdraw_document(
            context(request), organization_id, data.subject, data.slot, sha256, data.reason
        )
        return [SubjectDocumentOut(a.subject, DocumentOut.of(a)) for a in record.documents]


class PublicDocumentController(Controller):
    """No sign-in: only documents marked public, of filed reports and of penalties."""

    path = "/api/public/organizations/{organization_id:uuid}/documents"
    tags = ["public 信息公示"]

    @get(
        "/",
        operation_id="publicDocuments",
        summary="公示材料 / An organization's public documents",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def list_documents(self, request: Request[Any, Any, Any], organization_id: UUID) -> list[PublicDocument]:
        system_of(request).organizations.organization(organization_id)
        return system_of(request).evidence.of(organization_id)

    @get(
        "/{sha256:str}",
        operation_id="publicDocument",
        summary="下载公示材料 / Download a public document",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def document(self, request: Request[Any, Any, Any], organization_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        return download(request, system_of(request).evidence.document(organization_id, sha256), inline)


class ProjectWithdrawalIn(msgspec.Struct, frozen=True):
    slot: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


PROJECT_DOCUMENT_READERS = (*STAFF, Role.AUDITOR, Role.ORGANIZATION, Role.EVALUATOR, Role.CHAIR)


class ProjectDocumentController(Controller):
    """A funded project's documents: the plan and budget of its application, the outputs of each
    milestone report; its evaluators (panel members and chair) read them beside their sheets."""

    path = "/api/projects/{project_id:uuid}/documents"
    tags = ["documents 证明材料"]

    @get(
        "/",
        operation_id="listProjectDocuments",
        summary="项目材料 / A project's documents",
        guards=[allow(*PROJECT_DOCUMENT_READERS)],
        sync_to_thread=True,
    )
    def list_documents(self, request: Request[Any, Any, Any], project_id: UUID) -> list[SubjectDocumentOut]:
        project = system_of(request).funding.documents_of(context(request), project_id)
        return [SubjectDocumentOut(a.subject, DocumentOut.of(a)) for a in project.documents]

    @post(
        "/",
        operation_id="attachProjectDocument",
        summary="上传项目材料 / Upload a project document",
        description="subject=application&slot=plan|budget(评审开始前),或 subject=milestone:mid_term|milestone:closing"
        "&slot=outputs(报告提交前)。请求体为文件本身。The body is the file itself.",
        guards=[allow(*FILERS)],
        request_max_body_size=None,
        status_code=201,
    )
    async def attach(
        self,
        request: Request[Any, Any, Any],
        project_id: UUID,
        subject: ProjectSubject,
        slot: SlotKey,
        name: FileName = "",
    ) -> SubjectDocumentOut:
        system, ctx = system_of(request), context(request)
        attached = await attach_received(
            request,
            lambda: system.funding.check_attach(ctx, project_id, subject, slot),
            lambda upload: system.funding.attach_document(ctx, project_id, subject, slot, upload, name),
            subject,
        )
        return SubjectDocumentOut(subject, DocumentOut.of(attached))

    @get(
        "/{sha256:str}",
        operation_id="getProjectDocument",
        summary="下载或预览项目材料 / Download a project document",
        guards=[allow(*PROJECT_DOCUMENT_READERS)],
        sync_to_thread=True,
    )
    def document(self, request: Request[Any, Any, Any], project_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        return download(request, system_of(request).funding.document(context(request), project_id, sha256), inline)

    @post(
        "/{sha256:str}/withdrawal",
        operation_id="withdrawProjectDocument",
        summary="撤回项目材料 / Withdraw a project document",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def withdraw(
        self, request: Request[Any, Any, Any], project_id: UUID, sha256: Sha256, data: ProjectWithdrawalIn
    ) -> list[SubjectDocumentOut]:
        project = system_of(request).funding.withdraw_document(
            context(request), project_id, data.subject, data.slot, sha256, data.reason
        )
        return [SubjectDocumentOut(a.subject, DocumentOut.of(a)) for a in project.documents]


EVALUATION_DOCUMENT_READERS = (*STAFF, Role.AUDITOR, Role.ORGANIZATION, Role.EVALUATOR, Role.CHAIR)


class EvaluationDocumentController(Controller):
    """A grade evaluation's documents: the organization's self-assessment report and supporting
    material per indicator (before scoring opens), an appeal's grounds; the case's evaluators read
    them beside each indicator of their score form."""

    path = "/api/evaluations/{evaluation_id:uuid}/documents"
    tags = ["documents 证明材料"]

    @get(
        "/",
        operation_id="listEvaluationDocuments",
        summary="评估材料 / A case's documents",
        guards=[allow(*EVALUATION_DOCUMENT_READERS)],
        sync_to_thread=True,
    )
    def list_documents(self, request: Request[Any, Any, Any], evaluation_id: UUID) -> list[SubjectDocumentOut]:
        evaluation = system_of(request).evaluations.documents_of(context(request), evaluation_id)
        return [SubjectDocumentOut(a.subject, DocumentOut.of(a)) for a in evaluation.documents]

    @post(
        "/",
        operation_id="attachEvaluationDocument",
        summary="上传评估材料 / Upload an evaluation document",
        description="subject=self_assessment&slot=self_assessment 或 subject=indicator:<指标>&slot=supporting(评分开始前),"
        "subject=appeal&slot=appeal_grounds(公示期内)。请求体为文件本身。The body is the file itself.",
        guards=[allow(*FILERS)],
        request_max_body_size=None,
        status_code=201,
    )
    async def attach(
        self,
        request: Request[Any, Any, Any],
        evaluation_id: UUID,
        subject: EvaluationSubject,
        slot: SlotKey,
        name: FileName = "",
    ) -> SubjectDocumentOut:
        system, ctx = system_of(request), context(request)
        attached = await attach_received(
            request,
            lambda: system.evaluations.check_attach(ctx, evaluation_id, subject, slot),
            lambda upload: system.evaluations.attach_document(ctx, evaluation_id, subject, slot, upload, name),
            subject,
        )
        return SubjectDocumentOut(subject, DocumentOut.of(attached))

    @get(
        "/{sha256:str}",
        operation_id="getEvaluationDocument",
        summary="下载或预览评估材料 / Download an evaluation document",
        guards=[allow(*EVALUATION_DOCUMENT_READERS)],
        sync_to_thread=True,
    )
    def document(self, request: Request[Any, Any, Any], evaluation_id: UUID, sha256: Sha256, inline: bool = False) -> Stream:
        return download(request, system_of(request).evaluations.document(context(request), evaluation_id, sha256), inline)

    @post(
        "/{sha256:str}/withdrawal",
        operation_id="withdrawEvaluationDocument",
        summary="撤回评估材料 / Withdraw an evaluation document",
        guards=[allow(*FILERS)],
        sync_to_thread=True,
        status_code=200,
    )
    def withdraw(
        self, request: Request[Any, Any, Any], evaluation_id: UUID, sha256: Sha256, data: ProjectWithdrawalIn
    ) -> list[SubjectDocumentOut]:
        evaluation = system_of(request).evaluations.withdraw_document(
            context(request), evaluation_id, data.subject, data.slot, sha256, data.reason
        )
        return [SubjectDocumentOut(a.subject, DocumentOut.of(a)) for a in evaluation.documents]
