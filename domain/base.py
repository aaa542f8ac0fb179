"""Base aggregate: an event's timestamp is the injected clock's time carried in its
provenance, so a replayed day produces the same history. An aggregate's event times never
decrease (a clock set back is clamped), so "the version as of an instant" is a binary search."""

from __future__ import annotations

from typing import Any, Self

from eventsourcing.domain import Aggregate


def _stamp(kwargs: dict[str, Any]) -> dict[str, Any]:
    provenance = kwargs.get("provenance")
    if provenance is not None and kwargs.get("timestamp") is None:
        kwargs = {**kwargs, "timestamp": provenance.at}
    return kwargs


class LedgerAggregate(Aggregate):
    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Self:
        return super()._create(event_class, **_stamp(kwargs))

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs = _stamp(kwargs)
        if kwargs.get("timestamp") is not None and kwargs["timestamp"] < self.modified_on:
            kwargs["timestamp"] = self.modified_on
        super().trigger_event(event_class, **kwargs)
