"""Grade certificates over the API: anyone checks a certificate by its number; the PDF goes to
the organization holding it and to the registration authority."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from application.queries.certificates import CertificateStanding
from domain.provenance import Role
from interfaces.common.certificates import HOLDERS, certificate_pdf, verification_url
from interfaces.common.runtime import system_of
from interfaces.common.security import allow

Number = Annotated[str, Parameter(max_length=60, description="证书编号 / The certificate's number")]
Status = Literal["valid", "expired", "lowered", "revoked", "superseded", "organization_closed"]


class IssuingEventOut(msgspec.Struct, frozen=True):
    organization_id: UUID
    version: int
    recorded_at: datetime
    position: int | None
    link: str | None


class CertificateOut(msgspec.Struct, frozen=True):
    number: str
    status: Status
    valid: bool
    organization_id: UUID
    organization_name: str
    grade: str
    valid_from: date
    valid_until: date
    issued_on: date
    authority_zh: str
    authority_en: str
    ended_on: date | None
    checked_on: date
    verification_url: str
    issued_by: IssuingEventOut


def certificate_out(standing: CertificateStanding, url: str) -> CertificateOut:
    c, event = standing.certificate, standing.issued_by
    return CertificateOut(
        number=c.number,
        status=standing.status,  # type: ignore[arg-type]  # CertificateEnd's values or "valid"
        valid=standing.is_valid,
        organization_id=standing.organization_id,
        organization_name=c.organization_name,
        grade=c.level,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        issued_on=c.issued_on,
        authority_zh=c.authority_zh,
        authority_en=c.authority_en,
        ended_on=c.ended_on,
        checked_on=standing.checked_on,
        verification_url=url,
        issued_by=IssuingEventOut(event.organization_id, event.version, event.recorded_at, event.position, event.link),
    )


class CertificateController(Controller):
    path = "/api/certificates"
    tags = ["certificates 等级证书"]

    @get(
        "/{number:str}",
        operation_id="verifyCertificate",
        summary="核验等级证书 / Verify a grade certificate",
        description="无需登录。证书是否有效(或已过期、被降级、被撤销、被新证书取代、组织已注销或撤销登记),以及颁发它的事件在完整性链中的位置和链值。"
        "No sign-in: whether the certificate stands (or why not), and the event that issued it with its position and link "
        "in the integrity chain.",
        guards=[allow(*tuple(Role))],
        sync_to_thread=True,
    )
    def verify(self, request: Request[Any, Any, Any], number: Number) -> CertificateOut:
        return certificate_out(system_of(request).certificates.standing(number), verification_url(request, number))

    @get(
        "/{number:str}/pdf",
        operation_id="downloadCertificate",
        summary="下载等级证书 PDF / Download the grade certificate (PDF)",
        description="组织本身(仅限本组织)、登记管理机关及审计人员。The organization holding it (its own only), the "
        "registration authority and auditors.",
        guards=[allow(*HOLDERS)],
        sync_to_thread=True,
        media_type="application/pdf",
        response_description="The certificate as PDF",
    )
    def pdf(self, request: Request[Any, Any, Any], number: Number) -> Response[bytes]:
        return certificate_pdf(request, number)
