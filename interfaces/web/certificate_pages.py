"""Grade certificate pages: the public verification page a certificate's QR code opens (no
sign-in) and the PDF download linked from the organization's page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Template

from interfaces.common.certificates import certificate_pdf, verification_url
from interfaces.common.runtime import system_of

Number = Annotated[str, Parameter(max_length=60)]


class CertificatePages(Controller):
    include_in_schema = False

    @get("/public/certificates/{number:str}", sync_to_thread=True)
    def verify(self, request: Request[Any, Any, Any], number: Number) -> Template:
        standing = system_of(request).certificates.standing(number)
        return Template(
            "public_certificate.html",
            context={"standing": standing, "c": standing.certificate, "url": verification_url(request, number)},
        )

    @get("/certificates/{number:str}/pdf", sync_to_thread=True)
    def pdf(self, request: Request[Any, Any, Any], number: Number) -> Response[bytes]:
        return certificate_pdf(request, number)
