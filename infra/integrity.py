"""The integrity chain over the whole event log (tamper evidence): for each event in
notification order, link = SHA-256(previous link ‖ canonical encoding of the stored record).
Links are written with the events (see persistence/chained.py); `verify` recomputes them from
the stored events and names the first event that does not match; checkpoints (position, link,
time) can be exported and kept elsewhere, so even a rewritten chain is caught."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.queries.integrity import Checkpoint, Verification

GENESIS = "0" * 64
BATCH = 2000


def link(previous: str, notification_id: int, originator_id: Any, version: int, topic: str, state: bytes) -> str:
    """The canonical encoding: fields in a fixed order, separated by a unit separator; ids as
    canonical UUID text (SQLite stores hex, PostgreSQL uuid), the state as its stored bytes."""
    # a UUID is canonical as it is; text is parsed (it may be upper case, or hex without hyphens)
    canonical = str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))
    h = hashlib.sha256(f"{previous}\x1f{notification_id}\x1f{canonical}\x1f{version}\x1f{topic}\x1f".encode())
    h.update(state)
    return h.hexdigest()


ATTACHED = ".DocumentAttached"  # the end of every attachment event's topic


def attachments(recorder: Any, aggregate_id: UUID | None = None) -> Iterator[tuple[int, str, int, dict[str, Any]]]:
    """(position, aggregate, version, the event's document reference) for every attachment event, in log order."""
    start = 1
    while True:
        batch = recorder.select_notifications(start=start, limit=BATCH)
        for n in batch:
            if n.topic.endswith(ATTACHED) and (aggregate_id is None or UUID(str(n.originator_id)) == aggregate_id):
                yield n.id, str(UUID(str(n.originator_id))), n.originator_version, json.loads(bytes(n.state))["document"]
        if len(batch) < BATCH:
            return
        start = batch[-1].id + 1


class IntegrityChain:
    def __init__(self, recorder: Any, db: Any, documents: Any = None) -> None:
        self.recorder = recorder
        self.db = db
        self.documents = documents  # the document store, whose bytes verify hashes again

    def verify(self, progress: Callable[[int, int], None] | None = None) -> Verification:
        head = int(self.recorder.max_notification_id() or 0)
        links = self.links()
        previous, checked, position = GENESIS, 0, 0
        start = 1
        while True:
            batch = self.recorder.select_notifications(start=start, limit=BATCH)
            for n in batch:
                expected_position, stored = next(links, (None, None))
                if expected_position is None or expected_position > n.id:
                    return self._problem(
                        checked,
                        previous,
                        n.id,
                        f"event #{n.id} ({n.originator_id} v{n.originator_version}) "
                        "has no link in the chain: it was written around the application",
                    )
                if expected_position < n.id:
                    return self._problem(
                        checked,
                        previous,
                        expected_position,
                        f"event #{expected_position} is in the chain but not in the log: it was deleted",
                    )
                previous = link(previous, n.id, n.originator_id, n.originator_version, n.topic, n.state)
                if previous != stored:
                    return self._problem(
                        checked,
                        previous,
                        n.id,
                        f"event #{n.id} ({n.originator_id} v{n.originator_version}) "
                        "does not match its link: it was changed, or moved",
                    )
                checked, position = checked + 1, n.id
            if progress and batch:
                progress(batch[-1].id, head)
            if len(batch) < BATCH:
                break
            start = batch[-1].id + 1
        extra, _ = next(links, (None, None))
        if extra is not None:
            return self._problem(checked, previous, extra, f"event #{extra} is in the chain but not in the log: it was deleted")
        return self.verify_documents(Verification(True, checked, position, previous))

    def verify_documents(self, chain: Verification) -> Verification:
        """Every document an attachment event refers to: its stored bytes hashed again must give
        the event's SHA-256 and size. The first that does not is named, with its event."""
        if self.documents is None:
            return chain
        seen: dict[str, Any] = {}
        for position, aggregate, version, ref in attachments(self.recorder):
            sha = str(ref.get("sha256", ""))
            if sha not in seen:
                seen[sha] = self.documents.rehash(sha)
            again = seen[sha]
            if again.sha256 != sha or again.size_bytes != int(ref.get("size_bytes", -1)) or not again.complete:
                what = "are missing" if not again.sha256 else f"hash to {again.sha256} ({again.size_bytes} bytes)"
                return self._problem(
                    chain.checked,
                    chain.head_hash,
                    position,
                    f"document '{ref.get('file_name')}' ({sha}, attached by event #{position}, {aggregate} v{version}): "
                    f"its stored bytes {what}, not what the event says: it was changed",
                )
        return replace(chain, documents=len(seen))

    def _problem(self, checked: int, previous: str, position: int, text: str) -> Verification:
        return Verification(False, checked, position, previous, text, position)

    def links(self) -> Iterator[tuple[int, str]]:
        """(position, link) in order, read in batches."""
        after = 0
        while True:
            with self.db.transaction() as tx:
                rows = tx.execute(
                    "SELECT position, hash FROM sl_chain WHERE position > ? ORDER BY position LIMIT ?", (after, BATCH)
                ).all()
            for r in rows:
                yield int(r["position"]), r["hash"]
            if len(rows) < BATCH:
                return
            after = int(rows[-1]["position"])

    def head(self) -> tuple[int, str]:
        with self.db.transaction() as tx:
            row = tx.execute("SELECT position, hash FROM sl_chain ORDER BY position DESC LIMIT 1").one()
        return (int(row["position"]), row["hash"]) if row else (0, GENESIS)

    def checkpoint(self, now: datetime) -> Checkpoint:
        """Record the current head (position, link, time): keep an export of these elsewhere."""
        position, hash_ = self.head()
        with self.db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO sl_chain_checkpoints (position, hash, at) VALUES (?, ?, ?) ON CONFLICT (position) DO NOTHING",
                (position, hash_, now.astimezone(UTC).isoformat()),
            )
        return Checkpoint(position, hash_, now)

    def link_at(self, position: int) -> str | None:
        with self.db.transaction() as tx:
            found = tx.execute("SELECT hash FROM sl_chain WHERE position = ?", (position,)).scalar()
        return None if found is None else str(found)

    def checkpoints(self) -> list[Checkpoint]:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT position, hash, at FROM sl_chain_checkpoints ORDER BY position").all()
        return [Checkpoint(int(r["position"]), r["hash"], datetime.fromisoformat(r["at"])) for r in rows]

    def adopt_existing(self) -> int:
        """A store from before the chain existed: link its events once (recorded as a checkpoint)."""
        head = int(self.recorder.max_notification_id() or 0)
        if head == 0 or self.head()[0] != 0:
            return 0
        previous, count, start = GENESIS, 0, 1
        while True:
            batch = self.recorder.select_notifications(start=start, limit=BATCH)
            rows = []
            for n in batch:
                previous = link(previous, n.id, n.originator_id, n.originator_version, n.topic, n.state)
                rows.append((n.id, previous))
            with self.db.transaction(write=True) as tx:
                tx.executemany("INSERT INTO sl_chain (position, hash) VALUES (?, ?)", rows)
            count += len(rows)
            if len(batch) < BATCH:
                return count
            start = batch[-1].id + 1
