"""Taking a document for a slot: its type decided from its content against the slot's
allow-list, its bytes stored once, and the reference an attachment event records."""

from __future__ import annotations

from application.ports import DocumentStore, DocumentUpload
from domain.documents import DocumentRef, MediaType, check_slot_type, clean_file_name, is_zip, sniff


def accept(
    store: DocumentStore, upload: DocumentUpload, slot: str, file_name: str, allowed: tuple[MediaType, ...]
) -> DocumentRef:
    """Refused (415) unless the content is of an allowed type; stored unless it is already."""
    found = sniff(upload.head, upload.zip_names() if is_zip(upload.head) else None)
    media_type = check_slot_type(slot, found, allowed)
    store.put(upload, media_type.value)
    return DocumentRef(
        upload.sha256, upload.size_bytes, media_type.value, clean_file_name(file_name, f"document.{media_type.extension}")
    )
