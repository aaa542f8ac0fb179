"""Export and import of the event log as JSON Lines with the integrity chain's links: an
export can be kept elsewhere, checked line by line, and loaded into an empty store (same or
other database), where the links come out identical.

The documents the events refer to follow the events, one line per stored chunk
(`{"document": sha256, "media_type", "size_bytes", "chunks", "seq", "data": base64}`); an import
hashes each document's chunks again and refuses the whole file if one does not match its name."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import IO, Any
from uuid import UUID

from infra.integrity import BATCH, GENESIS, IntegrityChain, attachments, link


class ImportRefused(Exception):
    pass


def export_log(
    chain: IntegrityChain, out: IO[str], aggregate_id: UUID | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Every event in notification order with its link; or one aggregate's stream (its events
    with their positions and links, which `verify` of the whole log vouches for)."""
    recorder = chain.recorder
    links = chain.links()  # same order as the log: walked in step with it
    head = int(recorder.max_notification_id() or 0)
    written, start = 0, 1
    while True:
        batch = recorder.select_notifications(start=start, limit=BATCH)
        for n in batch:
            hash_ = _link_at(links, n.id)
            if aggregate_id is not None and UUID(str(n.originator_id)) != aggregate_id:
                continue
            out.write(
                json.dumps(
                    {
                        "position": n.id,
                        "originator_id": str(UUID(str(n.originator_id))),
                        "originator_version": n.originator_version,
                        "topic": n.topic,
                        "state": bytes(n.state).decode(),
                        "hash": hash_,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            written += 1
        if progress and batch:
            progress(batch[-1].id, head)
        if len(batch) < BATCH:
            break
        start = batch[-1].id + 1
    _export_documents(chain, out, aggregate_id)
    return written


def _export_documents(chain: IntegrityChain, out: IO[str], aggregate_id: UUID | None) -> None:
    store = chain.documents
    if store is None:
        return
    if aggregate_id is None:
        hashes = store.hashes()
    else:
        hashes = sorted({str(ref.get("sha256")) for _, _, _, ref in attachments(chain.recorder, aggregate_id)})
    for sha in hashes:
        info = store.info(sha)
        if info is None:
            continue  # verify names it
        for seq, data in store.raw_chunks(sha):
            out.write(
                json.dumps(
                    {
                        "document": sha,
                        "media_type": info.media_type,
                        "size_bytes": info.size_bytes,
                        "chunks": info.chunks,
                        "seq": seq,
                        "data": base64.b64encode(data).decode(),
                    }
                )
                + "\n"
            )


def _link_at(links: Iterator[tuple[int, str]], position: int) -> str | None:
    """Advance the chain reader to the position (None: the event has no link; verify says why)."""
    for at, hash_ in links:
        if at >= position:
            return hash_ if at == position else None
    return None


def import_log(chain: IntegrityChain, lines: Iterator[str]) -> int:
    """Load a whole-log export into an empty store, in one transaction, keeping positions;
    every line's link is recomputed and must match, or nothing is stored."""
    recorder, db = chain.recorder, chain.db
    if int(recorder.max_notification_id() or 0) != 0:
        raise ImportRefused("the event store is not empty; import needs an empty one")
    if chain.documents is not None and chain.documents.hashes():
        raise ImportRefused("the document store is not empty; import needs an empty one")
    table = recorder.events_table_name
    postgres = db.dialect == "postgres"
    previous, count = GENESIS, 0
    documents = _DocumentLines(chain.documents)
    with db.transaction(write=True) as tx:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            if line.startswith('{"document"'):
                documents.take(tx, number, line)
                continue
            row = _parsed(number, line)
            state = row["state"].encode()
            previous = link(previous, row["position"], row["originator_id"], row["originator_version"], row["topic"], state)
            if previous != row["hash"]:
                raise ImportRefused(f"line {number} (event #{row['position']}) does not match its link; nothing imported")
            originator = row["originator_id"] if postgres else UUID(row["originator_id"]).hex
            id_column = "notification_id" if postgres else "rowid"
            tx.execute(
                f"INSERT INTO {table} ({id_column}, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                (row["position"], originator, row["originator_version"], row["topic"], state),
            )
            tx.execute("INSERT INTO sl_chain (position, hash) VALUES (?, ?)", (row["position"], previous))
            count += 1
        documents.finish()
        if postgres and count:
            tx.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), (SELECT MAX(notification_id) FROM {table}))"
            )
    return count


class _DocumentLines:
    """A document's chunk lines, inserted as they come and hashed on the way; at its last chunk
    the hash must be the document's name, or the import is refused."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.current: str | None = None
        self.hash = hashlib.sha256()
        self.size = 0
        self.expected_seq = 0
        self.row: dict[str, Any] = {}

    def take(self, tx: Any, number: int, line: str) -> None:
        if self.store is None:
            raise ImportRefused(f"line {number} is a document, and this store keeps none")
        try:
            row = json.loads(line)
            sha, seq, chunks = str(row["document"]), int(row["seq"]), int(row["chunks"])
            data = base64.b64decode(row["data"], validate=True)
        except (ValueError, KeyError, TypeError) as e:
            raise ImportRefused(f"line {number} is not an exported document chunk: {e}") from None
        if sha != self.current:
            self.finish()
            self.current, self.hash, self.size, self.expected_seq, self.row = sha, hashlib.sha256(), 0, 0, row
            tx.execute(
                "INSERT INTO sl_documents (sha256, size_bytes, media_type, chunks, stored_at) VALUES (?, ?, ?, ?, ?)",
                (sha, int(row["size_bytes"]), str(row["media_type"]), chunks, "imported"),
            )
        if seq != self.expected_seq:
            raise ImportRefused(f"line {number}: chunk {seq} of document {sha} is out of order; nothing imported")
        tx.execute("INSERT INTO sl_document_chunks (sha256, seq, data) VALUES (?, ?, ?)", (sha, seq, data))
        self.hash.update(data)
        self.size += len(data)
        self.expected_seq += 1

    def finish(self) -> None:
        if self.current is None:
            return
        if (
            self.hash.hexdigest() != self.current
            or self.size != int(self.row["size_bytes"])
            or self.expected_seq != int(self.row["chunks"])
        ):
            raise ImportRefused(f"document {self.current}: its bytes do not hash to its name; nothing imported")
        self.current = None


def _parsed(number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
        return {
            "position": int(row["position"]),
            "originator_id": str(UUID(row["originator_id"])),
            "originator_version": int(row["originator_version"]),
            "topic": str(row["topic"]),
            "state": str(row["state"]),
            "hash": str(row["hash"]),
        }
    except (ValueError, KeyError, TypeError) as e:
        raise ImportRefused(f"line {number} is not an exported event: {e}") from None
