"""One contract, two databases: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from application.errors import DuplicateIdentifier, NotFound, StaleVersion
from application.queries.register import RegisterQuery
from domain.organization import OrganizationType
from tests.integration.helpers import REGISTRAR, code, profile


def test_a_registered_organization_is_in_the_register_at_once(system) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    page = system.register_view.search(RegisterQuery(text="郊区 联合会"))
    assert [e.id for e in page.items] == [org.id]
    entry = page.items[0]
    assert (entry.code, entry.track, entry.status, entry.registered_on) == (code(1), "registered", "active", date(2015, 6, 1))


def test_a_second_registration_with_the_same_code_is_refused_and_stores_nothing(system) -> None:
    system.organizations.register_organization(REGISTRAR, profile(), code(1))
    head = system.store.recorder.max_notification_id()
    with pytest.raises(DuplicateIdentifier):
        system.organizations.register_organization(REGISTRAR, profile("另一个组织"), code(1))
    assert system.store.recorder.max_notification_id() == head
    assert system.register_view.search(RegisterQuery()).total == 1


def test_filing_numbers_are_unique_per_division(system) -> None:
    system.organizations.file_organization(REGISTRAR, profile("幸福社区文体队"), "备-001", "幸福街道")
    with pytest.raises(DuplicateIdentifier):
        system.organizations.file_organization(REGISTRAR, profile("另一个队"), "备-001", "幸福街道")
    other = system.organizations.file_organization(
        REGISTRAR, profile("青山文体队", division_code="150204"), "备-001", "富强路街道"
    )
    assert system.organizations.organization_by_filing("150204", "备-001").id == other.id


def test_a_stale_save_is_refused(system) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1))
    system.organizations.rename(REGISTRAR, org.id, 1, "铜陵市社会组织联合会")
    with pytest.raises(StaleVersion) as caught:
        system.organizations.change_address(REGISTRAR, org.id, 1, "铜陵市铜官区")
    assert caught.value.details == {"expected": 1, "actual": 2}


def test_of_two_racing_saves_of_one_version_only_one_lands(system) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1))
    first = system.organizations.organization(org.id)
    second = system.organizations.organization(org.id)
    first.rename("名称一", REGISTRAR.provenance(system.clock.now()))
    second.rename("名称二", REGISTRAR.provenance(system.clock.now()))
    system.store.save(first)
    from eventsourcing.persistence import IntegrityError

    with pytest.raises(IntegrityError):
        system.store.save(second)
    assert system.organizations.organization(org.id).name == "名称一"


def test_the_history_says_who_when_and_why(system) -> None:
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1))
    system.organizations.change_legal_representative(REGISTRAR, org.id, 1, "王建华")
    history = system.organizations.history(org.id)
    assert [h.event_type for h in history] == ["Registered", "LegalRepresentativeChanged"]
    assert history[1].actor_id == "registrar-1" and history[1].actor_role == "registrar"
    assert history[1].document_no == "民社〔2026〕7号" and history[1].data == {"legal_representative": "王建华"}
    assert history[0].at < history[1].at


def test_hub_membership_counts_members(system) -> None:
    hub = system.organizations.register_organization(REGISTRAR, profile(is_hub=True), code(1))
    a = system.organizations.file_organization(REGISTRAR, profile("甲队"), "备-1", "街道")
    b = system.organizations.file_organization(REGISTRAR, profile("乙队"), "备-2", "街道")
    system.organizations.join_hub(REGISTRAR, a.id, 1, hub.id)
    system.organizations.join_hub(REGISTRAR, b.id, 1, hub.id)
    system.organizations.leave_hub(REGISTRAR, b.id, 2)
    assert system.register_view.get(hub.id).member_count == 1
    assert [e.id for e in system.register_view.search(RegisterQuery(hub_id=hub.id)).items] == [a.id]


def test_filters_sorting_and_pages(system) -> None:
    for n in range(1, 26):
        kind = OrganizationType.PRIVATE_NON_ENTERPRISE if n % 5 == 0 else OrganizationType.SOCIAL_ASSOCIATION
        digit = "2" if n % 5 == 0 else "1"
        system.organizations.register_organization(
            REGISTRAR, profile(f"组织{n:02d}", org_type=kind), code(n, digit), date(2010 + n % 10, 1, 1)
        )
    page2 = system.register_view.search(RegisterQuery(per_page=10, page=2))
    assert (page2.total, page2.pages, [e.name for e in page2.items][:2]) == (25, 3, ["组织11", "组织12"])
    newest = system.register_view.search(RegisterQuery(sort="registered_on", descending=True, per_page=1)).items[0]
    assert newest.registered_on == date(2019, 1, 1)
    assert system.register_view.search(RegisterQuery(org_type="private_non_enterprise")).total == 5


def test_rebuilding_the_register_gives_the_same_rows(system) -> None:
    hub = system.organizations.register_organization(REGISTRAR, profile(is_hub=True), code(1))
    member = system.organizations.file_organization(REGISTRAR, profile("甲队"), "备-1", "街道")
    system.organizations.join_hub(REGISTRAR, member.id, 1, hub.id)
    system.organizations.suspend(REGISTRAR, hub.id, 1)
    before = system.register_view.search(RegisterQuery(per_page=200)).items
    position = system.register_view.position()
    system.register_view.rebuild()
    assert system.register_view.search(RegisterQuery(per_page=200)).items == before
    assert system.register_view.position() == position


def test_two_projectors_on_one_database_apply_each_event_once(system) -> None:
    """Like two app instances: both catch up concurrently; counters must not double."""
    from infra.projections.register import RegisterProjection  # a second instance's projector

    hub = system.organizations.register_organization(REGISTRAR, profile(is_hub=True), code(1))
    for n in range(2, 12):
        org = system.organizations.file_organization(REGISTRAR, profile(f"队{n}"), f"备-{n}", "街道")
        system.organizations.join_hub(REGISTRAR, org.id, 1, hub.id)
    with system.database.transaction(write=True) as tx:  # forget the read model, then race two projectors
        tx.execute("DELETE FROM sl_register")
        tx.execute("UPDATE sl_tracking SET position = 0")
    other = RegisterProjection(system.store, system.database)
    threads = [threading.Thread(target=p.catch_up) for p in (system.register_view, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert system.register_view.get(hub.id).member_count == 10
    assert system.register_view.search(RegisterQuery()).total == 11


def test_unknown_ids_are_not_found(system) -> None:
    import uuid

    with pytest.raises(NotFound):
        system.organizations.organization(uuid.uuid4())
    with pytest.raises(NotFound):
        system.organizations.organization_by_code(code(99))
