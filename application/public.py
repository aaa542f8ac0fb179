"""Public disclosure (信息公示), no sign-in: the register's public fields, an organization's
public card, and the credit lists. Built from read models (and a spot check's conclusion, read
from its case by its derived id), and only from fields that are public by law: no drafts, no
evaluator or inspector names, no contact details."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from application.errors import NotFound
from application.exports import csv_text
from application.ports import ComplianceView, RegisterView, RuleSetCatalog
from application.queries.common import Page
from application.queries.compliance import InspectionRow, ListingQuery, ListingRow, PenaltyRow
from application.queries.register import RegisterEntry, RegisterQuery
from domain.inspection import Filing, timeliness
from domain.rules import RuleSet
from domain.spot_check import SpotCheck


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
    # the day the grade takes effect: a grade finalized in December is shown (and findings act
    # on it) from its finalization, valid from 1 January under the 2026 rules
    grade_valid_from: date | None = None
    status_document_no: str | None = None  # the decision behind 停止活动, 已注销, 已撤销登记, published with it
    status_reason: str | None = None

    @classmethod
    def of(cls, e: RegisterEntry) -> PublicEntry:
        return cls(
            id=e.id,
            name=e.name,
            code=e.code,
            filing_no=e.filing_no,
            org_type=e.org_type,
            track=e.track,
            status=e.status,
            district=e.district,
            legal_representative=e.legal_representative,
            registered_on=e.registered_on,
            grade=e.grade,
            grade_valid_until=e.grade_valid_until,
            credit_status=e.credit_status,
            credit_since=e.credit_since,
            grade_valid_from=e.grade_valid_from,
            status_document_no=e.status_document_no,
            status_reason=e.status_reason,
        )


class InspectionOutcome(msgspec.Struct, frozen=True):
    """One report year on the public card: its outcome and how its filing stands against the
    deadline (Asia/Shanghai dates), counted to the day the card is read."""

    report_year: int
    outcome: str | None  # pass | basic_pass | fail | missed | exempt; None while under review
    filed_late: bool
    filing: str  # on_time (按时提交) | late (逾期 N 天提交) | overdue (逾期未报 N 天) | exempt
    deadline: date
    submitted_on: date | None
    days_late: int | None
    days_overdue: int | None
    marking: str | None  # amber (up to the rule set's days) | red (beyond) | None
    amber_up_to_days: int | None = None  # the rule set's limit between amber and red for this year
    late_review_outcome: str | None = None  # the review of a report filed after the year was missed
    extended_from: date | None = None  # 延期: the campaign's deadline, when an extension moved `deadline`


class SpotCheckOutcome(msgspec.Struct, frozen=True):
    """A concluded random inspection (双随机抽查), as published: the conclusion, its decision and
    reasons, and a rectification's deadline and confirmation. Findings and materials stay internal."""

    year: int
    conclusion: str  # no_problems | rectification_ordered | referred_for_penalty
    concluded_on: date | None
    decision_no: str | None
    reasons: str | None
    rectification_deadline: date | None
    rectified_on: date | None
    draw_id: UUID  # the published draw that chose the organization

    @classmethod
    def of(cls, check: SpotCheck) -> SpotCheckOutcome:
        return cls(
            check.year,
            check.conclusion.value if check.conclusion else "",
            check.concluded_on,
            check.decision_no,
            check.conclusion_reasons,
            check.rectification_deadline,
            check.rectified_on,
            check.draw_id,
        )


class PublicCard(msgspec.Struct, frozen=True):
    organization: PublicEntry
    current_listings: list[ListingRow]
    listing_history: list[ListingRow]
    inspections: list[InspectionOutcome]
    penalties: list[PenaltyRow]
    as_of: date  # the day the card was read (Asia/Shanghai): days overdue count to it
    grade_in_force: bool = False  # False while an awarded grade has yet to take effect
    spot_checks: list[SpotCheckOutcome] = []  # concluded random inspections, the latest year first


# One language per file: a person opening it reads one header, not "名称 name".
CSV_COLUMNS = {
    "zh": ("名称", "统一社会信用代码", "所属区县", "列入日期", "列入事由", "移出日期"),
    "en": ("Name", "Unified social credit code", "District", "Listed on", "Grounds", "Removed on"),
}


class PublicRegister:
    def __init__(
        self,
        register: RegisterView,
        view: ComplianceView,
        rules: RuleSetCatalog,
        today: Callable[[str | None], date],
        spot_checks: Callable[[UUID], list[SpotCheck]] | None = None,
    ) -> None:
        self.register = register
        self.view = view
        self.rules = rules
        self.today = today
        self.spot_checks = spot_checks  # an organization's concluded spot checks (application/spot_checks.py)

    def search(self, query: RegisterQuery) -> Page[PublicEntry]:
        found = self.register.search(query)
        return Page(items=[PublicEntry.of(e) for e in found.items], total=found.total, page=found.page, per_page=found.per_page)

    def card(self, organization_id: UUID) -> PublicCard:
        entry = self.register.get(organization_id)
        if entry is None:
            raise NotFound("organization", organization_id)
        listings = self.view.listings_of(organization_id)
        today = self.today(entry.division_code)
        years = (self._year(entry, i, today) for i in self.view.inspections_of(organization_id))
        return PublicCard(
            organization=PublicEntry.of(entry),
            current_listings=[listing for listing in listings if listing.removed_on is None],
            listing_history=[listing for listing in listings if listing.removed_on is not None],
            inspections=[y for y in years if y is not None],
            penalties=self.view.penalties_of(organization_id),
            as_of=today,
            grade_in_force=bool(entry.grade and entry.grade_valid_from and entry.grade_valid_from <= today),
            spot_checks=[SpotCheckOutcome.of(c) for c in self.spot_checks(organization_id)] if self.spot_checks else [],
        )

    def _year(self, entry: RegisterEntry, i: InspectionRow, today: date) -> InspectionOutcome | None:
        """A year is public once it has an outcome, a submitted report or a passed deadline;
        drafts before the deadline are the organization's own business."""
        if i.outcome == "exempt":
            return InspectionOutcome(i.report_year, i.outcome, False, "exempt", i.deadline, None, None, None, None)
        rule_set = self._rule_set(i.rule_set) or self.rules.for_division(entry.division_code, i.deadline)
        filed = timeliness(i.deadline, i.submitted_on, today, rule_set.inspection)
        if filed.filing is Filing.NOT_DUE and i.outcome is None:
            if i.extended_from is None:
                return None
            # an extension is public: the card says the deadline moved, and to when
            return InspectionOutcome(
                i.report_year, None, False, "extended", i.deadline, None, None, None, None, extended_from=i.extended_from
            )
        return InspectionOutcome(
            i.report_year,
            i.outcome,
            i.filed_late,
            filed.filing.value,
            i.deadline,
            i.submitted_on,
            filed.days_late,
            filed.days_overdue,
            filed.marking,
            rule_set.inspection.late_amber_up_to_days,
            i.review_outcome if i.outcome == "missed" else None,
            i.extended_from,
        )

    def _rule_set(self, ref: str | None) -> RuleSet | None:
        """The campaign's rule set ("national@2"), which set the deadline."""
        if not ref or "@" not in ref:
            return None
        rule_id, version = ref.rsplit("@", 1)
        return self.rules.get(rule_id, int(version))

    def listings(self, query: ListingQuery) -> Page[ListingRow]:
        return self.view.listings(query)

    def listings_csv(
        self, list_name: str, current: bool = True, *, lang: str = "zh", ground_label: Callable[[str], str] = str
    ) -> str:
        """The whole list as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese right), its header in
        `lang`; grounds as `ground_label` names them (the pages give their labels, the API keeps the codes)."""
        header = CSV_COLUMNS.get(lang, CSV_COLUMNS["zh"])
        return csv_text(header, self.listing_rows(list_name, current, ground_label))

    def listing_rows(
        self,
        list_name: str,
        current: bool = True,
        ground_label: Callable[[str], str] = str,
        text: str | None = None,
        district: str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Every listing the filter keeps, a page of the read model at a time (for a CSV or .xlsx file)."""
        page = 1
        while True:
            query = ListingQuery(list_name=list_name, current=current, text=text, district=district, page=page, per_page=500)
            batch = self.view.listings(query)
            for listing in batch.items:
                grounds = "; ".join(f"{ground_label(g.code)} {g.on}" for g in listing.grounds)
                yield (listing.name, listing.code or "", listing.district, listing.listed_on, grounds, listing.removed_on or "")
            if page >= batch.pages:
                return
            page += 1
