"""Ids derived from what an aggregate is about (so creating it twice collides), beginning with their
subject's id (so a sweep walking its subjects in order writes its keys in order): reminders,
inspections and credit records (domain/ids.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from hashlib import sha1
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.credit import credit_record_id, legacy_credit_record_id
from domain.ids import ordered_id
from domain.inspection import inspection_id, legacy_inspection_id
from domain.reminder import reminder_id

KEY = st.tuples(st.sampled_from(["inspection_due", "grade_expiring", "sheet_due"]), st.text(max_size=12), st.text(max_size=4))
ORG = UUID("0f0e0d0c-0b0a-4908-8706-050403020100")


def test_the_same_reminder_has_the_same_id_and_another_another() -> None:
    subject = uuid4()
    first = reminder_id("inspection_due", subject, f"organization:{subject}", "2024", "7")
    assert first == reminder_id("inspection_due", subject, f"organization:{subject}", "2024", "7")
    others = {
        reminder_id("inspection_due", subject, f"organization:{subject}", "2024", "1"),
        reminder_id("inspection_due", subject, f"organization:{subject}", "2025", "7"),
        reminder_id("inspection_overdue", subject, f"organization:{subject}", "2024", "7"),
        reminder_id("inspection_due", subject, "user:someone", "2024", "7"),
    }
    assert first not in others and len(others) == 4
    assert first.version == 8 and first.variant == "specified in RFC 4122"


def test_stored_ids_never_change() -> None:
    """The log holds these ids: a change to a derivation would lose every aggregate made before it."""
    assert str(reminder_id("inspection_due", ORG, f"organization:{ORG}", "2024", "7")) == "0f0e0d0c-0b0a-8908-b26a-335824fb45fe"
    assert str(inspection_id(ORG, 2024)) == "0f0e0d0c-0b0a-8908-9de1-f9dd49ae2e4e"
    assert str(legacy_inspection_id(ORG, 2024)) == "dde1f9dd-49ae-5e4e-ac09-d27c0eb39fff"
    assert str(credit_record_id(ORG)) == "0f0e0d0c-0b0a-8908-9468-66d9536de77a"
    assert str(legacy_credit_record_id(ORG)) == "d46866d9-536d-577a-91dc-9acc23d3111c"


def test_an_inspection_id_is_the_organizations_and_the_years() -> None:
    years = {inspection_id(ORG, year) for year in range(2015, 2030)}
    assert len(years) == 15 and credit_record_id(ORG) not in years
    assert inspection_id(ORG, 2024) != inspection_id(uuid4(), 2024)


@given(st.lists(st.uuids(version=4), min_size=2, max_size=30, unique=True), KEY)
def test_reminder_ids_follow_their_subjects_order(subjects: list[UUID], key: tuple[str, str, str]) -> None:
    kind, period, offset = key
    assert_ordered(subjects, lambda s: reminder_id(kind, s, f"organization:{s}", period, offset))


@pytest.mark.parametrize("derive", [lambda org: inspection_id(org, 2024), credit_record_id], ids=["inspection", "credit record"])
@given(subjects=st.lists(st.uuids(version=4), min_size=2, max_size=30, unique=True))
def test_inspection_and_record_ids_follow_their_organizations_order(derive: Callable[[UUID], UUID], subjects: list[UUID]) -> None:
    assert_ordered(subjects, derive)


def assert_ordered(subjects: list[UUID], derive: Callable[[UUID], UUID]) -> None:
    ids = {s: derive(s) for s in subjects}
    by_subject = [ids[s] for s in sorted(subjects, key=lambda s: s.bytes[:8])]
    assert by_subject == sorted(by_subject)  # as bytes and as the text the read models key by
    assert [str(i) for i in by_subject] == sorted(str(i) for i in by_subject)


def by_the_bytes(subject: UUID, namespace: UUID, key: str) -> UUID:
    """As the ids were first made: the subject's first eight bytes and eight of the digest, the
    version and variant bits set on the bytes (`ordered_id` now works on the integer)."""
    raw = bytearray(subject.bytes[:8] + sha1(namespace.bytes + key.encode()).digest()[:8])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return UUID(bytes=bytes(raw))


def test_the_same_bits_as_slicing_the_bytes() -> None:
    draw = random.Random(21)
    for subject in (UUID(int=0), UUID(int=(1 << 128) - 1), *(UUID(int=draw.getrandbits(128)) for _ in range(2000))):
        namespace = UUID(int=draw.getrandbits(128))
        key = "".join(draw.choice("ab|年检0") for _ in range(draw.randrange(12)))
        assert ordered_id(subject, namespace, key) == by_the_bytes(subject, namespace, key)
