"""A precedent makes another subject's aggregates from one decision: the domain's methods run for
a second organization must give what `made_for` gives (events and state), whatever it shares
with the first; what it cannot rebuild makes it unusable rather than wrong."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from application.context import system_context
from application.inspections import _same_in_time
from application.precedent import Precedent
from domain.credit import CreditRecord, Ground, credit_record_id
from domain.inspection import Inspection, InspectionCampaign
from domain.provenance import RuleSetRef

T0 = datetime(2025, 6, 1, 1, tzinfo=UTC)
SWEEP = system_context("test", "precedent")
RULES = RuleSetRef("anhui", 1)
CAMPAIGN = InspectionCampaign.open(
    2024, "3407", (date(2025, 3, 31), date(2025, 5, 31)), date(2025, 1, 6), SWEEP.provenance(T0, RULES, None, date(2025, 1, 6))
)


def provenances(org: UUID, start: datetime) -> dict[str, Any]:
    at = SWEEP.provenance(start, RULES, f"campaign:{CAMPAIGN.id}", date(2025, 6, 1))
    opened = replace(at, at=start + timedelta(microseconds=1), caused_by=None)
    caused = replace(at, at=start + timedelta(microseconds=2), caused_by=f"inspection:{inspection_of(org)}")
    return {"at": at, "opened": opened, "caused": caused}


def inspection_of(org: UUID) -> UUID:
    return Inspection.open(org, CAMPAIGN, False, SWEEP.provenance(T0)).id


def decided(org: UUID, p: dict[str, Any]) -> list[Any]:
    """What the missed sweep does for an organization with nothing on record."""
    inspection = Inspection.open(org, CAMPAIGN, False, p["opened"])
    inspection.record_missed(p["at"])
    record = CreditRecord.open(org, p["caused"])
    record.add_ground(Ground("report_not_filed", date(2025, 6, 1), f"2024年度报告未按时报送 {org}", "2024"), p["caused"])
    record.issue_inspection_warning(2024, "missed", date(2025, 6, 1), p["caused"])
    return [inspection, record]


def named(org: UUID, p: dict[str, Any]) -> dict[str, Any]:
    ids = {"organization": org, "inspection": inspection_of(org), "record": credit_record_id(org)}
    return {**ids, **p, **{f"{k}@": v.at for k, v in p.items()}}


def precedent(org: UUID, p: dict[str, Any]) -> tuple[Precedent, list[Any]]:
    made = decided(org, p)
    values = named(org, p)
    found = Precedent.of(
        made,
        {v: k for k, v in values.items() if isinstance(v, UUID | datetime)},
        {id(v): k for k, v in p.items()},
    )
    assert found is not None
    return found, made


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def test_another_organization_gets_what_the_domain_would_make_for_it() -> None:
    first, second = UUID(int=0x1111_0000_0000_4000_8000_0000_0000_0001), UUID(int=0x2222_0000_0000_4000_8000_0000_0000_0002)
    made_once, source = precedent(first, provenances(first, T0))
    p = provenances(second, T0 + timedelta(seconds=3))
    expected = decided(second, p)
    made = made_once.made_for(named(second, p))
    assert [type(a) for a in made] == [Inspection, CreditRecord]
    for want, got in zip(expected, made, strict=True):
        assert state(got) == state(want)
        assert [vars(e) for e in got.pending_events] == [vars(e) for e in want.pending_events]
        assert got.pending_events is not want.pending_events
    listed = made[1].pending_events[1]
    assert str(second) in listed.ground.detail and str(first) not in listed.ground.detail  # its id inside a text
    assert listed.provenance is p["caused"]  # the caller's provenance itself
    assert made[1].listings[0].grounds[0].on is source[1].listings[0].grounds[0].on  # immutable values shared
    made[0].pending_events.clear()
    assert len(source[0].pending_events) == 2  # a list is the aggregate's own


@dataclass
class Tally:
    """A mutable value holding no id: each made aggregate still gets its own."""

    seen: int
    by_kind: dict[str, int] | None


def test_a_mutable_value_is_copied_and_an_unknown_one_makes_the_precedent_unusable() -> None:
    first = UUID(int=1)
    source = decided(first, provenances(first, T0))
    source[0].__dict__["tally"] = Tally(1, {"missed": 1})
    values = {v: k for k, v in named(first, provenances(first, T0)).items() if isinstance(v, UUID)}
    found = Precedent.of(source, values, {})
    assert found is not None
    made = found.made_for(named(UUID(int=2), provenances(UUID(int=2), T0)))
    assert made[0].tally == source[0].tally and made[0].tally is not source[0].tally
    assert made[0].tally.by_kind is not source[0].tally.by_kind
    source[1].__dict__["tally"] = Tally(1, None)  # nothing inside to rebuild
    made = Precedent(source[1:], values, {}).made_for(named(UUID(int=2), provenances(UUID(int=2), T0)))
    assert made[0].tally == source[1].tally and made[0].tally is not source[1].tally

    class Slotted:
        __slots__ = ("organization_id",)

    class Code(str):
        """A subclass of a builtin: not made by `object.__new__`."""

    source[1].__dict__["code"] = Code("x")
    assert Precedent.of(source, values, {}) is None
    del source[1].__dict__["code"]
    odd = Slotted()
    odd.organization_id = first
    source[0].__dict__["odd"] = odd
    assert Precedent.of(source, values, {}) is None


def test_a_decision_is_made_alike_only_when_its_instants_fall_in_the_same_order_on_the_same_days() -> None:
    org = UUID(int=1)
    first = provenances(org, T0)
    assert _same_in_time(first, provenances(org, T0 + timedelta(hours=1)))
    still = {k: replace(p, at=T0) for k, p in first.items()}  # a clock that did not move
    assert _same_in_time(still, {k: replace(p, at=T0 + timedelta(hours=1)) for k, p in first.items()})
    assert not _same_in_time(still, first)  # equal there, apart here: one value cannot stand for three
    assert not _same_in_time(first, still)
    backwards = {**first, "at": replace(first["at"], at=T0 + timedelta(seconds=1))}
    assert not _same_in_time(first, backwards)
    next_day = {**first, "caused": replace(first["caused"], effective_on=date(2025, 6, 2))}
    assert not _same_in_time(first, next_day)
    assert not _same_in_time(first, {k: p for k, p in first.items() if k != "caused"})  # exempt: no third
