"""What a command gets from the aggregate cache is a copy: whatever it does to the copy's
containers leaves the cached aggregate as it was; values that cannot change are shared."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import uuid4

from application.aggregate_cache import copy_aggregate


@dataclass(frozen=True)
class Score:
    key: str
    points: Decimal


@dataclass(frozen=True)
class Holder:  # frozen, but holding something that can change
    items: list[str]


class State:
    def __init__(self) -> None:
        self.scores = (Score("a", Decimal("1.5")), Score("b", Decimal(2)))
        self.drafts = {uuid4(): (Score("c", Decimal(3)),)}
        self.members = {"x"}
        self.log = [["nested"]]
        self.pairs = ([1], [2])
        self.holder = Holder(["kept"])


def test_containers_are_new_and_immutable_values_shared() -> None:
    original = State()
    copied = copy_aggregate(original)
    assert type(copied) is State and vars(copied) == vars(original)
    assert copied.scores is original.scores  # nothing in it can change
    assert copied.drafts is not original.drafts and copied.members is not original.members

    key = next(iter(copied.drafts))
    copied.drafts[key] = ()
    copied.drafts[uuid4()] = ()
    copied.members.add("y")
    copied.log[0].append("more")
    copied.pairs[0].append(9)
    copied.holder.items.append("changed")
    fresh = State()
    assert original.members == fresh.members
    assert original.log == [["nested"]] and original.pairs == ([1], [2])
    assert original.holder.items == ["kept"]
    assert len(original.drafts) == 1 and next(iter(original.drafts.values())) != ()
