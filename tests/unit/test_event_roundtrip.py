"""Every event type survives storage exactly: dates, datetimes with their offsets, decimals
with their exponent, enums, UUIDs and nested value objects."""

from __future__ import annotations

import typing
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import pytest
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import JSONTranscoder
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.certificate import CertificateSeries
from domain.claims import IdentifierClaim
from domain.complaints import Complaint
from domain.credit import CreditRecord
from domain.documents import DocumentRef
from domain.evaluation import Evaluation
from domain.expert import Expert
from domain.funding import FundingRound, Project
from domain.inspection import Inspection, InspectionCampaign
from domain.organization import Organization
from domain.reminder import Reminder
from domain.spot_check import SpotCheck, SpotCheckDraw
from domain.subsidy import Subsidy
from infra.persistence.mapper import MsgspecMapper

AGGREGATES = [
    Organization,
    IdentifierClaim,
    Evaluation,
    Expert,
    InspectionCampaign,
    Inspection,
    CreditRecord,
    FundingRound,
    Project,
    Subsidy,
    CertificateSeries,
    Complaint,
    Reminder,
    SpotCheckDraw,
    SpotCheck,
]
EVENT_CLASSES = sorted(
    (
        v
        for aggregate in AGGREGATES
        for v in vars(aggregate).values()
        if isinstance(v, type) and issubclass(v, DomainEvent) and v.__name__ not in {"Event", "Created"}
    ),
    key=lambda c: c.__qualname__,
)

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
# fold only matters for zones with repeated hours; a fixed offset has none.
aware = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets).map(
    lambda d: d.replace(fold=0)
)
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None)


def event_strategy(cls: type) -> st.SearchStrategy[typing.Any]:
    hints = typing.get_type_hints(cls)
    fields = {
        "originator_id": st.uuids(),
        "originator_version": st.integers(1, 2**31),
    }
    fields |= {
        name: (aware if hint is datetime else text if hint is str else decimals if hint is Decimal else st.from_type(hint))
        for name, hint in hints.items()
        if name in cls.__dataclass_fields__ and name not in fields
    }
    return st.fixed_dictionaries(fields).map(lambda kwargs: cls(**kwargs))


st.register_type_strategy(datetime, aware)
st.register_type_strategy(str, text)
st.register_type_strategy(Decimal, decimals)
st.register_type_strategy(
    DocumentRef,
    st.builds(  # a reference checks its own hash and size
        DocumentRef,
        sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
        size_bytes=st.integers(1, 2**40),
        media_type=text,
        file_name=text,
    ),
)
MAPPER = MsgspecMapper(transcoder=JSONTranscoder())


def test_there_are_events_to_check() -> None:
    names = {c.__qualname__ for c in EVENT_CLASSES}
    assert {"Organization.Registered", "Organization.Filed", "Organization.Renamed", "IdentifierClaim.Claimed"} <= names
    assert {"Evaluation.Opened", "Evaluation.ResultComputed", "Evaluation.AppealDecided", "Expert.Enrolled"} <= names
    assert {"Inspection.Missed", "CreditRecord.Listed", "CreditRecord.Removed"} <= names
    assert {"Organization.CertificateIssued", "CertificateSeries.NumberTaken"} <= names
    assert {"Project.Awarded", "FundingRound.AwardCommitted", "Subsidy.Granted", "Organization.FundingBarred"} <= names
    assert {"Reminder.Issued", "Reminder.Delivered", "Reminder.Cancelled"} <= names
    assert len(EVENT_CLASSES) == 128  # a new event type is checked automatically; update the count


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__qualname__)
def test_every_event_type_round_trips_exactly(event_class: type) -> None:
    @settings(max_examples=40, deadline=None)
    @given(event_strategy(event_class))
    def check(event: typing.Any) -> None:
        stored = MAPPER.to_stored_event(event)
        back = MAPPER.to_domain_event(stored)
        assert type(back) is type(event)
        assert back == event
        assert repr(back) == repr(event)  # Decimal('1.10') stays 1.10; offsets stay as they were

    check()


WITH_PROVENANCE = [c for c in EVENT_CLASSES if "provenance" in c.__dataclass_fields__]
PLAIN = msgspec.json.Encoder(decimal_format="string", uuid_format="canonical")


def plainly_encoded(event: typing.Any) -> bytes:
    """The stored state as msgspec makes it of the event's fields, with nothing kept between events."""
    state = {k: v for k, v in vars(event).items() if k not in ("originator_id", "originator_version")}
    if getattr(type(event), "class_version", 1) > 1:
        state["class_version"] = type(event).class_version
    return PLAIN.encode(state)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WITH_PROVENANCE).flatmap(event_strategy), min_size=1, max_size=8), st.integers(0, 2))
def test_a_provenance_kept_encoded_between_events_stores_the_same_bytes(events: list[typing.Any], shared: int) -> None:
    """The mapper keeps the last provenance's JSON for the next event carrying the same object (a
    sweep's chunk shares one): each event's bytes are still those of encoding it alone."""
    if shared:  # several events carry one provenance object, as a chunk's do (1: all, 2: every other)
        events = [replace(e, provenance=events[0].provenance) if i % shared == 0 else e for i, e in enumerate(events)]
    for event in events:
        assert MAPPER.to_stored_event(event).state == plainly_encoded(event)
