"""Base aggregate: an event's timestamp is the injected clock's time carried in its
provenance, so a replayed day produces the same history. An aggregate's event times never
decrease (a clock set back is clamped), so "the version as of an instant" is a binary search.

Two clocks: an event is recorded at its timestamp and takes effect on its provenance's
`effective_on` (a decision made on paper and entered later). A decision may be backdated, but
not to before a later decision of the same aggregate, which relied on the state without it:
that is refused, naming the later decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Self

from eventsourcing.domain import Aggregate

from domain.errors import InvalidTransition


@dataclass(frozen=True)
class DecisionMark:
    """A decision the aggregate's state rests on: which, in effect from when, by which document, and
    what the fields a correction restores held before it."""

    event: str
    zh: str
    en: str
    on: date
    document_no: str | None
    version: int = 0
    before: tuple[tuple[str, Any], ...] = ()


def _stamp(kwargs: dict[str, Any]) -> dict[str, Any]:
    provenance = kwargs.get("provenance")
    if provenance is not None and kwargs.get("timestamp") is None:
        kwargs = {**kwargs, "timestamp": provenance.at}
    return kwargs


class LedgerAggregate(Aggregate):
    # event name → (zh, en) of the decisions that rely on the state before them (a class's own table)
    DECISIONS: ClassVar[Mapping[str, tuple[str, str]]] = {}
    CORRECTABLE: ClassVar[tuple[str, ...]] = ()  # the fields a correction of a decision restores

    class Event(Aggregate.Event):
        def mutate(self, aggregate: Any) -> Any:
            labels = aggregate.DECISIONS.get(type(self).__name__) if aggregate is not None else None
            before = tuple((f, getattr(aggregate, f, None)) for f in aggregate.CORRECTABLE) if labels else ()
            mutated: Any = super().mutate(aggregate)
            p = getattr(self, "provenance", None)
            if labels is not None and p is not None:
                zh, en = labels
                day = p.effective_day(p.at.date())
                mark = DecisionMark(type(self).__name__, zh, en, day, p.basis.document_no, self.originator_version, before)
                # kept in the state's dict, not as a declared field (declared ones become creation arguments)
                mutated.__dict__["_decisions"] = (*mutated.decisions, mark)
            return mutated

    @property
    def decisions(self) -> tuple[DecisionMark, ...]:
        """The decisions this aggregate's state rests on, oldest first, less those corrected
        (empty in states snapshotted before two clocks)."""
        found: tuple[DecisionMark, ...] = self.__dict__.get("_decisions", ())
        return found

    @property
    def last_decision(self) -> DecisionMark | None:
        return self.decisions[-1] if self.decisions else None

    def _drop_last_decision(self) -> DecisionMark:
        """A correction takes the latest decision off (inside the correcting event)."""
        *kept, last = self.decisions
        self.__dict__["_decisions"] = tuple(kept)
        return last

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Self:
        return super()._create(event_class, **_stamp(kwargs))

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs = _stamp(kwargs)
        if kwargs.get("timestamp") is not None and kwargs["timestamp"] < self.modified_on:
            kwargs["timestamp"] = self.modified_on
        self._refuse_backdating(event_class.__name__, kwargs.get("provenance"))
        super().trigger_event(event_class, **kwargs)

    def earliest_effective(self) -> date | None:
        """The first day anything can take effect for this aggregate (an organization's registration)."""
        return None

    def _refuse_backdating(self, name: str, provenance: Any) -> None:
        if name not in self.DECISIONS or provenance is None or provenance.effective_on is None:
            return
        on: date = provenance.effective_on
        zh, en = self.DECISIONS[name]
        first = self.earliest_effective()
        if first is not None and on < first:
            raise InvalidTransition(
                "decision.before_beginning",
                f"「{zh}」的生效日期{on}早于{first},那时该事项尚未开始",
                f"'{en}' cannot take effect on {on}, before {first} when this record began",
                effective_on=on.isoformat(),
                earliest=first.isoformat(),
            )
        later = self.last_decision
        if later is not None and on < later.on:
            number_zh = f"(文号{later.document_no})" if later.document_no else ""
            number_en = f" (document {later.document_no})" if later.document_no else ""
            raise InvalidTransition(
                "decision.before_later_decision",
                f"「{zh}」的生效日期{on}早于{later.on}已生效的「{later.zh}」{number_zh};"
                "后者是依据当时的情况作出的,请先更正后者,再补录此决定",
                f"'{en}' cannot take effect on {on}: '{later.en}'{number_en} took effect on {later.on} "
                "and relied on the state without it; correct that decision first",
                effective_on=on.isoformat(),
                later_event=later.event,
                later_on=later.on.isoformat(),
                later_document_no=later.document_no,
            )
