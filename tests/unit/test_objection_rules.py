"""异议 from the public, as the Evaluation aggregate enforces it: only within the announcement
period, with a name, a contact and grounds; decided once with reasons; the result is confirmed only
once every objection is decided and none was upheld."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domain.errors import InvalidTransition, InvalidValue
from domain.objections import reference_for
from tests.unit.test_evaluation_rules import CHAIR, RULES, TODAY, announced, computed, refused

REF = reference_for(UUID(int=7))
ENDS = TODAY + timedelta(days=RULES.announcement.days - 1)
AFTER = ENDS + timedelta(days=1)


def objected() -> object:
    e = announced()
    e.receive_objection(REF, "张三", "13800000000", "该组织的服务人次有虚报", TODAY, CHAIR)
    return e


def test_a_reference_is_short_readable_and_unique_per_id() -> None:
    assert REF.startswith("YY-") and len(REF) == 13 and reference_for(UUID(int=8)) != REF


def test_an_objection_is_taken_only_during_the_announcement() -> None:
    assert (
        refused(InvalidTransition, computed().receive_objection, REF, "张三", "138", "理由", TODAY, CHAIR)
        == "evaluation.wrong_stage"
    )
    e = announced()
    assert (
        refused(InvalidTransition, e.receive_objection, REF, "张三", "138", "理由", AFTER, CHAIR)
        == "objection.outside_announcement"
    )


def test_an_objection_names_the_objector_a_contact_and_its_grounds() -> None:
    e = announced()
    assert refused(InvalidValue, e.receive_objection, REF, " ", "138", "理由", TODAY, CHAIR) == "objection.objector"
    assert refused(InvalidValue, e.receive_objection, REF, "张三", "", "理由", TODAY, CHAIR) == "objection.contact"
    assert refused(InvalidValue, e.receive_objection, REF, "张三", "138", "  ", TODAY, CHAIR) == "objection.grounds"
    assert e.objections == ()


def test_the_result_waits_for_every_objection_and_an_upheld_one_stops_it() -> None:
    e = objected()
    assert refused(InvalidTransition, e.finalize, AFTER, CHAIR) == "objection.open"
    assert refused(InvalidValue, e.decide_objection, REF, False, " ", TODAY, CHAIR) == "objection.reasons"
    assert refused(InvalidValue, e.decide_objection, "YY-NOSUCHONE", False, "理由", TODAY, CHAIR) == "objection.unknown"
    e.decide_objection(REF, True, "经核实,服务人次确有虚报", TODAY, CHAIR)
    assert refused(InvalidTransition, e.decide_objection, REF, False, "再议", TODAY, CHAIR) == "objection.decided"
    assert refused(InvalidTransition, e.finalize, AFTER, CHAIR) == "objection.upheld"


def test_a_dismissed_objection_lets_the_result_be_confirmed_after_the_period() -> None:
    e = objected()
    e.decide_objection(REF, False, "经核实,服务记录完整,异议不成立", TODAY, CHAIR)
    [decided] = e.objections
    assert decided.upheld is False and decided.decided_on == TODAY and not decided.open
    assert refused(InvalidTransition, e.finalize, ENDS, CHAIR) == "announcement.running"
    e.finalize(AFTER, CHAIR)
    assert e.stage.value == "finalized"


def test_an_objections_material_is_taken_while_it_is_open_only() -> None:
    e = objected()
    e.check_can_attach(f"objection:{REF}")  # open: taken
    assert refused(InvalidTransition, e.check_can_attach, "objection:YY-NOSUCHONE") == "objection.closed"
    e.decide_objection(REF, False, "不成立", TODAY, CHAIR)
    assert refused(InvalidTransition, e.check_can_attach, f"objection:{REF}") == "objection.closed"
