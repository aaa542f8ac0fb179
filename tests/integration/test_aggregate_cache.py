"""The aggregate cache never serves a stale aggregate: two systems on one database (two
processes' worth of caches), each writing in turn, always decide on the other's latest write;
and what a command does to its copy stays out of the cache unless it is saved."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from eventsourcing.persistence import IntegrityError

from application.errors import StaleVersion
from domain.errors import DomainError
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
