"""The Organization aggregate (社会组织): registration, filing and its lifecycle."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import Enum
from typing import ClassVar, cast
from uuid import UUID

from eventsourcing.domain import event

from domain import values
from domain.base import LedgerAggregate
from domain.certificate import Certificate, CertificateEnd
from domain.complaints import Finding, Investigation
from domain.errors import InvalidTransition, InvalidValue
from domain.provenance import Provenance
from domain.rules import GRADE_ORDER, GradeRules, one_level_lower
from domain.uscc import CIVIL_AFFAIRS, TYPE_DIGITS, validate_code


class OrganizationType(str, Enum):
    SOCIAL_ASSOCIATION = "social_association"  # 社会团体
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise"  # 民办非企业单位 / 社会服务机构
    FOUNDATION = "foundation"  # 基金会


class Track(str, Enum):
    REGISTERED = "registered"  # 登记
    FILED = "filed"  # 备案


class Status(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEREGISTERED = "deregistered"  # 注销
    REVOKED = "revoked"  # 撤销登记


_DIVISION = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Profile:
    """What both registration and filing record about an organization."""

    name: str
    org_type: OrganizationType
    legal_representative: str
    address: str
    division_code: str  # administrative division (行政区划代码), 6 digits
    district: str
    supervising_unit: str | None = None  # 业务主管单位
    is_hub: bool = False  # 枢纽型组织
    public_benefit: bool = False  # 公益性
    community_level: bool = False  # 社区社会组织


def _text(value: str, field: str, zh: str, limit: int = 200) -> str:
    """Names and addresses are one line: normalized, and refused with control or invisible characters
    (a name holding CR/LF could never head a reminder email)."""
    return values.name(value, field, zh, limit)


def checked_profile(profile: Profile) -> Profile:
    if not _DIVISION.match(profile.division_code):
        raise InvalidValue("division_code.format", "行政区划代码应为6位数字", "The administrative division code has 6 digits")
    return Profile(
        name=_text(profile.name, "name", "名称", 100),
        org_type=profile.org_type,
        legal_representative=_text(profile.legal_representative, "legal_representative", "法定代表人", 50),
        address=_text(profile.address, "address", "住所"),
        division_code=profile.division_code,
        district=_text(profile.district, "district", "所属区县", 50),
        supervising_unit=_text(profile.supervising_unit or "", "supervising_unit", "业务主管单位", 100)
        if (profile.supervising_unit or "").strip()
        else None,
        is_hub=profile.is_hub,
        public_benefit=profile.public_benefit,
        community_level=profile.community_level,
    )


def checked_code(code: str, org_type: OrganizationType) -> str:
    code = validate_code(code)
    if code[0] != CIVIL_AFFAIRS:
        raise InvalidValue(
            "uscc.department",
            "社会组织的统一社会信用代码应以5(民政部门)开头",
            "A social organization's code starts with 5 (civil affairs)",
        )
    implied = TYPE_DIGITS.get(code[1])
    if implied is not None and implied != org_type.value:
        raise InvalidValue(
            "uscc.type_mismatch",
            "统一社会信用代码第2位与组织类型不符",
            f"The code's second character says {implied}, not {org_type.value}",
        )
    return code


class Organization(LedgerAggregate):
    certificates: tuple[Certificate, ...] = ()  # oldest first; a class default for states snapshotted before certificates
    DECISIONS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "GradeAwarded": ("评定等级", "grade awarded"),
        "GradeMigrated": ("迁移等级", "grade brought over"),
        "GradeLowered": ("降低等级", "grade lowered"),
        "GradeRevoked": ("取消等级", "grade revoked"),
        "Suspended": ("停止活动", "suspension"),
        "Resumed": ("恢复活动", "resumption"),
        "Deregistered": ("注销登记", "deregistration"),
        "RegistrationRevoked": ("撤销登记", "revocation of registration"),
        "InvestigationOpened": ("立案调查", "investigation opened"),
        "InvestigationClosed": ("调查终结", "investigation closed"),
    }
    investigations = cast("tuple[Investigation, ...]", ())  # 立案调查, oldest first (a class default for old states)
    CORRECTABLE: ClassVar[tuple[str, ...]] = (
        "status",
        "grade",
        "grade_valid_from",
        "grade_valid_until",
        "grade_evaluation_id",
        "grade_lost_on",
    )

    class Registered(LedgerAggregate.Created):
        profile: Profile
        code: str
        registered_on: date
        provenance: Provenance

    class Filed(LedgerAggregate.Created):
        profile: Profile
        filing_no: str
        filed_with: str  # the street / township that accepted the filing
        filed_on: date
        provenance: Provenance

    def __init__(
        self,
        profile: Profile,
        code: str | None = None,
        registered_on: date | None = None,
        filing_no: str | None = None,
        filed_with: str | None = None,
        filed_on: date | None = None,
    ) -> None:
        self.profile = profile
        self.code = code
        self.registered_on = registered_on
        self.filing_no = filing_no
        self.filed_with = filed_with
        self.filed_on = filed_on
        self.track = Track.REGISTERED if code else Track.FILED
        self.status = Status.ACTIVE
        self.hub_id: UUID | None = None
        self.party_branch_on: date | None = None
        self.charter_version = 1
        self.grade: str | None = None
        self.grade_valid_from: date | None = None
        self.grade_valid_until: date | None = None
        self.grade_evaluation_id: UUID | None = None
        self.grade_lost_on: date | None = None  # last downgrade or revocation (re-application bar)
        self.funding_barred_until: date | None = None  # a project breach bars similar funding

    # -- creation ------------------------------------------------------------
    @classmethod
    def register(cls, id: UUID, profile: Profile, code: str, registered_on: date, provenance: Provenance) -> Organization:
        profile = checked_profile(profile)
        code = checked_code(code, profile.org_type)
        return cls._create(cls.Registered, id=id, profile=profile, code=code, registered_on=registered_on, provenance=provenance)

    @classmethod
    def file(
        cls, id: UUID, profile: Profile, filing_no: str, filed_with: str, filed_on: date, provenance: Provenance
    ) -> Organization:
        return cls._create(
            cls.Filed,
            id=id,
            profile=checked_profile(profile),
            filing_no=_text(filing_no, "filing_no", "备案编号", 40),
            filed_with=_text(filed_with, "filed_with", "备案街道(乡镇)", 50),
            filed_on=filed_on,
            provenance=provenance,
        )

    # -- guards --------------------------------------------------------------
    def earliest_effective(self) -> date | None:
        return self.registered_on or self.filed_on

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def is_closed(self) -> bool:
        return self.status in (Status.DEREGISTERED, Status.REVOKED)

    def _require_open(self) -> None:
        if self.is_closed:
            raise InvalidTransition(
                "organization.closed",
                "该组织已注销或被撤销登记,不能再办理此事项",
                "The organization is deregistered or revoked; nothing more can be recorded for it",
                status=self.status.value,
            )

    def _require_status(self, wanted: Status, zh: str, en: str) -> None:
        if self.status is not wanted:
            raise InvalidTransition(f"organization.not_{wanted.value}", zh, en, status=self.status.value)

    # -- changes of registration data -----------------------------------------
    def promote(self, code: str, registered_on: date, provenance: Provenance) -> None:
        self._require_open()
        if self.track is Track.REGISTERED:
            raise InvalidTransition("organization.already_registered", "该组织已经登记", "Already registered")
        self._promote(checked_code(code, self.profile.org_type), registered_on, provenance)

    @event("PromotedToRegistration")
    def _promote(self, code: str, registered_on: date, provenance: Provenance) -> None:
        self.code = code
        self.registered_on = registered_on
        self.track = Track.REGISTERED

    def rename(self, name: str, provenance: Provenance) -> None:
        self._require_open()
        name = _text(name, "name", "名称", 100)
        self._require_change(self.profile.name, name)
        self._renamed(name, provenance)

    @event("Renamed")
    def _renamed(self, name: str, provenance: Provenance) -> None:
        self.profile = replace(self.profile, name=name)

    def change_address(self, address: str, provenance: Provenance) -> None:
        self._require_open()
        address = _text(address, "address", "住所")
        self._require_change(self.profile.address, address)
        self._address_changed(address, provenance)

    @event("AddressChanged")
    def _address_changed(self, address: str, provenance: Provenance) -> None:
        self.profile = replace(self.profile, address=address)

    def change_legal_representative(self, legal_representative: str, provenance: Provenance) -> None:
        self._require_open()
        person = _text(legal_representative, "legal_representative", "法定代表人", 50)
        self._require_change(self.profile.legal_representative, person)
        self._legal_representative_changed(person, provenance)

    @event("LegalRepresentativeChanged")
    def _legal_representative_changed(self, legal_representative: str, provenance: Provenance) -> None:
        self.profile = replace(self.profile, legal_representative=legal_representative)

    def amend_charter(self, summary: str, approved_on: date, provenance: Provenance) -> None:
        self._require_open()
        self._charter_amended(_text(summary, "charter_summary", "章程修改摘要", 500), approved_on, provenance)

    @event("CharterAmended")
    def _charter_amended(self, summary: str, approved_on: date, provenance: Provenance) -> None:
        self.charter_version += 1

    def establish_party_branch(self, established_on: date, provenance: Provenance) -> None:
        self._require_open()
        if self.party_branch_on is not None:
            raise InvalidTransition(
                "organization.party_branch_exists", "该组织已建立党组织", "A party branch is already recorded"
            )
        self._party_branch_established(established_on, provenance)

    @event("PartyBranchEstablished")
    def _party_branch_established(self, established_on: date, provenance: Provenance) -> None:
        self.party_branch_on = established_on

    # -- hubs ----------------------------------------------------------------
    def designate_as_hub(self, provenance: Provenance) -> None:
        self._require_open()
        if self.profile.is_hub:
            raise InvalidTransition("organization.already_hub", "该组织已是枢纽型组织", "Already a hub")
        self._designated_as_hub(provenance)

    @event("DesignatedAsHub")
    def _designated_as_hub(self, provenance: Provenance) -> None:
        self.profile = replace(self.profile, is_hub=True)

    def join_hub(self, hub: Organization, provenance: Provenance) -> None:
        self._require_open()
        if hub.id == self.id:
            raise InvalidValue("hub.self", "组织不能加入自身", "An organization cannot join itself")
        if not hub.profile.is_hub or hub.is_closed:
            raise InvalidValue("hub.not_a_hub", "所选组织不是有效的枢纽型组织", "The chosen organization is not an open hub")
        if self.hub_id is not None:
            raise InvalidTransition(
                "hub.already_member", "该组织已加入枢纽型组织,请先退出", "Already a member of a hub; leave it first"
            )
        self._joined_hub(hub.id, provenance)

    @event("JoinedHub")
    def _joined_hub(self, hub_id: UUID, provenance: Provenance) -> None:
        self.hub_id = hub_id

    def leave_hub(self, provenance: Provenance) -> None:
        if self.hub_id is None:
            raise InvalidTransition("hub.not_member", "该组织未加入枢纽型组织", "Not a member of any hub")
        self._left_hub(self.hub_id, provenance)

    @event("LeftHub")
    def _left_hub(self, hub_id: UUID, provenance: Provenance) -> None:
        self.hub_id = None

    # -- status --------------------------------------------------------------
    def suspend(self, provenance: Provenance) -> None:
        self._require_status(Status.ACTIVE, "只有正常状态的组织可以停止活动", "Only an active organization can be suspended")
        provenance.basis.require("责令停止活动", "Suspending an organization")
        self._suspended(provenance)

    @event("Suspended")
    def _suspended(self, provenance: Provenance) -> None:
        self.status = Status.SUSPENDED

    def resume(self, provenance: Provenance) -> None:
        self._require_status(Status.SUSPENDED, "只有停止活动的组织可以恢复", "Only a suspended organization can resume")
        self._resumed(provenance)

    @event("Resumed")
    def _resumed(self, provenance: Provenance) -> None:
        self.status = Status.ACTIVE

    def deregister(self, provenance: Provenance) -> None:
        self._require_open()
        provenance.basis.require("注销登记", "Deregistering an organization")
        self._deregistered(provenance)

    @event("Deregistered")
    def _deregistered(self, provenance: Provenance) -> None:
        self.status = Status.DEREGISTERED
        self._end_certificate(CertificateEnd.ORGANIZATION_CLOSED, provenance.at.date())

    def revoke(self, provenance: Provenance) -> None:
        self._require_open()
        if self.track is Track.FILED:
            raise InvalidTransition(
                "organization.revoke_filed",
                "备案组织没有登记可撤销,请办理注销",
                "A filed organization has no registration to revoke",
            )
        provenance.basis.require("撤销登记", "Revoking a registration")
        self._revoked(provenance)

    @event("RegistrationRevoked")
    def _revoked(self, provenance: Provenance) -> None:
        self.status = Status.REVOKED
        self._end_certificate(CertificateEnd.ORGANIZATION_CLOSED, provenance.at.date())

    # -- investigations (立案调查) -----------------------------------------------------
    def open_investigation(self, number: str, grounds: str, complaint_reference: str | None, provenance: Provenance) -> None:
        """Opened on a decision (its number in the basis) from its effective day; the
        `under_investigation` bar holds while it is open."""
        self._require_open()
        provenance.basis.require("立案调查", "Opening an investigation", grounds=False)
        number = number.strip()[:60]
        if not number:
            raise InvalidValue("investigation.number", "请填写立案编号", "Give the investigation's number")
        if any(i.number == number for i in self.investigations):
            raise InvalidTransition(
                "investigation.duplicate", f"立案编号{number}已使用", f"Investigation {number} exists already"
            )
        if not grounds.strip():
            raise InvalidValue("investigation.grounds", "请写明立案的事由", "Give the grounds for the investigation")
        on = provenance.effective_day(provenance.at.date())
        self._investigation_opened(number, grounds.strip()[:2000], complaint_reference, on, provenance)

    @event("InvestigationOpened")
    def _investigation_opened(
        self, number: str, grounds: str, complaint_reference: str | None, on: date, provenance: Provenance
    ) -> None:
        self.investigations = (*self.investigations, Investigation(number, grounds, on, complaint_reference))

    def close_investigation(
        self, number: str, finding: Finding, penalty_decision_no: str | None, reasons: str, provenance: Provenance
    ) -> None:
        """Closed with its finding: no violation, or a violation whose penalty is recorded in the credit record."""
        found = next((i for i in self.investigations if i.number == number), None)
        if found is None or found.closed_on is not None:
            raise InvalidTransition(
                "investigation.not_open", f"没有正在进行的立案调查{number}", f"No open investigation {number}"
            )
        if finding is Finding.VIOLATION and not (penalty_decision_no or "").strip():
            raise InvalidValue(
                "investigation.penalty",
                "查实违法违规须写明处罚决定文号(处罚在信用记录中登记)",
                "A violation found needs the penalty decision's number (the penalty is recorded in the credit record)",
            )
        if not reasons.strip():
            raise InvalidValue("investigation.reasons", "请写明调查结论的理由", "Give the finding's reasons")
        on = provenance.effective_day(provenance.at.date())
        if on < found.opened_on:
            raise InvalidValue(
                "investigation.closed_before_opened",
                f"结案日期{on}早于立案日期{found.opened_on}",
                f"It cannot close on {on}, before it opened ({found.opened_on})",
            )
        self._investigation_closed(
            number, finding, (penalty_decision_no or "").strip() or None, reasons.strip()[:2000], on, provenance
        )

    @event("InvestigationClosed")
    def _investigation_closed(
        self, number: str, finding: Finding, penalty_decision_no: str | None, reasons: str, on: date, provenance: Provenance
    ) -> None:
        self.investigations = tuple(
            replace(i, closed_on=on, finding=finding, penalty_decision_no=penalty_decision_no, reasons=reasons)
            if i.number == number
            else i
            for i in self.investigations
        )

    def under_investigation_on(self, day: date) -> bool:
        return any(i.open_on(day) for i in self.investigations)

    # -- corrections (更正) ----------------------------------------------------------
    def correct_last_decision(self, provenance: Provenance) -> None:
        """A decision found wrong is corrected by a decision of its own (document number and
        grounds): the status and grade are what they were before it, with effect from the day it
        took effect, so the register in effect on any day no longer shows it, while the register
        as known before the correction still does. Only the latest decision: a later one relied
        on it and is corrected first. A certificate the decision ended stays ended (a new one is
        issued with a new grade)."""
        mark = self.last_decision
        if mark is None:
            raise InvalidTransition("correction.nothing", "该组织没有可更正的决定", "The organization has no decision to correct")
        provenance.basis.require(f"更正「{mark.zh}」", f"Correcting the {mark.en}")
        before = dict(mark.before)
        self._decision_corrected(
            mark.event,
            mark.version,
            mark.on,
            before["status"],
            before["grade"],
            before["grade_valid_from"],
            before["grade_valid_until"],
            before["grade_evaluation_id"],
            before["grade_lost_on"],
            provenance,
        )

    @event("DecisionCorrected")
    def _decision_corrected(
        self,
        corrected: str,
        corrected_version: int,
        corrected_on: date,
        status: Status,
        grade: str | None,
        grade_valid_from: date | None,
        grade_valid_until: date | None,
        grade_evaluation_id: UUID | None,
        grade_lost_on: date | None,
        provenance: Provenance,
    ) -> None:
        self._drop_last_decision()
        if corrected in ("GradeAwarded", "GradeMigrated"):  # a grade found wrong takes its certificate with it
            self._end_certificate(CertificateEnd.REVOKED, corrected_on)
        self.status = status
        self.grade = grade
        self.grade_valid_from = grade_valid_from
        self.grade_valid_until = grade_valid_until
        self.grade_evaluation_id = grade_evaluation_id
        self.grade_lost_on = grade_lost_on

    # -- grades (等级) ------------------------------------------------------------
    def award_grade(
        self, level: str, valid_from: date, valid_until: date, evaluation_id: UUID, certificate: bool, provenance: Provenance
    ) -> None:
        """Caused by a finalized evaluation; the provenance names it and the rule set that decided."""
        self._require_open()
        if valid_until < valid_from:
            raise InvalidValue("grade.validity", "等级有效期结束早于开始", "The grade's validity ends before it starts")
        self._grade_awarded(level, valid_from, valid_until, evaluation_id, certificate, provenance)

    class GradeAwarded(LedgerAggregate.Event):  # declared: read back by class (subsidies for a grade awarded)
        level: str
        valid_from: date
        valid_until: date
        evaluation_id: UUID
        certificate: bool
        provenance: Provenance

    @event(GradeAwarded)
    def _grade_awarded(
        self, level: str, valid_from: date, valid_until: date, evaluation_id: UUID, certificate: bool, provenance: Provenance
    ) -> None:
        self.grade = level
        self.grade_valid_from = valid_from
        self.grade_valid_until = valid_until
        self.grade_evaluation_id = evaluation_id
        self._end_certificate(CertificateEnd.SUPERSEDED, provenance.at.date())

    def migrate_grade(self, level: str, valid_from: date, valid_until: date, document_no: str, provenance: Provenance) -> None:
        """A grade the old system knew (a migrated fact): no evaluation here, so no certificate from here;
        the provenance names the file and row it came from."""
        self._require_open()
        if level not in GRADE_ORDER:
            raise InvalidValue("grade.level", f"等级应为1A至5A:{level[:10]}", f"A grade is 1A to 5A: {level[:10]}")
        if valid_until < valid_from:
            raise InvalidValue("grade.validity", "等级有效期结束早于开始", "The grade's validity ends before it starts")
        self._grade_migrated(level, valid_from, valid_until, document_no.strip()[:100], provenance)

    @event("GradeMigrated")
    def _grade_migrated(self, level: str, valid_from: date, valid_until: date, document_no: str, provenance: Provenance) -> None:
        self.grade = level
        self.grade_valid_from = valid_from
        self.grade_valid_until = valid_until
        self.grade_evaluation_id = None

    def expire_grade(self, on: date, provenance: Provenance) -> None:
        """The validity ran out (the daily sweep records it the day after)."""
        if self.grade is None or self.grade_valid_until is None or on <= self.grade_valid_until:
            raise InvalidTransition("grade.not_expired", "等级尚在有效期内或不存在", "No grade has run out")
        self._grade_expired(self.grade, self.grade_valid_until, provenance)

    @event("GradeExpired")
    def _grade_expired(self, level: str, valid_until: date, provenance: Provenance) -> None:
        self.grade = None
        self._end_certificate(CertificateEnd.EXPIRED, valid_until + timedelta(days=1))

    def apply_grade_finding(self, finding: str, consequence: str, lower: str | None, on: date, provenance: Provenance) -> None:
        """A finding lowers the grade one level or revokes it, as the rule set says; the
        provenance carries the rule set and what triggered it. It acts on the grade the
        organization stands to hold: one in force, or one awarded that takes effect later (a
        grade finalized in December is valid from 1 January under the 2026 rules)."""
        if self.grade_standing_on(on) is None:
            raise InvalidTransition("grade.none", "该组织当前没有有效等级", "The organization holds no valid grade")
        if consequence == "lower" and lower is not None:
            self._grade_lowered(finding, self.grade, lower, on, provenance)
        else:
            self._grade_revoked(finding, self.grade, on, provenance)

    def apply_finding(self, finding: str, grades: GradeRules, on: date, provenance: Provenance) -> None:
        """The same, with the consequence and the level below taken from the rule set's grade rules."""
        lower = one_level_lower(self.grade) if self.grade else None
        self.apply_grade_finding(finding, grades.consequence(finding), lower, on, provenance)

    @event("GradeLowered")
    def _grade_lowered(self, finding: str, previous: str | None, level: str, on: date, provenance: Provenance) -> None:
        self.grade = level
        self.grade_lost_on = on
        self._end_certificate(CertificateEnd.LOWERED, on)

    @event("GradeRevoked")
    def _grade_revoked(self, finding: str, previous: str | None, on: date, provenance: Provenance) -> None:
        self.grade = None
        self.grade_lost_on = on
        self._end_certificate(CertificateEnd.REVOKED, on)

    # -- grade certificates (等级证书) -------------------------------------------------
    def issue_certificate(
        self, number: str, issued_on: date, authority_zh: str, authority_en: str, provenance: Provenance
    ) -> None:
        """The certificate of the grade just awarded (its level, validity and evaluation), numbered by its series."""
        self._require_open()
        if self.grade is None or self.grade_valid_from is None or self.grade_valid_until is None:
            raise InvalidTransition(
                "certificate.no_grade", "该组织没有可发证的等级", "The organization holds no grade to certify"
            )
        assert self.grade_evaluation_id is not None, "a grade comes from an evaluation (GradeAwarded)"
        current = self.current_certificate
        if current is not None and current.ended is None and current.evaluation_id == self.grade_evaluation_id:
            raise InvalidTransition(
                "certificate.already_issued",
                "该等级已颁发证书",
                "This grade's certificate is already issued",
                number=current.number,
            )
        certificate = Certificate(
            number,
            self.profile.name,
            self.grade,
            self.grade_valid_from,
            self.grade_valid_until,
            issued_on,
            self.grade_evaluation_id,
            authority_zh,
            authority_en,
        )
        self._certificate_issued(certificate, provenance)

    class CertificateIssued(LedgerAggregate.Event):  # declared: found by class (a certificate's issuing event)
        certificate: Certificate
        provenance: Provenance

    @event(CertificateIssued)
    def _certificate_issued(self, certificate: Certificate, provenance: Provenance) -> None:
        self.certificates = (*self.certificates, certificate)

    @property
    def current_certificate(self) -> Certificate | None:
        return self.certificates[-1] if self.certificates else None

    def certificate(self, number: str) -> Certificate | None:
        return next((c for c in self.certificates if c.number == number), None)

    def _end_certificate(self, why: CertificateEnd, on: date) -> None:
        """The standing certificate, if any, no longer stands (a state change inside an event)."""
        current = self.current_certificate
        if current is not None and current.ended is None:
            self.certificates = (*self.certificates[:-1], replace(current, ended=why, ended_on=on))

    # -- funding -------------------------------------------------------------------
    def bar_from_funding(self, until: date, project_id: UUID, provenance: Provenance) -> None:
        """Caused by a project terminated for breach; a later breach can only extend the bar."""
        if self.funding_barred_until is None or until > self.funding_barred_until:
            self._funding_barred(until, project_id, provenance)

    @event("FundingBarred")
    def _funding_barred(self, until: date, project_id: UUID, provenance: Provenance) -> None:
        self.funding_barred_until = until

    def grade_on(self, day: date) -> str | None:
        """The grade held (in force) on a day: what eligibility, simplified inspections and
        funding's minimum grade ask about."""
        if self.grade and self.grade_valid_from and self.grade_valid_until:
            return self.grade if self.grade_valid_from <= day <= self.grade_valid_until else None
        return None

    def grade_standing_on(self, day: date) -> str | None:
        """The grade in force on a day or awarded to take effect after it: what a finding acts
        on, and what the public card shows (with the day it takes effect)."""
        if self.grade and self.grade_valid_until and day <= self.grade_valid_until:
            return self.grade
        return None

    @staticmethod
    def _require_change(old: str, new: str) -> None:
        if old == new:
            raise InvalidValue("change.same_value", "新值与当前登记信息相同", "The new value equals the recorded one")
