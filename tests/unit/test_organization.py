from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from domain.errors import InvalidTransition, InvalidValue
from domain.organization import Organization, OrganizationType, Profile, Status, Track
from domain.provenance import Actor, Basis, Provenance, Role
from domain.uscc import complete_code

AT = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
BY = Provenance(
    at=AT, actor=Actor("u-registrar", Role.REGISTRAR), correlation_id="req-1", basis=Basis("民函〔2026〕1号", "依法作出决定")
)


def profile(**changes: object) -> Profile:
    values: dict[str, object] = {
        "name": "铜陵市郊区社会组织联合会",
        "org_type": OrganizationType.SOCIAL_ASSOCIATION,
        "legal_representative": "王建国",
        "address": "铜陵市郊区桥南街道",
        "division_code": "340711",
        "district": "铜陵市郊区",
        "is_hub": True,
    }
    values.update(changes)
    return Profile(**values)  # type: ignore[arg-type]


def registered(**changes: object) -> Organization:
    return Organization.register(uuid.uuid4(), profile(**changes), complete_code("51340711MJ0000001"), date(2015, 6, 1), BY)


def filed() -> Organization:
    return Organization.file(uuid.uuid4(), profile(is_hub=False), "备340711-001", "桥南街道", date(2019, 4, 8), BY)


def test_registration_records_the_facts_and_who_decided() -> None:
    org = registered()
    [event] = org.collect_events()
    assert type(event).__name__ == "Registered"
    assert event.timestamp == AT  # the injected clock's time, not the machine's
    assert event.provenance.actor.role is Role.REGISTRAR and event.provenance.basis.document_no == "民函〔2026〕1号"
    assert org.track is Track.REGISTERED and org.status is Status.ACTIVE


def test_a_code_of_another_department_or_type_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        Organization.register(uuid.uuid4(), profile(), complete_code("91340711MJ0000001"), date(2015, 6, 1), BY)
    assert caught.value.code == "uscc.department"
    with pytest.raises(InvalidValue) as caught:
        Organization.register(uuid.uuid4(), profile(), complete_code("53340711MJ0000001"), date(2015, 6, 1), BY)
    assert caught.value.code == "uscc.type_mismatch"


@pytest.mark.parametrize(
    ("field", "value", "code"), [("name", "  ", "name.empty"), ("division_code", "34071", "division_code.format")]
)
def test_bad_profile_values_are_refused(field: str, value: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        registered(**{field: value})
    assert caught.value.code == code


def test_a_filed_organization_is_promoted_to_registration() -> None:
    org = filed()
    assert org.track is Track.FILED and org.code is None
    org.promote(complete_code("51340711MJ0000009"), date(2026, 5, 1), BY)
    assert org.track is Track.REGISTERED and org.registered_on == date(2026, 5, 1)
    with pytest.raises(InvalidTransition):
        org.promote(complete_code("51340711MJ0000009"), date(2026, 5, 1), BY)


def test_changes_need_a_different_value() -> None:
    org = registered()
    org.rename("铜陵市社会组织联合会", BY)
    assert org.name == "铜陵市社会组织联合会"
    with pytest.raises(InvalidValue):
        org.rename("铜陵市社会组织联合会", BY)


def test_status_follows_its_lifecycle() -> None:
    org = registered()
    with pytest.raises(InvalidTransition):
        org.resume(BY)
    org.suspend(BY)
    org.resume(BY)
    org.deregister(BY)
    for act in (lambda: org.rename("新名称", BY), lambda: org.suspend(BY), lambda: org.revoke(BY)):
        with pytest.raises(InvalidTransition):
            act()


def test_a_filed_organization_cannot_be_revoked_only_deregistered() -> None:
    org = filed()
    with pytest.raises(InvalidTransition):
        org.revoke(BY)


def test_only_an_open_hub_can_be_joined_and_only_one_at_a_time() -> None:
    hub, member, plain = registered(), filed(), filed()
    with pytest.raises(InvalidValue):
        member.join_hub(plain, BY)
    with pytest.raises(InvalidValue):
        hub.join_hub(hub, BY)
    member.join_hub(hub, BY)
    assert member.hub_id == hub.id
    with pytest.raises(InvalidTransition):
        member.join_hub(hub, BY)
    member.leave_hub(BY)
    assert member.hub_id is None


def test_a_party_branch_is_recorded_once() -> None:
    org = registered()
    org.establish_party_branch(date(2019, 7, 1), BY)
    with pytest.raises(InvalidTransition):
        org.establish_party_branch(date(2020, 7, 1), BY)


def test_a_grade_awarded_to_take_effect_on_1_january_is_not_held_before_but_findings_act_on_it() -> None:
    org = registered()
    org.award_grade("5A", date(2027, 1, 1), date(2031, 12, 31), uuid.uuid4(), True, BY)
    assert org.grade_on(date(2026, 12, 15)) is None and org.grade_standing_on(date(2026, 12, 15)) == "5A"
    org.apply_grade_finding("penalty", "lower", "4A", date(2026, 12, 15), BY)
    assert (org.grade, org.grade_valid_from, org.grade_on(date(2027, 1, 1))) == ("4A", date(2027, 1, 1), "4A")
    assert org.grade_standing_on(date(2032, 1, 1)) is None
    with pytest.raises(InvalidTransition):
        org.apply_grade_finding("penalty", "lower", "3A", date(2032, 1, 1), BY)  # run out: nothing to act on
