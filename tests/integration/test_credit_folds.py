"""A credit record's events, folded per apply: the register's credit columns
(infra/projections/register_credit.py) and the listings amended in the table (compliance): many
events of one record in one apply (listed, removed, listed again, on both lists) leave the rows
the commands left one at a time."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.credit import CreditList, CreditRecord, Ground
from infra import database
from infra.projections import base
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_register_history_rebuild import Varied


def _lines(system: Any) -> list[dict[str, Any]]:
    with system.register_view.db.transaction() as tx:
        return tx.execute("SELECT * FROM sl_register ORDER BY id").all()


@pytest.mark.parametrize("arrays_from", [1, 10**9], ids=["arrays", "row by row"])
@pytest.mark.parametrize("batch", [5_000, 7])
def test_credit_events_folded_many_at_a_time_leave_the_lines_of_one_command_at_a_time(
    system, clock, monkeypatch, batch, arrays_from
) -> None:
    population = Varied(system, clock, 5)
    for _ in range(300):
        population.step()
    live = _lines(system)
    _as_the_records_say(system, live)
    assert any(line["abnormal_since"] for line in live) and any(line["serious_since"] for line in live)
    # a record is saved first with a listing: one on neither list was removed from them
    assert any(line["credit_record_id"] and not (line["abnormal_since"] or line["serious_since"]) for line in live)

    monkeypatch.setattr(base, "REBUILD_BATCH", batch)
    monkeypatch.setattr(database, "ARRAYS_FROM", arrays_from)  # PostgreSQL: as arrays (unnest) or a statement per row
    base.Projection.rebuild(system.register_view)  # the whole log through `apply`, `batch` events at a time

    assert _lines(system) == live


@pytest.mark.parametrize("arrays_from", [1, 10**9], ids=["arrays", "row by row"])
@pytest.mark.parametrize("batch", [5_000, 7])
def test_listings_removed_many_at_a_time_are_the_rows_of_one_command_at_a_time(
    system, clock, monkeypatch, batch, arrays_from
) -> None:
    """A save lists and removes many (the credit sweep: 500 records listed serious and removed from
    the abnormal list): the removals of listings read ahead are written together at the end."""
    population = Varied(system, clock, 5)
    for _ in range(300):
        population.step()
    live = _listings(system)
    assert any(row["removed_on"] for row in live) and any(row["removed_on"] is None for row in live)

    monkeypatch.setattr(base, "REBUILD_BATCH", batch)
    monkeypatch.setattr(database, "ARRAYS_FROM", arrays_from)  # PostgreSQL: as arrays (unnest) or a statement per row
    base.Projection.rebuild(system.compliance)

    assert _listings(system) == live


def _listings(system: Any) -> list[dict[str, Any]]:
    with system.compliance.db.transaction() as tx:
        return tx.execute("SELECT * FROM sl_listings ORDER BY record_id, seq").all()


def _as_the_records_say(system: Any, lines: list[dict[str, Any]], records: dict[str, CreditRecord] | None = None) -> None:
    """Each line shows its record's current listings: the day each began and its first ground's reference."""
    for line in lines:
        if line["credit_record_id"] is None:
            continue
        record = (records or {}).get(line["credit_record_id"]) or system.store.repository.get(UUID(line["credit_record_id"]))
        for name in CreditList:
            listing = record.current(name)
            shown = (line[f"{name.value}_since"], line[f"{name.value}_document_no"])
            assert shown == ((listing.listed_on.isoformat(), listing.grounds[0].ref) if listing else (None, None))


ABNORMAL, SERIOUS = "unreachable", "court_defaulter"
STEPS = {  # one record's events, each run applied in one `apply` and one event at a time
    "listed twice": [(ABNORMAL, 10), (ABNORMAL, 3)],
    "removed": [(ABNORMAL, 10), ("remove", "abnormal")],
    "listed again": [(ABNORMAL, 10), ("remove", "abnormal"), (ABNORMAL, 12), (ABNORMAL, 2)],
    "both lists": [(ABNORMAL, 10), (SERIOUS, 11), ("remove", "abnormal"), (SERIOUS, 1)],
    "removed last": [(SERIOUS, 5), (SERIOUS, 6), ("remove", "serious")],
    "already listed, listed again": [(ABNORMAL, 10), ("applied", 0), ("remove", "abnormal"), (ABNORMAL, 12)],
    "already listed, listed twice": [(ABNORMAL, 10), ("applied", 0), (ABNORMAL, 4), (SERIOUS, 5)],
}


@pytest.mark.parametrize("one_apply", [True, False], ids=["one apply", "one at a time"])
@pytest.mark.parametrize("steps", list(STEPS), ids=list(STEPS))
def test_one_records_events_in_any_grouping_show_its_current_listings(system, clock, one_apply, steps) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile("信用折叠测试会"), code(901))
    record = CreditRecord.open(org.id, REGISTRAR.provenance(clock.now()))
    day = clock.now().date()
    for n, (what, arg) in enumerate(STEPS[steps]):
        p = REGISTRAR.provenance(clock.now())
        if what == "applied":  # the events so far are in the table before the others are applied
            _apply(system, record.collect_events(), one_apply=False)
        elif what == "remove":
            record._removed(CreditList(arg), day, "test", p)
        else:
            record.add_ground(Ground(what, day.replace(day=arg), "测试", f"{what}:{n}"), p)
    _apply(system, record.collect_events(), one_apply)
    (line,) = [line for line in _lines(system) if line["id"] == str(org.id)]
    _as_the_records_say(system, [line], {line["credit_record_id"]: record})


def _apply(system: Any, events: list[Any], one_apply: bool) -> None:
    with system.register_view.db.transaction(write=True) as tx:
        for group in [events] if one_apply else [[e] for e in events]:
            system.register_view.apply(tx, group)
