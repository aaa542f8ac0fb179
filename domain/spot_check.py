"""Random inspections (双随机一公开): each year the registrar draws organizations for spot checks
(抽查) and the inspectors who make them, then publishes the draw.

The draw is verifiable. Its input is a candidate list — the organizations with the groups they
fall in, the inspectors with the organizations each must not check (conflicts of interest),
the rule set's ratios and team size — encoded canonically and published with its SHA-256 and
the seed. The selection is a pure function of (seed, candidate list): each candidate is ranked
by SHA-256("seed:organization:id"), the lowest ceil(ratio × n) of each group are drawn, and each
drawn organization's team is the conflict-free inspectors ranked lowest by
SHA-256("seed:organization id:inspector id"). Anyone with the list and the seed reruns it with
nothing but a SHA-256 tool; a changed list has a different hash.

A spot check is then a case: notice (通知), materials, on-site findings, conclusion, and the
rectification confirmed where one was ordered. The conclusion is recorded for later rules to
read; what it leads to beyond that is for the rule set to name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import LedgerAggregate
from domain.documents import Attached, DocumentRef, Slot, with_attached
from domain.errors import InvalidTransition, InvalidValue
from domain.provenance import Provenance, RuleSetRef
from domain.rules import SpotCheckRules, deciding_rule_set

_NAMESPACE = UUID("6a0f3c1e-9b47-4d5e-a2c8-3e71d45b9f10")
FORMAT = "starledger.spot_check_candidates/1"  # names the encoding below, so a later one can differ


class RiskGroup(str, Enum):
    """Which ratio a candidate is drawn at."""

    ORDINARY = "ordinary"  # 一般对象
    LATE_REPORT = "late_report"  # 年报逾期或未报
    LISTED = "listed"  # 列入活动异常名录或严重违法失信名单
    COMPLAINED = "complained"  # 被投诉举报


# an organization in several groups is drawn in the one with the highest ratio; ties go to the earlier here
GROUP_ORDER = (RiskGroup.LISTED, RiskGroup.LATE_REPORT, RiskGroup.COMPLAINED, RiskGroup.ORDINARY)


def draw_id(year: int, division_prefix: str) -> UUID:
    """One draw per year and division: drawing twice collides in the event store."""
    return uuid5(_NAMESPACE, f"draw:{year}:{division_prefix}")


def spot_check_id(organization_id: UUID, year: int) -> UUID:
    """An organization is checked at most once a year, whichever draw named it."""
    return uuid5(_NAMESPACE, f"spot-check:{organization_id}:{year}")


@dataclass(frozen=True)
class Candidate:
    organization_id: UUID
    groups: tuple[str, ...]  # RiskGroup values it falls in, always with "ordinary"


@dataclass(frozen=True)
class InspectorCandidate:
    expert_id: UUID
    recused_for: tuple[UUID, ...]  # organizations they have a conflict of interest with


@dataclass(frozen=True)
class CandidateList:
    """Everything the selection depends on besides the seed: what is hashed and published."""

    year: int
    division_prefix: str
    rule_set: str  # "national@2"
    ratios: tuple[tuple[str, Decimal], ...]  # (group, ratio) in GROUP_ORDER
    inspectors_per_check: int
    organizations: tuple[Candidate, ...]
    inspectors: tuple[InspectorCandidate, ...]

    @classmethod
    def of(
        cls,
        year: int,
        division_prefix: str,
        rule_set: RuleSetRef,
        rules: SpotCheckRules,
        organizations: Mapping[UUID, set[RiskGroup]],
        inspectors: Mapping[UUID, set[UUID]],
    ) -> CandidateList:
        """The list in its one canonical order: candidates and inspectors by id, groups in GROUP_ORDER."""
        return cls(
            year=year,
            division_prefix=division_prefix,
            rule_set=f"{rule_set.id}@{rule_set.version}",
            ratios=tuple((g.value, rules.ratio(g.value)) for g in GROUP_ORDER),
            inspectors_per_check=rules.inspectors_per_check,
            organizations=tuple(
                Candidate(org, tuple(g.value for g in GROUP_ORDER if g in groups | {RiskGroup.ORDINARY}))
                for org, groups in sorted(organizations.items(), key=lambda item: str(item[0]))
            ),
            inspectors=tuple(
                InspectorCandidate(expert, tuple(sorted(recused, key=str)))
                for expert, recused in sorted(inspectors.items(), key=lambda item: str(item[0]))
            ),
        )

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "year": self.year,
            "division_prefix": self.division_prefix,
            "rule_set": self.rule_set,
            "ratios": {group: str(ratio) for group, ratio in self.ratios},
            "inspectors_per_check": self.inspectors_per_check,
            "organizations": [{"id": str(c.organization_id), "groups": list(c.groups)} for c in self.organizations],
            "inspectors": [{"id": str(i.expert_id), "recused_for": [str(o) for o in i.recused_for]} for i in self.inspectors],
        }

    def canonical(self) -> bytes:
        """UTF-8 JSON with sorted keys and no spaces: the bytes that are hashed and published."""
        return json.dumps(self.document(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @classmethod
    def parse(cls, text: str | bytes) -> CandidateList:
        """A published list read back (the CLI's redraw); refused, saying why, when it is not one."""
        try:
            raw = json.loads(text)
            if raw.get("format") != FORMAT:
                raise ValueError(f"format is not {FORMAT}")
            ratios = raw["ratios"]
            return cls(
                year=int(raw["year"]),
                division_prefix=str(raw["division_prefix"]),
                rule_set=str(raw["rule_set"]),
                ratios=tuple((g.value, Decimal(str(ratios[g.value]))) for g in GROUP_ORDER),
                inspectors_per_check=int(raw["inspectors_per_check"]),
                organizations=tuple(Candidate(UUID(c["id"]), tuple(str(g) for g in c["groups"])) for c in raw["organizations"]),
                inspectors=tuple(
                    InspectorCandidate(UUID(i["id"]), tuple(UUID(o) for o in i["recused_for"])) for i in raw["inspectors"]
                ),
            )
        except (ValueError, KeyError, TypeError, AttributeError, ArithmeticError) as e:
            raise InvalidValue(
                "spot_check.candidates_unreadable",
                f"抽查名录无法读取:{e}",
                f"The candidate list cannot be read: {e}",
            ) from None


@dataclass(frozen=True)
class Selected:
    organization_id: UUID
    group: str  # the RiskGroup it was drawn in
    inspector_ids: tuple[UUID, ...]


def _rank(seed: str, *parts: str) -> str:
    return hashlib.sha256(":".join((seed, *parts)).encode()).hexdigest()


def group_of(candidate: Candidate, ratios: Mapping[str, Decimal]) -> str:
    """The group a candidate is drawn in: of those it falls in, the one with the highest ratio."""
    groups = [g.value for g in GROUP_ORDER if g.value in candidate.groups] or [RiskGroup.ORDINARY.value]
    return max(groups, key=lambda g: (ratios[g], -groups.index(g)))


def quota(ratio: Decimal, size: int) -> int:
    """How many of a group of `size` are drawn: the ratio of it, rounded up (a group is never skipped)."""
    return int((ratio * size).to_integral_value(rounding=ROUND_CEILING))


def check_seed(seed: str) -> str:
    if not (16 <= len(seed) <= 128) or any(ch not in "0123456789abcdef" for ch in seed):
        raise InvalidValue(
            "spot_check.seed",
            "随机种子应为16至128位小写十六进制数字",
            "A seed is 16 to 128 lowercase hexadecimal digits",
        )
    return seed


def select(seed: str, candidates: CandidateList) -> tuple[Selected, ...]:
    """The draw: a pure function of the seed and the candidate list (see the module's docstring).
    Refused when a drawn organization has fewer conflict-free inspectors than a team needs."""
    check_seed(seed)
    ratios = dict(candidates.ratios)
    chosen: list[tuple[UUID, str]] = []
    for risk in GROUP_ORDER:
        members = [c for c in candidates.organizations if group_of(c, ratios) == risk.value]
        ranked = sorted(members, key=lambda c: _rank(seed, "organization", str(c.organization_id)))
        chosen += [(c.organization_id, risk.value) for c in ranked[: quota(ratios[risk.value], len(members))]]
    selected = []
    size = candidates.inspectors_per_check
    for org, group in sorted(chosen, key=lambda item: str(item[0])):
        free = [i for i in candidates.inspectors if org not in i.recused_for]
        if len(free) < size:
            raise InvalidValue(
                "spot_check.too_few_inspectors",
                f"可抽取检查{org}的无利益冲突检查人员只有{len(free)}人,每项抽查至少需要{size}人",
                f"Only {len(free)} inspectors without a conflict of interest can check {org}; a check needs {size}",
                organization_id=str(org),
                available=len(free),
                needed=size,
            )
        team = sorted(free, key=lambda i: _rank(seed, str(org), str(i.expert_id)))[:size]
        selected.append(Selected(org, group, tuple(i.expert_id for i in team)))
    return tuple(selected)


class SpotCheckDraw(LedgerAggregate):
    """抽查摇号: one year's draw for a division, irreversible once recorded."""

    class Drawn(LedgerAggregate.Created):
        year: int
        division_prefix: str
        seed: str
        candidates: CandidateList
        candidates_sha256: str
        selection: tuple[Selected, ...]
        provenance: Provenance

    def __init__(
        self,
        year: int,
        division_prefix: str,
        seed: str,
        candidates: CandidateList,
        candidates_sha256: str,
        selection: tuple[Selected, ...],
    ) -> None:
        self.year = year
        self.division_prefix = division_prefix
        self.seed = seed
        self.candidates = candidates
        self.candidates_sha256 = candidates_sha256
        self.selection = selection

    @classmethod
    def draw(cls, seed: str, candidates: CandidateList, provenance: Provenance) -> SpotCheckDraw:
        provenance.basis.require("抽查摇号", "A spot-check draw", grounds=False)
        if provenance.rule_set is None:
            raise InvalidValue("provenance.no_rule_set", "抽查须注明所依据的规则版本", "A draw names the rules it applies")
        return cls._create(
            cls.Drawn,
            id=draw_id(candidates.year, candidates.division_prefix),
            year=candidates.year,
            division_prefix=candidates.division_prefix,
            seed=seed,
            candidates=candidates,
            candidates_sha256=candidates.sha256(),
            selection=select(seed, candidates),
            provenance=provenance,
        )

    def replay(self) -> tuple[Selected, ...]:
        """The selection computed again from the recorded seed and list (it must equal the recorded one)."""
        return select(self.seed, self.candidates)


class Stage(str, Enum):
    DRAWN = "drawn"  # 已抽取: the team is named, the organization not yet told
    NOTIFIED = "notified"  # 已通知
    INSPECTED = "inspected"  # 已现场检查: findings recorded
    CONCLUDED = "concluded"  # 已作出结论
    RECTIFIED = "rectified"  # 整改已确认


class Conclusion(str, Enum):
    NO_PROBLEMS = "no_problems"  # 未发现问题
    RECTIFICATION_ORDERED = "rectification_ordered"  # 发现问题,责令整改
    REFERRED_FOR_PENALTY = "referred_for_penalty"  # 移交行政处罚


class MaterialSource(str, Enum):
    ORGANIZATION = "organization"  # 组织提交
    INSPECTOR = "inspector"  # 检查人员记录


@dataclass(frozen=True)
class Material:
    source: MaterialSource
    title: str
    note: str


@dataclass(frozen=True)
class Inspector:
    expert_id: UUID
    user_id: str
    name: str


STAGE_NAMES = {
    Stage.DRAWN: ("已抽取,尚未通知", "drawn, not yet notified"),
    Stage.NOTIFIED: ("已通知", "notified"),
    Stage.INSPECTED: ("已现场检查", "inspected on site"),
    Stage.CONCLUDED: ("已作出结论", "concluded"),
    Stage.RECTIFIED: ("整改已确认", "rectification confirmed"),
}


def _text(value: str, code: str, zh: str, en: str, longest: int) -> str:
    value = value.strip()
    if not value or len(value) > longest:
        raise InvalidValue(code, f"{zh}应为1到{longest}个字符", f"{en} has 1 to {longest} characters")
    return value


class SpotCheck(LedgerAggregate):
    """抽查: one organization's check in a year, by the team the draw named."""

    DECISIONS: ClassVar[Mapping[str, tuple[str, str]]] = {
        "Notified": ("抽查通知", "spot-check notice"),
        "Concluded": ("抽查结论", "spot-check conclusion"),
        "RectificationConfirmed": ("确认整改", "rectification confirmed"),
    }

    class Opened(LedgerAggregate.Created):
        organization_id: UUID
        year: int
        draw_id: UUID
        group: str
        inspectors: tuple[Inspector, ...]
        rule_set: RuleSetRef
        provenance: Provenance

    def __init__(
        self,
        organization_id: UUID,
        year: int,
        draw_id: UUID,
        group: str,
        inspectors: tuple[Inspector, ...],
        rule_set: RuleSetRef,
    ) -> None:
        self.organization_id = organization_id
        self.year = year
        self.draw_id = draw_id
        self.group = group
        self.inspectors = inspectors
        self.rule_set = rule_set
        self.stage = Stage.DRAWN
        self.notice_no: str | None = None
        self.notified_on: date | None = None
        self.materials: tuple[Material, ...] = ()
        self.findings: str | None = None
        self.conclusion: Conclusion | None = None
        self.conclusion_reasons: str | None = None
        self.decision_no: str | None = None
        self.concluded_on: date | None = None
        self.rectification_deadline: date | None = None
        self.rectified_on: date | None = None
        self.documents: tuple[Attached, ...] = ()

    @classmethod
    def open(
        cls, draw: SpotCheckDraw, selected: Selected, inspectors: tuple[Inspector, ...], provenance: Provenance
    ) -> SpotCheck:
        if len(inspectors) < draw.candidates.inspectors_per_check:
            raise InvalidValue(
                "spot_check.team_too_small",
                f"每项抽查至少需要{draw.candidates.inspectors_per_check}名检查人员",
                f"A spot check needs {draw.candidates.inspectors_per_check} inspectors",
            )
        return cls._create(
            cls.Opened,
            id=spot_check_id(selected.organization_id, draw.year),
            organization_id=selected.organization_id,
            year=draw.year,
            draw_id=draw.id,
            group=selected.group,
            inspectors=inspectors,
            rule_set=deciding_rule_set(provenance),
            provenance=provenance,
        )

    def _refuse(self, action: str, zh_needs: str, en_needs: str) -> InvalidTransition:
        zh, en = STAGE_NAMES[self.stage]
        return InvalidTransition(
            f"spot_check.{action}",
            f"抽查{zh},{zh_needs}",
            f"The spot check is {en}; {en_needs}",
            stage=self.stage.value,
        )

    # -- 通知 ---------------------------------------------------------------------------------
    def notify(self, on: date, provenance: Provenance) -> None:
        """The organization is told of the check by a numbered notice (抽查通知书)."""
        if self.stage is not Stage.DRAWN:
            raise self._refuse("notify", "已经通知过,不能再次通知", "the notice was given already")
        provenance.basis.require("抽查通知", "A spot-check notice", grounds=False)
        self._notified(provenance.basis.document_no or "", on, provenance)

    @event("Notified")
    def _notified(self, notice_no: str, notified_on: date, provenance: Provenance) -> None:
        self.notice_no = notice_no
        self.notified_on = notified_on
        self.stage = Stage.NOTIFIED

    # -- 材料 ---------------------------------------------------------------------------------
    def add_material(self, source: MaterialSource, title: str, note: str, provenance: Provenance) -> None:
        """What the organization submits or an inspector records, from the notice until the conclusion."""
        self.check_can_attach()
        title = _text(title, "spot_check.material_title", "材料名称", "A material's title", 200)
        self._material_added(Material(source, title, note.strip()[:5000]), provenance)

    @event("MaterialAdded")
    def _material_added(self, material: Material, provenance: Provenance) -> None:
        self.materials = (*self.materials, material)

    def check_can_attach(self) -> None:
        """Files come in when materials do: from the notice until the conclusion."""
        if self.stage is Stage.DRAWN:
            raise self._refuse("material", "须先通知被检查组织,才能提交或记录材料", "notify the organization before materials")
        if self.stage in (Stage.CONCLUDED, Stage.RECTIFIED):
            raise self._refuse("material", "结论已作出,不能再提交材料", "no materials after the conclusion")

    def attach_document(self, slot: Slot, document: DocumentRef, provenance: Provenance) -> None:
        self.check_can_attach()
        self._document_attached(slot.key, document, provenance)

    @event("DocumentAttached")
    def _document_attached(self, slot: str, document: DocumentRef, provenance: Provenance) -> None:
        # never public: the card publishes the conclusion, not what it was drawn from
        new = Attached(slot, document, False, provenance.at.isoformat(), provenance.actor.user_id)
        self.documents = with_attached(self.documents, new, None)

    # -- 现场检查 ----------------------------------------------------------------------------
    def record_findings(self, findings: str, provenance: Provenance) -> None:
        if self.stage is Stage.DRAWN:
            raise self._refuse("findings", "须先通知被检查组织,才能现场检查", "notify the organization before inspecting on site")
        if self.stage is not Stage.NOTIFIED:
            raise self._refuse("findings", "现场检查情况已经记录", "the on-site findings are recorded already")
        self._findings_recorded(_text(findings, "spot_check.findings", "现场检查情况", "The findings", 5000), provenance)

    @event("FindingsRecorded")
    def _findings_recorded(self, findings: str, provenance: Provenance) -> None:
        self.findings = findings
        self.stage = Stage.INSPECTED

    # -- 结论 ---------------------------------------------------------------------------------
    def conclude(
        self,
        conclusion: Conclusion,
        reasons: str,
        rectification_deadline: date | None,
        today: date,
        provenance: Provenance,
    ) -> None:
        """The check's conclusion, by a numbered decision; a rectification order names its deadline."""
        if self.stage in (Stage.DRAWN, Stage.NOTIFIED):
            raise self._refuse("conclude", "须先记录现场检查情况,才能作出结论", "record the on-site findings before concluding")
        if self.stage is not Stage.INSPECTED:
            raise self._refuse("conclude", "结论已经作出", "the conclusion is given already")
        provenance.basis.require("抽查结论", "A spot-check conclusion", grounds=False)
        reasons = _text(reasons, "spot_check.reasons", "结论理由", "The conclusion's reasons", 5000)
        if conclusion is Conclusion.RECTIFICATION_ORDERED:
            if rectification_deadline is None or rectification_deadline <= today:
                raise InvalidValue(
                    "spot_check.rectification_deadline",
                    "责令整改须写明晚于今天的整改期限",
                    "An order to rectify names a deadline after today",
                )
        elif rectification_deadline is not None:
            raise InvalidValue(
                "spot_check.rectification_deadline",
                "只有责令整改的结论有整改期限",
                "Only a conclusion ordering rectification has a deadline",
            )
        self._concluded(
            conclusion,
            reasons,
            provenance.basis.document_no or "",
            provenance.effective_day(today),
            rectification_deadline,
            provenance,
        )

    @event("Concluded")
    def _concluded(
        self,
        conclusion: Conclusion,
        reasons: str,
        decision_no: str,
        concluded_on: date,
        rectification_deadline: date | None,
        provenance: Provenance,
    ) -> None:
        self.conclusion = conclusion
        self.conclusion_reasons = reasons
        self.decision_no = decision_no
        self.concluded_on = concluded_on
        self.rectification_deadline = rectification_deadline
        self.stage = Stage.CONCLUDED

    # -- 整改 ---------------------------------------------------------------------------------
    def confirm_rectification(self, today: date, note: str, provenance: Provenance) -> None:
        if self.stage is not Stage.CONCLUDED or self.conclusion is not Conclusion.RECTIFICATION_ORDERED:
            if self.stage is Stage.RECTIFIED:
                raise self._refuse("rectification", "整改已经确认", "the rectification is confirmed already")
            raise self._refuse(
                "rectification",
                "只有责令整改的结论之后才能确认整改",
                "only a conclusion ordering rectification is followed by one",
            )
        self._rectification_confirmed(provenance.effective_day(today), note.strip()[:2000], provenance)

    @event("RectificationConfirmed")
    def _rectification_confirmed(self, rectified_on: date, note: str, provenance: Provenance) -> None:
        self.rectified_on = rectified_on
        self.stage = Stage.RECTIFIED

    def on_team(self, user_id: str) -> bool:
        return any(i.user_id == user_id for i in self.inspectors)
