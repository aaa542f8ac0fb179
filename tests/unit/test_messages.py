"""The interface's texts: every key the pages and code use has a text in both catalogs (zh_CN and en)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import string
from enum import Enum
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from eventsourcing.domain import DomainEvent

import domain
from domain.credit import CreditList, PenaltyKind
from domain.evaluation import EvaluationKind, RecusalGround, Stage
from domain.funding import Milestone, ProjectStage
from domain.inspection import Outcome
from domain.inspection import Stage as InspectionStage
from domain.organization import OrganizationType, Status, Track
from domain.provenance import Role
from domain.rules import Aggregation, Boundary, TrancheCondition
from domain.spot_check import Conclusion, RiskGroup
from domain.spot_check import Stage as SpotCheckStage
from interfaces.web.i18n import LANGS, catalog, translate

INTERFACES = Path(__file__).resolve().parents[2] / "interfaces"

# The families of keys the templates build from a value (t('status.' ~ o.status)): each value needs its label.
LABELLED_ENUMS: dict[str, type[Enum]] = {
    "org_type": OrganizationType,
    "track": Track,
    "status": Status,
    "outcome": Outcome,
    "list": CreditList,
    "penalty": PenaltyKind,
    "stage": Stage,
    "pstage": ProjectStage,
    "milestone": Milestone,
    "recusal": RecusalGround,
    "role": Role,
    "condition": TrancheCondition,
    "eval.kind": EvaluationKind,
    "insp.stage": InspectionStage,
    "aggregation": Aggregation,
    "boundary": Boundary,
    "spot_check_conclusion": Conclusion,
    "spot_check_stage": SpotCheckStage,
    "spot_check_group": RiskGroup,
}


def used_keys() -> set[str]:
    """Keys written literally in templates (t('…')) and code (translate(lang, '…')), found by Babel's extractors."""
    found = extract_from_dir(
        str(INTERFACES),
        method_map=[("**/templates/**.html", "jinja2"), ("**.py", "python")],
        keywords={"t": None, "translate": (2,)},
    )
    return {str(message) for _file, _line, message, _comments, _context in found if message}


def event_names() -> set[str]:
    names = set()
    for module_info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{module_info.name}")
        for _, aggregate in inspect.getmembers(module, inspect.isclass):
            for _, event in inspect.getmembers(aggregate, inspect.isclass):
                if issubclass(event, DomainEvent) and event.__module__.startswith("domain.") and event.__name__ != "Event":
                    names.add(event.__name__)
    return names


def test_both_catalogs_hold_the_same_keys_and_no_empty_text() -> None:
    zh, en = catalog("zh"), catalog("en")
    assert len(zh) > 500
    assert sorted(set(zh) ^ set(en)) == []


def test_every_key_the_pages_and_code_use_has_a_text_in_both_languages() -> None:
    keys = used_keys()
    assert "nav.register" in keys and "login.submit" in keys  # the extractor read the templates
    for lang in LANGS:
        assert sorted(keys - set(catalog(lang))) == [], f"missing in {lang}"


@pytest.mark.parametrize("family", sorted(LABELLED_ENUMS))
def test_every_value_shown_by_its_code_has_a_label(family: str) -> None:
    for lang in LANGS:
        missing = [member.value for member in LABELLED_ENUMS[family] if f"{family}.{member.value}" not in catalog(lang)]
        assert missing == [], f"{family} in {lang}"


def test_every_event_has_a_name_people_read_on_the_timeline() -> None:
    names = event_names()
    assert {"Registered", "GradeAwarded", "SheetSubmitted"} <= names
    for lang in LANGS:
        assert sorted(n for n in names if f"event.{n}" not in catalog(lang)) == [], f"missing in {lang}"


def test_placeholders_are_the_same_in_both_languages() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    zh, en = catalog("zh"), catalog("en")
    assert {k for k in zh if fields(zh[k]) != fields(en[k])} == set()


def test_a_text_is_chosen_by_language_and_filled_in() -> None:
    assert translate("zh", "search.results", total=3) == "共 3 个组织"
    assert translate("en", "search.results", total=3) == "3 organizations"
    assert translate("en", "event.GradeAwarded") == "Grade awarded"


def test_every_next_step_on_the_chairs_worklist_has_a_text() -> None:
    from interfaces.web.worklist_pages import NEXT_STEP

    for lang in LANGS:
        assert sorted(k for k in NEXT_STEP.values() if k not in catalog(lang)) == [], lang


def test_every_kind_of_reminder_and_notice_has_a_label_in_the_inbox() -> None:
    """The inbox and the delivery list label each row by its kind (t('reminder.' ~ r.kind))."""
    from application.reminders.notices import NOTICES
    from application.reminders.planning import TEXTS

    for lang in LANGS:
        missing = sorted(k for k in (*TEXTS, *NOTICES) if f"reminder.{k}" not in catalog(lang))
        assert missing == [], (lang, missing)
