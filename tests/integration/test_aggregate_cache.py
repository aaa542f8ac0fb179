"""The aggregate cache never serves a stale aggregate: two systems on one database (two
processes' worth of caches), each writing in turn, always decide on the other's latest write;
and what a command does to its copy stays out of the cache unless it is saved. Within one
command an aggregate is read from the log once, until the command saves."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import Context
from dataclasses import replace
from datetime import date

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.aggregate_cache import one_reading
from application.errors import StaleVersion
from domain.errors import DomainError
from domain.inspection import campaign_id
from domain.organization import Organization, Status
from infra.wiring import build_system
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support.fakes import CountingIds, CountingTokens


@pytest.fixture
def two(settings, clock):  # type: ignore[no-untyped-def]
    first = build_system(settings, clock=clock, ids=CountingIds(1), tokens=CountingTokens())
    second = build_system(settings, clock=clock, ids=CountingIds(2), tokens=CountingTokens())
    yield first, second
    first.close()
    second.close()


def test_each_instance_decides_on_what_the_other_just_wrote(two) -> None:
    first, second = two
    org = first.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    assert first.organizations.organization(org.id).status is Status.ACTIVE  # now in the first's cache
    assert second.organizations.organization(org.id).status is Status.ACTIVE  # and in the second's

    second.organizations.suspend(REGISTRAR, org.id, None)
    # only a suspended organization can resume: the first must see the second's suspension
    first.organizations.resume(REGISTRAR, org.id, None)
    # and the second the first's resumption (an active one can be suspended, a suspended one not)
    second.organizations.suspend(REGISTRAR, org.id, None)
    with pytest.raises(DomainError):
        first.organizations.suspend(REGISTRAR, org.id, None)  # already suspended, by the other
    first.organizations.resume(REGISTRAR, org.id, None)

    # an expected version is checked against the latest one, wherever it was written
    latest = second.organizations.organization(org.id).version
    assert latest == first.organizations.organization(org.id).version == 5
    first.organizations.rename(REGISTRAR, org.id, latest, "铜陵市郊区社会组织总会")
    with pytest.raises(StaleVersion):
        second.organizations.rename(REGISTRAR, org.id, latest, "别的名称")
    assert second.organizations.organization(org.id).profile.name == "铜陵市郊区社会组织总会"
    assert [e.event_type for e in second.organizations.history(org.id)] == [
        "Registered",
        "Suspended",
        "Resumed",
        "Suspended",
        "Resumed",
        "Renamed",
    ]


def test_what_a_command_did_to_its_copy_is_not_cached_unless_saved(two) -> None:
    first, second = two
    org = first.organizations.register_organization(REGISTRAR, profile(), code(2), date(2015, 6, 1))
    repository = first.store.repository

    copy: Organization = repository.get(org.id)
    copy.rename("改了没存的名称", first.organizations._at(REGISTRAR))  # a command that then raised
    assert repository.get(org.id).profile.name == profile().name
    assert repository.get(org.id).version == 1

    # a copy decided on before the other instance wrote: its save collides, and leaves nothing
    stale: Organization = repository.get(org.id)
    second.organizations.suspend(REGISTRAR, org.id, None)
    stale.rename("撞车的名称", first.organizations._at(REGISTRAR))
    with pytest.raises(IntegrityError):
        first.store.save(stale)
    fresh: Organization = repository.get(org.id)
    assert (fresh.version, fresh.status, fresh.profile.name) == (2, Status.SUSPENDED, profile().name)


def test_without_the_cache_the_same_answers(settings, clock) -> None:
    system = build_system(replace(settings, aggregate_cache=0), clock=clock, ids=CountingIds(3), tokens=CountingTokens())
    try:
        org = system.organizations.register_organization(REGISTRAR, profile(), code(3), date(2015, 6, 1))
        system.organizations.suspend(REGISTRAR, org.id, None)
        assert system.organizations.organization(org.id).status is Status.SUSPENDED
    finally:
        system.close()


def elsewhere(write: Callable[[], object]) -> None:
    """The other instance's command, outside this one's reading (its own process, in production)."""
    Context().run(write)


def test_one_command_reads_each_aggregate_once_and_its_save_ends_that_reading(two) -> None:
    first, second = two
    org = first.organizations.register_organization(REGISTRAR, profile(), code(4), date(2015, 6, 1))
    repository = first.store.repository
    campaign = campaign_id(2024, "3407")
    with one_reading():  # what `command` opens around every use case's command
        read: Organization = repository.get(org.id)
        with pytest.raises(AggregateNotFoundError):
            repository.get(campaign)
        elsewhere(lambda: second.organizations.suspend(REGISTRAR, org.id, None))
        elsewhere(lambda: second.inspections.open_campaign(REGISTRAR, 2024, "3407"))

        again: Organization = repository.get(org.id)  # the command decides on what it read
        assert (again.version, again.status) == (1, Status.ACTIVE)
        assert again is not read  # still a copy of its own
        again.rename("改了没存的名称", first.organizations._at(REGISTRAR))
        assert repository.get(org.id).profile.name == profile().name
        with pytest.raises(AggregateNotFoundError):
            repository.get(campaign)  # absent, as it was when first asked

        # its save collides with the other instance's write: the reading ends, the log is asked again
        read.rename("撞车的名称", first.organizations._at(REGISTRAR))
        with pytest.raises(IntegrityError):
            first.store.save(read)
        fresh: Organization = repository.get(org.id)
        assert (fresh.version, fresh.status) == (2, Status.SUSPENDED)
        assert repository.get(campaign).version == 1

        # after a save that succeeds too, what the other instance wrote next is seen
        fresh.rename("铜陵市郊区社会组织总会", first.organizations._at(REGISTRAR))
        first.store.save(fresh)
        elsewhere(lambda: second.organizations.resume(REGISTRAR, org.id, None))
        changed = first.organizations.change_address(REGISTRAR, org.id, None, "铜陵市郊区新址")  # nested: shares the reading
        assert (changed.version, changed.status, changed.profile.name) == (5, Status.ACTIVE, "铜陵市郊区社会组织总会")


def test_every_command_reads_once_and_collides_as_before(two) -> None:
    """Through the commands: the other instance's write between two commands is always seen."""
    first, second = two
    org = first.organizations.register_organization(REGISTRAR, profile(), code(5), date(2015, 6, 1))
    for _ in range(3):
        second.organizations.suspend(REGISTRAR, org.id, None)
        first.organizations.resume(REGISTRAR, org.id, None)
    assert second.organizations.organization(org.id).version == 7
