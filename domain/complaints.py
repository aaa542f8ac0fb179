"""投诉举报: a complaint or report about an organization, from the public (a page, no sign-in) or
entered by the registrar (a letter, a phone call, a visit). The registrar triages it within the
rule set's period: accepted (an investigation, 立案调查, is opened on the organization), referred
to the body it belongs to, or not accepted, with reasons; and answers the complainant within the
answer period. The complainant follows it by its reference; names and contacts stay private."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.documents import Attached, DocumentRef, Slot, with_attached
from domain.errors import InvalidTransition, InvalidValue
from domain.periods import Deadline
from domain.provenance import Provenance


class Channel(str, Enum):
    WEB = "web"  # 网上
    LETTER = "letter"  # 来信
    PHONE = "phone"  # 来电
    VISIT = "visit"  # 来访


class Triage(str, Enum):
    ACCEPTED = "accepted"  # 受理(立案调查)
    REFERRED = "referred"  # 转交有权处理的部门
    NOT_ACCEPTED = "not_accepted"  # 不予受理


class Finding(str, Enum):
    NO_VIOLATION = "no_violation"  # 未发现违法违规
    VIOLATION = "violation"  # 查实违法违规(处罚见信用记录)


@dataclass(frozen=True)
class Complainant:
    name: str
    contact: str


@dataclass(frozen=True)
class Investigation:
    """立案调查 of an organization: while open, the rule sets' `under_investigation` bar holds."""

    number: str  # 立案编号
    grounds: str
    opened_on: date
    complaint_reference: str | None = None
    closed_on: date | None = None
    finding: Finding | None = None
    penalty_decision_no: str | None = None
    reasons: str = ""

    def open_on(self, day: date) -> bool:
        return self.opened_on <= day and (self.closed_on is None or day < self.closed_on)


def _text(value: str, field: str, zh: str, en: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidValue(f"complaint.{field}", f"请填写{zh}", f"{en} is required", field=field)
    return text[:limit]


class Complaint(LedgerAggregate):
    DECISIONS: ClassVar[dict[str, tuple[str, str]]] = {
        "Triaged": ("投诉举报受理决定", "triage of the complaint"),
        "Answered": ("答复投诉人", "answer to the complainant"),
    }

    documents = cast("tuple[Attached, ...]", ())  # the complainant's material (a class default for old states)

    class Received(LedgerAggregate.Created):
        reference: str
        organization_id: UUID
        complainant: Complainant
        channel: Channel
        content: str
        received_on: date
        triage_by: date
        triage_by_estimated: bool
        provenance: Provenance

    def __init__(
        self,
        reference: str,
        organization_id: UUID,
        complainant: Complainant,
        channel: Channel,
        content: str,
        received_on: date,
        triage_by: date,
        triage_by_estimated: bool,
    ) -> None:
        self.reference = reference
        self.organization_id = organization_id
        self.complainant = complainant
        self.channel = channel
        self.content = content
        self.received_on = received_on
        self.triage_by = triage_by
        self.triage_by_estimated = triage_by_estimated
        self.triage: Triage | None = None
        self.triage_reasons = ""
        self.referred_to: str | None = None
        self.investigation_number: str | None = None
        self.triaged_on: date | None = None
        self.answer_by: date | None = None
        self.answer: str | None = None
        self.answered_on: date | None = None

    @classmethod
    def receive(
        cls,
        id: UUID,
        reference: str,
        organization_id: UUID,
        complainant: Complainant,
        channel: Channel,
        content: str,
        received_on: date,
        triage_by: Deadline,
        provenance: Provenance,
    ) -> Complaint:
        who = Complainant(
            _text(complainant.name, "name", "投诉人姓名或名称", "The complainant's name", 100),
            _text(complainant.contact, "contact", "联系方式", "A way to reach the complainant", 200),
        )
        return cls._create(
            cls.Received,
            id=id,
            reference=reference,
            organization_id=organization_id,
            complainant=who,
            channel=channel,
            content=_text(content, "content", "投诉举报的内容", "What the complaint is about", 5000),
            received_on=received_on,
            triage_by=triage_by.due,
            triage_by_estimated=triage_by.estimated,
            provenance=provenance,
        )

    # -- triage (受理) ------------------------------------------------------------------------------
    def decide_triage(
        self,
        decision: Triage,
        reasons: str,
        referred_to: str | None,
        investigation_number: str | None,
        answer_by: Deadline,
        provenance: Provenance,
    ) -> None:
        """Accepted needs the investigation's number; referred, the body it goes to; every decision its reasons."""
        if self.triage is not None:
            raise InvalidTransition("complaint.triaged", "该投诉举报已作出受理决定", "The complaint is already triaged")
        reasons = _text(reasons, "reasons", "决定的理由", "The decision's reasons", 2000)
        if decision is Triage.ACCEPTED and not (investigation_number or "").strip():
            raise InvalidValue(
                "complaint.investigation", "受理须写明立案编号", "Accepting opens an investigation: give its number"
            )
        if decision is Triage.REFERRED and not (referred_to or "").strip():
            raise InvalidValue("complaint.referred_to", "请写明转交的部门", "Name the body the complaint is referred to")
        self._triaged(
            decision,
            reasons,
            (referred_to or "").strip()[:200] or None,
            (investigation_number or "").strip()[:60] or None,
            provenance.effective_day(provenance.at.date()),
            answer_by.due,
            provenance,
        )

    @event("Triaged")
    def _triaged(
        self,
        decision: Triage,
        reasons: str,
        referred_to: str | None,
        investigation_number: str | None,
        on: date,
        answer_by: date,
        provenance: Provenance,
    ) -> None:
        self.triage = decision
        self.triage_reasons = reasons
        self.referred_to = referred_to
        self.investigation_number = investigation_number
        self.triaged_on = on
        self.answer_by = answer_by

    # -- the answer (答复) --------------------------------------------------------------------------
    def give_answer(self, text: str, provenance: Provenance) -> None:
        if self.triage is None:
            raise InvalidTransition(
                "complaint.not_triaged", "请先作出受理决定,再答复投诉人", "Triage the complaint before answering it"
            )
        if self.answer is not None:
            raise InvalidTransition("complaint.answered", "已答复投诉人", "The complainant has been answered")
        self._answered(
            _text(text, "answer", "答复内容", "The answer", 5000), provenance.effective_day(provenance.at.date()), provenance
        )

    @event("Answered")
    def _answered(self, text: str, on: date, provenance: Provenance) -> None:
        self.answer = text
        self.answered_on = on

    # -- material (投诉举报材料) ------------------------------------------------------------------------
    def attach_document(self, slot: Slot, document: DocumentRef, provenance: Provenance) -> None:
        """The complainant's evidence, until the answer closes the complaint; never public."""
        if self.answer is not None:
            raise InvalidTransition(
                "complaint.closed", "已答复投诉人,不再接收材料", "The complainant has been answered: no more material is taken"
            )
        self._document_attached(slot.key, document, provenance)

    @event("DocumentAttached")
    def _document_attached(self, slot: str, document: DocumentRef, provenance: Provenance) -> None:
        new = Attached(slot, document, False, provenance.at.isoformat(), provenance.actor.user_id)
        self.documents = with_attached(self.documents, new, None)

    @property
    def state(self) -> str:
        """What the complainant reads: received → triaged → answered."""
        return "answered" if self.answer is not None else "triaged" if self.triage is not None else "received"

    def public_view(self) -> dict[str, Any]:
        """No names, no contacts: what anyone holding the reference may read."""
        return {
            "reference": self.reference,
            "received_on": self.received_on,
            "state": self.state,
            "triage": self.triage.value if self.triage else None,
            "triage_by": self.triage_by,
            "answer_by": self.answer_by,
            "answered_on": self.answered_on,
            "answer": self.answer,
        }
