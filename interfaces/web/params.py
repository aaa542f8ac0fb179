"""Query parameters of pages that read them by hand: an empty value means "any"; an unknown
value or a page number out of range is a 400 naming the parameter, the same on both databases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from interfaces.common.problems import problem

MAX_PAGE = 100_000  # the same bound as the API's `page`


def page_number(raw: str | None) -> int:
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= MAX_PAGE):
        raise problem(
            400,
            "query.page",
            f"页码应为1到{MAX_PAGE}之间的整数",
            f"page must be a whole number from 1 to {MAX_PAGE}",
            field="page",
        )
    return int(raw)


def choice(params: Mapping[str, Any], name: str, allowed: Iterable[str]) -> str | None:
    """The parameter's value if it is one of `allowed`; None if absent or empty."""
    raw = params.get(name) or None
    allowed = tuple(allowed)
    if raw is not None and raw not in allowed:
        listed = ", ".join(allowed)
        raise problem(
            400, f"query.{name}", f"参数 {name} 的取值无效,可选:{listed}", f"{name} must be one of: {listed}", field=name
        )
    return raw
