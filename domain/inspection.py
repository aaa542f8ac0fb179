"""Annual inspection (年检): one aggregate per organization and report year, and the
campaign (per report year and locality) that sets its deadlines.

The report for year Y is due in Y+1; the dates come from the rule set in force when the
campaign opened. An organization that has not submitted by the registration authority's
deadline gets a recorded "missed" outcome; it may still file late (the obligation behind
a credit listing): the late report is drafted, submitted and reviewed like any other, and
the review's conclusion is kept beside the year's outcome, which stays missed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import ClassVar, cast
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain import values
from domain.base import LedgerAggregate
from domain.documents import (
    Attached,
    DocumentRef,
    DocumentsMissing,
    Slot,
    current,
    missing_slots,
    replaced_by,
    with_attached,
    with_withdrawn,
)
from domain.errors import InvalidTransition, InvalidValue
from domain.ids import ordered_id
from domain.provenance import Provenance, RuleSetRef
from domain.rules import InspectionRules, deciding_rule_set

_NAMESPACE = UUID("0b6c5d0e-2f8a-4c1e-8d43-5b9f6a7e1c22")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Outcome(str, Enum):
    PASS = "pass"  # 合格
    BASIC_PASS = "basic_pass"  # 基本合格
    FAIL = "fail"  # 不合格
    MISSED = "missed"  # 未参加年检
    EXEMPT = "exempt"  # 当年免检 (registered too recently)


REVIEW_OUTCOMES = (Outcome.PASS, Outcome.BASIC_PASS, Outcome.FAIL)


class Stage(str, Enum):
    AWAITING = "awaiting"  # campaign open, nothing filed
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OPINION_GIVEN = "opinion_given"  # supervising unit's preliminary opinion (初审)
    CORRECTION_REQUESTED = "correction_requested"
    REVIEWED = "reviewed"
    MISSED = "missed"
    EXEMPT = "exempt"


@dataclass(frozen=True)
class Attachment:
    name: str
    sha256: str
    size_bytes: int
    media_type: str


@dataclass(frozen=True)
class AnnualReport:
    """年度工作报告: what the organization declares about the report year (amounts in CNY)."""

    activities: str
    income: Decimal
    expenditure: Decimal
    net_assets: Decimal
    staff: int
    volunteers: int
    party_organization: bool
    major_changes: str = ""
    declarations: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


def checked_report(report: AnnualReport) -> AnnualReport:
    if not report.activities.strip():
        raise InvalidValue("report.activities_empty", "请填写年度业务活动情况", "Describe the year's activities")
    if len(report.activities) > 20_000 or len(report.major_changes) > 5_000:
        raise InvalidValue("report.too_long", "报告内容过长", "The report text is too long")
    values.money(report.income, "income", "收入")
    values.money(report.expenditure, "expenditure", "支出")
    values.money(report.net_assets, "net_assets", "净资产", signed=True)
    values.count(report.staff, "staff", "专职工作人员数")
    values.count(report.volunteers, "volunteers", "志愿者人数")
    for a in report.attachments:
        if not _SHA256.match(a.sha256) or a.size_bytes < 0 or not a.name.strip():
            raise InvalidValue(
                "report.attachment", f"附件 {a.name} 的校验值或大小无效", f"Attachment {a.name}: bad SHA-256 or size"
            )
    return report


class Filing(str, Enum):
    """How a year's report stands against its deadline (an Asia/Shanghai date)."""

    NOT_DUE = "not_due"  # nothing submitted, the deadline not yet passed
    ON_TIME = "on_time"  # 按时提交
    LATE = "late"  # 逾期 N 天提交
    OVERDUE = "overdue"  # 逾期未报 N 天 (counted to the day asked about)


@dataclass(frozen=True)
class Timeliness:
    filing: Filing
    deadline: date
    submitted_on: date | None
    days_late: int | None  # submitted this many days after the deadline
    days_overdue: int | None  # not submitted, this many days after the deadline
    marking: str | None  # "amber" | "red" per the rule set; None when on time or not due
    days_left: int | None = None  # not submitted and not yet due: days until the deadline (0 on the day)


def timeliness(deadline: date, submitted_on: date | None, on: date, rules: InspectionRules) -> Timeliness:
    """A year's filing as of a day: on time, N days late, or N days overdue (still not filed)."""
    if submitted_on is not None:
        late = max(0, (submitted_on - deadline).days)
        filing = Filing.LATE if late else Filing.ON_TIME
        return Timeliness(filing, deadline, submitted_on, late, None, rules.lateness_marking(late))
    if on <= deadline:
        return Timeliness(Filing.NOT_DUE, deadline, None, None, None, None, (deadline - on).days)
    overdue = (on - deadline).days
    return Timeliness(Filing.OVERDUE, deadline, None, None, overdue, rules.lateness_marking(overdue))


def inspection_id(organization_id: UUID, report_year: int) -> UUID:
    """The organization's inspection of a year, ordered after the organization (`domain.ids`)."""
    return ordered_id(organization_id, _NAMESPACE, _inspection_key(organization_id, report_year))


def legacy_inspection_id(organization_id: UUID, report_year: int) -> UUID:
    """The id such an inspection was given before 2026-12-06, which older databases hold."""
    return uuid5(_NAMESPACE, _inspection_key(organization_id, report_year))


def inspection_ids(organization_id: UUID, report_year: int) -> tuple[UUID, UUID]:
    """Where the inspection may be found, in the order to look: its id, then the one a database
    from before ordered ids holds."""
    return inspection_id(organization_id, report_year), legacy_inspection_id(organization_id, report_year)


def _inspection_key(organization_id: UUID, report_year: int) -> str:
    return f"inspection:{organization_id}:{report_year}"


def campaign_id(report_year: int, division_prefix: str) -> UUID:
    return uuid5(_NAMESPACE, f"campaign:{report_year}:{division_prefix}")


class InspectionCampaign(LedgerAggregate):
    """年检工作: a report year in a locality (division-code prefix; "" = everywhere)."""

    class Opened(LedgerAggregate.Created):
        report_year: int
        division_prefix: str
        supervising_unit_deadline: date
        registration_authority_deadline: date
        rule_set: RuleSetRef
        provenance: Provenance

    def __init__(
        self,
        report_year: int,
        division_prefix: str,
        supervising_unit_deadline: date,
        registration_authority_deadline: date,
        rule_set: RuleSetRef,
    ) -> None:
        self.report_year = report_year
        self.division_prefix = division_prefix
        self.supervising_unit_deadline = supervising_unit_deadline
        self.registration_authority_deadline = registration_authority_deadline
        self.rule_set = rule_set
        self.deadline_recorded = False

    @classmethod
    def open(
        cls, report_year: int, division_prefix: str, deadlines: tuple[date, date], today: date, provenance: Provenance
    ) -> InspectionCampaign:
        if report_year >= today.year:
            raise InvalidValue(
                "campaign.year_not_over",
                f"{report_year}年尚未结束,不能开展该年度年检",
                f"The year {report_year} is not over yet; its report is due the year after",
            )
        if report_year < 1990:
            raise InvalidValue("campaign.year", "年度无效", "Not a plausible report year")
        if division_prefix and not re.fullmatch(r"\d{2}|\d{4}|\d{6}", division_prefix):
            raise InvalidValue(
                "campaign.division", "地区应为2、4或6位行政区划代码", "A locality is a 2, 4 or 6 digit division code"
            )
        rule_set = deciding_rule_set(provenance)
        return cls._create(
            cls.Opened,
            id=campaign_id(report_year, division_prefix),
            report_year=report_year,
            division_prefix=division_prefix,
            supervising_unit_deadline=deadlines[0],
            registration_authority_deadline=deadlines[1],
            rule_set=rule_set,
            provenance=provenance,
        )

    def covers(self, division_code: str) -> bool:
        return division_code.startswith(self.division_prefix)

    def record_deadline_passed(self, missed: int, exempt: int, provenance: Provenance) -> None:
        if not self.deadline_recorded:
            self._deadline_passed(missed, exempt, provenance)

    @event("DeadlinePassed")
    def _deadline_passed(self, missed: int, exempt: int, provenance: Provenance) -> None:
        self.deadline_recorded = True


@dataclass(frozen=True)
class Extension:
    """延期: the organization asks for more time to file its report; the registrar grants or refuses."""

    requested_until: date
    reason: str
    requested_on: date
    granted: bool | None = None  # None: not decided yet
    until: date | None = None  # the deadline granted
    reasons: str = ""
    decided_on: date | None = None


_OPEN_FOR_EXTENSION = (Stage.AWAITING, Stage.DRAFT, Stage.CORRECTION_REQUESTED)


def _wrong_stage(action: str, stage: Stage) -> InvalidTransition:
    return InvalidTransition(
        f"inspection.{action}",
        f"年检处于「{stage.value}」阶段,不能执行此操作",
        f"The inspection is at stage '{stage.value}'; cannot {action.replace('_', ' ')}",
    )


class Inspection(LedgerAggregate):
    DECISIONS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "Reviewed": ("作出年检结论", "inspection conclusion"),
        "Missed": ("未参加年检", "inspection missed"),
        "Exempted": ("免于年检", "exemption from inspection"),
        "ExtensionGranted": ("准予延期", "extension granted"),
        "ExtensionRefused": ("不予延期", "extension refused"),
    }
    # 延期 (classes defaults: states snapshotted before extensions existed)
    extension = cast("Extension | None", None)  # the request pending, or the last one decided
    original_deadline = cast("date | None", None)  # the campaign's, once an extension moved it

    """年检: an organization's report for one year, its review and outcome."""

    class Opened(LedgerAggregate.Created):
        organization_id: UUID
        report_year: int
        campaign_id: UUID
        registration_authority_deadline: date
        simplified: bool
        provenance: Provenance

    def __init__(
        self,
        organization_id: UUID,
        report_year: int,
        campaign_id: UUID,
        registration_authority_deadline: date,
        simplified: bool,
    ) -> None:
        self.organization_id = organization_id
        self.report_year = report_year
        self.campaign_id = campaign_id
        self.deadline = registration_authority_deadline
        self.simplified = simplified  # 4A+ (简化年检)
        self.stage = Stage.AWAITING
        self.report: AnnualReport | None = None
        self.submitted_on: date | None = None
        self.filed_late = False
        self.opinion: str | None = None
        self.outcome: Outcome | None = None  # the year's outcome; "missed" stays after a late filing
        self.review_outcome: Outcome | None = None  # the review's conclusion on the report, late or not
        self.reasons: tuple[str, ...] = ()
        self.rectification_deadline: date | None = None
        self.rectification_items: tuple[str, ...] = ()
        self.rectified_on: date | None = None
        self.documents: tuple[Attached, ...] = ()

    @classmethod
    def open(cls, organization_id: UUID, campaign: InspectionCampaign, simplified: bool, provenance: Provenance) -> Inspection:
        return cls._create(
            cls.Opened,
            id=inspection_id(organization_id, campaign.report_year),
            organization_id=organization_id,
            report_year=campaign.report_year,
            campaign_id=campaign.id,
            registration_authority_deadline=campaign.registration_authority_deadline,
            simplified=simplified,
            provenance=provenance,
        )

    @property
    def report_filed(self) -> bool:
        """The obligation behind a "report not filed" listing: submitted, even if late."""
        return self.submitted_on is not None and self.stage not in (Stage.DRAFT, Stage.CORRECTION_REQUESTED)

    # -- the organization's report ---------------------------------------------------
    @property
    def filed_after_missing(self) -> bool:
        """A report on a year already recorded as missed (补报)."""
        return self.outcome is Outcome.MISSED

    def draft_report(self, report: AnnualReport, provenance: Provenance) -> None:
        if self.stage not in (Stage.AWAITING, Stage.DRAFT, Stage.CORRECTION_REQUESTED, Stage.MISSED):
            raise _wrong_stage("draft_report", self.stage)
        self._report_drafted(checked_report(report), provenance)

    @event("ReportDrafted")
    def _report_drafted(self, report: AnnualReport, provenance: Provenance) -> None:
        self.report = report
        self.stage = Stage.DRAFT  # a late report on a missed year too: its outcome stays missed

    def submit_report(
        self,
        today: date,
        provenance: Provenance,
        required_documents: tuple[str, ...] = (),
        report: AnnualReport | None = None,
    ) -> None:
        """`required_documents`: the slots the rule set asks of this organization's type.
        `report`: the report as the person sees it when they submit. What is submitted is exactly
        that: it is drafted first if it differs from the last draft, and both facts are saved
        together or not at all, so edits made since the last save are never dropped."""
        if report is not None and report != self.report:
            self.draft_report(report, provenance)
        # a draft left at the deadline (stage missed) may be submitted as it is, late
        if self.report is None or self.stage not in (Stage.DRAFT, Stage.MISSED):
            raise InvalidTransition("inspection.nothing_to_submit", "没有可提交的报告草稿", "There is no draft report to submit")
        missing = missing_slots(required_documents, self.documents)
        if missing:
            raise DocumentsMissing(missing)
        received = provenance.effective_day(today)  # a paper report the registry received earlier counts from that day
        if received.year <= self.report_year:
            raise InvalidValue(
                "inspection.received_before_year_end",
                f"{self.report_year}年度报告的收到日期{received}早于该年度结束",
                f"The {self.report_year} report cannot have been received on {received}, before the year ended",
            )
        self._report_submitted(received, received > self.deadline, provenance)

    @event("ReportSubmitted")
    def _report_submitted(self, submitted_on: date, late: bool, provenance: Provenance) -> None:
        self.submitted_on = submitted_on
        self.filed_late = late
        self.stage = Stage.SUBMITTED

    # -- 延期: more time for the report ----------------------------------------------------
    def request_extension(self, until: date, reason: str, today: date, max_days: int, provenance: Provenance) -> None:
        """Asked before the deadline passes, for a later day within the rule set's limit, with a reason."""
        if self.stage not in _OPEN_FOR_EXTENSION:
            raise _wrong_stage("request_extension", self.stage)
        if self.extension is not None and self.extension.granted is None:
            raise InvalidTransition(
                "extension.pending", "已有延期申请待登记管理机关决定", "An extension request is already waiting for a decision"
            )
        if today > self.deadline:
            raise InvalidTransition(
                "extension.too_late",
                f"报送期限{self.deadline}已过,不能再申请延期,请尽快补报",
                f"The deadline {self.deadline} has passed; an extension can no longer be asked for: file the report late",
            )
        self._check_until(until, max_days)
        if not reason.strip():
            raise InvalidValue("extension.reason", "请说明申请延期的理由", "Say why more time is needed")
        self._extension_requested(until, reason.strip()[:1000], today, provenance)

    def _check_until(self, until: date, max_days: int) -> None:
        latest = (self.original_deadline or self.deadline) + timedelta(days=max_days)
        if until <= self.deadline:
            raise InvalidValue(
                "extension.not_later",
                f"延期后的期限应晚于现在的期限{self.deadline}",
                f"The new deadline must be after the current one ({self.deadline})",
            )
        if until > latest:
            raise InvalidValue(
                "extension.too_long",
                f"最多可延期{max_days}天,即至{latest}",
                f"An extension reaches at most {max_days} days, to {latest}",
                latest=latest.isoformat(),
            )

    @event("ExtensionRequested")
    def _extension_requested(self, until: date, reason: str, on: date, provenance: Provenance) -> None:
        self.extension = Extension(until, reason, on)

    def decide_extension(
        self, granted: bool, until: date | None, reasons: str, today: date, max_days: int, provenance: Provenance
    ) -> None:
        """The registrar grants (the requested day, or another within the limit) or refuses, with reasons.
        A request the deadline overtook may still be granted: the organization asked in time."""
        if self.extension is None or self.extension.granted is not None:
            raise InvalidTransition("extension.none", "没有待决定的延期申请", "There is no extension request to decide")
        if self.stage not in _OPEN_FOR_EXTENSION:
            raise _wrong_stage("decide_extension", self.stage)
        if not reasons.strip():
            raise InvalidValue("extension.reasons", "请写明决定的理由", "Give the decision's reasons")
        if granted:
            new_deadline = until or self.extension.requested_until
            self._check_until(new_deadline, max_days)
            self._extension_granted(new_deadline, reasons.strip()[:1000], today, provenance)
        else:
            self._extension_refused(reasons.strip()[:1000], today, provenance)

    @event("ExtensionGranted")
    def _extension_granted(self, until: date, reasons: str, on: date, provenance: Provenance) -> None:
        assert self.extension is not None
        self.extension = replace(self.extension, granted=True, until=until, reasons=reasons, decided_on=on)
        self.original_deadline = self.original_deadline or self.deadline
        self.deadline = until

    @event("ExtensionRefused")
    def _extension_refused(self, reasons: str, on: date, provenance: Provenance) -> None:
        assert self.extension is not None
        self.extension = replace(self.extension, granted=False, reasons=reasons, decided_on=on)

    @property
    def extended(self) -> bool:
        return self.original_deadline is not None and self.deadline != self.original_deadline

    def withdraw_report(self, provenance: Provenance) -> None:
        if self.stage not in (Stage.SUBMITTED, Stage.OPINION_GIVEN):
            raise _wrong_stage("withdraw_report", self.stage)
        self._report_withdrawn(provenance)

    @event("ReportWithdrawn")
    def _report_withdrawn(self, provenance: Provenance) -> None:
        self.stage = Stage.DRAFT
        self.submitted_on = None
        self.opinion = None

    # -- the report's documents (证明材料) ------------------------------------------------
    @property
    def documents_editable(self) -> bool:
        return self.stage in (Stage.AWAITING, Stage.DRAFT, Stage.CORRECTION_REQUESTED, Stage.MISSED)

    def check_can_attach(self) -> None:
        """Documents change with the draft: before submission, or after a correction request."""
        if not self.documents_editable:
            raise _wrong_stage("attach_document", self.stage)

    def attach_document(self, slot: Slot, document: DocumentRef, public: bool, provenance: Provenance) -> None:
        self.check_can_attach()
        self._document_attached(slot.key, document, public, replaced_by(self.documents, slot), self.organization_id, provenance)

    @event("DocumentAttached")
    def _document_attached(
        self, slot: str, document: DocumentRef, public: bool, replaces: str | None, owner: UUID, provenance: Provenance
    ) -> None:
        new = Attached(slot, document, public, provenance.at.isoformat(), provenance.actor.user_id)
        self.documents = with_attached(self.documents, new, replaces)

    def withdraw_document(self, slot: str, sha256: str, reason: str, provenance: Provenance) -> None:
        self.check_can_attach()
        current(self.documents, slot, sha256)
        self._document_withdrawn(slot, sha256, reason.strip()[:500], provenance)

    @event("DocumentWithdrawn")
    def _document_withdrawn(self, slot: str, sha256: str, reason: str, provenance: Provenance) -> None:
        self.documents = with_withdrawn(self.documents, slot, sha256)

    # -- review ------------------------------------------------------------------------
    def give_preliminary_opinion(self, opinion: str, provenance: Provenance) -> None:
        if self.stage is not Stage.SUBMITTED:
            raise _wrong_stage("give_preliminary_opinion", self.stage)
        if not opinion.strip():
            raise InvalidValue("inspection.opinion_empty", "请填写初审意见", "The preliminary opinion is empty")
        self._opinion_given(opinion.strip(), provenance)

    @event("PreliminaryOpinionGiven")
    def _opinion_given(self, opinion: str, provenance: Provenance) -> None:
        self.opinion = opinion
        self.stage = Stage.OPINION_GIVEN

    def request_correction(self, reasons: tuple[str, ...], provenance: Provenance) -> None:
        self._require_reviewable()
        self._correction_requested(_reasons(reasons), provenance)

    @event("CorrectionRequested")
    def _correction_requested(self, reasons: tuple[str, ...], provenance: Provenance) -> None:
        self.reasons = reasons
        self.submitted_on = None
        self.stage = Stage.CORRECTION_REQUESTED

    def review(self, outcome: Outcome, reasons: tuple[str, ...], provenance: Provenance) -> None:
        self._require_reviewable()
        if outcome not in REVIEW_OUTCOMES:
            raise InvalidValue(
                "inspection.outcome", "审查结论应为合格、基本合格或不合格", "The outcome is pass, basic_pass or fail"
            )
        given = _reasons(reasons) if outcome is not Outcome.PASS else tuple(reasons)
        provenance.basis.require("作出年检结论", "Recording an inspection conclusion", grounds=False)
        decided = provenance.effective_on
        if decided is not None and self.submitted_on is not None and decided < self.submitted_on:
            raise InvalidTransition(
                "inspection.concluded_before_received",
                f"年检结论的日期{decided}早于收到报告的日期{self.submitted_on}",
                f"The conclusion's date {decided} is before the report was received ({self.submitted_on})",
            )
        self._reviewed(outcome, given, provenance)

    @event("Reviewed")
    def _reviewed(self, outcome: Outcome, reasons: tuple[str, ...], provenance: Provenance) -> None:
        self.review_outcome = outcome
        if self.outcome is not Outcome.MISSED:
            self.outcome = outcome
        self.reasons = reasons
        self.stage = Stage.REVIEWED

    def _require_reviewable(self) -> None:
        if self.stage in (Stage.AWAITING, Stage.DRAFT, Stage.CORRECTION_REQUESTED):
            raise InvalidTransition(
                "inspection.not_submitted", "报告尚未提交,不能审查", "The report has not been submitted; it cannot be reviewed"
            )
        if self.stage not in (Stage.SUBMITTED, Stage.OPINION_GIVEN):
            raise _wrong_stage("review", self.stage)

    def order_rectification(self, items: tuple[str, ...], deadline: date, today: date, provenance: Provenance) -> None:
        if self.outcome not in (Outcome.BASIC_PASS, Outcome.FAIL, Outcome.MISSED) or self.rectification_deadline:
            raise InvalidTransition(
                "inspection.rectification",
                "只有基本合格、不合格或未参检且尚未责令整改的年检可以责令整改",
                "Only a basic pass, fail or missed inspection without an order yet can get a rectification order",
            )
        if deadline <= today:
            raise InvalidValue(
                "rectification.deadline_past", "整改期限应晚于今天", "The rectification deadline lies in the future"
            )
        self._rectification_ordered(_reasons(items), deadline, provenance)

    @event("RectificationOrdered")
    def _rectification_ordered(self, items: tuple[str, ...], deadline: date, provenance: Provenance) -> None:
        self.rectification_items = items
        self.rectification_deadline = deadline

    def confirm_rectification(self, today: date, provenance: Provenance) -> None:
        if self.rectification_deadline is None or self.rectified_on is not None:
            raise InvalidTransition(
                "inspection.no_open_rectification", "没有待完成的整改", "There is no open rectification order"
            )
        self._rectified(today, provenance)

    @event("Rectified")
    def _rectified(self, rectified_on: date, provenance: Provenance) -> None:
        self.rectified_on = rectified_on

    # -- at the deadline -------------------------------------------------------------------
    @property
    def missable(self) -> bool:
        return self.stage in (Stage.AWAITING, Stage.DRAFT, Stage.CORRECTION_REQUESTED) and self.outcome is None

    def record_missed(self, provenance: Provenance) -> None:
        if not self.missable:
            raise _wrong_stage("record_missed", self.stage)
        self._missed(self.deadline, provenance)

    @event("Missed")
    def _missed(self, deadline: date, provenance: Provenance) -> None:
        self.outcome = Outcome.MISSED
        self.stage = Stage.MISSED

    def exempt(self, reason: str, provenance: Provenance) -> None:
        if self.stage is not Stage.AWAITING:
            raise _wrong_stage("exempt", self.stage)
        self._exempted(reason, provenance)

    @event("Exempted")
    def _exempted(self, reason: str, provenance: Provenance) -> None:
        self.outcome = Outcome.EXEMPT
        self.stage = Stage.EXEMPT


def _reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(r.strip() for r in reasons if r.strip())
    if not cleaned:
        raise InvalidValue("inspection.reasons_required", "请说明理由", "Give at least one reason")
    return cleaned
