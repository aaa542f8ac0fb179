"""Documents (证明材料) as the API and the pages both show and take them: the slot list, an
upload spooled as it arrives (over the limit answers 413 at once), and a download streamed with
the file name in Content-Disposition (RFC 6266 / 5987), `X-Content-Type-Options: nosniff`, and
inline only for PDF and images (`?inline=1`, for the page's preview)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import msgspec
from litestar import Request
from litestar.exceptions import InternalServerException
from litestar.params import Parameter
from litestar.response import Stream

from domain.documents import SLOTS, Attached, DocumentTooLarge, MediaType
from interfaces.common.commands import system_of
from interfaces.common.problems import problem

Sha256 = Annotated[str, Parameter(pattern=r"^[0-9a-f]{64}$")]
SlotKey = Annotated[str, Parameter(max_length=80, description="材料类别 / the slot, e.g. audit_report")]
FileName = Annotated[str, Parameter(max_length=2000, description="文件名(仅用于显示)/ the file name, for display only")]
ProjectSubject = Annotated[str, Parameter(max_length=80, description="application 或 milestone:mid_term|milestone:closing")]
EvaluationSubject = Annotated[str, Parameter(max_length=120, description="self_assessment、indicator:<指标> 或 appeal")]


class DocumentOut(msgspec.Struct, frozen=True):
    slot: str
    slot_zh: str
    slot_en: str
    sha256: str
    size_bytes: int
    media_type: str
    file_name: str
    public: bool
    attached_at: str
    attached_by: str
    withdrawn: bool
    previewable: bool
    subject: str = ""  # the part of the record it belongs to ("" = the record itself)

    @classmethod
    def of(cls, a: Attached) -> DocumentOut:
        kind = SLOTS.get(a.slot)
        return cls(
            slot=a.slot,
            slot_zh=kind.zh if kind else a.slot,
            slot_en=kind.en if kind else a.slot,
            sha256=a.document.sha256,
            size_bytes=a.document.size_bytes,
            media_type=a.document.media_type,
            file_name=a.document.file_name,
            public=a.public,
            attached_at=a.attached_at,
            attached_by=a.attached_by,
            withdrawn=a.withdrawn,
            previewable=_previewable(a.document.media_type),
            subject=a.subject,
        )


class RequiredOut(msgspec.Struct, frozen=True):
    slot: str
    zh: str
    en: str
    attached: bool


class DocumentsOut(msgspec.Struct, frozen=True):
    required: list[RequiredOut]
    documents: list[DocumentOut]
    version: int | None


class WithdrawalIn(msgspec.Struct, frozen=True):
    slot: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


def _previewable(media_type: str) -> bool:
    try:
        return MediaType(media_type).previewable
    except ValueError:
        return False


def documents_out(required: tuple[str, ...], attached: tuple[Attached, ...], version: int | None) -> DocumentsOut:
    present = {a.slot for a in attached if not a.withdrawn}
    return DocumentsOut(
        required=[RequiredOut(k, SLOTS[k].zh, SLOTS[k].en, k in present) for k in required],
        documents=[DocumentOut.of(a) for a in attached],
        version=version,
    )


async def receive(request: Request[Any, Any, Any]) -> Any:
    """The body spooled, hashed and counted; 413 before reading when Content-Length says so."""
    store = system_of(request).documents
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > store.limit:
        raise DocumentTooLarge(store.limit)
    upload = store.upload()
    try:
        async for chunk in request.stream():
            upload.write(chunk)
        return upload.finish()
    except InternalServerException:  # the client went away mid-upload: nothing is stored
        upload.discard()
        raise problem(
            400, "upload.interrupted", "上传中断,未保存任何内容", "The upload was cut off; nothing was stored"
        ) from None
    except BaseException:
        upload.discard()
        raise


async def attach_received(
    request: Request[Any, Any, Any],
    check: Callable[[], object],
    attach: Callable[[Any], tuple[Any, Any]],
    subject: str,
) -> Attached:
    """An upload beside its record: the right to attach checked before a byte is read, the body
    spooled, attached in a worker thread, the spool always released; the attachment as recorded."""
    await anyio.to_thread.run_sync(check)
    upload = await receive(request)
    try:
        record, ref = await anyio.to_thread.run_sync(lambda: attach(upload))
    finally:
        upload.discard()
    attached: Attached = next(a for a in reversed(record.documents) if a.document.sha256 == ref.sha256 and a.subject == subject)
    return attached


def content_disposition(file_name: str, inline: bool) -> str:
    """RFC 6266 with the UTF-8 name per RFC 5987, and an ASCII fallback for old clients."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%;' else "_" for ch in file_name) or "document"
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def download(request: Request[Any, Any, Any], attached: Attached, inline: bool) -> Stream:
    store = system_of(request).documents
    ref = attached.document
    inline = inline and _previewable(ref.media_type)
    chunks: Iterator[bytes] = store.read(ref.sha256)
    return Stream(
        chunks,
        media_type=ref.media_type,
        headers={
            "Content-Disposition": content_disposition(ref.file_name, inline),
            "Content-Length": str(ref.size_bytes),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store" if not attached.public else "public, max-age=300",
            # the page's preview frames a PDF from the same origin; nothing else may frame it
            "X-Frame-Options": "SAMEORIGIN",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'",
            "ETag": f'"{ref.sha256}"',
        },
    )
