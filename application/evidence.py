"""What the public may see of the evidence (信息公示): the public documents of filed annual
reports and the decision letters of penalties, nothing withdrawn, nothing from a draft."""

from __future__ import annotations

from uuid import UUID

import msgspec

from application.credit import CreditRecords
from application.errors import NotFound
from application.inspections import Inspections
from application.ports import ComplianceView
from domain.documents import SLOTS, Attached
from domain.inspection import Stage


class PublicDocument(msgspec.Struct, frozen=True):
    record_zh: str  # what it belongs to: "2025年度工作报告", "行政处罚 宣民罚〔示例〕1号"
    record_en: str
    slot: str
    slot_zh: str
    slot_en: str
    sha256: str
    file_name: str
    media_type: str
    size_bytes: int
    attached_at: str


class PublicEvidence:
    def __init__(self, inspections: Inspections, credit: CreditRecords, view: ComplianceView) -> None:
        self.inspections = inspections
        self.credit = credit
        self.view = view

    def _public(self, organization_id: UUID) -> list[tuple[str, str, Attached]]:
        found: list[tuple[str, str, Attached]] = []
        for row in self.view.inspections_of(organization_id):
            inspection = self.inspections.found(organization_id, row.report_year)
            if inspection is None or not (inspection.report_filed or inspection.stage is Stage.REVIEWED):
                continue  # a draft's documents are the organization's until it files them
            found += [
                (f"{row.report_year}年度工作报告", f"Annual report {row.report_year}", a)
                for a in inspection.documents
                if a.public and not a.withdrawn
            ]
        record = self.credit.record_of(organization_id)
        for a in record.documents if record else ():
            kind, _, ref = a.subject.partition(":")
            if a.public and not a.withdrawn and kind == "penalty":
                found.append((f"行政处罚 {ref}", f"Penalty {ref}", a))
        return found

    def of(self, organization_id: UUID) -> list[PublicDocument]:
        return [
            PublicDocument(
                zh,
                en,
                a.slot,
                SLOTS[a.slot].zh if a.slot in SLOTS else a.slot,
                SLOTS[a.slot].en if a.slot in SLOTS else a.slot,
                a.document.sha256,
                a.document.file_name,
                a.document.media_type,
                a.document.size_bytes,
                a.attached_at,
            )
            for zh, en, a in self._public(organization_id)
        ]

    def document(self, organization_id: UUID, sha256: str) -> Attached:
        """A public document of the organization, or 404 (whether it exists privately is not told)."""
        for _, _, a in self._public(organization_id):
            if a.document.sha256 == sha256:
                return a
        raise NotFound("document", sha256)
