"""Real documents made in the test: a one-page PDF, a PNG, and ZIP-based OFD/DOCX/XLSX shells."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

from application.sample_documents import pdf


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def zip_of(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in names.items():
            z.writestr(name, data)
    return out.getvalue()


def xlsx() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def docx() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})


def ofd() -> bytes:
    return zip_of({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})


def upload_of(system: Any, data: bytes) -> Any:
    upload = system.documents.upload()
    upload.write(data)
    return upload.finish()


def attach_required(system: Any, ctx: Any, organization_id: Any, year: int) -> None:
    """Every document the rule set asks of the organization's annual report, as one-page PDFs."""
    for key in system.inspections.required_documents(organization_id, year):
        with upload_of(system, pdf(f"{key} {year}")) as upload:
            system.inspections.attach_document(ctx, organization_id, year, None, key, upload, file_name=f"{key}.pdf")
