"""How a request reaches the system the app was built with: its desk (application/desk.py) for
controllers, and for the health check whether the database answers and which one it is."""

from __future__ import annotations

from typing import Any, Protocol

from litestar.connection import ASGIConnection

from application.desk import Desk
from application.ports import RegisterView


def system_of(request: ASGIConnection[Any, Any, Any, Any]) -> Desk:
    """The use cases and views the app was built with."""
    desk: Desk = request.app.state.desk
    return desk


class Runtime(Protocol):
    @property
    def backend(self) -> str: ...
    @property
    def register_view(self) -> RegisterView: ...

    def ping(self) -> bool: ...

    def is_outage(self, exc: BaseException) -> bool:
        """A database that is down or busy: the request did not happen (503, not 500)."""
        ...


def runtime_of(request: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    runtime: Runtime = request.app.state.system
    return runtime


def public_url(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address the deployment is reached at (STARLEDGER_PUBLIC_URL), for links that leave the
    site (a certificate's QR code); the request's own base without one."""
    settings = getattr(request.app.state.system, "settings", None)
    return str(getattr(settings, "public_url", "") or request.base_url).rstrip("/")
