"""What the certificate API and pages share: the public verification address a certificate's
QR code opens, and the PDF as a download for those who may have it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response

from domain.provenance import Role
from interfaces.common.documents import content_disposition
from interfaces.common.runtime import public_url, system_of
from interfaces.common.security import Principal, require_own_organization, require_role

# the organization itself (its own only) and the registration authority's staff and auditors
HOLDERS = (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR, Role.ORGANIZATION)


def verification_url(request: Request[Any, Any, Any], number: str) -> str:
    """Absolute, on the public address the deployment is reached at (STARLEDGER_PUBLIC_URL)."""
    return f"{public_url(request)}/public/certificates/{quote(number, safe='')}"


def certificate_pdf(request: Request[Any, Any, Any], number: str) -> Response[bytes]:
    principal: Principal = request.user
    require_role(principal, HOLDERS)
    certificates = system_of(request).certificates
    standing = certificates.standing(number)
    require_own_organization(principal, standing.organization_id)
    _, pdf = certificates.pdf(number, verification_url(request, number))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(f"等级证书-{standing.number}.pdf", False),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
