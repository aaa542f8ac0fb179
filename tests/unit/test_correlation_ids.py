"""One request, one correlation id: the command a handler runs and the checks on its answer
name the same request in the log (each used to draw an id of its own)."""

from __future__ import annotations

from itertools import count
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.testing import TestClient

from interfaces.common.commands import correlation_id


@get("/twice", sync_to_thread=False)
def twice(request: Request[Any, Any, Any]) -> list[str]:
    return [correlation_id(request), correlation_id(request)]


def _client() -> TestClient[Any]:
    numbers = count(1)
    ids = SimpleNamespace(new_id=lambda: UUID(int=next(numbers)))
    return TestClient(Litestar([twice], state=State({"desk": SimpleNamespace(ids=ids)})))


def test_a_request_has_one_correlation_id_however_often_it_is_asked() -> None:
    with _client() as client:
        first, again = client.get("/twice").json()
        assert first == again == str(UUID(int=1))
        assert client.get("/twice").json() == [str(UUID(int=2))] * 2  # the next request: its own


def test_the_callers_request_id_is_kept_and_a_strange_one_replaced() -> None:
    with _client() as client:
        assert client.get("/twice", headers={"X-Request-ID": "abc-123"}).json() == ["abc-123", "abc-123"]
        assert client.get("/twice", headers={"X-Request-ID": "x" * 101}).json() == [str(UUID(int=1))] * 2
