"""Certificate numbers come from the rule set's format; a certificate stands until its validity
runs out or something ends it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from domain.certificate import Certificate, CertificateEnd, certificate_number
from domain.rules import CertificateRules


def rules(number_format: str = "{issuer}-{year}-{sequence:04d}") -> CertificateRules:
    return CertificateRules("340000", "安徽省民政厅", "Department of Civil Affairs of Anhui Province", number_format)


def test_the_number_is_the_rule_sets_format_filled_in() -> None:
    assert certificate_number(rules(), 2026, 7) == "340000-2026-0007"
    assert certificate_number(rules("WP{year}{sequence:05d}"), 2027, 12) == "WP202700012"


@pytest.mark.parametrize("bad", ["{issuer}-{year}", "{issuer}-{yaer}-{sequence}", "证{year}{sequence}", "{issuer}/{sequence}"])
def test_a_format_that_cannot_number_is_refused_when_the_rule_set_loads(bad: str) -> None:
    with pytest.raises(ValueError, match="number_format"):
        rules(bad)


def test_a_certificate_stands_until_its_validity_runs_out_or_it_is_ended() -> None:
    c = Certificate(
        "340000-2026-0001", "某协会", "4A", date(2027, 1, 1), date(2031, 12, 31), date(2026, 6, 1), uuid4(), "甲", "A"
    )
    assert c.standing_on(date(2026, 6, 1)) is None  # issued, to take effect on 1 January
    assert c.standing_on(date(2031, 12, 31)) is None
    assert c.standing_on(date(2032, 1, 1)) is CertificateEnd.EXPIRED
    lowered = replace(c, ended=CertificateEnd.LOWERED, ended_on=date(2027, 3, 1))
    assert lowered.standing_on(date(2028, 1, 1)) is CertificateEnd.LOWERED
