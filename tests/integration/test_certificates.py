"""Grade certificates on SQLite and PostgreSQL: a grade of 3A and above is numbered in its rule
set's series for the year, without gaps; below 3A there is none; a new grade has a new number;
lowering, revoking the grade or the organization's registration ends the certificate."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from application.errors import NotFound
from domain.certificate import CertificateSeries
from domain.errors import InvalidTransition
from domain.organization import Organization
from infra.wiring import build_system
from tests.integration.certificate_support import CHAIR, announced, graded, registered
from tests.integration.helpers import REGISTRAR
from tests.integration.test_two_instances import racing
from tests.support.fakes import CountingIds, CountingTokens


def test_grades_of_3a_and_above_are_numbered_in_sequence_and_below_none(system, clock) -> None:
    first, second, third = (registered(system, n) for n in (1, 2, 3))
    assert graded(system, clock, first, "0.93") == "4A"
    assert graded(system, clock, second, "0.82") == "2A"
    assert graded(system, clock, third, "0.87") == "3A"

    numbers = [system.organizations.organization(o).current_certificate for o in (first, second, third)]
    assert numbers[1] is None  # 2A: no certificate
    assert [numbers[0].number, numbers[2].number] == ["340000-2026-0001", "340000-2026-0002"]  # the next one, no gap
    series = system.store.repository.get(CertificateSeries.create_id("anhui", 2026))
    assert series.last_sequence == 2

    standing = system.certificates.standing("340000-2026-0001")
    assert standing.is_valid and standing.certificate.organization_name == "铜陵市郊区第1社会服务中心"
    assert (standing.certificate.level, standing.certificate.authority_zh) == ("4A", "安徽省民政厅")
    issued = standing.issued_by
    assert issued.organization_id == first and issued.position is not None
    assert issued.link == system.integrity.link_at(issued.position) and len(issued.link) == 64
    history = system.organizations.history(first)
    assert history[issued.version - 1].event_type == "CertificateIssued"
    assert history[issued.version - 1].caused_by.startswith("evaluation:")
    with pytest.raises(NotFound):
        system.certificates.standing("340000-2026-0003")


def test_a_new_grade_has_a_new_number_and_the_old_certificate_stays_expired(system, clock) -> None:
    org = registered(system, 1)
    graded(system, clock, org, "0.93")
    until = system.organizations.organization(org).grade_valid_until
    clock.move_to(until + timedelta(days=1))
    system.organizations.expire_grade(REGISTRAR, org)
    assert graded(system, clock, org, "0.96") == "5A"  # evaluated again once the grade ran out
    holder = system.organizations.organization(org)
    year = system.store.today().year
    assert [c.number for c in holder.certificates] == ["340000-2026-0001", f"340000-{year}-0001"]  # the year's own series
    assert system.certificates.standing("340000-2026-0001").status == "expired"
    renewed = system.certificates.standing(f"340000-{year}-0001")
    assert renewed.status == "valid" and renewed.certificate.level == "5A"


def test_lowering_or_revoking_the_grade_or_the_registration_ends_the_certificate(system, clock) -> None:
    lowered, revoked, closed = (registered(system, n) for n in (1, 2, 3))
    for org in (lowered, revoked, closed):
        graded(system, clock, org, "0.93")
    system.organizations.apply_grade_finding(REGISTRAR, lowered, None, "inspection_failed")
    system.organizations.apply_grade_finding(REGISTRAR, revoked, None, "evaluation_fraud")
    system.organizations.revoke(REGISTRAR, closed, None)
    statuses = [system.certificates.standing(f"340000-2026-000{n}").status for n in (1, 2, 3)]
    assert statuses == ["lowered", "revoked", "organization_closed"]
    ended = system.certificates.standing("340000-2026-0001").certificate
    assert ended.ended_on == system.store.today()


def test_a_certificate_whose_validity_ran_out_is_expired(system, clock) -> None:
    org = registered(system, 1)
    graded(system, clock, org, "0.93")
    until = system.certificates.standing("340000-2026-0001").certificate.valid_until
    clock.move_to(until + timedelta(days=1))
    assert system.certificates.standing("340000-2026-0001").status == "expired"


def test_the_pdf_says_in_chinese_who_holds_which_grade_under_which_number(system, clock, tmp_path) -> None:
    org = registered(system, 1, "铜陵市郊区阳光养老服务中心")
    graded(system, clock, org, "0.93")
    _, pdf = system.certificates.pdf("340000-2026-0001", "https://example.test/public/certificates/340000-2026-0001")
    assert pdf.startswith(b"%PDF")
    (tmp_path / "c.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, check=True, text=True).stdout
    for expected in (
        "铜陵市郊区阳光养老服务中心",
        "4A级",
        "证书编号",
        "340000-2026-0001",
        "安徽省民政厅",
        "社会组织评估等级证书",
    ):
        assert expected in text, (expected, text)


def test_finalizing_a_case_twice_issues_one_certificate(system, clock) -> None:
    org = registered(system, 1)
    case = announced(system, org, "0.93")
    clock.advance(days=7)
    system.evaluations.finalize(CHAIR, case, None)
    with pytest.raises(InvalidTransition) as again:
        system.evaluations.finalize(CHAIR, case, None)
    assert again.value.code == "evaluation.wrong_stage"
    holder: Organization = system.organizations.organization(org)
    assert [c.number for c in holder.certificates] == ["340000-2026-0001"] and holder.certificates[0].ended is None


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_instances_finalizing_at_once_take_different_numbers_without_a_gap(settings, clock) -> None:
    first = build_system(settings, clock=clock, ids=CountingIds(1), tokens=CountingTokens())
    second = build_system(settings, clock=clock, ids=CountingIds(2), tokens=CountingTokens())
    try:
        orgs = [registered(first, n) for n in range(1, 7)]
        cases = [announced(first, org, "0.93") for org in orgs]
        clock.advance(days=7)
        outcomes = racing(
            [lambda s=(first, second)[n % 2], c=c: s.evaluations.finalize(CHAIR, c, None) for n, c in enumerate(cases)]
        )
        assert all(not isinstance(o, str) for o in outcomes), outcomes  # every case finalized: a collision numbers again
        numbers = sorted(second.organizations.organization(o).current_certificate.number for o in orgs)
        assert numbers == [f"340000-2026-{n:04d}" for n in range(1, 7)]
        assert second.store.repository.get(CertificateSeries.create_id("anhui", 2026)).last_sequence == 6
    finally:
        first.close()
        second.close()
