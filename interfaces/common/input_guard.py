"""What every request must satisfy before any handler reads it, checked in one place (ARCHITECTURE
decision 11): no NUL character in the path, a query parameter, a cookie, a form field or a JSON
string (PostgreSQL cannot store one, SQLite would keep it silently; uploaded documents are bytes and
pass as they are); JSON nested at most
`MAX_JSON_DEPTH` deep (the decoder would otherwise recurse until it fails); and a query
parameter sent empty is a parameter not sent, so every filter's empty value means "any"."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from interfaces.common.problems import problem

MAX_JSON_DEPTH = 32  # our deepest body (an appeal decision's revised sheets) nests 5 deep

_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # an escaped NUL, not an escaped backslash before "u0000"
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_HIDING_NUL = (b"\x00", b"%", b"\\")  # what a cookie's value is decoded from (percent, then octal escapes)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


_WHERE = {
    "path": ("路径", "The path"),
    "query": ("查询参数", "A query parameter"),
    "cookie": ("Cookie", "A cookie"),
    "form": ("表单", "A form field"),
    "body": ("请求内容", "A text in the request body"),
}


def refuse_nul(where: str) -> Exception:
    zh, en = _WHERE[where]
    return problem(
        400,
        "request.nul_character",
        f"{zh}含有空字符(NUL),无法处理",
        f"{en} holds a NUL character, which cannot be accepted",
        field=where,
    )


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest, brackets inside strings not counted."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b'""', body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def without_empty_parameters(query: bytes) -> bytes:
    """`?q=铜陵&credit_status=` → `?q=铜陵`: an empty filter is no filter."""
    return b"&".join(part for part in query.split(b"&") if part.partition(b"=")[2])


def input_guard(app: ASGIApp) -> ASGIApp:
    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            await _check(scope, receive)
        await app(scope, receive, send)

    return guarded


def _may_hide_nul(scope: Any) -> bool:
    """A cookie decodes to a NUL only from a NUL, a percent escape or a backslash escape: a
    Cookie header without any (a session token) is not parsed here, once per request before
    Litestar parses it again."""
    return any(name == b"cookie" and any(c in value for c in _HIDING_NUL) for name, value in scope["headers"])


def _decodes_body(scope: Any) -> bool:
    """Only a handler taking `data` decodes the body; an upload streams its bytes and is not read here."""
    handler = scope.get("route_handler")
    return handler is not None and "data" in handler.parsed_fn_signature.parameters


async def _check(scope: Any, receive: Receive) -> None:
    if "\x00" in scope["path"]:
        raise refuse_nul("path")
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise refuse_nul("query")
    scope["query_string"] = without_empty_parameters(query)
    request: Request[Any, Any, Any] = Request(scope, receive)
    if _may_hide_nul(scope):
        for name, value in request.cookies.items():
            if "\x00" in name or "\x00" in value:
                raise refuse_nul("cookie")
    if not _decodes_body(scope):
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()  # kept on the scope: the handler reads the same bytes
    if not body:
        return
    if media_type in _FORMS:
        if b"%00" in body or b"\x00" in body:
            raise refuse_nul("form")
        return
    if b"\\u0000" in body and _JSON_NUL.search(body):  # the regex alone: ~100 us on a 4 KB score sheet
        raise refuse_nul("body")
    opened = body.count(b"[") + body.count(b"{")  # a body cannot nest deeper than it opens: most need no scan
    if opened > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        raise problem(
            400,
            "request.too_deep",
            f"请求内容嵌套过深(最多{MAX_JSON_DEPTH}层)",
            f"The request body nests too deep (at most {MAX_JSON_DEPTH} levels)",
        )
