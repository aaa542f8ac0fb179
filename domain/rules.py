"""Rule sets: versioned policy per locality. Every number the regulations give lives
here as data (loaded from files by infra), never in code; functions are pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import MAXYEAR, MINYEAR, date, timedelta
from decimal import Decimal
from enum import Enum
from functools import cached_property

from domain.errors import InvalidValue
from domain.periods import Period, UnknownYears
from domain.provenance import Provenance, RuleSetRef


class Boundary(str, Enum):
    """Where published bands overlap (Anhui: 5A ≥ 950 and 4A 901–950), which side wins."""

    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class Band:
    label: str  # "5A" … "1A", or "5" … "1" stars
    minimum: Decimal  # inclusive
    maximum: Decimal | None = None  # published inclusive maximum; only matters where bands overlap


@dataclass(frozen=True)
class GradeBands:
    scale: Decimal  # full marks (1000, or 100 in Shenzhen)
    bands: tuple[Band, ...]
    boundary: Boundary = Boundary.HIGHER

    def grade_for(self, score: Decimal) -> str | None:
        """The band a total score falls in; None means "not graded" (未达等级).

        A band reaches up to the next band's minimum, so decimal scores never fall
        in a gap between published integer ranges. Where a published maximum
        reaches into the next band (an overlap), the boundary rule decides.
        """
        if score < 0 or score > self.scale:
            raise InvalidValue(
                "score.out_of_scale", f"总分应在0至{self.scale}之间", f"A total score lies between 0 and {self.scale}"
            )
        reached = sorted((b for b in self.bands if b.minimum <= score), key=lambda b: b.minimum)
        if not reached:
            return None
        if self.boundary is Boundary.LOWER and len(reached) > 1:
            below = reached[-2]
            if below.maximum is not None and score <= below.maximum:
                return below.label
        return reached[-1].label


@dataclass(frozen=True)
class InspectionRules:
    supervising_unit_deadline: str  # "MM-DD" of the year after the report year
    registration_authority_deadline: str
    exempt_if_registered_months_before_year_end: int
    simplified_from_grade: str
    late_amber_up_to_days: int  # a filing late or overdue by up to this many days is marked amber, beyond it red
    extension_max_days: int  # 延期: the latest a granted extension may move the report's deadline, in calendar days
    missed_consequences: tuple[str, ...] = ()  # "abnormal_list", "warning", "grade_finding"
    failed_consequences: tuple[str, ...] = ()
    revocation_proposal_after_consecutive_years: int = 2
    # organization type → the document slots its annual report needs before it can be submitted
    required_documents: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def documents_required(self, org_type: str) -> tuple[str, ...]:
        return tuple(self.required_documents.get(org_type, ()))

    def deadlines(self, report_year: int) -> tuple[date, date]:
        """(supervising unit, registration authority) deadlines for the report on a year."""
        return _month_day(report_year + 1, self.supervising_unit_deadline), _month_day(
            report_year + 1, self.registration_authority_deadline
        )

    def exempt(self, registered_on: date, report_year: int) -> bool:
        """Registered less than N months before 31 December of the report year: no inspection that year."""
        cutoff = add_months(date(report_year, 12, 31), -self.exempt_if_registered_months_before_year_end)
        return registered_on > cutoff

    def consequences(self, outcome: str) -> tuple[str, ...]:
        return {"missed": self.missed_consequences, "fail": self.failed_consequences}.get(outcome, ())

    def lateness_marking(self, days: int) -> str | None:
        """None when on time; "amber" up to the rule set's days late, "red" beyond."""
        if days <= 0:
            return None
        return "amber" if days <= self.late_amber_up_to_days else "red"


@dataclass(frozen=True)
class CreditRules:
    abnormal_auto_removal_months: int
    abnormal_escalation_years: int
    serious_clean_years: int
    fine_threshold_cny: Decimal
    small_penalties_window_years: int
    small_penalties_count: int
    objection_verification: Period  # 异议核查: within these days (the rule set says which unit)
    recording: Period  # a credit item (a penalty decision) is recorded within this period of becoming known
    abnormal_grounds_without_rectification: tuple[str, ...] = ()
    returned_letters_for_unreachable: int = 2


@dataclass(frozen=True)
class GradeRules:
    validity: str  # "five_years_from_decision" | "jan1_after_announcement_to_dec31_year5"
    validity_years: int
    min_years_registered: int
    certificate_from: str
    reapply_after_downgrade_years: int
    bars: tuple[str, ...]
    findings: dict[str, str]  # finding → "lower" | "revoke"

    def consequence(self, finding: str) -> str:
        try:
            return self.findings[finding]
        except KeyError:
            raise InvalidValue(
                "grade.unknown_finding",
                f"规则中没有该情形:{finding}",
                f"The rule set knows no such finding: {finding}",
                known=sorted(self.findings),
            ) from None


@dataclass(frozen=True)
class CertificateRules:
    """Grade certificates (等级证书): who issues them and how they are numbered."""

    issuer_code: str  # the issuing authority's division code (行政区划代码)
    authority_zh: str  # 发证机关
    authority_en: str
    number_format: str  # filled with {issuer}, {year} and {sequence}, e.g. "{issuer}{year}{sequence:04d}"

    def __post_init__(self) -> None:
        try:
            first, second = (self.number_format.format(issuer=self.issuer_code, year=2026, sequence=n) for n in (1, 2))
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(f"certificates.number_format {self.number_format!r}: {e}") from None
        if first == second or not first.isascii() or "/" in first or not first.strip():
            raise ValueError(f"certificates.number_format {self.number_format!r} must number with {{sequence}} in ASCII")


@dataclass(frozen=True)
class SpotCheckRules:
    """Random inspections (双随机一公开): the share of each group of candidates drawn each year and
    the inspectors sent to each check. An organization in several groups is drawn at the highest
    of their ratios (domain/spot_check.py)."""

    ordinary_ratio: Decimal  # every active registered organization in the division
    late_report_ratio: Decimal  # its last annual report missed, or filed after the deadline
    listed_ratio: Decimal  # on the abnormal-activity or serious-dishonesty list
    complained_ratio: Decimal  # named by a complaint on file (not turned away), or by the registrar for the draw
    inspectors_per_check: int
    complaints_within_months: int  # a complaint counts when received this many months before the draw

    def __post_init__(self) -> None:
        for name in ("ordinary_ratio", "late_report_ratio", "listed_ratio", "complained_ratio"):
            if not Decimal(0) <= getattr(self, name) <= Decimal(1):
                raise ValueError(f"spot_checks.{name} lies between 0 and 1")
        if self.inspectors_per_check < 2:  # an enforcement check is made by two officers at least (行政处罚法 第四十二条)
            raise ValueError("spot_checks.inspectors_per_check is 2 or more")

    def ratio(self, group: str) -> Decimal:
        ratios: dict[str, Decimal] = {
            "ordinary": self.ordinary_ratio,
            "late_report": self.late_report_ratio,
            "listed": self.listed_ratio,
            "complained": self.complained_ratio,
        }
        return ratios[group]


@dataclass(frozen=True)
class ReminderOffsets:
    inspection_due_days: tuple[int, ...]
    grade_expiring_days: tuple[int, ...]
    scores_due_days: tuple[int, ...]
    credit_escalation_days: tuple[int, ...] = ()
    announcement_ending_days: tuple[int, ...] = ()
    milestone_due_days: tuple[int, ...] = ()
    complaint_due_days: tuple[int, ...] = ()  # the registry's triage and answer of complaints


def reminder_offset(deadline: date, offsets: tuple[int, ...], as_of: date) -> int | None:
    """Which "N days before" reminder is current on a date: the nearest one reached, up to the
    deadline itself. A day the sweep did not run is caught up without sending every earlier one."""
    reached = [o for o in offsets if deadline - timedelta(days=o) <= as_of <= deadline]
    return min(reached) if reached else None


@dataclass(frozen=True)
class Indicator:
    key: str
    zh: str
    en: str
    maximum: Decimal
    criteria_zh: str = ""  # 评分细则: what earns the points, shown beside the indicator on the score form
    criteria_en: str = ""


@dataclass(frozen=True)
class Category:
    key: str
    zh: str
    en: str
    indicators: tuple[Indicator, ...]

    @property
    def maximum(self) -> Decimal:
        return sum((i.maximum for i in self.indicators), Decimal(0))


@dataclass(frozen=True)
class ScoringScheme:
    """An indicator tree (指标体系): categories of indicators with their maxima."""

    id: str
    name_zh: str
    name_en: str
    total: Decimal
    bonus_cap: Decimal
    categories: tuple[Category, ...]

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for c in self.categories for i in c.indicators)

    @cached_property
    def _by_key(self) -> dict[str, Indicator]:
        return {i.key: i for i in self.indicators}

    def indicator(self, key: str) -> Indicator | None:
        """Asked once per score of every sheet saved: a lookup, not a walk of the tree."""
        return self._by_key.get(key)

    def check_consistent(self) -> None:
        keys = [i.key for i in self.indicators]
        if len(keys) != len(set(keys)):
            raise ValueError(f"scheme {self.id}: an indicator key is used twice")
        if sum((c.maximum for c in self.categories), Decimal(0)) != self.total:
            raise ValueError(f"scheme {self.id}: the categories' maxima do not add up to {self.total}")


class Disclosure(str, Enum):
    """From which moment of a case something is shown: never before scoring closes (scores are
    sealed until then, for everyone but each member's own sheet)."""

    SCORING_CLOSED = "scoring_closed"
    COMPUTED = "computed"
    ANNOUNCEMENT = "announcement"
    FINALIZED = "finalized"


class Aggregation(str, Enum):
    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"  # drop one highest and one lowest when the panel is large enough


@dataclass(frozen=True)
class ComplaintRules:
    """投诉举报: the periods for triaging a complaint (from its receipt) and answering the complainant (from triage)."""

    triage: Period
    answer: Period


@dataclass(frozen=True)
class EvaluationRules:
    aggregation: Aggregation
    trim_from_panel_size: int
    min_panel_size: int
    quorum_numerator: int
    quorum_denominator: int
    score_decimals: int
    announcement: Period  # 公示: from the day it opens, that day counted
    appeal_decision: Period  # 复核: decided within it, from the day the appeal was filed
    eligibility_check: Period  # 资格审查: the registration authority decides eligibility within it, from opening
    recusal_years_after_leaving: int
    outlier_share: Decimal  # of full marks: how far from the panel's median a total is flagged to the chair
    # who sees the members' sheets and the result, and from when (a member always sees their own sheet)
    sheets_visible_from: Disclosure  # to the panel, its chair, registry staff and auditors
    organization_sees_result_from: Disclosure  # to the evaluated organization: sheets (anonymised), total, result
    schemes: dict[str, ScoringScheme]  # by organization type, and "project"
    appeal_extension: Period | None = None  # 延长: at most this much more, once, from the period's end (None: never)

    def scheme_for(self, subject_kind: str) -> ScoringScheme:
        try:
            return self.schemes[subject_kind]
        except KeyError:
            raise InvalidValue(
                "rules.no_scheme", f"规则中没有适用于 {subject_kind} 的评估指标", f"The rule set has no scheme for {subject_kind}"
            ) from None

    def has_quorum(self, submitted: int, panel: int) -> bool:
        return submitted * self.quorum_denominator >= panel * self.quorum_numerator

    def outlier_threshold(self, scheme: ScoringScheme) -> Decimal:
        return scheme.total * self.outlier_share


class TrancheCondition(str, Enum):
    AGREEMENT_SIGNED = "agreement_signed"  # paid on signing
    MID_TERM_PASSED = "mid_term_passed"  # after a passed mid-term evaluation (中期评估)
    CLOSING_PASSED = "closing_passed"  # after the closing evaluation rated the project


@dataclass(frozen=True)
class Tranche:
    share: Decimal  # of the awarded amount; a rule set's shares add up to 1
    condition: TrancheCondition


class SubsidyKind(str, Enum):
    STARTUP = "startup"  # one-time, a newly registered community public-benefit organization
    ANNUAL_ASSESSMENT = "annual_assessment"  # a year's award after a passed assessment (inspection)
    HUB = "hub"  # a year's award for a hub with enough public-benefit members
    GRADE_AWARD = "grade_award"  # one-time per grade awarded, by level


@dataclass(frozen=True)
class SubsidyRule:
    key: str
    kind: SubsidyKind
    zh: str
    en: str
    amount_cny: Decimal = Decimal(0)
    amounts_by_grade: dict[str, Decimal] = field(default_factory=dict)
    min_public_benefit_members: int = 0

    def amount_for(self, grade: str | None = None) -> Decimal:
        return self.amounts_by_grade.get(grade or "", Decimal(0)) if self.kind is SubsidyKind.GRADE_AWARD else self.amount_cny


@dataclass(frozen=True)
class FundingRules:
    """Funding rounds (公益创投, 政府购买服务) and subsidies (资金扶持)."""

    bars: tuple[str, ...]  # which of the known bars a round applies
    breach_bar_years: int  # a breach bars the organization from similar funding this long
    review_pass_minimum: Decimal  # a project review below this is not fundable
    mid_term_pass_minimum: Decimal
    tranches: tuple[Tranche, ...]
    subsidies: tuple[SubsidyRule, ...] = ()
    no_subsidy_after_penalty_years: int = 0  # 0 = a penalty does not block subsidies
    milestone_extension_max_days: int = 0  # 延期 of a milestone report: at most this many days (0 = none)

    def __post_init__(self) -> None:
        if sum((t.share for t in self.tranches), Decimal(0)) != 1:
            raise ValueError("funding: the tranche shares do not add up to 1")
        if not self.tranches or self.tranches[0].condition is not TrancheCondition.AGREEMENT_SIGNED:
            raise ValueError("funding: the first tranche is paid on signing")


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: int
    locality: str
    name_zh: str
    name_en: str
    effective_from: date
    timezone: str
    divisions: tuple[str, ...]  # division-code prefixes it governs; () = everywhere
    grade_bands: GradeBands
    grades: GradeRules
    inspection: InspectionRules
    credit: CreditRules
    reminders: ReminderOffsets
    evaluation: EvaluationRules
    star_bands: GradeBands
    funding: FundingRules
    certificates: CertificateRules
    complaints: ComplaintRules
    spot_checks: SpotCheckRules
    notes: tuple[str, ...] = field(default_factory=tuple)
    unknown_calendar_years: UnknownYears = UnknownYears.REFUSE  # working days past the official calendar

    @property
    def ref(self) -> RuleSetRef:
        return RuleSetRef(self.id, self.version)

    def governs(self, division_code: str) -> bool:
        return not self.divisions or any(division_code.startswith(p) for p in self.divisions)

    def specificity(self) -> int:
        return max((len(p) for p in self.divisions), default=0)


def split_into_tranches(amount: Decimal, tranches: tuple[Tranche, ...]) -> tuple[Decimal, ...]:
    """Each tranche rounded to the fen; the last takes the remainder, so they add up exactly."""
    parts = [(amount * t.share).quantize(Decimal("0.01")) for t in tranches[:-1]]
    return (*parts, amount - sum(parts, Decimal(0)))


def earliest_in_force(candidates: list[RuleSet]) -> date:
    """The first day a rule set governs every division (the earliest nationwide one; without
    one, the earliest of all). Before it no rule decides anything anywhere."""
    everywhere = [r.effective_from for r in candidates if not r.divisions]
    return min(everywhere or [r.effective_from for r in candidates])


def require_rules_in_force(candidates: list[RuleSet], on: date) -> None:
    """One refusal for every date before the earliest rule set: a sweep's, a batch's or a
    deadline's as-of alike, whether or not that day would have had anything to decide."""
    earliest = earliest_in_force(candidates)
    if on < earliest:
        raise InvalidValue(
            "rules.none_in_force",
            f"{on} 早于最早的规则集生效日期({earliest}),没有可适用的规则",
            f"No rule set is in force on {on}: the earliest takes effect on {earliest}",
            earliest=earliest.isoformat(),
        )


def choose_rule_set(candidates: list[RuleSet], division_code: str, on: date) -> RuleSet:
    """The most specific rule set governing the division, latest in force on the date."""
    require_rules_in_force(candidates, on)
    usable = [r for r in candidates if r.governs(division_code) and r.effective_from <= on]
    if not usable:
        raise InvalidValue(
            "rules.none_in_force", f"{on} 没有适用于 {division_code} 的规则", f"No rule set governs {division_code} on {on}"
        )
    return max(usable, key=lambda r: (r.specificity(), r.effective_from, r.version))


GRADE_ORDER = ("1A", "2A", "3A", "4A", "5A")


def one_level_lower(grade: str) -> str | None:
    """5A → 4A … 1A → None (no grade left)."""
    index = GRADE_ORDER.index(grade)
    return GRADE_ORDER[index - 1] if index > 0 else None


def grade_at_least(grade: str | None, floor: str) -> bool:
    return grade in GRADE_ORDER and GRADE_ORDER.index(grade) >= GRADE_ORDER.index(floor)


def grade_validity(rules: GradeRules, decided_on: date, announcement_ends: date) -> tuple[date, date]:
    """When a grade is valid, per the rule set's validity rule."""
    years = rules.validity_years
    if rules.validity == "five_years_from_decision":
        try:
            until = decided_on.replace(year=decided_on.year + years)
        except ValueError:  # 29 February
            until = decided_on.replace(year=decided_on.year + years, day=28)
        return decided_on, until - timedelta(days=1)
    if rules.validity == "jan1_after_announcement_to_dec31_year5":
        starts = date(announcement_ends.year + 1, 1, 1)
        return starts, date(starts.year + years - 1, 12, 31)
    raise ValueError(f"unknown grade validity rule: {rules.validity}")


def _month_day(year: int, month_day: str) -> date:
    month, day = (int(x) for x in month_day.split("-"))
    return date(year, month, day)


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier), clamped to the month's last day (31 Aug + 6 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if not MINYEAR <= year <= MAXYEAR:  # a date typed centuries off: a clear refusal, not a crash
        raise InvalidValue(
            "date.out_of_range", f"日期{day}超出可计算的范围", f"The date {day} is outside the range that can be counted from"
        )
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def deciding_rule_set(provenance: Provenance) -> RuleSetRef:
    """The rule-set version a decision applies: part of its record, so a decision given without one is refused."""
    if provenance.rule_set is None:
        raise InvalidValue(
            "provenance.no_rule_set",
            "该决定须注明所依据的规则版本",
            "This decision must name the version of the rules it applies",
        )
    return provenance.rule_set
