"""Credit records (信用信息): administrative penalties, the abnormal-activity list (活动异常名录)
and the serious-dishonesty list (严重违法失信名单), one aggregate per organization.

Every period (6 months, 2 years, the clean period) comes from the rule set; the dates a
timer fires on are pure functions below, so the daily sweep, reminder planning and a
replay of any date agree. Transitions are recorded with the date they took effect, which
may be earlier than the day the sweep ran."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import ClassVar, cast
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain import values
from domain.base import LedgerAggregate
from domain.documents import Attached, DocumentRef, Slot, current, replaced_by, with_attached, with_withdrawn
from domain.errors import InvalidTransition, InvalidValue
from domain.ids import ordered_id
from domain.objections import to_decide
from domain.periods import Deadline
from domain.provenance import Provenance
from domain.rules import CreditRules, add_months, add_years

_NAMESPACE = UUID("c6a1f2d4-8e3b-4b7a-9f10-2d5e8c4a7b31")


class CreditList(str, Enum):
    ABNORMAL = "abnormal"  # 活动异常名录
    SERIOUS = "serious"  # 严重违法失信名单


ABNORMAL_GROUNDS = (
    "report_not_filed",
    "no_party_organization",
    "rectification_overdue",
    "small_penalty",
    "unreachable",
    "fundraising_lapsed",
    "migrated_abnormal",  # a listing the old system held (台账导入), with its decision's number
)
SERIOUS_GROUNDS = (
    "abnormal_two_years",
    "false_registration",
    "suspension",
    "large_fine",
    "repeated_small_penalties",
    "court_defaulter",
    "revocation",
    "migrated_serious",
)
# Grounds a registrar records by hand; the others follow from penalties, inspections and timers.
MANUAL_GROUNDS = {
    "no_party_organization": CreditList.ABNORMAL,
    "fundraising_lapsed": CreditList.ABNORMAL,
    "false_registration": CreditList.SERIOUS,
    "court_defaulter": CreditList.SERIOUS,
}


class PenaltyKind(str, Enum):
    WARNING = "warning"  # 警告
    FINE = "fine"  # 罚款
    SUSPENSION = "suspension"  # 责令停止活动
    REVOCATION = "revocation"  # 撤销登记


@dataclass(frozen=True)
class Penalty:
    """An administrative penalty decision (行政处罚决定)."""

    kind: PenaltyKind
    decision_no: str
    decided_on: date
    reason: str
    amount_cny: Decimal | None = None
    suspended_from: date | None = None
    suspended_until: date | None = None


@dataclass(frozen=True)
class Ground:
    code: str
    on: date
    detail: str = ""
    ref: str = ""  # report year, penalty decision number, or the listing it escalates


@dataclass(frozen=True)
class Listing:
    list_name: CreditList
    listed_on: date
    grounds: tuple[Ground, ...]
    clock_from: date  # the latest ground: the clean period counts from here
    obligation_met_on: date | None = None
    removal_requested_on: date | None = None
    removed_on: date | None = None
    removal_reason: str | None = None


@dataclass(frozen=True)
class CreditObjection:
    """异议: the organization disputes a current listing; the registrar verifies and decides."""

    reference: str
    list_name: CreditList
    listed_on: date
    grounds: str
    filed_on: date
    verify_by: date  # the last day of the verification period
    verify_by_estimated: bool = False  # counted past the official holiday calendar, as if weekends only
    decided_on: date | None = None
    upheld: bool | None = None
    reasons: str = ""

    @property
    def open(self) -> bool:
        return self.decided_on is None

    def decided(self, upheld: bool, reasons: str, on: date) -> CreditObjection:
        return replace(self, decided_on=on, upheld=upheld, reasons=reasons)


def credit_record_id(organization_id: UUID) -> UUID:
    """The organization's credit record, ordered after the organization (`domain.ids`)."""
    return ordered_id(organization_id, _NAMESPACE, f"credit:{organization_id}")


def legacy_credit_record_id(organization_id: UUID) -> UUID:
    """The id a credit record was given before 2026-12-06, which older databases hold."""
    return uuid5(_NAMESPACE, f"credit:{organization_id}")


def credit_record_ids(organization_id: UUID) -> tuple[UUID, UUID]:
    """Where the record may be found, in the order to look: its id, then the one a database from
    before ordered ids holds."""
    return credit_record_id(organization_id), legacy_credit_record_id(organization_id)


def checked_penalty(penalty: Penalty, today: date) -> Penalty:
    if not penalty.decision_no.strip():
        raise InvalidValue("penalty.decision_no", "请填写处罚决定书文号", "The decision number is required")
    if not penalty.reason.strip():
        raise InvalidValue("penalty.reason", "请填写处罚事由(违法事实和依据)", "The grounds of the penalty are required")
    if penalty.decided_on > today:
        raise InvalidValue("penalty.future", "处罚决定日期不能晚于今天", "A penalty cannot be decided in the future")
    if penalty.kind is PenaltyKind.FINE and penalty.amount_cny is None:
        raise InvalidValue("penalty.amount", "罚款须填写大于零的金额", "A fine needs an amount above zero")
    if penalty.kind is PenaltyKind.FINE:
        values.money(penalty.amount_cny, "amount_cny", "罚款金额", positive=True)  # type: ignore[arg-type]
    if penalty.kind is not PenaltyKind.FINE and penalty.amount_cny is not None:
        raise InvalidValue("penalty.amount_not_fine", "只有罚款才有金额", "Only a fine has an amount")
    if penalty.kind is PenaltyKind.SUSPENSION and not (
        penalty.suspended_from and penalty.suspended_until and penalty.suspended_from <= penalty.suspended_until
    ):
        raise InvalidValue("penalty.suspension_dates", "停止活动须填写起止日期", "A suspension needs from and until dates")
    return replace(penalty, decision_no=penalty.decision_no.strip(), reason=penalty.reason.strip())


# -- timers (pure) --------------------------------------------------------------------------
def escalation_due(abnormal: Listing, rules: CreditRules) -> date:
    """Two full years on the abnormal list → the serious-dishonesty list."""
    return add_years(abnormal.listed_on, rules.abnormal_escalation_years)


def automatic_removal_due(abnormal: Listing, rules: CreditRules) -> date | None:
    """Where no ground needs rectification the listing ends by itself after N months."""
    if all(g.code in rules.abnormal_grounds_without_rectification for g in abnormal.grounds):
        return add_months(abnormal.clock_from, rules.abnormal_auto_removal_months)
    return None


def clean_period_ends(serious: Listing, rules: CreditRules) -> date:
    return add_years(serious.clock_from, rules.serious_clean_years)


def needs_obligation(serious: Listing) -> bool:
    """An escalated listing ends only once the original obligation is met, too."""
    return any(g.code == "abnormal_two_years" for g in serious.grounds)


def penalty_ground(penalty: Penalty, earlier: tuple[Penalty, ...], rules: CreditRules) -> tuple[CreditList, str]:
    """Which list a penalty puts the organization on, and on what ground."""
    if penalty.kind is PenaltyKind.REVOCATION:
        return CreditList.SERIOUS, "revocation"
    if penalty.kind is PenaltyKind.SUSPENSION:
        return CreditList.SERIOUS, "suspension"
    if penalty.kind is PenaltyKind.FINE and (penalty.amount_cny or 0) >= rules.fine_threshold_cny:
        return CreditList.SERIOUS, "large_fine"
    window_start = add_years(penalty.decided_on, -rules.small_penalties_window_years)
    small = [p for p in (*earlier, penalty) if _is_small(p, rules) and window_start < p.decided_on <= penalty.decided_on]
    if len(small) >= rules.small_penalties_count:
        return CreditList.SERIOUS, "repeated_small_penalties"
    return CreditList.ABNORMAL, "small_penalty"


def _is_small(p: Penalty, rules: CreditRules) -> bool:
    return p.kind is PenaltyKind.WARNING or (p.kind is PenaltyKind.FINE and (p.amount_cny or 0) < rules.fine_threshold_cny)


def list_of(ground: str) -> CreditList:
    if ground in ABNORMAL_GROUNDS:
        return CreditList.ABNORMAL
    if ground in SERIOUS_GROUNDS:
        return CreditList.SERIOUS
    raise InvalidValue("credit.ground", f"未知的列入事由:{ground}", f"Unknown listing ground: {ground}")


class CreditRecord(LedgerAggregate):
    DECISIONS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "Listed": ("列入名单", "listing"),
        "Removed": ("移出名单", "removal from the list"),
        "RevocationDecided": ("作出撤销决定", "decision on revocation"),
    }

    class Opened(LedgerAggregate.Created):
        organization_id: UUID
        provenance: Provenance

    def __init__(self, organization_id: UUID) -> None:
        self.organization_id = organization_id
        self.penalties: tuple[Penalty, ...] = ()
        self.warnings: tuple[tuple[int, str], ...] = ()  # (report year, outcome) of inspection warnings
        self.returned_letters: tuple[date, ...] = ()
        self.listings: tuple[Listing, ...] = ()  # every listing, past and present, in order
        self.revocation_proposals: tuple[tuple[tuple[int, ...], str | None], ...] = ()  # (years, decision)
        self.documents: tuple[Attached, ...] = ()  # decision letters (per penalty), grounds of removal requests

    objections = cast("tuple[CreditObjection, ...]", ())  # records from before objections (old snapshots)

    @classmethod
    def open(cls, organization_id: UUID, provenance: Provenance) -> CreditRecord:
        return cls._create(
            cls.Opened, id=credit_record_id(organization_id), organization_id=organization_id, provenance=provenance
        )

    # -- status ------------------------------------------------------------------------------
    def current(self, list_name: CreditList) -> Listing | None:
        return next(
            (listing for listing in reversed(self.listings) if listing.list_name is list_name and listing.removed_on is None),
            None,
        )

    @property
    def status(self) -> str:
        if self.current(CreditList.SERIOUS):
            return CreditList.SERIOUS.value
        if self.current(CreditList.ABNORMAL):
            return CreditList.ABNORMAL.value
        return "none"

    def has_ground(self, code: str, ref: str) -> bool:
        return any(g.code == code and g.ref == ref for listing in self.listings for g in listing.grounds)

    # -- penalties and notices ------------------------------------------------------------------
    def record_penalty(self, penalty: Penalty, rules: CreditRules, today: date, provenance: Provenance) -> None:
        penalty = checked_penalty(penalty, today)
        if any(p.decision_no == penalty.decision_no for p in self.penalties):
            raise InvalidTransition("penalty.duplicate", "该处罚决定已经记录", "This penalty decision is already recorded")
        _list_name, code = penalty_ground(penalty, self.penalties, rules)
        self._penalized(penalty, provenance)
        self.add_ground(Ground(code, penalty.decided_on, penalty.reason, penalty.decision_no), provenance)

    @event("Penalized")
    def _penalized(self, penalty: Penalty, provenance: Provenance) -> None:
        self.penalties = (*self.penalties, penalty)

    def issue_inspection_warning(self, report_year: int, outcome: str, on: date, provenance: Provenance) -> None:
        if (report_year, outcome) not in self.warnings:
            self._warned(report_year, outcome, on, provenance)

    @event("InspectionWarningIssued")
    def _warned(self, report_year: int, outcome: str, on: date, provenance: Provenance) -> None:
        self.warnings = (*self.warnings, (report_year, outcome))

    def record_returned_letter(self, on: date, detail: str, rules: CreditRules, provenance: Provenance) -> None:
        """A registered letter to the registered address came back unsigned; the Nth lists the organization."""
        self._letter_returned(on, detail.strip(), provenance)
        if len(self.returned_letters) >= rules.returned_letters_for_unreachable and not self.current(CreditList.ABNORMAL):
            self.add_ground(Ground("unreachable", on, detail.strip(), f"letters:{len(self.returned_letters)}"), provenance)

    @event("LetterReturned")
    def _letter_returned(self, on: date, detail: str, provenance: Provenance) -> None:
        self.returned_letters = (*self.returned_letters, on)

    # -- listing -----------------------------------------------------------------------------------
    def add_ground(self, ground: Ground, provenance: Provenance) -> bool:
        """Put on the ground's list (or add the ground to the current listing). A ground already
        recorded (same code and reference) is not recorded twice: False."""
        list_of(ground.code)
        if ground.ref and self.has_ground(ground.code, ground.ref):
            return False
        self._listed(list_of(ground.code), ground, provenance)
        return True

    def migrate_listing(self, list_name: CreditList, listed_on: date, document_no: str, provenance: Provenance) -> None:
        """A listing the old system held (a migrated fact): on its list from its day, under its decision's number."""
        number = document_no.strip()[:100]
        if not number:
            raise InvalidValue(
                "listing.document_no", "迁移的列入须有决定文号", "A listing brought over needs its decision's number"
            )
        self.add_ground(Ground(f"migrated_{list_name.value}", listed_on, "自原台账迁移", number), provenance)

    @event("Listed")
    def _listed(self, list_name: CreditList, ground: Ground, provenance: Provenance) -> None:
        listings = []
        for listing in self.listings:
            if listing.removed_on is None and (listing.list_name is list_name or listing.list_name is CreditList.SERIOUS):
                # a new ground joins its list's listing; any new ground restarts the serious clean period
                grounds = (*listing.grounds, ground) if listing.list_name is list_name else listing.grounds
                listing = replace(listing, grounds=grounds, clock_from=max(listing.clock_from, ground.on))
            listings.append(listing)
        if not any(listing.list_name is list_name and listing.removed_on is None for listing in listings):
            listings.append(Listing(list_name, ground.on, (ground,), ground.on))
        self.listings = tuple(listings)

    # -- objections (异议): the organization disputes a listing -------------------------------------
    def file_objection(
        self, reference: str, list_name: CreditList, grounds: str, today: date, verify_by: Deadline, provenance: Provenance
    ) -> None:
        """`verify_by`: the rule set's verification period counted from today (working days by the calendar)."""
        listing = self._require_listed(list_name)
        if any(o.open and o.list_name is list_name for o in self.objections):
            raise InvalidTransition(
                "objection.pending", "对该名录的异议正在核查中,请等待处理结果", "An objection to this listing is being verified"
            )
        if not grounds.strip():
            raise InvalidValue("objection.grounds", "请写明异议的事实和理由", "State the facts and grounds of the objection")
        self._objection_filed(
            reference, list_name, listing.listed_on, grounds.strip()[:5000], today, verify_by.due, verify_by.estimated, provenance
        )

    @event("ObjectionFiled")
    def _objection_filed(
        self,
        reference: str,
        list_name: CreditList,
        listed_on: date,
        grounds: str,
        filed_on: date,
        verify_by: date,
        verify_by_estimated: bool,
        provenance: Provenance,
    ) -> None:
        objection = CreditObjection(reference, list_name, listed_on, grounds, filed_on, verify_by, verify_by_estimated)
        self.objections = (*self.objections, objection)

    def decide_objection(self, reference: str, upheld: bool, reasons: str, today: date, provenance: Provenance) -> None:
        """Upheld: the listing was wrong and is removed with effect from the day it began, so it
        never counted; dismissed: it stays. Reasons either way."""
        found, why = to_decide(self.objections, reference, reasons)
        self._objection_decided(reference, found.list_name, upheld, why, today, provenance)
        if upheld and self.current(found.list_name) is not None:
            self._removed(found.list_name, found.listed_on, "objection_upheld", provenance)

    @event("ObjectionDecided")
    def _objection_decided(
        self, reference: str, list_name: CreditList, upheld: bool, reasons: str, decided_on: date, provenance: Provenance
    ) -> None:
        self.objections = tuple(
            o.decided(upheld, reasons, decided_on) if o.reference == reference else o for o in self.objections
        )

    def request_removal(self, list_name: CreditList, today: date, provenance: Provenance) -> None:
        self._require_listed(list_name)
        self._removal_requested(list_name, today, provenance)

    # -- documents (证明材料) ------------------------------------------------------------------
    def attach_document(self, slot: Slot, subject: str, document: DocumentRef, public: bool, provenance: Provenance) -> None:
        """A penalty's decision letter ("penalty:<decision no.>"), or the grounds of a removal
        request from a current listing ("removal:<list>")."""
        self.check_subject(subject)
        self._document_attached(
            slot.key,
            subject,
            document,
            public=public,
            replaces=replaced_by(self.documents, slot, subject),
            owner=self.organization_id,
            provenance=provenance,
        )

    def check_subject(self, subject: str) -> None:
        kind, _, ref = subject.partition(":")
        if kind == "penalty" and any(p.decision_no == ref for p in self.penalties):
            return
        if kind == "removal" and ref in {credit_list.value for credit_list in CreditList} and self.current(CreditList(ref)):
            return
        if kind == "objection" and any(o.reference == ref and o.open for o in self.objections):
            return
        raise InvalidValue("document.subject", "没有可附材料的处罚决定或名录", "No such penalty decision or current listing")

    @event("DocumentAttached")
    def _document_attached(
        self,
        slot: str,
        subject: str,
        document: DocumentRef,
        *,
        public: bool,
        replaces: str | None,
        owner: UUID,
        provenance: Provenance,
    ) -> None:
        new = Attached(slot, document, public, provenance.at.isoformat(), provenance.actor.user_id, subject=subject)
        self.documents = with_attached(self.documents, new, replaces)

    def withdraw_document(self, slot: str, subject: str, sha256: str, reason: str, provenance: Provenance) -> None:
        current(self.documents, slot, sha256, subject)
        self._document_withdrawn(slot, subject, sha256, reason.strip()[:500], provenance)

    @event("DocumentWithdrawn")
    def _document_withdrawn(self, slot: str, subject: str, sha256: str, reason: str, provenance: Provenance) -> None:
        self.documents = with_withdrawn(self.documents, slot, sha256, subject)

    @event("RemovalRequested")
    def _removal_requested(self, list_name: CreditList, on: date, provenance: Provenance) -> None:
        self._update(list_name, removal_requested_on=on)

    def verify_obligation(self, list_name: CreditList, today: date, rules: CreditRules, provenance: Provenance) -> None:
        """The registrar verified the obligation is met: an abnormal listing ends now; a serious
        listing ends when its clean period is over too (at once if it already is)."""
        listing = self._require_listed(list_name)
        if listing.obligation_met_on is not None:
            raise InvalidTransition("credit.already_verified", "已确认履行义务", "The obligation is already verified")
        self._obligation_verified(list_name, today, provenance)
        if list_name is CreditList.ABNORMAL:
            self._removed(list_name, today, "obligation_met", provenance)
        elif clean_period_ends(listing, rules) <= today:
            self._removed(list_name, today, "clean_period_over", provenance)

    @event("ObligationVerified")
    def _obligation_verified(self, list_name: CreditList, on: date, provenance: Provenance) -> None:
        self._update(list_name, obligation_met_on=on)

    @event("Removed")
    def _removed(self, list_name: CreditList, on: date, reason: str, provenance: Provenance) -> None:
        self._update(list_name, removed_on=on, removal_reason=reason)

    def _require_listed(self, list_name: CreditList) -> Listing:
        listing = self.current(list_name)
        if listing is None:
            raise InvalidTransition(
                "credit.not_listed", "该组织不在此名录中", f"The organization is not on the {list_name.value} list"
            )
        return listing

    def _update(self, list_name: CreditList, **changes: object) -> None:
        current = self.current(list_name)
        self.listings = tuple(replace(listing, **changes) if listing is current else listing for listing in self.listings)  # type: ignore[arg-type]

    # -- timers ------------------------------------------------------------------------------------
    def apply_rules(self, rules: CreditRules, as_of: date, provenance: Provenance) -> list[str]:
        """Everything the timers say has happened by the date; idempotent. Returns what changed."""
        changed = []
        abnormal = self.current(CreditList.ABNORMAL)
        if abnormal is not None:
            auto, escalate = automatic_removal_due(abnormal, rules), escalation_due(abnormal, rules)
            if auto is not None and auto <= as_of and auto < escalate:
                self._removed(CreditList.ABNORMAL, auto, "automatic_after_period", provenance)
                changed.append("abnormal_removed")
            elif escalate <= as_of:
                self._removed(CreditList.ABNORMAL, escalate, "escalated", provenance)
                self.add_ground(Ground("abnormal_two_years", escalate, "", f"abnormal:{abnormal.listed_on}"), provenance)
                changed.append("escalated")
        serious = self.current(CreditList.SERIOUS)
        if serious is not None:
            ends = clean_period_ends(serious, rules)
            met = serious.obligation_met_on if needs_obligation(serious) else ends
            if met is not None and max(ends, met) <= as_of:
                self._removed(CreditList.SERIOUS, max(ends, met), "clean_period_over", provenance)
                changed.append("serious_removed")
        return changed

    # -- revocation proposals ------------------------------------------------------------------
    def propose_revocation(self, report_years: tuple[int, ...], provenance: Provenance) -> bool:
        if any(years == report_years for years, _ in self.revocation_proposals):
            return False
        self._revocation_proposed(report_years, provenance)
        return True

    @event("RevocationProposed")
    def _revocation_proposed(self, report_years: tuple[int, ...], provenance: Provenance) -> None:
        self.revocation_proposals = (*self.revocation_proposals, (report_years, None))

    @property
    def open_revocation_proposal(self) -> tuple[int, ...] | None:
        return next((years for years, decision in self.revocation_proposals if decision is None), None)

    def decide_revocation(self, accepted: bool, note: str, provenance: Provenance) -> tuple[int, ...]:
        years = self.open_revocation_proposal
        if years is None:
            raise InvalidTransition("credit.no_revocation_proposal", "没有待决定的撤销登记建议", "No revocation proposal is open")
        self._revocation_decided(years, accepted, note.strip(), provenance)
        return years

    @event("RevocationDecided")
    def _revocation_decided(self, report_years: tuple[int, ...], accepted: bool, note: str, provenance: Provenance) -> None:
        decision = "accepted" if accepted else "declined"
        self.revocation_proposals = tuple((y, decision if y == report_years else d) for y, d in self.revocation_proposals)
