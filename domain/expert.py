"""Experts (评估专家) in the pool panels are drawn from, with the employment history and the
relations they declare; `conflicts_of_interest` decides, before an expert is put on a panel,
whether they may evaluate an organization on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import cast
from uuid import UUID

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.errors import InvalidValue
from domain.provenance import Provenance
from domain.rules import add_years


@dataclass(frozen=True)
class Employment:
    organization_name: str
    organization_id: UUID | None = None  # when the employer is in the register
    until: date | None = None  # None: still works there


class RelationKind(str, Enum):
    """A tie an expert declares to an organization (besides working there)."""

    MEMBER = "member"  # 会员
    DIRECTOR = "director"  # 理事、监事或负责人
    DONOR = "donor"  # 捐赠人
    RELATIVE = "relative"  # 近亲属在该组织任职


@dataclass(frozen=True)
class Relation:
    organization_id: UUID
    organization_name: str
    kind: RelationKind
    until: date | None = None  # None: still related


class Expert(LedgerAggregate):
    class Enrolled(LedgerAggregate.Created):
        user_id: str
        name: str
        field: str
        affiliation: str
        employments: tuple[Employment, ...]
        provenance: Provenance

    def __init__(self, user_id: str, name: str, field: str, affiliation: str, employments: tuple[Employment, ...]) -> None:
        self.user_id = user_id
        self.name = name
        self.field = field
        self.affiliation = affiliation
        self.employments = employments
        self.relations = ()

    # for snapshots taken before relations were declared (typed by cast, not annotated: not a dataclass field)
    relations = cast("tuple[Relation, ...]", ())

    @classmethod
    def enroll(
        cls,
        id: UUID,
        user_id: str,
        name: str,
        *,
        field: str,
        affiliation: str,
        employments: tuple[Employment, ...],
        provenance: Provenance,
    ) -> Expert:
        if not name.strip() or len(name) > 50:
            raise InvalidValue("expert.name", "专家姓名应为1到50个字符", "An expert's name has 1 to 50 characters")
        return cls._create(
            cls.Enrolled,
            id=id,
            user_id=user_id,
            name=name.strip(),
            field=field.strip()[:100],
            affiliation=affiliation.strip()[:100],
            employments=tuple(employments),
            provenance=provenance,
        )

    def declare_relation(self, relation: Relation, provenance: Provenance) -> None:
        name = relation.organization_name.strip()
        if not name or len(name) > 100:
            raise InvalidValue(
                "relation.organization_name", "组织名称应为1到100个字符", "An organization's name has 1 to 100 characters"
            )
        if any(
            r.organization_id == relation.organization_id and r.kind is relation.kind and r.until == relation.until
            for r in self.relations
        ):
            raise InvalidValue("relation.duplicate", "该关系已经申报", "That relation is declared already")
        self._relation_declared(Relation(relation.organization_id, name, relation.kind, relation.until), provenance)

    @event("RelationDeclared")
    def _relation_declared(self, relation: Relation, provenance: Provenance) -> None:
        self.relations = (*self.relations, relation)


@dataclass(frozen=True)
class SubjectTies:
    """The organization a case is about, and the hub it belongs to (if any)."""

    organization_id: UUID
    organization_name: str
    hub_id: UUID | None = None
    hub_name: str | None = None


RELATION_NAMES = {
    RelationKind.MEMBER: ("会员", "a member"),
    RelationKind.DIRECTOR: ("理事、监事或负责人", "a director"),
    RelationKind.DONOR: ("捐赠人", "a donor"),
    RelationKind.RELATIVE: ("近亲属任职单位", "the employer of a close relative"),
}


@dataclass(frozen=True)
class ConflictOfInterest:
    """Why an expert must not evaluate an organization, as one sentence in zh and en."""

    expert_id: UUID
    expert_name: str
    ground: str  # employment | former_employment | relation | hub
    organization_name: str
    zh: str
    en: str


def _recent(until: date | None, on: date, years: int) -> bool:
    """Still tied, or the tie ended less than `years` calendar years before the date."""
    return until is None or on < add_years(until, years)


def conflicts_of_interest(
    expert: Expert,
    subject: SubjectTies,
    on: date,
    years_after_leaving: int,
) -> list[ConflictOfInterest]:
    """Every reason the expert must not evaluate the subject on that date: working there now or
    within the rule set's years, a declared relation (member, director, donor, relative) in force
    or recently ended, and the same ties to the subject's hub (a hub's people do not judge its
    members)."""
    found: list[ConflictOfInterest] = []

    def add(ground: str, org: str, zh: str, en: str) -> None:
        found.append(ConflictOfInterest(expert.id, expert.name, ground, org, f"{expert.name}{zh}", f"{expert.name} {en}"))

    targets = [(subject.organization_id, subject.organization_name, "")]
    if subject.hub_id is not None:
        targets.append((subject.hub_id, subject.hub_name or str(subject.hub_id), "hub"))
    for org_id, org_name, via in targets:
        hub_zh, hub_en = ("(该组织所属的枢纽型组织)", " (the hub the organization belongs to)") if via else ("", "")
        for job in expert.employments:
            if job.organization_id != org_id or not _recent(job.until, on, years_after_leaving):
                continue
            if job.until is None:
                add(via or "employment", org_name, f"现任职于{org_name}{hub_zh}", f"works for {org_name}{hub_en}")
            else:
                add(
                    via or "former_employment",
                    org_name,
                    f"于{job.until}离开{org_name}{hub_zh},不满{years_after_leaving}年",
                    f"left {org_name}{hub_en} on {job.until}, less than {years_after_leaving} years ago",
                )
        for relation in expert.relations:
            if relation.organization_id != org_id or not _recent(relation.until, on, years_after_leaving):
                continue
            zh, en = RELATION_NAMES[relation.kind]
            add(
                via or "relation",
                org_name,
                f"申报与{org_name}{hub_zh}存在关系:{zh}",
                f"declared being {en} of {org_name}{hub_en}",
            )
    return found
