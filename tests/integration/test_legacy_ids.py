"""A database from before ordered ids (domain/ids.py) holds inspections and credit records under
uuid5 ids. Under the new derivation the system must still find them, decide on them and add to
them, and never open a second record or inspection beside them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import domain.credit
import domain.inspection
from application.context import system_context
from domain.credit import CreditList, credit_record_id, legacy_credit_record_id
from domain.inspection import Outcome, inspection_id, legacy_inspection_id
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_credit_scenario import event_count, file_on_time

SWEEP = system_context("daily-sweep", "legacy-ids-test")


def stored_events(system: Any, aggregate_id: Any) -> int:
    return len(list(system.store.events.get(aggregate_id)))


def inspection_year(system: Any, clock: Any, diligent: Any, year: int) -> dict[str, int]:
    """The year's campaign: one organization files on time, the sweep after the deadline records
    the others as missed, and a second sweep changes nothing."""
    clock.move_to(date(year + 1, 1, 5))
    system.inspections.open_campaign(REGISTRAR, year, "3407")
    file_on_time(system, clock, diligent, year, date(year + 1, 3, 15))
    clock.move_to(date(year + 1, 6, 2))
    counts = system.inspections.record_missed(SWEEP, date(year + 1, 6, 2))
    before = event_count(system)
    assert system.inspections.record_missed(SWEEP, date(year + 1, 6, 2))["missed"] == 0
    assert event_count(system) == before
    return dict(counts)


def test_records_and_inspections_under_their_old_ids_are_found_and_kept(system, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock.current = datetime(2023, 2, 1, tzinfo=clock.current.tzinfo)
    neglectful = system.organizations.register_organization(REGISTRAR, profile("铜陵市某协会"), code(1), date(2015, 6, 1)).id
    diligent = system.organizations.register_organization(
        REGISTRAR, profile("铜陵市郊区志愿者协会"), code(2), date(2016, 3, 1)
    ).id

    # 2023 as the code before ordered ids recorded it: each aggregate created under a uuid5 id
    with monkeypatch.context() as old_code:
        old_code.setattr(domain.inspection, "inspection_id", legacy_inspection_id)
        old_code.setattr(domain.credit, "credit_record_id", legacy_credit_record_id)
        assert inspection_year(system, clock, diligent, 2023)["missed"] == 1
    legacy_record = legacy_credit_record_id(neglectful)
    assert stored_events(system, legacy_record) > 0
    assert stored_events(system, legacy_inspection_id(diligent, 2023)) > 0

    # found under the old ids
    assert system.credit.record_of(neglectful).id == legacy_record
    assert system.inspections.inspection(diligent, 2023).outcome is Outcome.PASS
    assert system.inspections.found(neglectful, 2023).outcome is Outcome.MISSED
    assert system.audit.replayed_line(neglectful, clock.now()).credit_status == "abnormal"

    # 2024 under the new ids: the second missed year counts the first (held under its old id) and
    # goes onto the same record, which proposes revocation; no record is opened beside it
    assert inspection_year(system, clock, diligent, 2024) == {"campaigns": 1, "missed": 1, "exempt": 0}
    record = system.credit.record_of(neglectful)
    assert record.id == legacy_record
    assert record.open_revocation_proposal == (2023, 2024)
    assert len(record.current(CreditList.ABNORMAL).grounds) == 2
    assert stored_events(system, credit_record_id(neglectful)) == 0
    assert stored_events(system, inspection_id(neglectful, 2024)) > 0  # a new year's inspection takes the new id
    assert system.register_view.get(neglectful).credit_status == "abnormal"

    # the credit timers two years on escalate the record held under its old id
    clock.move_to(date(2026, 6, 2))
    assert system.credit.apply_rules(SWEEP, date(2026, 6, 2))["escalated"] == 1
    assert system.credit.record_of(neglectful).current(CreditList.SERIOUS) is not None
    assert stored_events(system, credit_record_id(neglectful)) == 0
