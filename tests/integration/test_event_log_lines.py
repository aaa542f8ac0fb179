"""What the operators' log says about recorded events: a line per event for a command's save (who,
which aggregate, which version, which request), one line with the count of each kind for a save of
many (a sweep's chunk, which a line per event made millions of lines at a million organizations)."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

from application.context import system_context
from tests.integration.helpers import REGISTRAR, code, profile


def _lines(caplog) -> list[str]:  # type: ignore[no-untyped-def]
    lines = [r.getMessage() for r in caplog.records if r.name == "starledger.events"]
    caplog.clear()
    return lines


def test_a_command_logs_each_event_and_a_sweep_chunk_one_line(system, clock, caplog) -> None:
    caplog.set_level(logging.INFO, logger="starledger.events")
    clock.current = datetime(2024, 1, 5, 9, tzinfo=clock.current.tzinfo)
    org = system.organizations.register_organization(REGISTRAR, profile("铜陵市某协会"), code(1), date(2015, 6, 1))
    registered, claimed = _lines(caplog)  # the organization and the claim on its unified code
    assert registered.startswith("recorded Organization.Registered #")
    assert registered.endswith(f"of {org.id} v1 by registrar-1 (registrar) [req-test]")
    assert claimed.startswith("recorded IdentifierClaim.Claimed #")

    for n in range(2, 31):
        system.organizations.register_organization(REGISTRAR, profile(f"铜陵市协会{n}"), code(n), date(2015, 6, 1))
    system.inspections.open_campaign(REGISTRAR, 2023, "3407")
    caplog.clear()
    clock.move_to(date(2024, 6, 1))
    system.inspections.record_missed(system_context("daily-sweep", "sweep-1"), date(2024, 6, 1))

    lines = [line for line in _lines(caplog) if " events #" in line]
    assert len(lines) == 1, lines  # thirty organizations missed in one save
    found = re.match(r"recorded (\d+) events #(\d+)-#(\d+) \(", lines[0])
    assert found, lines[0]
    count, first, last = (int(n) for n in found.groups())
    assert last - first + 1 == count and count > 30
    assert "Inspection.Missed ×30" in lines[0] and "CreditRecord.Listed ×30" in lines[0]
    assert lines[0].endswith("by system:daily-sweep (system) [sweep-1]")
