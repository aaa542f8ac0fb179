"""Documents: the type from the content, names cleaned for display."""

from __future__ import annotations

import pytest

from domain.documents import (
    MAX_NAME_BYTES,
    DocumentRef,
    MediaType,
    UnsupportedDocument,
    check_slot_type,
    clean_file_name,
    sniff,
)
from domain.errors import InvalidValue
from tests.support import documents as make


@pytest.mark.parametrize(
    "data, names, expected",
    [
        (make.pdf(), None, MediaType.PDF),
        (make.png(), None, MediaType.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", None, MediaType.JPEG),
        (make.ofd(), frozenset({"OFD.xml", "Doc_0/Document.xml"}), MediaType.OFD),
        (make.docx(), frozenset({"[Content_Types].xml", "word/document.xml"}), MediaType.DOCX),
        (make.xlsx(), frozenset({"[Content_Types].xml", "xl/workbook.xml"}), MediaType.XLSX),
    ],
)
def test_the_type_is_decided_from_the_content(data: bytes, names: frozenset[str] | None, expected: MediaType) -> None:
    assert sniff(data[:16], names) is expected


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"MZ\x90\x00 an executable",
        b"PK\x03\x04 a zip of something else",
        b"plain text that calls itself report.pdf",
    ],
)
def test_html_svg_and_anything_else_has_no_type(data: bytes) -> None:
    assert sniff(data[:16], frozenset({"evil.exe"}) if data.startswith(b"PK") else None) is None


def test_a_slot_refuses_a_type_it_does_not_allow() -> None:
    assert check_slot_type("audit_report", MediaType.PDF, (MediaType.PDF,)) is MediaType.PDF
    with pytest.raises(UnsupportedDocument) as refused:
        check_slot_type("audit_report", MediaType.PNG, (MediaType.PDF, MediaType.OFD))
    assert "PDF" in refused.value.message_zh and "content" in refused.value.message_en


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\审计报告.pdf", "审计报告.pdf"),
        ("a\x00b\r\nc\u202e.pdf", "abc.pdf"),
        ("..", "document"),
        ("", "document"),
        ("  年度报告 2025.pdf ", "年度报告 2025.pdf"),
    ],
)
def test_file_names_are_cleaned_for_display(raw: str, expected: str) -> None:
    assert clean_file_name(raw) == expected


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    cleaned = clean_file_name("财" * 300 + ".pdf")
    assert len(cleaned.encode()) <= MAX_NAME_BYTES and cleaned.endswith(".pdf") and cleaned.startswith("财")


def test_a_reference_needs_a_hash_and_a_size() -> None:
    with pytest.raises(InvalidValue):
        DocumentRef("not-a-hash", 10, MediaType.PDF.value, "a.pdf")
    with pytest.raises(InvalidValue):
        DocumentRef("0" * 64, 0, MediaType.PDF.value, "a.pdf")
