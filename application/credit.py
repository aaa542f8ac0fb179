"""Credit use cases: penalties, listings, removal on application, the daily timer sweep,
and the registrar's decision on a revocation proposal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from application.behind import Behind
from application.context import CommandContext
from application.documents import accept
from application.errors import NotFound, NotPermitted
from application.ports import AggregateReader, ComplianceView, DocumentStore, DocumentUpload, IdRange
from application.rights import command
from application.sweep_runs import SharedRuns
from application.usecases import UseCases
from domain.credit import (
    MANUAL_GROUNDS,
    CreditList,
    CreditRecord,
    Ground,
    Penalty,
    PenaltyKind,
)
from domain.documents import Attached, DocumentRef, find, slot
from domain.errors import InvalidTransition, InvalidValue
from domain.inspection import inspection_id
from domain.objections import reference_for
from domain.organization import Organization, Status, Track
from domain.periods import Deadline, WorkingDays
from domain.provenance import Basis, Provenance, Role
from domain.rules import RuleSet

SUBJECT_SLOTS = {"penalty": ("decision_letter",), "removal": ("removal_grounds",), "objection": ("objection_grounds",)}


@dataclass(frozen=True)
class Recording:
    """When a credit item was entered, against the period for recording it."""

    recorded_on: date
    due: Deadline
    late: bool


class CreditRecords(UseCases):
    # the timer sweep reads a chunk's records in one query and each one's division from the register;
    # False: each record and its organization loaded alone, as before (the reference in tests)
    set_based = True

    def __init__(
        self,
        *args: Any,
        view: ComplianceView,
        documents: DocumentStore,
        calendar: WorkingDays,
        runs: SharedRuns,
        reader: AggregateReader | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.view = view
        self.runs = runs  # the sweep's chunks, shared with other instances
        self.reader = reader  # the timer sweep reads a chunk's records in one query
        self.documents = documents
        self.calendar = calendar  # working days by the official holiday calendar

    # -- documents: a penalty's decision letter, the grounds of a removal request -----------------
    @command("credit.check_attach", owner="organization_id")
    def check_attach(self, ctx: CommandContext, organization_id: UUID, subject: str, slot_key: str) -> None:
        """Asked before the bytes are read: the registrar attaches decision letters; the
        organization (or the registrar) the grounds of its removal request."""
        kind = slot(slot_key, SUBJECT_SLOTS.get(subject.partition(":")[0], ()))
        if ctx.actor.role is Role.ORGANIZATION and (ctx.actor_organization != organization_id or kind.key == "decision_letter"):
            raise NotPermitted(
                "组织只能为本组织的移出申请或异议提交材料",
                "An organization attaches only the grounds of its own removal request or objection",
            )
        self._record(organization_id).check_subject(subject)

    @command("credit.attach_document", owner="organization_id")
    def attach_document(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        subject: str,
        slot_key: str,
        upload: DocumentUpload,
        file_name: str,
    ) -> tuple[CreditRecord, DocumentRef]:
        self.check_attach(ctx, organization_id, subject, slot_key)
        kind = slot(slot_key)
        ref = accept(self.documents, upload, kind.key, file_name, kind.types)

        def attach() -> CreditRecord:
            record = self._record(organization_id)
            record.attach_document(kind, subject, ref, kind.public, self._at(ctx))
            return self._save(record)

        return self._retrying(None, attach), ref

    @command("credit.withdraw_document", owner="organization_id")
    def withdraw_document(
        self,
        ctx: CommandContext,
        organization_id: UUID,
        subject: str,
        slot_key: str,
        sha256: str,
        reason: str,
    ) -> CreditRecord:
        self.check_attach(ctx, organization_id, subject, slot_key)
        record = self._record(organization_id)
        record.withdraw_document(slot_key, subject, sha256, reason, self._at(ctx))
        return self._save(record)

    def document(self, organization_id: UUID, sha256: str) -> Attached:
        found = find(self._record(organization_id).documents, sha256)
        if found is None:
            raise NotFound("document", sha256)
        return found

    # -- reading -----------------------------------------------------------------------
    def record_of(self, organization_id: UUID) -> CreditRecord | None:
        self._organization(organization_id)
        return self._credit_record_of(organization_id)

    def opened(self, org: Organization, provenance: Provenance) -> CreditRecord:
        """The organization's record, opened (unsaved) on first use."""
        return self._credit_record_of(org.id) or CreditRecord.open(org.id, provenance)

    def rule_set_for(self, org: Organization, today: date) -> RuleSet:
        return self.rules.for_division(org.profile.division_code, today)

    # -- registrar's records ---------------------------------------------------------------
    @command("credit.record_penalty")
    def record_penalty(self, ctx: CommandContext, organization_id: UUID, penalty: Penalty) -> CreditRecord:
        """A penalty lists the organization (per the rule set), lowers a valid grade, and a
        suspension or revocation changes the organization's status — all in one transaction."""
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        rule_set = self.rule_set_for(org, today)
        began = org.earliest_effective()
        if began is not None and penalty.decided_on < began:
            raise InvalidValue(
                "penalty.before_registration",
                f"处罚决定日期{penalty.decided_on}早于该组织成立(登记/备案)的日期{began}",
                f"The penalty's date {penalty.decided_on} is before the organization was registered or filed ({began})",
            )
        ctx = replace(ctx, effective_on=penalty.decided_on)  # the penalty, its listing and consequences count from its decision
        at = self._at(ctx, rule_set)
        record = self.opened(org, at)
        record.record_penalty(penalty, rule_set.credit, today, at)
        # the status change stands on the penalty decision: its number and grounds are the basis
        caused = replace(
            self._at(ctx, rule_set, caused_by=f"penalty:{penalty.decision_no}"),
            basis=Basis(penalty.decision_no, penalty.reason),
        )
        if org.grade_standing_on(penalty.decided_on):
            org.apply_finding("penalty", rule_set.grades, penalty.decided_on, caused)
        if penalty.kind is PenaltyKind.SUSPENSION and org.status is Status.ACTIVE:
            org.suspend(caused)
        elif penalty.kind is PenaltyKind.REVOCATION and not org.is_closed and org.track is Track.REGISTERED:
            org.revoke(caused)
        return self._save(record, *([org] if org.pending_events else []))

    def penalty_recording(self, organization_id: UUID) -> dict[str, Recording]:
        """For each penalty recorded: when it was entered against the rule set's recording period from
        its decision (信用信息 are recorded within 5 working days of becoming known)."""
        org = self._organization(organization_id)
        found: dict[str, Recording] = {}
        record = self._credit_record_of(organization_id)
        for event in self.store.events.get(record.id) if record is not None else ():
            if type(event).__name__ != "Penalized":
                continue
            e: Any = event  # CreditRecord.Penalized: its penalty and when it was recorded
            zone = ZoneInfo(self.rules.for_division(org.profile.division_code, e.penalty.decided_on).timezone)
            rule_set = self.rule_set_for(org, e.penalty.decided_on)
            due = rule_set.credit.recording.due_from(e.penalty.decided_on, self.calendar, rule_set.unknown_calendar_years)
            recorded = e.timestamp.astimezone(zone).date()
            found[e.penalty.decision_no] = Recording(recorded, due, recorded > due.due)
        return found

    @command("credit.add_ground")
    def add_ground(self, ctx: CommandContext, organization_id: UUID, code: str, on: date, detail: str) -> CreditRecord:
        """Grounds a registrar establishes by hand (no party organization, court's defaulter listing …)."""
        if code not in MANUAL_GROUNDS:
            raise InvalidValue(
                "credit.ground_not_manual",
                f"事由 {code} 由系统根据处罚、年检或期限自动认定",
                f"The ground {code} follows from penalties, inspections or timers; it is not entered by hand",
                allowed=sorted(MANUAL_GROUNDS),
            )
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        if on > today:
            raise InvalidValue("credit.ground_future", "认定日期不能晚于今天", "A ground cannot be established in the future")
        at = self._at(ctx, self.rule_set_for(org, today))
        record = self.opened(org, at)
        if not record.add_ground(Ground(code, on, detail.strip(), f"{code}:{on}"), at):
            raise InvalidTransition("credit.ground_recorded", "该事由已经记录", "This ground is already recorded")
        return self._save(record)

    @command("credit.record_returned_letter")
    def record_returned_letter(self, ctx: CommandContext, organization_id: UUID, on: date, detail: str) -> CreditRecord:
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        rule_set = self.rule_set_for(org, today)
        at = self._at(ctx, rule_set)
        record = self.opened(org, at)
        record.record_returned_letter(on, detail, rule_set.credit, at)
        return self._save(record)

    # -- objections (异议) ------------------------------------------------------------------------
    @command("credit.file_objection", owner="organization_id")
    def file_objection(self, ctx: CommandContext, organization_id: UUID, list_name: CreditList, grounds: str) -> str:
        """The organization disputes a current listing; while the registrar verifies, the public
        card says so. Its reference names it (and the material attached to it)."""
        reference = reference_for(self.ids.new_id())

        def file() -> CreditRecord:
            record = self._record(organization_id)
            org = self._organization(organization_id)
            today = self.store.today(org.profile.division_code)
            rule_set = self.rule_set_for(org, today)
            due = rule_set.credit.objection_verification.due_from(today, self.calendar, rule_set.unknown_calendar_years)
            record.file_objection(reference, list_name, grounds, today, due, self._at(ctx, rule_set))
            return self._save(record)

        self._retrying(None, file)
        return reference

    @command("credit.decide_objection")
    def decide_objection(
        self, ctx: CommandContext, organization_id: UUID, reference: str, upheld: bool, reasons: str
    ) -> CreditRecord:
        record = self._record(organization_id)
        record.decide_objection(reference, upheld, reasons, self.store.today(), self._at(ctx))
        return self._save(record)

    # -- removal -----------------------------------------------------------------------------
    @command("credit.request_removal", owner="organization_id")
    def request_removal(self, ctx: CommandContext, organization_id: UUID, list_name: CreditList) -> CreditRecord:
        record = self._record(organization_id)
        record.request_removal(list_name, self.store.today(), self._at(ctx))
        return self._save(record)

    @command("credit.verify_obligation")
    def verify_obligation(self, ctx: CommandContext, organization_id: UUID, list_name: CreditList) -> CreditRecord:
        """The registrar confirms the obligation behind a listing is met; what the system can
        check itself (reports filed, rectifications done, party branch) it checks first."""
        record = self._record(organization_id)
        org = self._organization(organization_id)
        listing = record.current(list_name)
        grounds = listing.grounds if listing else ()
        if list_name is CreditList.SERIOUS:  # an escalated listing carries the abnormal grounds' obligations
            grounds = grounds + tuple(
                g for listing in record.listings if listing.removal_reason == "escalated" for g in listing.grounds
            )
        unmet = [g for g in grounds if not self._obligation_met(org, g)]
        if unmet:
            raise InvalidTransition(
                "credit.obligation_not_met",
                "列入事由对应的义务尚未履行,不能移出",
                "The obligation behind the listing is not met yet; the organization cannot be removed",
                unmet=[f"{g.code}:{g.ref}" for g in unmet],
            )
        today = self.store.today(org.profile.division_code)
        rule_set = self.rule_set_for(org, today)
        record.verify_obligation(list_name, today, rule_set.credit, self._at(ctx, rule_set))
        return self._save(record)

    def _obligation_met(self, org: Organization, ground: Ground) -> bool:
        if ground.code in ("report_not_filed", "rectification_overdue"):
            inspection = self._inspection_of(org.id, int(ground.ref.split(":")[-1]))
            if inspection is None:
                return False
            return inspection.report_filed if ground.code == "report_not_filed" else inspection.rectified_on is not None
        if ground.code == "no_party_organization":
            return org.party_branch_on is not None
        return True  # the registrar's verification is the evidence (address reachable again …)

    # -- timers ---------------------------------------------------------------------------------
    @command("credit.apply_rules")
    def apply_rules(self, ctx: CommandContext, as_of: date, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Escalations and removals the rule set's periods say are due by the date; idempotent.
        Reads candidates from the read model, loads only those records. Instances sweeping the same
        day share the records, a chunk of ids each at a time (application/sweep_runs.py)."""
        self._not_in_future(as_of)
        self.view.catch_up()
        total = self.view.count_listed_records()

        def work(ids: IdRange, report: Callable[[dict[str, int]], int]) -> None:
            def done(chunk: list[tuple[UUID, str]], changes: list[str]) -> None:
                counts: dict[str, int] = {"seen": len(chunk)}
                for change in changes:
                    counts[change] = counts.get(change, 0) + 1
                seen = report(counts)
                if progress:
                    progress(min(seen, total), total)

            after: UUID | None = None
            with Behind("credit-store", self.store.saves_behind) as behind:  # a chunk saved while the next is read and decided
                while chunk := self.view.listed_records(after, self.store.sweep_set_size, ids):
                    behind.submit(self._rules_for_chunk(ctx, as_of, chunk), partial(done, chunk))
                    after = chunk[-1][0]

        counts = self.runs.run(f"{as_of}/credit", work, candidates=total)
        counts.update(
            self.runs.run(
                f"{as_of}/credit/rectifications", lambda _ids, report: report(self._list_overdue_rectifications(ctx, as_of))
            )
        )
        counts.pop("seen", None)
        return counts

    def _rules_for_chunk(self, ctx: CommandContext, as_of: date, chunk: list[tuple[UUID, str]]) -> Callable[[], list[str]]:
        """Decided now, saved by what is returned. The read model says which rule set governs each
        record (its organization's division): the organization is not loaded, only the record the
        rules act on."""
        read = self.reader.get_many([record_id for record_id, _ in chunk]) if self.reader and self.set_based else {}

        def decide(row: tuple[UUID, str]) -> tuple[list[str], list[CreditRecord]]:
            return self._apply_rules_to(ctx, as_of, *row, read=read)

        decided = [decide(row) for row in chunk]

        def save() -> list[str]:
            saved = self._save_decided(chunk, decided, decide)
            return [change for changes in saved if changes for change in changes]  # None: another sweeper did it

        return save

    def _apply_rules_to(
        self, ctx: CommandContext, as_of: date, record_id: UUID, division_code: str, read: dict[UUID, Any] | None = None
    ) -> tuple[list[str], list[CreditRecord]]:
        """`read`: the chunk's records read together; each is used once (decided again after a
        collision, a record is read anew)."""
        found = read.pop(record_id, None) if read is not None else None
        record = found if isinstance(found, CreditRecord) else self._get(record_id, CreditRecord, "credit_record")
        if self.set_based:
            rule_set = self.rules.for_division(division_code, as_of)
        else:
            rule_set = self.rule_set_for(self._organization(record.organization_id), as_of)
        changes = list(record.apply_rules(rule_set.credit, as_of, self._at(ctx, rule_set)))
        return changes, [record] if record.pending_events else []

    def _list_overdue_rectifications(self, ctx: CommandContext, as_of: date) -> dict[str, int]:
        listed = 0
        for organization_id, report_year, deadline in self.view.overdue_rectifications(as_of):
            org = self._organization(organization_id)
            inspection = self._inspection_of(org.id, report_year)
            cause = inspection.id if inspection is not None else inspection_id(org.id, report_year)
            at = self._at(ctx, self.rule_set_for(org, as_of), caused_by=f"inspection:{cause}")
            record = self.opened(org, at)
            ground = Ground("rectification_overdue", _day_after(deadline), f"{report_year}年度年检整改逾期", str(report_year))
            if record.add_ground(ground, at):
                self._save(record)
                listed += 1
        return {"rectification_overdue_listed": listed} if listed else {}

    # -- revocation -------------------------------------------------------------------------------
    @command("credit.decide_revocation")
    def decide_revocation(self, ctx: CommandContext, organization_id: UUID, accepted: bool, note: str) -> CreditRecord:
        """Two consecutive years missed or failed lead to a proposal; the registrar decides."""
        record = self._record(organization_id)
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        rule_set = self.rule_set_for(org, today)
        at = self._at(ctx, rule_set)
        years = record.decide_revocation(accepted, note, at)
        if not accepted:
            return self._save(record)
        caused = replace(
            self._at(ctx, rule_set, caused_by=f"revocation_proposal:{','.join(map(str, years))}"),
            basis=Basis(ctx.basis.document_no, note),
        )
        org.revoke(caused)
        record.add_ground(Ground("revocation", today, note.strip(), f"revocation:{today}"), caused)
        return self._save(record, org)

    def _record(self, organization_id: UUID) -> CreditRecord:
        record = self.record_of(organization_id)
        if record is None:
            raise NotFound("credit_record", organization_id)
        return record


def _day_after(day: date) -> date:
    return day + timedelta(days=1)
