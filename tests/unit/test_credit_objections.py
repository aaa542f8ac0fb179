"""异议 to a listing, as the CreditRecord enforces it: only to a current listing, one at a time,
with grounds; decided once with reasons; upheld, the listing is corrected as removed from the day
it began (it never counted), dismissed, it stays."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.credit import CreditList, CreditRecord, Ground
from domain.errors import InvalidTransition, InvalidValue
from domain.periods import Deadline, PeriodUnit
from domain.provenance import Role
from tests.unit.given import by

REGISTRAR, ORG = by(Role.REGISTRAR), by(Role.ORGANIZATION)
DUE = Deadline(date(2026, 5, 27), 5, PeriodUnit.WORKING_DAYS)
LISTED, TODAY = date(2026, 3, 2), date(2026, 5, 20)


def listed() -> CreditRecord:
    record = CreditRecord.open(UUID(int=5), REGISTRAR)
    record.add_ground(Ground("unreachable", LISTED, "两次挂号信退回", "letters:2"), REGISTRAR)
    return record


def test_an_objection_needs_a_current_listing_grounds_and_waits_for_the_first_to_be_decided() -> None:
    record = listed()
    with pytest.raises(InvalidTransition):
        record.file_objection("YY-1", CreditList.SERIOUS, "理由", TODAY, DUE, ORG)
    with pytest.raises(InvalidValue):
        record.file_objection("YY-1", CreditList.ABNORMAL, " ", TODAY, DUE, ORG)
    record.file_objection("YY-1", CreditList.ABNORMAL, "住所未变,信件系投递错误", TODAY, DUE, ORG)
    with pytest.raises(InvalidTransition) as pending:
        record.file_objection("YY-2", CreditList.ABNORMAL, "再次异议", TODAY, DUE, ORG)
    assert pending.value.code == "objection.pending"


def test_an_upheld_objection_corrects_the_listing_from_the_day_it_began() -> None:
    record = listed()
    record.file_objection("YY-1", CreditList.ABNORMAL, "住所未变,信件系投递错误", TODAY, DUE, ORG)
    with pytest.raises(InvalidValue):
        record.decide_objection("YY-1", True, "", TODAY, REGISTRAR)
    record.decide_objection("YY-1", True, "经核实系邮政投递错误", TODAY, REGISTRAR)
    [listing] = record.listings
    assert (listing.removed_on, listing.removal_reason) == (LISTED, "objection_upheld") and record.status == "none"
    with pytest.raises(InvalidTransition):
        record.decide_objection("YY-1", False, "再议", TODAY, REGISTRAR)


def test_a_dismissed_objection_leaves_the_listing() -> None:
    record = listed()
    record.file_objection("YY-1", CreditList.ABNORMAL, "不认可", TODAY, DUE, ORG)
    record.decide_objection("YY-1", False, "经实地核查,住所确已无人办公", TODAY, REGISTRAR)
    assert record.status == "abnormal" and not record.objections[0].open and record.objections[0].upheld is False
