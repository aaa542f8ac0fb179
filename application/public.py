"""Public disclosure (信息公示), no sign-in: the register's public fields, an organization's
public card, and the credit lists. Built only from read models, and only from fields that
are public by law: no drafts, no evaluator names, no contact details."""

from __future__ import annotations

import csv
import io
from datetime import date
from uuid import UUID

import msgspec

from application.errors import NotFound
from application.ports import ComplianceView, RegisterView
from application.queries import ListingQuery, ListingRow, Page, PenaltyRow, RegisterEntry, RegisterQuery

FINAL_STAGES = ("reviewed", "missed", "exempt")


class PublicEntry(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    code: str | None
    filing_no: str | None
    org_type: str
    track: str
    status: str
    district: str
    legal_representative: str
    registered_on: date | None
    grade: str | None
    grade_valid_until: date | None
    credit_status: str
    credit_since: date | None

    @classmethod
    def of(cls, e: RegisterEntry) -> PublicEntry:
        return cls(
            id=e.id, name=e.name, code=e.code, filing_no=e.filing_no, org_type=e.org_type, track=e.track,
            status=e.status, district=e.district, legal_representative=e.legal_representative,
            registered_on=e.registered_on, grade=e.grade, grade_valid_until=e.grade_valid_until,
            credit_status=e.credit_status, credit_since=e.credit_since,
        )


class InspectionOutcome(msgspec.Struct, frozen=True):
    report_year: int
    outcome: str  # pass | basic_pass | fail | missed | exempt
    filed_late: bool


class PublicCard(msgspec.Struct, frozen=True):
    organization: PublicEntry
    current_listings: list[ListingRow]
    listing_history: list[ListingRow]
    inspections: list[InspectionOutcome]
    penalties: list[PenaltyRow]


CSV_COLUMNS = ("名称 name", "统一社会信用代码 code", "所属区县 district", "列入日期 listed on", "列入事由 grounds",
               "移出日期 removed on")


class PublicRegister:
    def __init__(self, register: RegisterView, view: ComplianceView) -> None:
        self.register = register
        self.view = view

    def search(self, query: RegisterQuery) -> Page[PublicEntry]:
        found = self.register.search(query)
        return Page(items=[PublicEntry.of(e) for e in found.items], total=found.total, page=found.page, per_page=found.per_page)

    def card(self, organization_id: UUID) -> PublicCard:
        entry = self.register.get(organization_id)
        if entry is None:
            raise NotFound("organization", organization_id)
        listings = self.view.listings_of(organization_id)
        return PublicCard(
            organization=PublicEntry.of(entry),
            current_listings=[l for l in listings if l.removed_on is None],
            listing_history=[l for l in listings if l.removed_on is not None],
            inspections=[
                InspectionOutcome(i.report_year, i.outcome or "", i.filed_late)
                for i in self.view.inspections_of(organization_id)
                if i.stage in FINAL_STAGES and i.outcome
            ],
            penalties=self.view.penalties_of(organization_id),
        )

    def listings(self, query: ListingQuery) -> Page[ListingRow]:
        return self.view.listings(query)

    def listings_csv(self, list_name: str, current: bool = True) -> str:
        """The whole list as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese right)."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        page = 1
        while True:
            batch = self.view.listings(ListingQuery(list_name=list_name, current=current, page=page, per_page=500))
            for l in batch.items:
                grounds = "; ".join(f"{g.code} {g.on}" for g in l.grounds)
                writer.writerow((l.name, l.code or "", l.district, l.listed_on, grounds, l.removed_on or ""))
            if page >= batch.pages:
                return out.getvalue()
            page += 1
