"""Ids derived from what an aggregate is about, so that creating it twice (a retry, a second
instance, a replay of the same day) collides in the event store instead of making a second one.

They begin with their subject's first eight bytes: the sweeps walk the register in id order, so the
aggregates they create for a chunk of organizations (an inspection, a credit record, a reminder)
go into the event store's and the read models' indexes in order. Random keys (uuid5 of the whole
key, as such ids were made before) put each one on an index page of its own, and every commit
wrote all those pages again."""

from __future__ import annotations

from hashlib import sha1
from uuid import UUID


def ordered_id(subject: UUID, namespace: UUID, key: str) -> UUID:
    """The subject's first eight bytes, then eight of a SHA-1 of the namespace and the key (a
    version 8 UUID, RFC 9562); deterministic, and distinct for distinct keys of one subject.
    Made on the 128-bit integer (a sweep derives a million): the same bits as slicing the bytes."""
    digest = sha1(namespace.bytes + key.encode()).digest()
    value = (subject.int >> 64 << 64) | int.from_bytes(digest[:8])
    return UUID(int=value & _CLEARED | _VERSION_8_RFC_VARIANT)


_CLEARED = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)  # the version nibble and the variant's two bits
_VERSION_8_RFC_VARIANT = (0x8 << 76) | (0x2 << 62)
