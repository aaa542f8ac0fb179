"""The document store: bytes by their SHA-256 in the same database as the events (tables
sl_documents and sl_document_chunks), so one backup, one export and every instance on one
PostgreSQL see the same documents.

An upload is first spooled to an anonymous temporary file in the data folder while it is hashed
and counted (never whole in memory; the limit is enforced as the bytes arrive). Only a complete
upload reaches the database, in one transaction of chunk rows: an upload cut off on the way
stores nothing, and the operating system drops the spool file even if the process dies. The same
bytes uploaded twice are stored once."""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from application.ports import DocumentUpload
from domain.documents import DocumentTooLarge, EmptyDocument, is_zip
from infra.database import PostgresDatabase, SQLiteDatabase

CHUNK_BYTES = 512 * 1024  # one row of sl_document_chunks
HEAD_BYTES = 16


def document_tables(dialect: str) -> list[str]:
    blob = "BYTEA" if dialect == "postgres" else "BLOB"
    return [
        """CREATE TABLE IF NOT EXISTS sl_documents (
            sha256 TEXT PRIMARY KEY,
            size_bytes BIGINT NOT NULL,
            media_type TEXT NOT NULL,
            chunks INTEGER NOT NULL,
            stored_at TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS sl_document_chunks (
            sha256 TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data {blob} NOT NULL,
            PRIMARY KEY (sha256, seq))""",
    ]


class SpooledUpload:
    """One upload on its way in: write chunks, then `finish`; `discard` (or leaving the `with`)
    drops it. Over `limit` bytes raises DocumentTooLarge at once, without reading further."""

    def __init__(self, spool_dir: Path, limit: int) -> None:
        spool_dir.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=spool_dir, prefix="upload-")  # noqa: SIM115
        self._hash = hashlib.sha256()
        self.limit = limit
        self.size_bytes = 0
        self.head = b""
        self.sha256 = ""
        self._zip_names: frozenset[str] | None = None
        self._zip_read = False

    def __enter__(self) -> SpooledUpload:
        return self

    def __exit__(self, *_: object) -> None:
        self.discard()

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size_bytes += len(chunk)
        if self.size_bytes > self.limit:
            raise DocumentTooLarge(self.limit)
        if len(self.head) < HEAD_BYTES:
            self.head = (self.head + chunk[:HEAD_BYTES])[:HEAD_BYTES]
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> SpooledUpload:
        if self.size_bytes == 0:
            raise EmptyDocument()
        self._file.flush()
        self.sha256 = self._hash.hexdigest()
        return self

    def zip_names(self) -> frozenset[str] | None:
        if not self._zip_read:
            self._zip_read = True
            if is_zip(self.head):
                try:
                    self._file.seek(0)
                    with zipfile.ZipFile(self._file) as z:
                        self._zip_names = frozenset(z.namelist())
                except (zipfile.BadZipFile, ValueError, OSError):
                    self._zip_names = None
        return self._zip_names

    def chunks(self) -> Iterator[bytes]:
        self._file.seek(0)
        while chunk := self._file.read(CHUNK_BYTES):
            yield chunk

    def discard(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class DocumentInfo:
    sha256: str
    size_bytes: int
    media_type: str
    chunks: int


@dataclass(frozen=True)
class Rehash:
    sha256: str
    size_bytes: int
    complete: bool  # every chunk row present


class SqlDocumentStore:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase, spool_dir: Path, limit: int) -> None:
        self.db = db
        self.spool_dir = spool_dir
        self.limit = limit

    def upload(self) -> SpooledUpload:
        return SpooledUpload(self.spool_dir, self.limit)

    def put(self, upload: DocumentUpload, media_type: str) -> bool:
        if not isinstance(upload, SpooledUpload):
            raise TypeError("an upload made by this store's upload()")
        if not upload.sha256:
            raise ValueError("finish the upload before storing it")
        if self.info(upload.sha256) is not None:
            return False  # stored once, however often it is uploaded
        now = datetime.now(UTC).isoformat()
        chunks = -(-upload.size_bytes // CHUNK_BYTES)
        with self.db.transaction(write=True) as tx:
            # Two uploads of the same bytes at once: the second waits for the first's row and inserts nothing.
            fresh = tx.execute(
                "INSERT INTO sl_documents (sha256, size_bytes, media_type, chunks, stored_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
                (upload.sha256, upload.size_bytes, media_type, chunks, now),
            ).scalar()
            if fresh is None:
                return False
            for seq, chunk in enumerate(upload.chunks()):
                tx.execute("INSERT INTO sl_document_chunks (sha256, seq, data) VALUES (?, ?, ?)", (upload.sha256, seq, chunk))
        return True

    def info(self, sha256: str) -> DocumentInfo | None:
        with self.db.transaction() as tx:
            row = tx.execute("SELECT sha256, size_bytes, media_type, chunks FROM sl_documents WHERE sha256 = ?", (sha256,)).one()
        return None if row is None else DocumentInfo(row["sha256"], int(row["size_bytes"]), row["media_type"], int(row["chunks"]))

    def read(self, sha256: str) -> Iterator[bytes]:
        """Chunk by chunk, each in a short read of its own (a slow client holds no transaction)."""
        info = self.info(sha256)
        if info is None:
            return
        for seq in range(info.chunks):
            with self.db.transaction() as tx:
                data = tx.execute("SELECT data FROM sl_document_chunks WHERE sha256 = ? AND seq = ?", (sha256, seq)).scalar()
            if data is None:
                return
            yield bytes(data)

    def rehash(self, sha256: str) -> Rehash:
        """The stored bytes hashed again (verify)."""
        h, size, complete = hashlib.sha256(), 0, True
        info = self.info(sha256)
        if info is None:
            return Rehash("", 0, False)
        for seq in range(info.chunks):
            with self.db.transaction() as tx:
                data = tx.execute("SELECT data FROM sl_document_chunks WHERE sha256 = ? AND seq = ?", (sha256, seq)).scalar()
            if data is None:
                complete = False
                break
            h.update(bytes(data))
            size += len(data)
        return Rehash(h.hexdigest(), size, complete)

    def hashes(self) -> list[str]:
        with self.db.transaction() as tx:
            return [r["sha256"] for r in tx.execute("SELECT sha256 FROM sl_documents ORDER BY sha256").all()]

    def raw_chunks(self, sha256: str) -> Iterator[tuple[int, bytes]]:
        """(seq, bytes) as stored, for export."""
        info = self.info(sha256)
        for seq in range(info.chunks if info else 0):
            with self.db.transaction() as tx:
                data = tx.execute("SELECT data FROM sl_document_chunks WHERE sha256 = ? AND seq = ?", (sha256, seq)).scalar()
            if data is not None:
                yield seq, bytes(data)
