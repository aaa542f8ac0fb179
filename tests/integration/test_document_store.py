"""The document store on SQLite and PostgreSQL: stored once by hash, streamed in chunks, an
upload that does not finish stores nothing."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from application.documents import accept
from domain.documents import ALL_TYPES, DocumentTooLarge, EmptyDocument, MediaType, UnsupportedDocument
from infra.documents import CHUNK_BYTES
from tests.support import documents as make


def count(system: Any, table: str) -> int:
    with system.database.transaction() as tx:
        return int(tx.execute(f"SELECT COUNT(*) FROM {table}").scalar())


def upload(system: Any, data: bytes, piece: int = 64 * 1024) -> Any:
    spooled = system.documents.upload()
    for start in range(0, len(data), piece):
        spooled.write(data[start : start + piece])
    return spooled.finish()


def test_a_document_is_stored_in_chunks_and_read_back_whole(system: Any) -> None:
    data = make.pdf("chunks", pad_to=3 * CHUNK_BYTES + 1000)
    with upload(system, data) as spooled:
        ref = accept(system.documents, spooled, "audit_report", "审计报告.pdf", ALL_TYPES)
    assert ref.sha256 == hashlib.sha256(data).hexdigest() and ref.size_bytes == len(data)
    assert ref.media_type == MediaType.PDF.value and ref.file_name == "审计报告.pdf"
    pieces = list(system.documents.read(ref.sha256))
    assert len(pieces) == 4 and max(len(p) for p in pieces) == CHUNK_BYTES
    assert b"".join(pieces) == data
    assert system.documents.rehash(ref.sha256).sha256 == ref.sha256


def test_the_same_bytes_uploaded_twice_are_stored_once(system: Any) -> None:
    data = make.png()
    for name in ("a.png", "b.png"):
        with upload(system, data) as spooled:
            accept(system.documents, spooled, "photo", name, ALL_TYPES)
    assert count(system, "sl_documents") == 1 and count(system, "sl_document_chunks") == 1


def test_an_upload_that_does_not_finish_stores_nothing(system: Any) -> None:
    spooled = system.documents.upload()
    spooled.write(make.pdf()[:100])
    spooled.discard()  # the client went away
    with pytest.raises(DocumentTooLarge), system.documents.upload() as big:
        big.write(b"%PDF-" + b"0" * system.settings.max_document_bytes)
    with pytest.raises(EmptyDocument), system.documents.upload() as empty:
        empty.finish()
    assert count(system, "sl_documents") == 0 and count(system, "sl_document_chunks") == 0


def test_content_of_a_type_the_slot_does_not_allow_is_not_stored(system: Any) -> None:
    with upload(system, b"<svg xmlns='http://www.w3.org/2000/svg'/>") as spooled, pytest.raises(UnsupportedDocument):
        accept(system.documents, spooled, "audit_report", "report.pdf", ALL_TYPES)
    with upload(system, make.png()) as spooled, pytest.raises(UnsupportedDocument):
        accept(system.documents, spooled, "audit_report", "report.pdf", (MediaType.PDF,))
    assert count(system, "sl_documents") == 0


@pytest.mark.parametrize(
    "make_it, expected", [(make.ofd, MediaType.OFD), (make.docx, MediaType.DOCX), (make.xlsx, MediaType.XLSX)]
)
def test_zip_based_formats_are_told_apart_by_what_is_inside(system: Any, make_it: Any, expected: MediaType) -> None:
    with upload(system, make_it()) as spooled:
        assert accept(system.documents, spooled, "budget", "x.bin", ALL_TYPES).media_type == expected.value
