"""Who is calling: a bearer token (API) or the session cookie (pages), and role guards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from application.accounts import User
from domain.provenance import Actor, Role
from interfaces.common.runtime import system_of

SESSION_COOKIE = "sl_session"


@dataclass(frozen=True)
class SessionCookie:
    """How the session cookie is set at sign-in (from the settings, by the app factory)."""

    secure: bool
    max_age_seconds: int


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    display_name: str
    role: Role
    organization_id: UUID | None = None
    token: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role is Role.PUBLIC

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, role=self.role)

    @classmethod
    def of(cls, user: User, token: str) -> Principal:
        return cls(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            organization_id=UUID(user.organization_id) if user.organization_id else None,
            token=token,
        )


ANONYMOUS = Principal(user_id="anonymous", username="", display_name="", role=Role.PUBLIC)


class SessionOrBearerAuth(AbstractAuthenticationMiddleware):
    """API requests authenticate with 'Authorization: Bearer'; pages with the session cookie.
    No credentials means the public role; wrong credentials on the API are a 401."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        accounts = system_of(connection).accounts

        async def authenticate(token: str) -> Any:
            # A session checked moments ago is in memory; else the lookup reads the database: off the
            # event loop, or one slow query stalls every request.
            return accounts.recent_user(token) or await anyio.to_thread.run_sync(accounts.authenticate, token)

        header = connection.headers.get("authorization", "")
        if connection.scope["path"].startswith("/api/"):
            if not header:
                return AuthenticationResult(user=ANONYMOUS, auth=None)
            scheme, _, token = header.partition(" ")
            user = await authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
            if user is None:
                raise NotAuthorizedException("invalid or expired bearer token")
            return AuthenticationResult(user=Principal.of(user, token.strip()), auth=token)
        cookie = connection.cookies.get(SESSION_COOKIE)
        user = await authenticate(cookie) if cookie else None
        if user is None or cookie is None:
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        return AuthenticationResult(user=Principal.of(user, cookie), auth=cookie)


STAFF = (Role.ADMIN, Role.REGISTRAR)
READERS_OF_HISTORY = (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR, Role.ORGANIZATION)
SIGNED_IN = tuple(r for r in Role if r not in (Role.PUBLIC, Role.SYSTEM))


def allow(*roles: Role) -> Any:
    """A guard letting only the given roles through (401 when signed out, 403 otherwise)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        # async: Litestar runs a sync guard in the thread pool, a hop per request for one comparison
        require_role(connection.user, roles)

    guard.roles = roles  # type: ignore[attr-defined]  # read by the authorization-matrix test
    return guard


def require_role(principal: Principal, roles: tuple[Role, ...]) -> None:
    """`allow`'s check, for a page that decides inside its handler: 401 when signed out, 403 otherwise."""
    if principal.role in roles:
        return
    if principal.is_anonymous:
        raise NotAuthorizedException("sign-in required")
    raise PermissionDeniedException(f"the role {principal.role.value} may not do this")


def require_own_organization(principal: Principal, organization_id: UUID) -> None:
    """Organization users see and act on their own organization only."""
    if principal.role is Role.ORGANIZATION and principal.organization_id != organization_id:
        raise PermissionDeniedException("an organization user may only see its own organization")
