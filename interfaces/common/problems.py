"""Every error becomes RFC 9457 problem+json (API) or an error page (pages), in zh and en.
Nothing a client sends can produce a 500; an unexpected error is logged and still answered."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from application.errors import BadCredentials, NotFound, NotPermitted, StaleVersion, TooFrequent, TooManyAttempts
from domain.documents import DocumentTooLarge, UnsupportedDocument
from domain.errors import Conflict, DomainError, InvalidTransition, InvalidValue
from interfaces.common.security import ANONYMOUS

log = logging.getLogger("starledger.http")

_DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (StaleVersion, 412),
    (NotPermitted, 403),
    (BadCredentials, 401),
    (TooManyAttempts, 429),
    (TooFrequent, 429),
    (Conflict, 409),
    (InvalidTransition, 409),
    (DocumentTooLarge, 413),
    (UnsupportedDocument, 415),
    (InvalidValue, 422),
]

# Messages for the framework's own errors, by status.
_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("request.invalid", "请求内容无效", "The request is not valid"),
    401: ("auth.required", "请先登录,或登录已过期", "Sign-in required, or the sign-in has expired"),
    403: ("access.denied", "您的角色无权执行此操作", "Your role may not do this"),
    404: ("resource.not_found", "找不到该资源", "No such resource"),
    405: ("method.not_allowed", "不支持该请求方法", "This method is not allowed here"),
    412: ("version.stale", "数据已被他人修改,请刷新后重试", "Changed meanwhile; reload and retry"),
    413: ("request.too_large", "请求内容过大", "The request body is too large"),
    415: ("request.media_type", "不支持的内容类型", "Unsupported media type"),
    428: ("version.required", "修改须附带 If-Match 版本号", "Changes need an If-Match header with the version you saw"),
    429: ("request.too_many", "请求过于频繁,请稍后再试", "Too many requests; try again later"),
    503: ("service.unavailable", "服务暂不可用,请稍后再试", "The service is unavailable; try again shortly"),
}


def problem(
    status: int, code: str, zh: str, en: str, headers: dict[str, str] | None = None, **extra: Any
) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        type_=f"urn:starledger:problem:{code}",
        title=en,
        detail=en,
        headers=headers,
        extra={"code": code, "message_zh": zh, "message_en": en, **{k: v for k, v in extra.items() if v}},
    )


def domain_status(exc: DomainError) -> int:
    return next((status for kind, status in _DOMAIN_STATUS if isinstance(exc, kind)), 422)


def _for_domain(exc: DomainError) -> ProblemDetailsException:
    retry = exc.details.get("retry_after")
    headers = {"Retry-After": str(retry)} if retry else None
    return problem(domain_status(exc), exc.code, exc.message_zh, exc.message_en, headers=headers, details=exc.details)


# What the decoder says about a field (msgspec's English), said in Chinese too.
_REASONS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), zh)
    for p, zh in [
        (r"Invalid enum value", "取值不在可选范围内"),
        (r"of length >= (\d+)", "长度至少为 {0} 个字符"),
        (r"of length <= (\d+)", "长度最多为 {0} 个字符"),
        (r"matching regex", "格式不正确"),
        (r"Expected `\w+` >= (-?[\d.]+)", "应不小于 {0}"),
        (r"Expected `\w+` <= (-?[\d.]+)", "应不大于 {0}"),
        (r"Object missing required field `(\w+)`", "缺少必填项 {0}"),
        (r"[Mm]issing required", "缺少必填项"),
        (r"Expected `(\w+)`", "类型不正确(应为 {0})"),
    ]
]


def _field_errors(errors: Any) -> tuple[str, str] | None:
    """'profile.division_code: format' in zh and en, so the person learns which field is wrong."""
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    first = errors[0]
    key, reason = str(first.get("key") or ""), str(first.get("message") or "")
    zh = next((z.format(*m.groups()) for pattern, z in _REASONS_ZH if (m := pattern.search(reason))), "不符合要求")
    where = key or "?"
    return f"请求内容无效:{where} {zh}", f"The request is not valid: {where}: {reason or 'not accepted'}"


def _for_http(exc: HTTPException) -> ProblemDetailsException:
    code, zh, en = _HTTP_MESSAGES.get(exc.status_code, ("http.error", "请求无法处理", "The request cannot be handled"))
    errors = exc.extra if isinstance(exc, ValidationException) else None
    zh, en = _field_errors(errors) or (zh, en)
    reason = exc.detail if exc.detail and exc.detail != en else None
    return problem(exc.status_code, code, zh, en, headers=exc.headers, errors=errors, reason=reason)


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    path = request.scope["path"]
    return not path.startswith(("/api/", "/schema", "/health")) and "text/html" in request.headers.get("accept", "")


def _respond(request: Request[Any, Any, Any], exc: ProblemDetailsException) -> Response[Any]:
    if _wants_page(request) and exc.status_code == 401:
        return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
    if _wants_page(request):
        extra = exc.extra if isinstance(exc.extra, dict) else {}
        # No route matched (unknown page, wrong method, missing static file): nobody was signed in, so the
        # page is drawn for the public, in the language of the cookie, with its way back.
        request.scope.setdefault("user", ANONYMOUS)
        return Template(
            template_name="error.html",
            context={"status": exc.status_code, "problem": extra},
            status_code=exc.status_code,
            media_type=MediaType.HTML,
        )
    return exc.to_response(request)


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _respond(request, _for_domain(exc))


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ProblemDetailsException):
        return _respond(request, exc)
    return _respond(request, _for_http(exc))


OUTAGE_RETRY_SECONDS = 5


def handle_overflow(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    """Dates are checked by type at the boundary, not by range: a valid date such as 0001-01-02
    can still leave the calendar when a deadline is computed from it. That is the input's fault."""
    log.info("input out of range on %s %s: %s", request.method, request.url.path, exc)
    return _respond(
        request,
        problem(
            422, "value.out_of_range", "日期或数值超出可处理的范围", "A date or number is outside the range that can be handled"
        ),
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    runtime = getattr(request.app.state, "system", None)
    if runtime is not None and runtime.is_outage(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        code, zh, en = _HTTP_MESSAGES[503]
        return _respond(request, problem(503, code, zh, en, headers={"Retry-After": str(OUTAGE_RETRY_SECONDS)}))
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _respond(request, problem(500, "server.error", "服务器内部错误,已记录", "Internal error; it has been logged"))


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_error,
    OverflowError: handle_overflow,
    Exception: handle_unexpected,
}
