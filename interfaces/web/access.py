"""Who may open a page: anonymous visitors are sent to sign in (401), a signed-in user whose
role may not see the page gets 403."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from domain.provenance import Role


def require_role(request: Request[Any, Any, Any], roles: tuple[Role, ...]) -> None:
    if request.user.role in roles:
        return
    if request.user.is_anonymous:
        raise NotAuthorizedException("sign-in required")
    raise PermissionDeniedException(f"the role {request.user.role.value} may not see this")
