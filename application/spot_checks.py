"""Random inspections (双随机一公开): the registrar's yearly draw of organizations and inspectors,
recorded with its seed and the hash of its candidate list, and each spot check's steps.

The candidate list is read from the read models when the draw is made (active registered
organizations in the division; its risk groups: last report missed or late, on a credit list,
complained about — a complaint on file within the rule set's months, not turned away or referred,
or one the registrar names from other channels) and the inspectors from the expert pool, each with
the organizations the panels' conflict rule keeps them from (`conflicts_of_interest`). The
domain draws; the draw and every check it opens are saved in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec

from application import rights
from application.context import CommandContext
from application.documents import accept
from application.errors import NotFound, NotPermitted
from application.ports import (
    CasesView,
    ComplaintsView,
    ComplianceView,
    DocumentStore,
    DocumentUpload,
    RegisterView,
    Seeds,
    SpotChecksView,
)
from application.queries.common import Page
from application.queries.register import RegisterEntry, RegisterQuery
from application.queries.spot_checks import DrawRow, SpotCheckQuery, SpotCheckRow
from application.rights import authorize, command
from application.usecases import UseCases
from domain.documents import Attached, DocumentRef, find, slot
from domain.errors import Conflict, InvalidTransition, InvalidValue
from domain.expert import Expert, SubjectTies, conflicts_of_interest
from domain.provenance import Role
from domain.rules import RuleSet, add_months
from domain.spot_check import (
    CandidateList,
    Conclusion,
    Inspector,
    MaterialSource,
    RiskGroup,
    SpotCheck,
    SpotCheckDraw,
    draw_id,
    group_of,
    quota,
    spot_check_id,
)

PAGE = 200  # the register read model's largest page
MATERIAL_SLOT = "spot_check_material"


class PublishedSelection(msgspec.Struct, frozen=True):
    organization_id: UUID
    name: str
    group: str  # ordinary | late_report | listed | complained
    inspector_ids: list[UUID]  # ids in the candidate list (inspectors' names are not public)
    spot_check_id: UUID


class PublishedDraw(msgspec.Struct, frozen=True):
    """A draw as the public reads it (API and page): enough to rerun it and compare."""

    id: UUID
    year: int
    division_prefix: str
    rule_set: str
    seed: str
    candidates_sha256: str
    candidates_url: str  # the list's exact bytes: their SHA-256 is candidates_sha256
    drawn_at: datetime
    document_no: str | None
    organizations: int  # candidates
    inspectors: int
    selection: list[PublishedSelection]
    verify: str  # the command that reruns it


@dataclass(frozen=True)
class DrawPreview:
    """What a draw would be made from, shown before the irreversible step: the list and its hash,
    and how many of each group the ratios draw."""

    candidates: CandidateList
    sha256: str
    groups: dict[str, int]  # group → candidates drawn in it
    quotas: dict[str, int]  # group → how many will be drawn
    report_year: int  # the annual report whose lateness counts


class SpotChecks(UseCases):
    def __init__(
        self,
        *args: Any,
        seeds: Seeds,
        register: RegisterView,
        compliance: ComplianceView,
        cases: CasesView,
        complaints: ComplaintsView | None = None,
        documents: DocumentStore | None = None,
        view: SpotChecksView | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.view = view  # the lists of draws and checks
        self.complaints = complaints  # 投诉举报 on file: the complained-about group
        self.documents = documents
        self.seeds = seeds
        self.register = register
        self.compliance = compliance
        self.cases = cases

    # -- the draw ---------------------------------------------------------------------------------
    def rule_set_for(self, division_prefix: str) -> RuleSet:
        _check_prefix(division_prefix)
        return self.rules.for_division(division_prefix, self.store.today(division_prefix))

    def report_year_for(self, rule_set: RuleSet, year: int) -> int:
        """The latest annual report whose registration-authority deadline has passed by today (or by the draw's year)."""
        today = self.store.today()
        for report_year in (year - 1, year - 2):
            if rule_set.inspection.deadlines(report_year)[1] < today:
                return report_year
        return year - 2

    def preview(self, year: int, division_prefix: str, complained: list[UUID] | None = None) -> DrawPreview:
        """The candidate list a draw made now would use (it changes as the register does)."""
        rule_set = self.rule_set_for(division_prefix)
        self._check_year(year)
        candidates, report_year = self._candidates(rule_set, year, division_prefix, complained or [])
        ratios = dict(candidates.ratios)
        groups = {g.value: 0 for g in RiskGroup}
        for c in candidates.organizations:
            groups[group_of(c, ratios)] += 1
        quotas = {g: quota(ratios[g], n) for g, n in groups.items()}
        return DrawPreview(candidates, candidates.sha256(), groups, quotas, report_year)

    @command("spot_checks.draw")
    def draw(
        self,
        ctx: CommandContext,
        year: int,
        division_prefix: str,
        complained: list[UUID] | None = None,
        previewed_sha256: str | None = None,
    ) -> tuple[SpotCheckDraw, list[SpotCheck]]:
        """Draw the year's spot checks for a division with a fresh seed and open a case for each;
        refused if the division's draw for the year is recorded already (it cannot be redone), or if
        the candidate list is no longer the one the registrar confirmed (`previewed_sha256`)."""
        rule_set = self.rule_set_for(division_prefix)
        self._check_year(year)
        existing = self._find(draw_id(year, division_prefix))
        if isinstance(existing, SpotCheckDraw):
            raise Conflict(
                "spot_check.draw_exists",
                f"{division_prefix} {year}年度的抽查已经摇号,不能重新抽取",
                f"The {year} draw for {division_prefix} is recorded already and cannot be made again",
                draw_id=str(existing.id),
            )
        candidates, _ = self._candidates(rule_set, year, division_prefix, complained or [])
        if previewed_sha256 is not None and previewed_sha256 != candidates.sha256():
            raise Conflict(
                "spot_check.candidates_changed",
                "确认之后抽查名录已有变化(登记或名录情况有更新),请重新预览后再摇号",
                "The candidate list has changed since it was confirmed (the register or the lists moved); preview it again",
                previewed=previewed_sha256,
                now=candidates.sha256(),
            )
        at = self._at(ctx, rule_set)
        made = SpotCheckDraw.draw(self.seeds.new_seed(), candidates, at)
        experts = {e.id: e for e in (self._get(i.expert_id, Expert, "expert") for i in candidates.inspectors)}
        checks = [
            SpotCheck.open(
                made,
                selected,
                tuple(Inspector(x, experts[x].user_id, experts[x].name) for x in selected.inspector_ids),
                self._at(ctx, rule_set, caused_by=str(made.id)),
            )
            for selected in made.selection
        ]
        self._save(made, *checks)
        return made, checks

    def _check_year(self, year: int) -> None:
        today = self.store.today()
        if year not in (today.year, today.year + 1):
            raise InvalidValue(
                "spot_check.year",
                f"只能为今年({today.year})或明年抽取",
                f"A draw is made for this year ({today.year}) or the next",
                year=year,
            )

    def _candidates(
        self, rule_set: RuleSet, year: int, division_prefix: str, complained: list[UUID]
    ) -> tuple[CandidateList, int]:
        entries = {e.id: e for e in self._active(division_prefix) if not self._checked(e.id, year)}
        unknown = sorted(str(c) for c in set(complained) - set(entries))
        if unknown:
            raise InvalidValue(
                "spot_check.complained_unknown",
                f"被投诉组织不在本次抽查范围(该区划内正常登记、本年度尚未抽查的组织)内:{'、'.join(unknown)}",
                f"Organizations complained about are not among this draw's candidates "
                f"(active, registered in the division, not yet checked this year): {', '.join(unknown)}",
                organization_ids=unknown,
            )
        report_year = self.report_year_for(rule_set, year)
        late = set(self.compliance.late_reporters(division_prefix, report_year))
        since = add_months(self.store.today(division_prefix), -rule_set.spot_checks.complaints_within_months)
        on_file = set(self.complaints.complained_about(since)) if self.complaints is not None else set()
        groups: dict[UUID, set[RiskGroup]] = {}
        for org_id, entry in entries.items():
            found: set[RiskGroup] = set()
            if org_id in late:
                found.add(RiskGroup.LATE_REPORT)
            if entry.credit_status != "none":
                found.add(RiskGroup.LISTED)
            if org_id in complained or org_id in on_file:
                found.add(RiskGroup.COMPLAINED)
            groups[org_id] = found
        today = self.store.today(division_prefix)
        years = rule_set.evaluation.recusal_years_after_leaving
        hubs = self.register.names([e.hub_id for e in entries.values() if e.hub_id is not None])
        ties = {
            org_id: SubjectTies(org_id, e.name, e.hub_id, hubs.get(e.hub_id) if e.hub_id else None)
            for org_id, e in entries.items()
        }
        inspectors: dict[UUID, set[UUID]] = {}
        for row in self.cases.experts():
            expert = self._get(row.id, Expert, "expert")
            inspectors[expert.id] = {org_id for org_id, tie in ties.items() if conflicts_of_interest(expert, tie, today, years)}
        return CandidateList.of(year, division_prefix, rule_set.ref, rule_set.spot_checks, groups, inspectors), report_year

    def _active(self, division_prefix: str) -> Iterator[RegisterEntry]:
        page = 1
        while True:
            query = RegisterQuery(status="active", track="registered", division_prefix=division_prefix, page=page, per_page=PAGE)
            found = self.register.search(query)
            yield from found.items
            if page * PAGE >= found.total:
                return
            page += 1

    def _checked(self, organization_id: UUID, year: int) -> bool:
        """Drawn already this year (in the draw of an enclosing or enclosed division)."""
        return isinstance(self._find(spot_check_id(organization_id, year)), SpotCheck)

    # -- reading draws and checks --------------------------------------------------------------------
    def draw_record(self, draw: UUID) -> SpotCheckDraw:
        return self._get(draw, SpotCheckDraw, "spot_check_draw")

    def draw_of(self, year: int, division_prefix: str) -> SpotCheckDraw:
        _check_prefix(division_prefix)
        return self.draw_record(draw_id(year, division_prefix))

    def published(self, made: SpotCheckDraw) -> PublishedDraw:
        names = self.register.names([s.organization_id for s in made.selection])
        drawn = self.store.history(made.id)[0]
        return PublishedDraw(
            id=made.id,
            year=made.year,
            division_prefix=made.division_prefix,
            rule_set=made.candidates.rule_set,
            seed=made.seed,
            candidates_sha256=made.candidates_sha256,
            candidates_url=f"/api/public/spot-check-draws/{made.id}/candidates",
            drawn_at=made.created_on,
            document_no=drawn.document_no,
            organizations=len(made.candidates.organizations),
            inspectors=len(made.candidates.inspectors),
            selection=[
                PublishedSelection(
                    s.organization_id,
                    names.get(s.organization_id, ""),
                    s.group,
                    list(s.inspector_ids),
                    spot_check_id(s.organization_id, made.year),
                )
                for s in made.selection
            ],
            verify=f"starledger spot-checks redraw --seed {made.seed} --candidates candidates.json",
        )

    def drawn_by(self, made: SpotCheckDraw) -> tuple[str, str | None]:
        """Who recorded the draw and on which decision (a retried request recognises its own)."""
        drawn = self.store.history(made.id)[0]
        return drawn.actor_id, drawn.document_no

    def draws(self, year: int | None = None) -> list[DrawRow]:
        """Every draw recorded (of a year), the newest first."""
        return self._view().draws(year)

    def checks(self, query: SpotCheckQuery) -> Page[SpotCheckRow]:
        """Checks, those not concluded first; an inspector's own with `inspector` (a user id)."""
        return self._view().checks(query)

    def _view(self) -> SpotChecksView:
        if self.view is None:
            raise NotFound("spot_check_lists", "")
        return self.view

    def spot_check(self, check_id: UUID, expected: int | None = None) -> SpotCheck:
        return self._get(check_id, SpotCheck, "spot_check", expected)

    def checks_of(self, made: SpotCheckDraw) -> list[SpotCheck]:
        """The cases a draw opened, in the order of its selection."""
        return [self.spot_check(spot_check_id(s.organization_id, made.year)) for s in made.selection]

    def history(self, check_id: UUID) -> list[Any]:
        self.spot_check(check_id)
        return self.store.history(check_id)

    def conclusions_of(self, organization_id: UUID) -> list[SpotCheck]:
        """An organization's concluded spot checks, the latest year first: what the public card shows
        and later rules may read."""
        first = min(r.effective_from.year for r in self.rules.all())
        found = (self._find(spot_check_id(organization_id, y)) for y in range(self.store.today().year + 1, first - 1, -1))
        return [c for c in found if isinstance(c, SpotCheck) and c.conclusion is not None]

    # -- a check's steps ----------------------------------------------------------------------------
    def notify(self, ctx: CommandContext, check_id: UUID, expected: int | None) -> SpotCheck:
        """The notice (抽查通知书), by its number, on the day it is given (or the day the context names)."""
        check = self.spot_check(check_id, expected)
        self._authorize(ctx, "notify", check)
        at = self._at(ctx)
        check.notify(at.effective_day(self.store.today()), at)
        return self._save(check)

    def add_material(self, ctx: CommandContext, check_id: UUID, expected: int | None, title: str, note: str) -> SpotCheck:
        """What the organization submits, or an inspector or the registry records."""
        check = self.spot_check(check_id, expected)
        self._authorize(ctx, "add_material", check)
        source = MaterialSource.ORGANIZATION if ctx.actor.role is Role.ORGANIZATION else MaterialSource.INSPECTOR
        check.add_material(source, title, note, self._at(ctx))
        return self._save(check)

    def check_attach(self, ctx: CommandContext, check_id: UUID) -> SpotCheck:
        """Asked before an upload's bytes are read: the organization checked, the team or the registry, while materials come in."""
        check = self.spot_check(check_id)
        self._authorize(ctx, "check_attach", check)
        check.check_can_attach()
        return check

    def attach_document(
        self, ctx: CommandContext, check_id: UUID, upload: DocumentUpload, file_name: str
    ) -> tuple[SpotCheck, DocumentRef]:
        self.check_attach(ctx, check_id)
        self._authorize(ctx, "attach_document", self.spot_check(check_id))
        if self.documents is None:
            raise InvalidTransition("document.no_store", "未配置文件存储", "No document store is configured")
        kind = slot(MATERIAL_SLOT)
        ref = accept(self.documents, upload, kind.key, file_name, kind.types)

        def attach() -> SpotCheck:
            check = self.spot_check(check_id)
            check.attach_document(kind, ref, self._at(ctx))
            return self._save(check)

        return self._retrying(None, attach), ref

    def document(self, ctx: CommandContext, check_id: UUID, sha256: str) -> Attached:
        """A material's file, for the check's team, the organization checked, staff and auditors."""
        check = self.spot_check(check_id)
        if ctx.actor.role not in (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR) and not self.relations(ctx, check):
            raise NotPermitted(
                "只有检查组成员、被检查组织和工作人员可以查看抽查材料",
                "Only the check's team, the organization checked and staff see its materials",
            )
        found = find(check.documents, sha256)
        if found is None:
            raise NotFound("document", sha256)
        return found

    def record_findings(self, ctx: CommandContext, check_id: UUID, expected: int | None, findings: str) -> SpotCheck:
        check = self.spot_check(check_id, expected)
        self._authorize(ctx, "record_findings", check)
        check.record_findings(findings, self._at(ctx))
        return self._save(check)

    def conclude(
        self,
        ctx: CommandContext,
        check_id: UUID,
        expected: int | None,
        conclusion: Conclusion,
        reasons: str,
        rectification_deadline: date | None = None,
    ) -> SpotCheck:
        """The conclusion, by the registry's numbered decision, under the rule set the draw applied."""
        check = self.spot_check(check_id, expected)
        self._authorize(ctx, "conclude", check)
        rule_set = self.rules.get(check.rule_set.id, check.rule_set.version)
        check.conclude(conclusion, reasons, rectification_deadline, self.store.today(), self._at(ctx, rule_set))
        return self._save(check)

    def confirm_rectification(self, ctx: CommandContext, check_id: UUID, expected: int | None, note: str) -> SpotCheck:
        check = self.spot_check(check_id, expected)
        self._authorize(ctx, "confirm_rectification", check)
        at = self._at(ctx)
        check.confirm_rectification(self.store.today(), note, at)
        return self._save(check)

    def relations(self, ctx: CommandContext, check: SpotCheck) -> set[rights.Relation]:
        """How the actor stands to a check: on its team, or the organization checked."""
        holds = set()
        if check.on_team(ctx.actor.user_id):
            holds.add(rights.Relation.MEMBER)
        if ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization == check.organization_id:
            holds.add(rights.Relation.OWN)
        return holds

    def _authorize(self, ctx: CommandContext, step: str, check: SpotCheck) -> None:
        authorize(ctx, f"spot_checks.{step}", self.relations(ctx, check))


def _check_prefix(division_prefix: str) -> None:
    if not (2 <= len(division_prefix) <= 6 and division_prefix.isascii() and division_prefix.isdigit()):
        raise InvalidValue(
            "spot_check.division",
            "抽查范围应为2至6位行政区划代码",
            "A draw's division is a division code of 2 to 6 digits",
        )
