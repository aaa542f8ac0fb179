"""A snapshot's state is whatever an aggregate holds (value objects, enums, sets, dicts keyed by
UUIDs), with no schema to decode it by, so it is stored as JSON whose non-JSON values say what
they are: {"~d": "2026-06-01"}, {"~o": topic, "f": {...}}. Snapshots are a cache: the events
stay the record, and a snapshot that no longer decodes can be deleted and taken again."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.utils import get_topic, resolve_topic

_SCALARS = (str, int, float, bool, type(None))


def to_tree(value: Any) -> Any:
    """JSON-ready builtins, with a tag on every value JSON cannot say by itself."""
    if isinstance(value, Enum):  # before str/int: enums may subclass them
        return {"~e": get_topic(type(value)), "v": value.value}
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"~dt": value.isoformat()}
    if isinstance(value, date):
        return {"~d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"~n": str(value)}
    if isinstance(value, UUID):
        return {"~u": str(value)}
    if isinstance(value, list):
        return [to_tree(v) for v in value]
    if isinstance(value, tuple):
        return {"~t": [to_tree(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"~fs" if isinstance(value, frozenset) else "~s": [to_tree(v) for v in value]}
    if isinstance(value, dict):
        return {"~m": [[to_tree(k), to_tree(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"~o": get_topic(type(value)), "f": {f.name: to_tree(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, msgspec.Struct):
        return {"~o": get_topic(type(value)), "f": {n: to_tree(getattr(value, n)) for n in value.__struct_fields__}}
    raise TypeError(f"a snapshot cannot hold a {type(value).__qualname__}")


def from_tree(tree: Any) -> Any:
    if isinstance(tree, list):
        return [from_tree(v) for v in tree]
    if not isinstance(tree, dict):
        return tree
    (tag, payload), *_rest = tree.items()
    match tag:
        case "~e":
            return resolve_topic(payload)(tree["v"])
        case "~dt":
            return datetime.fromisoformat(payload)
        case "~d":
            return date.fromisoformat(payload)
        case "~n":
            return Decimal(payload)
        case "~u":
            return UUID(payload)
        case "~t":
            return tuple(from_tree(v) for v in payload)
        case "~s":
            return {from_tree(v) for v in payload}
        case "~fs":
            return frozenset(from_tree(v) for v in payload)
        case "~m":
            return {from_tree(k): from_tree(v) for k, v in payload}
        case "~o":
            return _object(resolve_topic(payload), {k: from_tree(v) for k, v in tree["f"].items()})
    raise ValueError(f"unknown snapshot tag {tag!r}")


def _object(cls: type, fields: dict[str, Any]) -> Any:
    if issubclass(cls, msgspec.Struct):
        return cls(**fields)
    obj = object.__new__(cls)  # as stored: no __init__/__post_init__ runs again
    for name, value in fields.items():
        object.__setattr__(obj, name, value)
    return obj


def encode_state(state: dict[str, Any]) -> dict[str, Any]:
    return {name: to_tree(value) for name, value in state.items()}


def decode_state(state: dict[str, Any]) -> dict[str, Any]:
    return {name: from_tree(value) for name, value in state.items()}
