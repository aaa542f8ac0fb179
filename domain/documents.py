"""Evidence (证明材料): documents the records rely on — an annual report's audit report, a
penalty's decision letter, a project's budget. A document is its content, named by its SHA-256;
a record refers to it by an attachment event saying what it is for (its slot), who attached it
(the event's provenance), its file name as given and whether the public may see it.

The type of a document is decided from its bytes (magic numbers; for the ZIP-based formats the
names inside), never from the name or the Content-Type a client sends; each slot allows a list of
types. File names are for display only: cleaned of path separators and control characters and
cut to a length, they never name a file on disk."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import Enum

from domain.errors import InvalidValue

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME_BYTES = 200  # UTF-8 bytes of a cleaned display name (file systems stop at 255)


class MediaType(str, Enum):
    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"
    OFD = "application/ofd"  # 版式文档 (GB/T 33190), China's fixed-layout format
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    @property
    def extension(self) -> str:
        return self.name.lower().replace("jpeg", "jpg")

    @property
    def previewable(self) -> bool:
        """Shown inside the page (PDF and images); everything else is downloaded."""
        return self in (MediaType.PDF, MediaType.JPEG, MediaType.PNG)


ALL_TYPES = tuple(MediaType)
SCANS = (MediaType.PDF, MediaType.OFD, MediaType.JPEG, MediaType.PNG)  # signed and sealed papers
PAPERS = (MediaType.PDF, MediaType.OFD, MediaType.DOCX)
SHEETS = (MediaType.XLSX, MediaType.PDF)


class DocumentRefused(InvalidValue):
    """A document that cannot be taken: empty, too large, or of a type its slot does not allow."""


class DocumentTooLarge(DocumentRefused):
    def __init__(self, limit: int) -> None:
        mib = limit / (1024 * 1024)
        super().__init__(
            "document.too_large",
            f"文件超过大小上限({mib:g} MiB)",
            f"The file is larger than the limit ({mib:g} MiB)",
            limit_bytes=limit,
        )


class UnsupportedDocument(DocumentRefused):
    def __init__(self, found: str | None, allowed: tuple[MediaType, ...]) -> None:
        names = "、".join(t.name for t in allowed)
        super().__init__(
            "document.type_not_allowed",
            f"文件内容不是允许的类型({names});类型按文件内容判断,不看文件名",
            f"The file's content is not one of the allowed types ({', '.join(t.name for t in allowed)}); "
            "the type is decided from the content, not the name",
            found=found or "unknown",
            allowed=[t.value for t in allowed],
        )


class EmptyDocument(DocumentRefused):
    def __init__(self) -> None:
        super().__init__("document.empty", "文件为空", "The file is empty")


def sniff(head: bytes, zip_names: frozenset[str] | None = None) -> MediaType | None:
    """The type from the first bytes; a ZIP container is told apart by the names inside it
    (`zip_names`, read by whoever holds the file). HTML, SVG and anything else: None."""
    if head.startswith(b"%PDF-"):
        return MediaType.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if head.startswith(b"PK\x03\x04") and zip_names is not None:
        if "OFD.xml" in zip_names:
            return MediaType.OFD
        if "[Content_Types].xml" in zip_names and "word/document.xml" in zip_names:
            return MediaType.DOCX
        if "[Content_Types].xml" in zip_names and "xl/workbook.xml" in zip_names:
            return MediaType.XLSX
    return None


def is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def clean_file_name(raw: str, fallback: str = "document") -> str:
    """A name for display and for Content-Disposition: the last path segment, without control
    or format characters, NFC, at most MAX_NAME_BYTES of UTF-8 (the extension kept)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if not name:
        return fallback
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = f".{ext}" if dot and 0 < len(ext.encode()) <= 16 else ""
        stem = stem if ext else name
        while len((stem + ext).encode()) > MAX_NAME_BYTES:
            stem = stem[:-1]
        name = stem + ext
    return name


@dataclass(frozen=True)
class Slot:
    """A kind of document a record asks for: its names, the types it takes, whether one
    document fills it (a new one replaces the old) and whether it is public by default."""

    key: str
    zh: str
    en: str
    types: tuple[MediaType, ...]
    multiple: bool = False
    public: bool = False


SLOTS = {
    s.key: s
    for s in (
        # annual report (年度工作报告)
        Slot("audit_report", "财务审计报告", "Financial audit report", (*PAPERS, MediaType.JPEG, MediaType.PNG), public=True),
        Slot("cover_page", "签字盖章的报告封面", "Signed and sealed cover page", SCANS),
        Slot("commitment", "真实性承诺书", "Declaration of truthfulness", SCANS),
        Slot("party_building", "党建工作报告", "Party-building report", PAPERS),
        Slot("report_other", "其他材料", "Other material", ALL_TYPES, multiple=True),
        # credit records (信用信息)
        Slot("decision_letter", "行政处罚决定书", "Penalty decision letter", SCANS, public=True),
        Slot("removal_grounds", "移出申请的理由与证明", "Grounds for the removal request", ALL_TYPES, multiple=True),
        # funded projects (公益创投)
        Slot("plan", "项目实施方案", "Project plan", PAPERS),
        Slot("budget", "项目预算表", "Project budget", (*SHEETS, MediaType.DOCX, MediaType.OFD)),
        Slot("outputs", "项目成果材料", "Project outputs", ALL_TYPES, multiple=True),
        # grade evaluations (等级评估)
        Slot("self_assessment", "自评报告", "Self-assessment report", PAPERS),
        Slot("supporting", "佐证材料", "Supporting material", ALL_TYPES, multiple=True),
        Slot("appeal_grounds", "复核理由与证据", "Grounds of the appeal", ALL_TYPES, multiple=True),
        Slot("objection_grounds", "异议材料", "Material of an objection", ALL_TYPES, multiple=True),
        # random inspections (双随机抽查): what the organization uploads or an inspector records
        # complaints and reports (投诉举报): what the complainant sends with it
        Slot("complaint_material", "投诉举报材料", "Material of a complaint", ALL_TYPES, multiple=True),
        Slot("spot_check_material", "抽查材料", "Spot-check material", ALL_TYPES, multiple=True),
    )
}


def slot(key: str, allowed: tuple[str, ...] | None = None) -> Slot:
    """The slot by its key (and among `allowed` keys, where a record takes only some)."""
    found = SLOTS.get(key)
    if found is None or (allowed is not None and key not in allowed):
        raise InvalidValue("document.slot", f"没有这种材料:{key[:80]}", f"Not a kind of document here: {key[:80]}")
    return found


def missing_slots(required: tuple[str, ...], attached: tuple[Attached, ...]) -> tuple[str, ...]:
    present = {a.slot for a in attached if not a.withdrawn}
    return tuple(key for key in required if key not in present)


class DocumentsMissing(InvalidValue):
    def __init__(self, missing: tuple[str, ...]) -> None:
        zh = "、".join(SLOTS[k].zh if k in SLOTS else k for k in missing)
        en = ", ".join(SLOTS[k].en if k in SLOTS else k for k in missing)
        super().__init__(
            "documents.missing",
            f"尚缺以下材料,请上传后再提交:{zh}",
            f"These documents are missing; attach them before submitting: {en}",
            missing=list(missing),
        )


@dataclass(frozen=True)
class DocumentRef:
    """What an attachment event says about the bytes: their hash, size and type, and the
    (cleaned) file name the person gave."""

    sha256: str
    size_bytes: int
    media_type: str
    file_name: str

    def __post_init__(self) -> None:
        if not _SHA256.match(self.sha256) or self.size_bytes <= 0:
            raise InvalidValue("document.ref", "文件校验值或大小无效", "A document needs a SHA-256 and a size")


@dataclass(frozen=True)
class Attached:
    """One attachment on a record, as the record's state keeps it (withdrawn ones too: the
    record shows what it once relied on)."""

    slot: str
    document: DocumentRef
    public: bool
    attached_at: str  # ISO instant, from the event's provenance
    attached_by: str
    withdrawn: bool = False
    subject: str = ""  # within the record, what it is for: "" (the record itself), "penalty:<no.>", "removal:<list>"


def with_attached(attached: tuple[Attached, ...], new: Attached, replaces: str | None) -> tuple[Attached, ...]:
    """The record's attachments after one more (the one it replaces marked withdrawn)."""

    def same(a: Attached) -> bool:
        return a.slot == new.slot and a.subject == new.subject

    kept = tuple(
        replace(a, withdrawn=True) if replaces and same(a) and a.document.sha256 == replaces else a
        for a in attached
        if not (same(a) and a.document.sha256 == new.document.sha256)
    )
    return (*kept, new)


def with_withdrawn(attached: tuple[Attached, ...], slot_key: str, sha256: str, subject: str = "") -> tuple[Attached, ...]:
    return tuple(
        replace(a, withdrawn=True) if (a.slot, a.subject, a.document.sha256) == (slot_key, subject, sha256) else a
        for a in attached
    )


def current(attached: tuple[Attached, ...], slot_key: str, sha256: str, subject: str = "") -> Attached:
    """The attachment that is in force (not withdrawn), or a refusal naming it."""
    for a in attached:
        if (a.slot, a.subject, a.document.sha256) == (slot_key, subject, sha256) and not a.withdrawn:
            return a
    raise InvalidValue(
        "document.not_attached",
        "该材料未附在此记录上(或已撤回)",
        "This document is not attached to this record (or was withdrawn)",
    )


def replaced_by(attached: tuple[Attached, ...], new_slot: Slot, subject: str = "") -> str | None:
    """A slot one document fills: the one in force there, which a new one replaces."""
    if new_slot.multiple:
        return None
    return next(
        (a.document.sha256 for a in attached if a.slot == new_slot.key and a.subject == subject and not a.withdrawn), None
    )


def find(attached: tuple[Attached, ...], sha256: str) -> Attached | None:
    """The latest attachment of these bytes to the record (withdrawn ones too: the record keeps them)."""
    return next((a for a in reversed(attached) if a.document.sha256 == sha256), None)


def check_slot_type(slot: str, media_type: MediaType | None, allowed: tuple[MediaType, ...]) -> MediaType:
    if media_type is None or media_type not in allowed:
        raise UnsupportedDocument(media_type.value if media_type else None, allowed)
    return media_type
