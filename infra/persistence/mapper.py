"""Stores events as JSON encoded by msgspec, and decodes them back into exactly the
types their classes declare (dates, datetimes, decimals, enums, UUIDs, nested value
objects), with no type tags in the stored JSON."""

from __future__ import annotations

import dataclasses
import datetime
import typing
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import msgspec
from eventsourcing.domain import CanSnapshotAggregate, DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from infra.persistence.snapshots import decode_state, encode_state

_POSITION = ("originator_id", "originator_version")
_encoder = msgspec.json.Encoder(decimal_format="string", uuid_format="canonical")


@cache
def _state_decoder(event_class: type) -> tuple[msgspec.json.Decoder[Any], tuple[str, ...]]:
    hints = typing.get_type_hints(event_class)
    names = tuple(f.name for f in dataclasses.fields(event_class) if f.name not in _POSITION)
    fields = [(name, hints[name]) for name in names]
    state_type = msgspec.defstruct(f"{event_class.__name__}State", fields, forbid_unknown_fields=False)
    return msgspec.json.Decoder(state_type), names


@cache
def _is_snapshot(event_class: type) -> bool:
    """Per class, once: a check against a runtime Protocol costs about 30 µs each time."""
    return issubclass(event_class, CanSnapshotAggregate)


class _Provenance(msgspec.Struct, forbid_unknown_fields=False):
    """What a view needs of an event's provenance: the day it took effect, if it says."""

    effective_on: datetime.date | None = None


@cache
def _view_decoder(event_class: type, wanted: frozenset[str]) -> msgspec.json.Decoder[Any]:
    """A struct named like the event, with only the wanted fields (typed as the event declares
    them, the provenance reduced to its effective day) and the position, filled in afterwards."""
    hints = typing.get_type_hints(event_class)
    fields: list[Any] = [("originator_id", str, ""), ("originator_version", int, 0)]
    for f in dataclasses.fields(event_class):
        if f.name not in wanted or f.name in _POSITION:
            continue
        kind = _Provenance if f.name == "provenance" else hints[f.name]
        if f.default is not dataclasses.MISSING:
            fields.append((f.name, kind, f.default))
        elif f.default_factory is not dataclasses.MISSING:
            fields.append((f.name, kind, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, kind))
    view = msgspec.defstruct(event_class.__name__, fields, forbid_unknown_fields=False, kw_only=True)
    return msgspec.json.Decoder(view)


class MsgspecMapper(Mapper[Any]):
    # The last provenance encoded and its JSON, for the next event carrying the same object (a sweep's
    # chunk shares one; frozen, so the same object encodes to the same bytes). Replaced whole, so a
    # thread reading it while another encodes never sees half of it.
    _last_provenance: tuple[object, msgspec.Raw] = (object(), msgspec.Raw(b"null"))

    def _encoded_once(self, provenance: object) -> msgspec.Raw:
        last = self._last_provenance
        if last[0] is not provenance:
            last = self._last_provenance = (provenance, msgspec.Raw(_encoder.encode(provenance)))
        return last[1]

    def view_decoder(self, topic: str, wanted: frozenset[str]) -> Callable[[bytes, str, int], Any]:
        """What decodes a stored event of this topic for a bulk reader: state, originator id (as
        text) and version in, a struct named like the event out, with only the `wanted` fields
        (msgspec in one step; no domain event object, no full provenance). Encrypted, compressed
        or older stored versions take the full path."""
        cls = resolve_topic(topic)
        if self.cipher or self.compressor or getattr(cls, "class_version", 1) > 1:

            def full(state: bytes, originator_id: str, originator_version: int) -> Any:
                event: Any = self.to_domain_event(StoredEvent(originator_id, originator_version, topic, state))
                event.__dict__["originator_id"] = originator_id
                return event

            return full
        decode = _view_decoder(cls, wanted).decode

        def view(state: bytes, originator_id: str, originator_version: int) -> Any:
            decoded = decode(state)
            decoded.originator_id, decoded.originator_version = originator_id, originator_version
            return decoded

        return view

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        if _is_snapshot(type(domain_event)):
            state["state"] = encode_state(state["state"])
        elif (provenance := state.get("provenance")) is not None:
            state["provenance"] = self._encoded_once(provenance)
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        data = _encoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        cls = resolve_topic(stored_event.topic)
        data = stored_event.state
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        decoder, names = _state_decoder(cls)
        if getattr(cls, "class_version", 1) > 1:
            state = self._upcast(cls, data, decoder)
        else:
            decoded = decoder.decode(data)
            state = {name: getattr(decoded, name) for name in names}
        if _is_snapshot(cls):
            state["state"] = decode_state(state["state"])
        originator_id = stored_event.originator_id
        if isinstance(originator_id, str):
            originator_id = uuid.UUID(originator_id)
        state["originator_id"] = originator_id
        state["originator_version"] = stored_event.originator_version
        event: DomainEventProtocol[Any] = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    @staticmethod
    def _upcast(cls: type, data: bytes, decoder: msgspec.json.Decoder[Any]) -> dict[str, Any]:
        """Old stored versions: raise them step by step, then type them like new ones."""
        raw: dict[str, Any] = msgspec.json.decode(data)
        version = raw.pop("class_version", 1)
        while version < cls.class_version:  # type: ignore[attr-defined]
            getattr(cls, f"upcast_v{version}_v{version + 1}")(raw)
            version += 1
        typed = decoder.decode(_encoder.encode(raw))
        return {f: getattr(typed, f) for f in typed.__struct_fields__}
