"""Decided once, made for many alike: a sweep finds thousands of organizations in one situation
(no inspection of the year yet, no credit record, no grade, the same earlier outcomes), and the
domain's methods would make the same events for each but for their ids, their instants and the
provenances that carry them. A precedent is the aggregates one such decision made, with a plan of
where those values sit in them; another organization's aggregates are made from it by putting its
own values there, and everything else (the grounds, the texts, the days) is shared, being immutable.

What is substituted: values (UUIDs and the decision's instants, wherever they appear, and a UUID's
text inside a string) and objects by identity (the provenances the caller made for the decision).
Lists, dicts and sets are copied, since an aggregate's state may be changed later. A value of a type
the plan does not know makes the precedent unusable (`of` returns None): the caller then decides
every organization through the domain, as before. The sweep's test compares the events stored both
ways, byte for byte."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

_SHARED = (int, float, bool, type(None), date, Decimal, Enum, bytes)  # immutable, and holds no id (checked)


class Unsupported(Exception):
    """A value the plan cannot rebuild."""


class Precedent:
    def __init__(self, aggregates: list[Any], values: Mapping[Any, str], objects: Mapping[int, str]) -> None:
        """`values`: each value to substitute (a UUID, an instant) → its name; `objects`: the id() of
        each object to substitute → its name. Raises Unsupported."""
        self._values = dict(values)
        self._objects = dict(objects)
        self._texts = {str(v): name for v, name in values.items() if isinstance(v, UUID)}
        self._in_texts: dict[str, str] = {}  # the ids found inside some text: only these are replaced
        self._built: dict[int, Any] = {}  # id(source object) → its plan node (an object may appear twice)
        self._plans = [self._plan(a) for a in aggregates]

    @classmethod
    def of(cls, aggregates: list[Any], values: Mapping[Any, str], objects: Mapping[int, str]) -> Precedent | None:
        try:
            return cls(aggregates, values, objects)
        except Unsupported:
            return None

    def made_for(self, values: Mapping[str, Any]) -> list[Any]:
        """The aggregates as the same decision makes them with these values (by name) in place of
        the precedent's: every value and object named when it was made must be given."""
        texts = [(old, str(values[name])) for old, name in self._in_texts.items()]
        made: dict[int, Any] = {}
        return [_made(plan, values, texts, made) for plan in self._plans]

    # -- the plan: None where the source is shared as it is, else a node -------------------------------
    def _plan(self, value: Any) -> Any:
        if id(value) in self._objects:
            return ("named", self._objects[id(value)])
        kind = type(value)
        if kind is UUID or kind is datetime:
            return ("named", self._values[value]) if value in self._values else None
        if kind is str:
            found = {t: name for t, name in self._texts.items() if t in value}
            self._in_texts.update(found)
            return ("text", value) if found else None
        if isinstance(value, _SHARED):
            if isinstance(value, bytes) and any(t.encode() in value for t in self._texts):
                raise Unsupported("an id inside bytes")
            return None
        if isinstance(value, str | int | float | tuple | list | dict) and kind not in (tuple, list, dict):
            raise Unsupported(f"a {kind.__name__}")  # a builtin's subclass (an enum is shared above)
        if id(value) in self._built:
            return self._built[id(value)]
        node = self._container(value)
        self._built[id(value)] = node
        return node

    def _container(self, value: Any) -> Any:
        kind = type(value)
        if kind is tuple:
            parts = [(i, p) for i, v in enumerate(value) if (p := self._plan(v)) is not None]
            return ("tuple", value, parts) if parts else None
        if kind is list:
            return ("list", [(v, self._plan(v)) for v in value])
        if kind is dict:
            if any(self._plan(k) is not None for k in value):
                raise Unsupported("an id as a dict's key")
            return ("dict", [(k, v, self._plan(v)) for k, v in value.items()])
        if kind is set or kind is frozenset:
            if any(self._plan(v) is not None for v in value):
                raise Unsupported("an id in a set")
            return ("set", kind, value) if kind is set else None
        state = getattr(value, "__dict__", None)
        if state is None or isinstance(value, type):
            raise Unsupported(f"a {kind.__name__}")
        fields = [(k, p) for k, v in state.items() if (p := self._plan(v)) is not None]
        if not fields and not _mutable(value):
            return None
        return ("object", kind, dict(state), fields)  # as it is now: the source may change later


def _mutable(value: Any) -> bool:
    """An aggregate (not a frozen value): each made one gets its own, even if nothing in it changes."""
    params = getattr(type(value), "__dataclass_params__", None)
    return params is None or not params.frozen


def _made(node: Any, values: Mapping[str, Any], texts: list[tuple[str, str]], made: dict[int, Any]) -> Any:
    tag = node[0]
    if tag == "named":
        return values[node[1]]
    if tag == "text":
        text = node[1]
        for old, new in texts:
            text = text.replace(old, new)
        return text
    if id(node) in made:
        return made[id(node)]
    if tag == "tuple":
        items = list(node[1])
        for i, part in node[2]:
            items[i] = _made(part, values, texts, made)
        result: Any = tuple(items)
    elif tag == "list":
        result = [v if p is None else _made(p, values, texts, made) for v, p in node[1]]
    elif tag == "dict":
        result = {k: v if p is None else _made(p, values, texts, made) for k, v, p in node[1]}
    elif tag == "set":
        result = set(node[2])
    else:
        _, kind, state, fields = node
        result = object.__new__(kind)
        copied = dict(state)
        for name, part in fields:
            copied[name] = _made(part, values, texts, made)
        object.__setattr__(result, "__dict__", copied)  # as the mapper makes a stored event (frozen ones too)
    made[id(node)] = result
    return result
