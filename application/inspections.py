"""Annual-inspection use cases: campaigns, the organization's report, the supervising unit's
opinion and the registrar's review, rectification, and the deadline: "missed" for everyone
without a submitted report, with the rule set's consequences recorded in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from itertools import combinations
from typing import Any
from uuid import UUID

from application.behind import Behind
from application.context import CommandContext
from application.credit import CreditRecords
from application.documents import accept
from application.errors import NotFound, NotPermitted, StaleVersion
from application.ports import ComplianceView, DocumentStore, DocumentUpload, IdRange
from application.precedent import Precedent
from application.queries.compliance import MissedCandidate
from application.reminders.notices import OUTCOMES, notice, registrars
from application.rights import command
from application.sweep_runs import SharedRuns
from application.usecases import UseCases
from domain.credit import CreditRecord, Ground, credit_record_id
from domain.documents import Attached, DocumentRef, slot
from domain.errors import InvalidValue
from domain.inspection import (
    AnnualReport,
    Inspection,
    InspectionCampaign,
    Outcome,
    Timeliness,
    campaign_id,
    inspection_id,
    timeliness,
)
from domain.organization import Organization
from domain.provenance import Provenance, Role
from domain.rules import RuleSet, grade_at_least

REPORT_SLOTS = ("audit_report", "cover_page", "commitment", "party_building", "report_other")


class Inspections(UseCases):
    # the missed sweep decides in sets (read models, new aggregates made in memory); False: every
    # organization on its loaded aggregates, as before (the reference the set-based sweep is tested against)
    set_based = True

    def __init__(
        self,
        *args: Any,
        view: ComplianceView,
        credit: CreditRecords,
        documents: DocumentStore,
        runs: SharedRuns,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.view = view
        self.runs = runs  # the sweep's chunks, shared with other instances
        self.credit = credit
        self.documents = documents

    # -- campaigns -----------------------------------------------------------------------
    @command("inspections.open_campaign")
    def open_campaign(self, ctx: CommandContext, report_year: int, division_prefix: str) -> InspectionCampaign:
        today = self.store.today(division_prefix or None)
        rule_set = self.rules.for_division(division_prefix.ljust(6, "0"), today)
        campaign = InspectionCampaign.open(
            report_year, division_prefix, rule_set.inspection.deadlines(report_year), today, self._at(ctx, rule_set)
        )
        return self._save(campaign)

    def campaign(self, report_year: int, division_prefix: str) -> InspectionCampaign:
        return self._get(campaign_id(report_year, division_prefix), InspectionCampaign, "inspection_campaign")

    def campaign_for(self, org: Organization, report_year: int, known: dict[UUID, Any] | None = None) -> InspectionCampaign:
        """The most local campaign covering the organization (6-, 4-, 2-digit prefix, then national).
        A sweep passes `known`, the campaigns it looked up already: four reads per organization less."""
        code = org.profile.division_code
        known = {} if known is None else known
        for prefix in (code, code[:4], code[:2], ""):
            key = campaign_id(report_year, prefix)
            found = known[key] if key in known else known.setdefault(key, self._find(key))
            if isinstance(found, InspectionCampaign):
                return found
        raise NotFound("inspection_campaign", f"{report_year}:{code}")

    # -- the organization's report --------------------------------------------------------------
    def inspection(self, organization_id: UUID, report_year: int, expected: int | None = None) -> Inspection:
        inspection = self._inspection_of(organization_id, report_year)
        if inspection is None:
            raise NotFound("inspection", inspection_id(organization_id, report_year))
        return _at_version(inspection, expected)

    @command("inspections.draft_report", owner="organization_id")
    def draft_report(
        self, ctx: CommandContext, organization_id: UUID, report_year: int, expected: int | None, report: AnnualReport
    ) -> Inspection:
        self._require_own(ctx, organization_id)
        inspection = self._found_or_opened(ctx, organization_id, report_year, expected)
        inspection.draft_report(report, self._at(ctx))
        return self._save(inspection)

    def _found_or_opened(self, ctx: CommandContext, organization_id: UUID, report_year: int, expected: int | None) -> Inspection:
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        if report_year >= today.year:
            raise InvalidValue(
                "report.year_not_over",
                f"{report_year}年度尚未结束,不能提交该年度报告",
                f"The year {report_year} is not over; its annual report cannot be filed yet",
            )
        inspection = self._inspection_of(organization_id, report_year)
        if inspection is None:
            return self._opened(ctx, org, self.campaign_for(org, report_year), today)
        return _at_version(inspection, expected)

    # -- 延期: more time for the report -------------------------------------------------------------
    @command("inspections.request_extension", owner="organization_id")
    def request_extension(
        self, ctx: CommandContext, organization_id: UUID, report_year: int, expected: int | None, until: date, reason: str
    ) -> Inspection:
        """The organization asks before the deadline; the registrars are told."""
        self._require_own(ctx, organization_id)
        inspection = self._found_or_opened(ctx, organization_id, report_year, expected)
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        rules = self._campaign_rules(inspection)
        at = self._at(ctx, rules)
        inspection.request_extension(until, reason, today, rules.inspection.extension_max_days, at)
        told = notice(
            "extension_requested",
            organization_id,
            registrars(),
            f"{report_year}:v{inspection.version}",
            today,
            at,
            name=org.profile.name,
            year=report_year,
            until=until.isoformat(),
            reason=reason.strip()[:200],
        )
        return self._save(inspection, told)

    @command("inspections.decide_extension")
    def decide_extension(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        report_year: int,
        expected: int | None,
        granted: bool,
        until: date | None,
        reasons: str,
    ) -> Inspection:
        """The registrar grants (the day asked for, or another within the rule set's limit) or refuses;
        reminders and the missed-report sweep follow the granted day from then on."""
        inspection = self.inspection(organization_id, report_year, expected)
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        rules = self._campaign_rules(inspection)
        at = self._at(ctx, rules)
        inspection.decide_extension(granted, until, reasons, today, rules.inspection.extension_max_days, at)
        new = inspection.deadline.isoformat()
        told = notice(
            "extension_decided",
            organization_id,
            f"organization:{organization_id}",
            f"{report_year}:v{inspection.version}",
            today,
            at,
            year=report_year,
            outcome_zh="已获准许" if granted else "未获准许",
            outcome_en="granted" if granted else "refused",
            detail_zh=f"新的报送期限为{new}。" if granted else f"报送期限仍为{new}。",
            detail_en=f"The new deadline is {new}. " if granted else f"The deadline stays {new}. ",
            reasons=reasons.strip()[:200],
        )
        return self._save(inspection, told)

    def _campaign_rules(self, inspection: Inspection) -> RuleSet:
        campaign = self._get(inspection.campaign_id, InspectionCampaign, "inspection_campaign")
        return self.rules.get(campaign.rule_set.id, campaign.rule_set.version)

    @command("inspections.submit_report", owner="organization_id")
    def submit_report(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        report_year: int,
        expected: int | None,
        report: AnnualReport | None = None,
    ) -> Inspection:
        """Submits the last draft, or `report` (what the person sees) drafted and submitted in one
        save: a first report may be submitted without saving a draft before."""
        self._require_own(ctx, organization_id)
        if report is None:
            inspection = self.inspection(organization_id, report_year, expected)
        else:
            inspection = self._found_or_opened(ctx, organization_id, report_year, expected)
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        required = self.required_documents(organization_id, report_year)
        at = self._at(ctx)
        inspection.submit_report(today, at, required, report)
        told = notice(
            "report_submitted",
            organization_id,
            registrars(),
            f"{report_year}:v{inspection.version}",
            today,
            at,
            name=org.profile.name,
            year=report_year,
        )
        return self._save(inspection, told)

    def filing(self, organization_id: UUID, report_year: int) -> Timeliness | None:
        """How the year's report stands against its deadline today (an Asia/Shanghai date, the
        rule set's timezone): the deadline, and past it the days overdue or late; None without a
        campaign for the year."""
        org = self._organization(organization_id)
        try:
            campaign = self.campaign_for(org, report_year)
        except NotFound:
            return None
        found = self.found(organization_id, report_year)
        deadline = found.deadline if found else campaign.registration_authority_deadline
        submitted_on = found.submitted_on if found else None
        rules = self.rules.get(campaign.rule_set.id, campaign.rule_set.version).inspection
        return timeliness(deadline, submitted_on, self.store.today(org.profile.division_code), rules)

    # -- the report's documents ---------------------------------------------------------------------
    def required_documents(self, organization_id: UUID, report_year: int) -> tuple[str, ...]:
        """The slots the campaign's rule set asks of this organization's type."""
        org = self._organization(organization_id)
        campaign = self.campaign_for(org, report_year)
        rule_set = self.rules.get(campaign.rule_set.id, campaign.rule_set.version)
        return rule_set.inspection.documents_required(org.profile.org_type.value)

    def open_report_year(self, organization_id: UUID) -> int | None:
        """Last year, if its report is still to be filed: a campaign covers the organization, nothing is filed,
        and it is not exempt (registered too recently before the year's end, as the rule set says)."""
        org = self._organization(organization_id)
        year = self.store.today(org.profile.division_code).year - 1
        if self.found(organization_id, year) is not None:
            return None
        try:
            campaign = self.campaign_for(org, year)
        except NotFound:
            return None
        since = org.registered_on or org.filed_on
        rules = self.rules.get(campaign.rule_set.id, campaign.rule_set.version).inspection
        return None if since is not None and rules.exempt(since, year) else year

    def found(self, organization_id: UUID, report_year: int) -> Inspection | None:
        return self._inspection_of(organization_id, report_year)

    @command("inspections.check_attach", owner="organization_id")
    def check_attach(self, ctx: CommandContext, organization_id: UUID, report_year: int, slot_key: str) -> None:
        """Whether a document may be attached now, asked before the bytes are read."""
        self._require_own(ctx, organization_id)
        slot(slot_key, REPORT_SLOTS)
        self._found_or_opened(ctx, organization_id, report_year, None).check_can_attach()

    @command("inspections.attach_document", owner="organization_id")
    def attach_document(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        report_year: int,
        expected: int | None,
        slot_key: str,
        upload: DocumentUpload,
        *,
        file_name: str,
        public: bool | None = None,
    ) -> tuple[Inspection, DocumentRef]:
        """Checked before the bytes are stored (who, which slot, the report's stage), then the
        type from the content, the bytes stored once, and DocumentAttached recorded."""
        self._require_own(ctx, organization_id)
        kind = slot(slot_key, REPORT_SLOTS)
        self._found_or_opened(ctx, organization_id, report_year, expected).check_can_attach()
        ref = accept(self.documents, upload, kind.key, file_name, kind.types)

        def attach() -> Inspection:
            inspection = self._found_or_opened(ctx, organization_id, report_year, expected)
            inspection.attach_document(kind, ref, kind.public if public is None else public, self._at(ctx))
            return self._save(inspection)

        return self._retrying(expected, attach), ref

    @command("inspections.withdraw_document", owner="organization_id")
    def withdraw_document(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        report_year: int,
        expected: int | None,
        slot_key: str,
        sha256: str,
        *,
        reason: str,
    ) -> Inspection:
        self._require_own(ctx, organization_id)
        inspection = self.inspection(organization_id, report_year, expected)
        inspection.withdraw_document(slot_key, sha256, reason, self._at(ctx))
        return self._save(inspection)

    def document(self, organization_id: UUID, report_year: int, sha256: str) -> Attached:
        """An attachment of the report (withdrawn ones too: the record keeps them), or 404."""
        inspection = self.inspection(organization_id, report_year)
        for attached in reversed(inspection.documents):
            if attached.document.sha256 == sha256:
                return attached
        raise NotFound("document", sha256)

    @command("inspections.withdraw_report", owner="organization_id")
    def withdraw_report(self, ctx: CommandContext, organization_id: UUID, report_year: int, expected: int | None) -> Inspection:
        self._require_own(ctx, organization_id)
        inspection = self.inspection(organization_id, report_year, expected)
        inspection.withdraw_report(self._at(ctx))
        return self._save(inspection)

    # -- review ------------------------------------------------------------------------------------
    @command("inspections.give_preliminary_opinion")
    def give_preliminary_opinion(
        self, ctx: CommandContext, organization_id: UUID, report_year: int, expected: int | None, opinion: str
    ) -> Inspection:
        inspection = self.inspection(organization_id, report_year, expected)
        inspection.give_preliminary_opinion(opinion, self._at(ctx))
        return self._save(inspection)

    @command("inspections.request_correction")
    def request_correction(
        self, ctx: CommandContext, organization_id: UUID, report_year: int, expected: int | None, reasons: tuple[str, ...]
    ) -> Inspection:
        inspection = self.inspection(organization_id, report_year, expected)
        inspection.request_correction(reasons, self._at(ctx))
        return self._save(inspection)

    @command("inspections.review")
    def review(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        report_year: int,
        expected: int | None,
        outcome: Outcome,
        reasons: tuple[str, ...],
    ) -> Inspection:
        inspection = self.inspection(organization_id, report_year, expected)
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        rule_set = self.rules.for_division(org.profile.division_code, today)
        at = self._at(ctx, rule_set)
        inspection.review(outcome, reasons, at)
        # a late report on a missed year is reviewed, but the year's outcome and its consequences
        # were recorded at the deadline: nothing is listed, warned or lowered a second time
        late = inspection.filed_after_missing
        decided = at.effective_day(today)  # consequences count from the conclusion's day
        consequences = [] if late else self._consequences(ctx, org, inspection, rule_set, decided)
        zh, en = OUTCOMES.get(outcome.value, (outcome.value, outcome.value))
        told = notice(
            "report_reviewed",
            organization_id,
            f"organization:{organization_id}",
            f"{report_year}:v{inspection.version}",
            today,
            at,
            name=org.profile.name,
            year=report_year,
            outcome_zh=zh,
            outcome_en=en,
        )
        return self._save(inspection, *consequences, told)

    @command("inspections.order_rectification")
    def order_rectification(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        report_year: int,
        expected: int | None,
        items: tuple[str, ...],
        deadline: date,
    ) -> Inspection:
        inspection = self.inspection(organization_id, report_year, expected)
        inspection.order_rectification(items, deadline, self.store.today(), self._at(ctx))
        return self._save(inspection)

    @command("inspections.confirm_rectification")
    def confirm_rectification(
        self, ctx: CommandContext, organization_id: UUID, report_year: int, expected: int | None
    ) -> Inspection:
        inspection = self.inspection(organization_id, report_year, expected)
        inspection.confirm_rectification(self.store.today(), self._at(ctx))
        return self._save(inspection)

    # -- the deadline ----------------------------------------------------------------------------------
    @command("inspections.record_missed")
    def record_missed(
        self, ctx: CommandContext, as_of: date, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, int]:
        """For every campaign whose deadline has passed by the date: each organization without a
        submitted report gets "missed" (or "exempt" if registered too recently), with its
        consequences; then the campaign records its deadline. Running it again changes nothing.
        Instances sweeping the same day share the work: a campaign's register is cut into chunks
        they claim (application/sweep_runs.py), and the campaign records its deadline, with
        everyone's counts, once every chunk is done."""
        self._not_in_future(as_of)
        self.view.catch_up()
        totals = {"campaigns": 0, "missed": 0, "exempt": 0}
        for row in self.view.due_campaigns(as_of):
            counts = self._missed_run(ctx, row.report_year, row.division_prefix, as_of, progress)
            totals["campaigns"] += 1
            totals["missed"] += counts.get("missed", 0)
            totals["exempt"] += counts.get("exempt", 0)
        extended = self.runs.run(
            f"{as_of}/missed/extended", lambda _ids, report: report({"missed": self._extended_missed(ctx, as_of)})
        )
        totals["missed"] += extended.get("missed", 0)
        return totals

    def _missed_run(
        self,
        ctx: CommandContext,
        report_year: int,
        division_prefix: str,
        as_of: date,
        progress: Callable[[int, int], None] | None,
    ) -> dict[str, int]:
        """One campaign's organizations, a chunk of the register at a time, shared with other instances."""
        campaign = self.campaign(report_year, division_prefix)
        total = self.view.count_without_filed_report(division_prefix, report_year)

        def work(ids: IdRange, report: Callable[[dict[str, int]], int]) -> None:
            def done(chunk: list[MissedCandidate], outcomes: list[str | None]) -> None:
                seen = report({"missed": outcomes.count("missed"), "exempt": outcomes.count("exempt"), "seen": len(chunk)})
                if progress:
                    progress(min(seen, total), total)

            after: UUID | None = None
            with Behind("missed-store", self.store.saves_behind) as behind:  # a chunk saved while the next is read and decided
                while True:
                    chunk, after = self.view.missed_candidates(
                        division_prefix, report_year, after, self.store.sweep_set_size, ids
                    )
                    if after is None:
                        return
                    if not chunk:
                        continue
                    if self.set_based:
                        save = self._miss_set(ctx, campaign, chunk, as_of)
                    else:
                        save = partial(self._miss_chunk, ctx, campaign, [c.organization_id for c in chunk], as_of)
                    behind.submit(save, partial(done, chunk))

        def finish(counts: dict[str, int]) -> None:
            """Once, by whoever sees every chunk done: the campaign itself refuses a second record."""
            found = self.campaign(report_year, division_prefix)
            if found.deadline_recorded:
                return
            found.record_deadline_passed(counts.get("missed", 0), counts.get("exempt", 0), self._at(ctx))
            try:
                self._save(found)
            except StaleVersion:  # another instance recorded it a moment before
                return

        return self.runs.run(f"{as_of}/missed/{campaign.id}", work, candidates=total, finish=finish)

    def _extended_missed(self, ctx: CommandContext, as_of: date) -> int:
        """Reports an extension gave more time, still not filed once that time ran out: missed then."""
        missed = 0
        for row in self.view.extended_unfiled(due_before=as_of):
            org = self._organization(row.organization_id)
            campaign = self.campaign_for(org, row.report_year)
            outcome, changed = self._decide_missed(ctx, campaign, org.id, None, as_of)
            if changed:
                self._save(*changed)
                missed += outcome == "missed"
        return missed

    def _miss_chunk(
        self, ctx: CommandContext, campaign: InspectionCampaign, organization_ids: list[UUID], as_of: date
    ) -> list[str | None]:
        known: dict[UUID, Any] = {}
        return self._in_chunk(organization_ids, lambda org_id: self._decide_missed(ctx, campaign, org_id, known, as_of))

    def _miss_set(
        self, ctx: CommandContext, campaign: InspectionCampaign, chunk: list[MissedCandidate], as_of: date
    ) -> Callable[[], list[str | None]]:
        """A chunk decided in a set: an organization the read models show with nothing that bears on
        the decision but its division and registration day (no inspection of the year yet, no credit
        record, no grade) gets new aggregates made by the same domain methods, with no aggregate
        loaded; the others are decided on their loaded aggregates as before, after checking the
        organizations' versions did not move since the query. What is returned saves them all in one
        transaction (on another thread while the next chunk is decided). A
        collision (another writer created the inspection or the record meanwhile) decides every
        organization of the chunk again on its loaded aggregates."""
        rule_set = self.rules.get(campaign.rule_set.id, campaign.rule_set.version)
        needed = rule_set.inspection.revocation_proposal_after_consecutive_years
        years = range(campaign.report_year - needed + 1, campaign.report_year)
        simple = {
            c.organization_id
            for c in chunk
            if c.inspection_version is None and not c.has_credit_record and not c.graded and c.registered_on is not None
        }
        earlier = self.view.outcomes(sorted(simple), years)
        known: dict[UUID, Any] = {}
        governing = self._governing_campaigns(campaign.report_year)
        alike = _Alike(years, earlier)
        decided: list[tuple[str | None, list[Any]]] = []
        for c in chunk:
            if c.organization_id in simple:
                decided.append(self._decide_missed_new(ctx, campaign, rule_set, governing, c, alike, as_of))
            else:
                decided.append(self._decide_missed(ctx, campaign, c.organization_id, known, as_of))
        moved = self._moved(chunk)
        if moved:  # changed since the query: decided on their loaded aggregates
            decided = [
                self._decide_missed(ctx, campaign, c.organization_id, known, as_of) if c.organization_id in moved else d
                for c, d in zip(chunk, decided, strict=True)
            ]
        return partial(
            self._save_decided, [c.organization_id for c in chunk], decided, partial(self._decide_alone, ctx, campaign, as_of)
        )

    def _decide_alone(
        self, ctx: CommandContext, campaign: InspectionCampaign, as_of: date, organization_id: UUID
    ) -> tuple[str | None, list[Any]]:
        return self._decide_missed(ctx, campaign, organization_id, None, as_of)

    def _moved(self, chunk: list[MissedCandidate]) -> set[UUID]:
        now = self.view.organization_versions([c.organization_id for c in chunk])
        return {c.organization_id for c in chunk if now.get(c.organization_id) != c.version}

    def _governing_campaigns(self, report_year: int) -> dict[str, UUID]:
        """The year's campaigns by division prefix (as `campaign_for` finds them, from the read model)."""
        return {c.division_prefix: c.id for c in self.view.campaigns() if c.report_year == report_year}

    def _decide_missed_new(
        self,
        ctx: CommandContext,
        campaign: InspectionCampaign,
        rule_set: RuleSet,
        governing: dict[str, UUID],
        c: MissedCandidate,
        alike: _Alike,
        as_of: date,
    ) -> tuple[str | None, list[Any]]:
        """`_decide_missed` for an organization with no inspection of the year, no credit record and
        no grade: the inspection and the credit record are opened here, and the events are those
        the aggregates' methods make (for the first organization in each situation; the others
        alike are made from its decision, `_Alike`). Without a grade, nothing of the organization
        changes. The clock is read as the aggregates' path reads it, so the instants are the same."""
        code = c.division_code
        local = next((governing[p] for p in (code, code[:4], code[:2], "") if p in governing), None)
        if local != campaign.id:
            return None, []  # a more local campaign governs this organization
        org_id, year = c.organization_id, campaign.report_year
        at = self._at(ctx, rule_set, caused_by=f"campaign:{campaign.id}")
        opened = self._at(ctx, rule_set)
        if campaign.registration_authority_deadline >= as_of:  # the inspection's deadline, as opened
            return "extended", []
        exempt = c.registered_on is not None and rule_set.inspection.exempt(c.registered_on, year)
        ids = {"organization": org_id, "inspection": inspection_id(org_id, year), "record": credit_record_id(org_id)}
        caused = None if exempt else self._at(ctx, rule_set, caused_by=f"inspection:{ids['inspection']}")
        provenances = {"at": at, "opened": opened} | ({"caused": caused} if caused else {})
        situation = alike.situation(org_id, exempt)
        made = alike.made(situation, ids, provenances)
        if made is not None:
            return made
        simplified = grade_at_least(None, rule_set.inspection.simplified_from_grade)  # no grade on any day
        inspection = Inspection.open(org_id, campaign, simplified, opened)
        if exempt:
            inspection.exempt("registered_less_than_required_months", at)
            decided: tuple[str | None, list[Any]] = ("exempt", [inspection])
        else:
            assert caused is not None
            inspection.record_missed(at)
            record = CreditRecord.open(org_id, caused)
            opened_at = record.version
            deadline_day = inspection.deadline + timedelta(days=1)
            self._record_consequences(record, inspection, rule_set, deadline_day, caused, alike.outcome_of(org_id))
            decided = ("missed", [inspection, *([record] if record.version > opened_at else [])])
        alike.remember(situation, decided, ids, provenances)
        return decided

    def _decide_missed(
        self,
        ctx: CommandContext,
        campaign: InspectionCampaign,
        organization_id: UUID,
        known: dict[UUID, Any] | None,
        as_of: date,
    ) -> tuple[str | None, list[Any]]:
        """The outcome for one organization and the aggregates it changes, unsaved. A report whose
        deadline an extension moved past the day is not missed yet; missed later, from its own deadline."""
        org = self._organization(organization_id)
        if self.campaign_for(org, campaign.report_year, known).id != campaign.id:
            return None, []  # a more local campaign governs this organization
        deadline_day = campaign.registration_authority_deadline + timedelta(days=1)
        rule_set = self.rules.get(campaign.rule_set.id, campaign.rule_set.version)
        at = self._at(ctx, rule_set, caused_by=f"campaign:{campaign.id}")
        inspection = self._inspection_of(org.id, campaign.report_year) or self._opened(ctx, org, campaign, deadline_day)
        if inspection.deadline >= as_of:
            return "extended", []
        deadline_day = inspection.deadline + timedelta(days=1)
        since = org.registered_on or org.filed_on
        if since is not None and rule_set.inspection.exempt(since, campaign.report_year):
            if inspection.stage.value != "awaiting":
                return None, []
            inspection.exempt("registered_less_than_required_months", at)
            return "exempt", [inspection]
        if not inspection.missable:
            return None, []
        inspection.record_missed(at)
        return "missed", [inspection, *self._consequences(ctx, org, inspection, rule_set, deadline_day)]

    # -- consequences (policy) -------------------------------------------------------------------------
    def _consequences(
        self, ctx: CommandContext, org: Organization, inspection: Inspection, rule_set: RuleSet, on: date
    ) -> list[Organization | CreditRecord]:
        """What the rule set says a missed or failed inspection leads to, caused by it; unsaved."""
        outcome = inspection.outcome.value if inspection.outcome else ""
        caused = self._at(ctx, rule_set, caused_by=f"inspection:{inspection.id}")
        record = self.credit.opened(org, caused)
        opened_at = record.version  # a record opened here but left untouched is not saved
        year = inspection.report_year
        for consequence in rule_set.inspection.consequences(outcome):
            if consequence == "grade_finding" and org.grade_standing_on(on):
                org.apply_finding(f"inspection_{'missed' if outcome == 'missed' else 'failed'}", rule_set.grades, on, caused)
        if (
            outcome == Outcome.BASIC_PASS.value
            and self._outcome(org.id, year - 1) == Outcome.BASIC_PASS
            and org.grade_standing_on(on)
        ):
            org.apply_finding("basic_pass_two_years", rule_set.grades, on, caused)
        self._record_consequences(record, inspection, rule_set, on, caused, lambda y: self._outcome(org.id, y))
        return ([record] if record.version > opened_at else []) + ([org] if org.pending_events else [])

    @staticmethod
    def _record_consequences(
        record: CreditRecord,
        inspection: Inspection,
        rule_set: RuleSet,
        on: date,
        caused: Provenance,
        outcome_of: Callable[[int], Outcome | None],
    ) -> None:
        """What the rule set says the outcome puts on the credit record (the set-based sweep shares it)."""
        outcome = inspection.outcome.value if inspection.outcome else ""
        year = inspection.report_year
        for consequence in rule_set.inspection.consequences(outcome):
            if consequence == "abnormal_list":
                record.add_ground(Ground("report_not_filed", on, f"{year}年度报告未按时报送", str(year)), caused)
            elif consequence == "warning":
                record.issue_inspection_warning(year, outcome, on, caused)
        years = _consecutive_bad_years(inspection, rule_set.inspection.revocation_proposal_after_consecutive_years, outcome_of)
        if years:
            record.propose_revocation(years, caused)

    def _outcome(self, organization_id: UUID, report_year: int) -> Outcome | None:
        found = self._inspection_of(organization_id, report_year)
        return found.outcome if found is not None else None

    def _opened(self, ctx: CommandContext, org: Organization, campaign: InspectionCampaign, today: date) -> Inspection:
        rule_set = self.rules.get(campaign.rule_set.id, campaign.rule_set.version)
        simplified = grade_at_least(org.grade_on(today), rule_set.inspection.simplified_from_grade)
        return Inspection.open(org.id, campaign, simplified, self._at(ctx, rule_set))

    def _require_own(self, ctx: CommandContext, organization_id: UUID) -> None:
        if ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization != organization_id:
            raise NotPermitted("组织只能办理本组织的年检", "An organization files only its own annual report")


def _consecutive_bad_years(
    latest: Inspection, needed: int, outcome_of: Callable[[int], Outcome | None]
) -> tuple[int, ...] | None:
    bad = (Outcome.MISSED, Outcome.FAIL)
    if latest.outcome not in bad:
        return None
    years = [latest.report_year - n for n in range(needed)]
    if all(outcome_of(y) in bad for y in years[1:]):
        return tuple(sorted(years))
    return None


class _Alike:
    """Organizations in one situation within a chunk (exempt or not, and the same outcomes in the
    years a revocation proposal counts): the first is decided by the domain, the others are made
    from its decision with their own ids and provenances (application/precedent.py). Not when their
    instants are not in the same order as the first's (equal where its are equal), nor when a day
    changed between them: then the domain decides that organization too."""

    def __init__(self, years: range, earlier: dict[tuple[UUID, int], str | None]) -> None:
        self.years, self.earlier = years, earlier
        self._decided: dict[tuple[Any, ...], tuple[str | None, Precedent, dict[str, Provenance]] | None] = {}

    def situation(self, organization_id: UUID, exempt: bool) -> tuple[Any, ...]:
        return (exempt, *(self.earlier.get((organization_id, y)) for y in self.years))

    def outcome_of(self, organization_id: UUID) -> Callable[[int], Outcome | None]:
        def outcome(year: int) -> Outcome | None:
            found = self.earlier.get((organization_id, year))
            return Outcome(found) if found else None

        return outcome

    def made(
        self, situation: tuple[Any, ...], ids: dict[str, UUID], provenances: dict[str, Provenance]
    ) -> tuple[str | None, list[Any]] | None:
        found = self._decided.get(situation)
        if found is None or not _same_in_time(found[2], provenances):
            return None
        outcome, precedent, _ = found
        values: dict[str, Any] = {**ids, **provenances, **{f"{name}@": p.at for name, p in provenances.items()}}
        return outcome, precedent.made_for(values)

    def remember(
        self,
        situation: tuple[Any, ...],
        decided: tuple[str | None, list[Any]],
        ids: dict[str, UUID],
        provenances: dict[str, Provenance],
    ) -> None:
        if situation in self._decided:
            return
        values = {v: name for name, v in ids.items()} | {p.at: f"{name}@" for name, p in provenances.items()}
        precedent = Precedent.of(decided[1], values, {id(p): name for name, p in provenances.items()})
        self._decided[situation] = (decided[0], precedent, provenances) if precedent else None


def _same_in_time(first: dict[str, Provenance], then: dict[str, Provenance]) -> bool:
    """The same provenances, their instants in the same order (equal where the first's are equal:
    a clock that did not move), on the same days: an instant substituted by its value then lands
    where the domain would have put it (an event's time is its provenance's, or the latest before)."""
    a, b = [p.at for p in first.values()], [p.at for p in then.values()]
    return (
        first.keys() == then.keys()
        and all((x < y, x == y) == (u < v, u == v) for (x, u), (y, v) in combinations(zip(a, b, strict=True), 2))
        and all(first[k].effective_on == p.effective_on for k, p in then.items())
    )


def _at_version(inspection: Inspection, expected: int | None) -> Inspection:
    if expected is not None and inspection.version != expected:
        raise StaleVersion(expected, inspection.version)
    return inspection
