"""A reminder's id: derived from what it is about (so issuing it twice collides), and beginning
with its subject's id (so a sweep walking its subjects in order writes its keys in order)."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.reminder import reminder_id

KEY = st.tuples(st.sampled_from(["inspection_due", "grade_expiring", "sheet_due"]), st.text(max_size=12), st.text(max_size=4))


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


@given(st.lists(st.uuids(version=4), min_size=2, max_size=30, unique=True), KEY)
def test_ids_follow_their_subjects_order(subjects: list[UUID], key: tuple[str, str, str]) -> None:
    kind, period, offset = key
    ids = {s: reminder_id(kind, s, f"organization:{s}", period, offset) for s in subjects}
    by_subject = [ids[s] for s in sorted(subjects, key=lambda s: s.bytes[:8])]
    assert by_subject == sorted(by_subject)  # as bytes and as the text the read model keys by
    assert [str(i) for i in by_subject] == sorted(str(i) for i in by_subject)
