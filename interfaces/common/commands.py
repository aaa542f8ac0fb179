"""Helpers shared by the API and the pages: the command context, If-Match, idempotent creates."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from litestar import Request

from application.context import CommandContext
from application.errors import NotFound
from domain.provenance import Basis
from interfaces.common.problems import problem
from interfaces.common.runtime import system_of as system_of  # controllers import it with the helpers here
from interfaces.common.security import Principal

_IDEMPOTENCY_NS = uuid.UUID("0b6a57a8-35c2-4d55-a0a6-0b1f3f0c1f61")
_CORRELATION = "starledger.correlation_id"  # the request's, kept on its scope


def correlation_id(request: Request[Any, Any, Any]) -> str:
    """The caller's X-Request-ID (to follow one request through the log), else a new id: one
    per request, however often a handler asks (a command and the answer's checks)."""
    known = request.scope.get(_CORRELATION)
    if isinstance(known, str):
        return known
    given = request.headers.get("x-request-id", "").strip()
    chosen = given if given and len(given) <= 100 and given.isprintable() else str(system_of(request).ids.new_id())
    request.scope[_CORRELATION] = chosen  # type: ignore[literal-required]
    return chosen


def context(request: Request[Any, Any, Any], basis: Any = None) -> CommandContext:
    principal: Principal = request.user
    return CommandContext(
        actor=principal.actor,
        correlation_id=correlation_id(request),
        basis=Basis(document_no=getattr(basis, "document_no", None), reason=getattr(basis, "reason", None)),
        actor_organization=principal.organization_id,
        effective_on=getattr(basis, "effective_on", None),
    )


def optional_version(request: Request[Any, Any, Any]) -> int | None:
    """If-Match where it is optional (a panel member's own sheet): None when absent."""
    return expected_version(request) if request.headers.get("if-match") else None


def expected_version(request: Request[Any, Any, Any]) -> int:
    """The version the caller decided on, from If-Match (428 if missing, 400 if malformed)."""
    raw = request.headers.get("if-match")
    if not raw:
        raise problem(
            428, "version.required", "修改须附带 If-Match 版本号", "Changes need an If-Match header with the version you saw"
        )
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdecimal():
        raise problem(400, "version.malformed", 'If-Match 应为版本号,如 "3"', 'If-Match holds a version such as "3"')
    return int(value)


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def idempotency_scope(request: Request[Any, Any, Any]) -> str:
    principal: Principal = request.user
    return f"{principal.user_id}:{request.method}:{request.url.path}"


def idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise problem(
            400, "idempotency.key_invalid", "Idempotency-Key 应为1到200个字符", "An Idempotency-Key has 1 to 200 characters"
        )
    return key


def id_for_key(scope: str, key: str) -> uuid.UUID:
    """A retried create derives the same aggregate id, so the event store refuses a second one."""
    return uuid.uuid5(_IDEMPOTENCY_NS, f"{scope}|{key}")


def found(find: Callable[[uuid.UUID], Any], aggregate_id: uuid.UUID) -> Any:
    """What `find` returns for the id, or None where it raises NotFound: a create retried with its
    Idempotency-Key finds what the first attempt created."""
    try:
        return find(aggregate_id)
    except NotFound:
        return None


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
