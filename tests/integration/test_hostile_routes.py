"""Hostile input over every route, property-based, on both databases (issue 24 §2): every route the
app serves (API and pages), called by a signed-in registrar with generated path segments, query
parameters and bodies, JSON for the API (shaped like the route's own msgspec type, with hostile
leaves: NaN and Infinity amounts, 10^30 counts, NUL, CR/LF, bidi and zero-width characters, formulas,
unknown enum values, extreme dates) and forms for the pages, pages asked with `Accept: text/html`,
and unrouted paths too. Whatever arrives, the answer is never a 5xx.

The calls are derandomized (the same on every run, so a red run can be replayed);
STARLEDGER_HOSTILE_RANDOM=1 explores new ones and STARLEDGER_HOSTILE_EXAMPLES digs deeper."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx
import msgspec
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from tests.integration.hostile_support import Live, live  # noqa: F401  (the fixture)

EXAMPLES = int(os.environ.get("STARLEDGER_HOSTILE_EXAMPLES", "6"))  # generated calls per route
RANDOM = os.environ.get("STARLEDGER_HOSTILE_RANDOM", "") == "1"
NOT_CALLED = {"/api/auth/logout", "/logout"}  # would end the sessions the other calls use
UNSENDABLE = (httpx.InvalidURL,)
WEB = Path(__file__).resolve().parents[2] / "interfaces" / "web"

TEXTS = [
    "",
    " ",
    "\r\n",
    "a\r\nBcc: x@example.invalid",
    "\u202e铜陵\u202c",
    "铜\u200b陵",
    "\x07",
    "\x00",
    "\ufeff",
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)",
    "NaN",
    "Infinity",
    "-1",
    "1E+400",
    "9" * 30,
    "bogus",
    "'; DROP TABLE sl_register; --",
    "../../etc/passwd",
    "%00",
    "😀" * 3,
    "审" * 5000,
    "5A",
    "none",
    "2026-13-45",
]
NUMBERS = [
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1E+400",
    "-1E+400",
    "1E-400",
    "0.001",
    "-1",
    "0",
    10**30,
    1e308,
    -(2**63),
    "12.34",
]
INTS = [0, -1, 1, 2025, 10**30, 2**63, -(2**63)]
DATES = ["0001-01-01", "9999-12-31", "2024-02-29", "2026-01-05", "1900-01-01"]
SEGMENTS = [
    "not-a-uuid",
    "0",
    "-1",
    str(10**22),
    "%00",
    "%E2%80%AE",
    "..",
    "%2e%2e",
    "abnormal",
    "serious",
    "zh",
    "grade_distribution",
    "a" * 300,
    "%20",
    "5A",
]


def hostile_text() -> st.SearchStrategy[str]:
    return st.sampled_from(TEXTS) | st.text(max_size=12)


def of_type(info: Any, ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like a msgspec type, with hostile leaves (and, now and then, the wrong type)."""
    i = msgspec.inspect
    wrong = st.sampled_from([None, "bogus", 10**30, [], {}])
    if isinstance(info, i.StructType):
        required = {f.encode_name: of_type(f.type, ids, depth + 1) for f in info.fields if f.required}
        optional = {f.encode_name: of_type(f.type, ids, depth + 1) for f in info.fields if not f.required}
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(info, i.UnionType):
        return st.one_of([of_type(t, ids, depth) for t in info.types])
    if isinstance(info, (i.ListType, i.SetType, i.FrozenSetType, i.VarTupleType)):
        return st.lists(of_type(info.item_type, ids, depth + 1), max_size=2 if depth < 3 else 0)
    if isinstance(info, i.TupleType):
        return st.tuples(*[of_type(t, ids, depth + 1) for t in info.item_types]).map(list)
    if isinstance(info, i.DictType):
        return st.dictionaries(hostile_text(), of_type(info.value_type, ids, depth + 1), max_size=2)
    if isinstance(info, i.NoneType):
        return st.none()
    if isinstance(info, i.BoolType):
        return st.booleans()
    if isinstance(info, i.IntType):
        return st.sampled_from(INTS) | st.integers()
    if isinstance(info, (i.DecimalType, i.FloatType)):
        return st.sampled_from(NUMBERS)
    if isinstance(info, i.DateType):
        return st.sampled_from(DATES) | wrong
    if isinstance(info, i.DateTimeType):
        return st.sampled_from(["2026-01-05T09:00:00+08:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+14:00"])
    if isinstance(info, i.UUIDType):
        return st.sampled_from(ids) | st.builds(lambda: str(uuid4())) | st.just("not-a-uuid")
    if isinstance(info, (i.LiteralType, i.EnumType)):
        values = list(info.values) if isinstance(info, i.LiteralType) else [m.value for m in info.cls]
        return st.sampled_from([*values, "bogus", ""])
    if isinstance(info, i.StrType):
        return hostile_text()
    return hostile_text() | wrong


def form_keys() -> list[str]:
    """Every field name a page form is read by (data.get("…") / form.get("…") / form["…"] in the pages)."""
    found: set[str] = set()
    for source in WEB.glob("*.py"):
        found |= set(re.findall(r"""(?:data|form|d|f)(?:\.get\(|\[)["'](\w+)["']""", source.read_text()))
    return sorted(found)


def routes(app: Any) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if route.path not in NOT_CALLED and method in {"GET", "POST", "PUT", "DELETE", "PATCH"}:
                    found.append((method, route.path, handler))
    return found


def path_strategy(template: str, ids: dict[str, str]) -> st.SearchStrategy[str]:
    parts = re.split(r"(\{\w+:\w+\})", template)
    pieces: list[st.SearchStrategy[str]] = []
    for part in parts:
        match = re.fullmatch(r"\{(\w+):(\w+)\}", part)
        if match is None:
            pieces.append(st.just(part))
            continue
        name, kind = match.groups()
        known = [ids[name]] if name in ids else []
        typed = {"uuid": [*known, str(uuid4())], "int": ["2025", "2026", str(10**22), "-1"]}.get(kind, [])
        pieces.append(st.sampled_from([*known, *typed, *SEGMENTS]))
    return st.tuples(*pieces).map("".join)


def query_strategy(handler: Any) -> st.SearchStrategy[dict[str, str]]:
    declared = [n for n in handler.parsed_fn_signature.parameters if n not in {"request", "data", "self", "socket", "state"}]
    keys = sorted(
        {
            *declared,
            "page",
            "q",
            "status",
            "credit_status",
            "org_type",
            "track",
            "grade",
            "district",
            "sort",
            "at",
            "lang",
            "current",
        }
    )
    return st.dictionaries(
        st.sampled_from(keys), st.sampled_from([*TEXTS, "1", "true", "abnormal"]) | st.text(max_size=8), max_size=4
    )


def body_strategy(handler: Any, ids: list[str], keys: list[str]) -> st.SearchStrategy[Any] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    annotation = data.annotation
    if getattr(annotation, "__origin__", None) is not None and "dict" in repr(annotation):  # a page form
        return st.dictionaries(st.sampled_from(keys), hostile_text() | st.sampled_from(NUMBERS[:8]).map(str), max_size=6)
    try:
        return of_type(msgspec.inspect.type_info(annotation), ids)
    except Exception:  # a shape msgspec cannot describe: hostile JSON values then
        return st.sampled_from([{}, [], None, "NaN", {"a": "\x00"}])


def call(live: Live, method: str, path: str, query: dict[str, str], body: Any, form: bool) -> Any:
    page = not path.startswith("/api/")
    if page:
        kwargs: dict[str, Any] = {"params": query}
        if body is not None:
            kwargs["data"] = {**body, "_csrf_token": live.csrf_field} if form else None
        return live.page("registrar", method, path, **kwargs)
    headers = {**live.tokens["registrar"], "If-Match": '"1"'}
    kwargs = {"params": query, "headers": headers}
    if body is not None:
        kwargs["content"] = msgspec.json.encode(body)
        headers["Content-Type"] = "application/json"
    return live.client.request(method, path, **kwargs)


def test_no_route_answers_a_server_error_to_hostile_input(live: Live) -> None:
    ids = list(live.ids.values())
    keys = form_keys()
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    every = routes(live.app)
    for method, template, handler in every:
        body = body_strategy(handler, ids, keys)
        form = body is not None and not template.startswith("/api/")

        @given(
            path=path_strategy(template, live.ids), query=query_strategy(handler), payload=body if body is not None else st.none()
        )
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=not RANDOM
        )
        def check(path: str, query: dict[str, str], payload: Any) -> None:
            try:
                answer = call(live, method, path, query, payload, form)  # noqa: B023 (run within this iteration)
            except UNSENDABLE:
                reject()  # the HTTP client refused to send it (a query over its length limit): no answer to judge
            statuses[answer.status_code] += 1
            if answer.status_code >= 500:
                failures.append(f"{method} {path} {query} {str(payload)[:200]} → {answer.status_code}: {answer.text[:200]}")  # noqa: B023

        check()
    print(f"{live.backend}: {len(every)} routes, {sum(statuses.values())} calls, statuses {sorted(statuses.items())}")
    assert len(every) >= 150
    assert failures == [], "\n".join(failures[:20])


@given(
    segments=st.lists(
        st.sampled_from(SEGMENTS) | st.text(alphabet="abc-_.~%0123456789", min_size=1, max_size=8), min_size=1, max_size=4
    ),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    lang=st.sampled_from(["zh", "en"]),
)
@settings(
    max_examples=EXAMPLES * 10, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=not RANDOM
)
def test_an_unknown_page_asked_for_by_a_browser_is_never_a_server_error(
    live: Live, segments: list[str], method: str, lang: str
) -> None:
    path = "/" + "/".join(quote(s, safe="%") for s in segments)
    answer = live.page("public", method, path, lang=lang)
    assert answer.status_code < 500, (method, path, answer.text[:200])
    if answer.status_code in (404, 405) and not path.startswith("/api/"):
        assert answer.headers["content-type"].startswith("text/html")
        assert ("出错了" if lang == "zh" else "Something went wrong") in answer.text
