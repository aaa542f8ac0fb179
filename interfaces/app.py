"""The Litestar app factory. Nothing opens a database at import time: `create_app` takes a
built system; `app_from_environment` builds one from settings (for `uvicorn --factory`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.problem_details import ProblemDetailsPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from interfaces.common.headers import SecurityHeaders
from interfaces.common.input_guard import input_guard
from interfaces.common.problems import EXCEPTION_HANDLERS
from interfaces.common.proxies import TrustedProxies
from interfaces.common.security import SESSION_COOKIE, SessionCookie, SessionOrBearerAuth
from interfaces.heap import settle_heap
from interfaces.http.announcements import AnnouncementController, ObjectionController
from interfaces.http.audit import AuditController, RatingController
from interfaces.http.auth import AuthController, health
from interfaces.http.certificates import CertificateController
from interfaces.http.complaints import ComplaintController
from interfaces.http.compliance import CreditController, InspectionController, PublicController
from interfaces.http.documents import (
    CreditDocumentController,
    DocumentController,
    EvaluationDocumentController,
    ProjectDocumentController,
    PublicDocumentController,
)
from interfaces.http.evaluations import EvaluationController, ExpertController
from interfaces.http.funding import FundingController
from interfaces.http.organizations import OrganizationController
from interfaces.http.reminders import ReminderController
from interfaces.http.spot_checks import PublicSpotCheckController, SpotCheckController, SpotCheckDocumentController
from interfaces.web.announcement_pages import AnnouncementPages
from interfaces.web.audit_pages import AuditPages
from interfaces.web.certificate_pages import CertificatePages
from interfaces.web.complaint_pages import ComplaintPages
from interfaces.web.credit_pages import CreditDocumentPages, CreditObjectionPages, CreditPages
from interfaces.web.evaluation_pages import EvaluationDocumentPages, EvaluationPages
from interfaces.web.funding_pages import FundingPages, ProjectDocumentPages
from interfaces.web.i18n import install as install_i18n
from interfaces.web.import_pages import ImportPages
from interfaces.web.inbox_pages import DeliveryPages, InboxPages
from interfaces.web.inbox_pages import install as install_inbox
from interfaces.web.inspection_pages import InspectionDocumentPages, InspectionPages
from interfaces.web.objection_pages import ObjectionPages
from interfaces.web.pages import PageController
from interfaces.web.public_pages import PublicPages
from interfaces.web.spot_check_pages import SpotCheckPages
from interfaces.web.worklist_pages import WorklistPages

if TYPE_CHECKING:
    from infra.wiring import System

WEB = Path(__file__).resolve().parent / "web"
log = logging.getLogger("starledger.http")


class StarLedgerApp(Litestar):
    """The Litestar app with two ASGI middlewares around everything it answers (routes, errors,
    not-found, static files, the OpenAPI document): the security headers (interfaces/common/headers.py)
    and the client's address behind trusted proxies only (interfaces/common/proxies.py)."""

    def __init__(self, *args: Any, https: bool = False, trusted_proxies: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = TrustedProxies(partial(Litestar.__call__, self), trusted_proxies)
        self._outer = SecurityHeaders(inner, https=https, session_cookie=SESSION_COOKIE)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._outer(scope, receive, send)


def create_app(system: System, scheduler_factory: Callable[[System], Any] | None = None) -> Litestar:
    """The app over a built system: controllers reach its desk (application/desk.py); the
    health check and the error handlers its lifecycle (ping, outage)."""
    settings = system.settings

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        scheduler = scheduler_factory(system) if scheduler_factory else None
        if scheduler is not None:
            scheduler.start()
            log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    def install_globals(engine: Any) -> None:
        install_i18n(engine)
        install_inbox(engine)

    templates = TemplateConfig(directory=WEB / "templates", engine=JinjaTemplateEngine, engine_callback=install_globals)
    app = StarLedgerApp(
        https=settings.https,
        trusted_proxies=settings.trusted_proxies,
        route_handlers=[
            OrganizationController,
            EvaluationController,
            ExpertController,
            AuthController,
            InspectionController,
            CreditController,
            PublicController,
            AnnouncementController,
            ObjectionController,
            ComplaintController,
            ReminderController,
            AuditController,
            RatingController,
            FundingController,
            CertificateController,
            DocumentController,
            CreditDocumentController,
            PublicDocumentController,
            ProjectDocumentController,
            EvaluationDocumentController,
            SpotCheckController,
            SpotCheckDocumentController,
            PublicSpotCheckController,
            PageController,
            WorklistPages,
            EvaluationPages,
            EvaluationDocumentPages,
            FundingPages,
            ProjectDocumentPages,
            AuditPages,
            PublicPages,
            SpotCheckPages,
            CertificatePages,
            AnnouncementPages,
            ObjectionPages,
            ComplaintPages,
            ImportPages,
            InspectionPages,
            InspectionDocumentPages,
            CreditPages,
            CreditDocumentPages,
            CreditObjectionPages,
            InboxPages,
            DeliveryPages,
            health,
            create_static_files_router(path="/static", directories=[WEB / "static"], include_in_schema=False),
        ],
        lifespan=[lifespan],
        middleware=[input_guard, DefineMiddleware(SessionOrBearerAuth, exclude=["^/static", "^/schema"])],
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[ProblemDetailsPlugin()],
        template_config=templates,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="sl_csrf",
            cookie_secure=settings.cookies_secure,
            cookie_httponly=False,
            cookie_samesite="strict",
            exclude=["^/api/", "^/health", "^/schema"],
        ),
        openapi_config=OpenAPIConfig(
            title="StarLedger API",
            version="0.1.0",
            description="社会组织评估与信用管理 — the register, evaluations, inspections and credit records. "
            "Errors are RFC 9457 problem+json with messages in zh and en.",
            path="/schema",
            # JSON only: the UI plugins load scripts from a CDN, unreachable offline and refused by our CSP.
            # People read the API at /api-docs, rendered here from the same document.
            render_plugins=[JsonRenderPlugin()],
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
        ),
        request_max_body_size=settings.max_body_bytes,
        state=None,
    )
    app.state.system = system
    app.state.desk = system.desk()
    app.state.session_cookie = SessionCookie(settings.cookies_secure, settings.session_hours * 3600)
    return app


def app_from_environment() -> Litestar:
    from infra.wiring import build_system
    from interfaces.scheduler import build_scheduler

    app = create_app(build_system(), build_scheduler)
    settle_heap()
    return app
