"""Funding use cases (公益创投 / 政府购买服务): open a round, apply, check eligibility, review
with a panel, award within the budget, sign, pay tranches, take milestone reports, mid-term
and closing evaluations, terminate (a breach bars the organization), complete."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.context import CommandContext
from application.documents import accept
from application.errors import NotFound, NotPermitted, StaleVersion
from application.evaluations import Evaluations
from application.ports import DocumentStore, DocumentUpload
from application.reminders.notices import notice, registrars
from application.reminders.planning import MILESTONE_NAMES
from application.rights import Relation, command, project_owner
from application.usecases import UseCases
from domain.base import LedgerAggregate
from domain.claims import IdentifierClaim, application_claim_value
from domain.credit import CreditRecord
from domain.documents import Attached, DocumentRef, find, slot
from domain.errors import Conflict
from domain.evaluation import Evaluation, EvaluationKind
from domain.funding import (
    ApplicantFacts,
    FundingRound,
    Milestone,
    Project,
    ProjectApplication,
    RoundTerms,
    ScheduledTranche,
    project_bars,
)
from domain.organization import Organization
from domain.provenance import Provenance, Role
from domain.reminder import Reminder
from domain.rules import RuleSet, add_years, split_into_tranches


def _division_of(prefix: str) -> str:
    """A locality prefix names the rule set of its divisions (34 → 340000)."""
    return prefix.ljust(6, "0")


PROJECT_SLOTS = {"application": ("plan", "budget"), "milestone": ("outputs",)}
# who reads a project's documents, and the relation they need to it (reads are not in the rights table, which holds changes)
READERS = {
    Role.ADMIN: Relation.ANY,
    Role.REGISTRAR: Relation.ANY,
    Role.AUDITOR: Relation.ANY,
    Role.ORGANIZATION: Relation.OWN,
    Role.CHAIR: Relation.CHAIR,
    Role.EVALUATOR: Relation.MEMBER,
}


class Funding(UseCases):
    def __init__(self, *args: Any, evaluations: Evaluations, documents: DocumentStore, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evaluations = evaluations
        self.documents = documents

    # -- documents: the application's plan and budget, a milestone's outputs ------------------------
    @command("funding.check_attach", owner=project_owner)
    def check_attach(self, ctx: CommandContext, project_id: UUID, subject: str, slot_key: str) -> Project:
        project = self.project(project_id)
        self._require_own(ctx, project)
        slot(slot_key, PROJECT_SLOTS.get(subject.partition(":")[0], ()))
        project.check_can_attach(subject)
        return project

    @command("funding.attach_document", owner=project_owner)
    def attach_document(
        self,
        ctx: CommandContext,
        project_id: UUID,
        subject: str,
        slot_key: str,
        upload: DocumentUpload,
        file_name: str,
    ) -> tuple[Project, DocumentRef]:
        self.check_attach(ctx, project_id, subject, slot_key)
        kind = slot(slot_key)
        ref = accept(self.documents, upload, kind.key, file_name, kind.types)

        def attach() -> Project:
            project = self.project(project_id)
            project.attach_document(kind, subject, ref, self._at(ctx))
            return self._save(project)

        return self._retrying(None, attach), ref

    @command("funding.withdraw_document", owner=project_owner)
    def withdraw_document(
        self,
        ctx: CommandContext,
        project_id: UUID,
        subject: str,
        slot_key: str,
        sha256: str,
        reason: str,
    ) -> Project:
        project = self.project(project_id)
        self._require_own(ctx, project)
        project.withdraw_document(slot_key, subject, sha256, reason, self._at(ctx))
        return self._save(project)

    def _relations(self, ctx: CommandContext, project: Project) -> set[Relation]:
        """The actor's relations to the project: its applicant, chair or member of one of its panels."""
        holds = {Relation.OWN} if ctx.actor_organization == project.organization_id else set()
        for case_id in project.evaluations.values():
            case = self.evaluations.evaluation(case_id)
            if ctx.actor.user_id == case.chair_user_id:
                holds.add(Relation.CHAIR)
            if any(m.user_id == ctx.actor.user_id for m in case.active_members()):
                holds.add(Relation.MEMBER)
        return holds

    def documents_of(self, ctx: CommandContext, project_id: UUID) -> Project:
        """The project, for reading its documents: staff and auditors, its applicant, and the chair
        and (not recused) members of its panels."""
        project = self.project(project_id)
        needed = READERS.get(ctx.actor.role)
        if needed is None or (needed is not Relation.ANY and needed not in self._relations(ctx, project)):
            raise NotPermitted(
                "只有项目申报组织、评审专家和工作人员可以查看项目材料",
                "Only the applicant, the project's evaluators and staff see its documents",
            )
        return project

    def document(self, ctx: CommandContext, project_id: UUID, sha256: str) -> Attached:
        found = find(self.documents_of(ctx, project_id).documents, sha256)
        if found is None:
            raise NotFound("document", sha256)
        return found

    # -- rounds ----------------------------------------------------------------------------------
    @command("funding.open_round")
    def open_round(self, ctx: CommandContext, terms: RoundTerms, round_id: UUID | None = None) -> FundingRound:
        rule_set = self.rules.for_division(_division_of(terms.division_prefix), self.store.today())
        return self._save(FundingRound.open(round_id or self.ids.new_id(), terms, self._at(ctx, rule_set)))

    def funding_round(self, round_id: UUID) -> FundingRound:
        return self._get(round_id, FundingRound, "funding_round")

    def _round_rules(self, funding_round: FundingRound) -> RuleSet:
        """The rule-set version in force when the round opened decides all of its projects."""
        return self.rules.get(funding_round.rule_set.id, funding_round.rule_set.version)

    # -- applications ----------------------------------------------------------------------------
    @command("funding.apply", owner="organization_id")
    def apply(
        self,
        ctx: CommandContext,
        round_id: UUID,
        organization_id: UUID,
        application: ProjectApplication,
        project_id: UUID | None = None,
    ) -> Project:
        if ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization != organization_id:
            raise NotPermitted("组织只能为本组织申报项目", "An organization applies only for itself")
        funding_round = self.funding_round(round_id)
        org = self._organization(organization_id)
        today = self.store.today(org.profile.division_code)
        at = self._at(ctx, self._round_rules(funding_round))
        project = Project.apply(project_id or self.ids.new_id(), funding_round, org.id, application, today, at)
        # the same project applied for twice (a double click, a second tab) collides on its claim, atomically
        value = application_claim_value(round_id, org.id, project.application.title)
        claim = IdentifierClaim(kind="project-application", value=value, organization_id=org.id, provenance=at)
        try:
            return self._save(project, claim)
        except StaleVersion:
            if self._find(claim.id) is not None:
                raise Conflict(
                    "project.duplicate",
                    f"本组织已在本批次申报过项目“{project.application.title}”",
                    f"Your organization already applied with '{project.application.title}' in this round",
                ) from None
            raise

    def project(self, project_id: UUID, expected: int | None = None) -> Project:
        project = self._get(project_id, Project, "project")
        if expected is not None and project.version != expected:
            raise StaleVersion(expected, project.version)
        return project

    @command("funding.check_eligibility")
    def check_eligibility(self, ctx: CommandContext, project_id: UUID, expected: int | None = None) -> Project:
        project = self.project(project_id, expected)
        funding_round = self.funding_round(project.round_id)
        rule_set = self._round_rules(funding_round)
        org = self._organization(project.organization_id)
        today = self.store.today(org.profile.division_code)
        bars = project_bars(rule_set.funding, funding_round.terms, self._applicant(org, today), today)
        project.record_eligibility(tuple(bars), self._at(ctx, rule_set))
        return self._save(project)

    def _applicant(self, org: Organization, today: date) -> ApplicantFacts:
        record = self._credit_record_of(org.id)
        return ApplicantFacts(
            track=org.track.value,
            org_type=org.profile.org_type.value,
            division_code=org.profile.division_code,
            status=org.status.value,
            grade=org.grade_on(today),
            credit_status=record.status if isinstance(record, CreditRecord) else "none",
            funding_barred_until=org.funding_barred_until,
        )

    # -- evaluations (review, mid-term, closing) ---------------------------------------------------------
    @command("funding.open_evaluation")
    def open_evaluation(
        self,
        ctx: CommandContext,
        project_id: UUID,
        expected: int | None,
        kind: EvaluationKind,
        scoring_deadline: date,
        *,
        chair_user_id: str,
        evaluation_id: UUID | None = None,
    ) -> Evaluation:
        """A project case is eligible from the start (the round checked the applicant); the
        project records which case evaluates it, in the same transaction."""
        if kind is EvaluationKind.GRADE:
            raise NotPermitted("项目不做等级评估", "A project has no grade evaluation")
        project = self.project(project_id, expected)
        rule_set = self._round_rules(self.funding_round(project.round_id))
        scheme = rule_set.evaluation.scheme_for("project")
        at = self._at(ctx, rule_set)
        evaluation = Evaluation.open(
            evaluation_id or self.ids.new_id(),
            kind,
            project.id,
            subject_type="project",
            rule_set=rule_set.ref,
            scheme_id=scheme.id,
            scoring_deadline=scoring_deadline,
            chair_user_id=chair_user_id,
            provenance=at,
        )
        evaluation.record_eligibility((), at)
        project.open_evaluation(kind.value, evaluation.id, replace(at, caused_by=f"evaluation:{evaluation.id}"))
        self._save(evaluation, project)
        return evaluation

    # -- award and agreement ---------------------------------------------------------------------------
    @command("funding.award")
    def award(self, ctx: CommandContext, project_id: UUID, expected: int | None, amount: Decimal) -> Project:
        """Committed on the round and the project together; a concurrent award to the same round
        makes one save collide, and the retry decides against the round's new total."""
        return self._retrying(None, lambda: self._award(ctx, project_id, expected, amount))

    def _award(self, ctx: CommandContext, project_id: UUID, expected: int | None, amount: Decimal) -> Project:
        project = self.project(project_id, expected)
        funding_round = self.funding_round(project.round_id)
        rule_set = self._round_rules(funding_round)
        at = self._at(ctx, rule_set)
        tranches = tuple(
            ScheduledTranche(t.share, t.condition, part)
            for t, part in zip(rule_set.funding.tranches, split_into_tranches(amount, rule_set.funding.tranches), strict=True)
        )
        terms = funding_round.terms
        project.award(amount, tranches, {Milestone.MID_TERM: terms.mid_term_due, Milestone.CLOSING: terms.closing_due}, at)
        assert project.awarded is not None  # award() above has set it
        funding_round.commit_award(project.id, project.awarded, replace(at, caused_by=f"project:{project.id}"))
        told = self._tell_applicant(
            project, at, result_zh=f"获得资助,金额{project.awarded}元", result_en=f"awarded CNY {project.awarded}"
        )
        return self._save(project, funding_round, told)

    @command("funding.decline")
    def decline(self, ctx: CommandContext, project_id: UUID, expected: int | None, reason: str) -> Project:
        project = self.project(project_id, expected)
        at = self._at(ctx)
        project.decline(reason, at)
        told = self._tell_applicant(
            project, at, result_zh=f"未获资助(理由:{reason.strip()})", result_en=f"not awarded ({reason.strip()})"
        )
        return self._save(project, told)

    def _tell_applicant(self, project: Project, at: Provenance, **values: str) -> Reminder:
        recipient = f"organization:{project.organization_id}"
        title = project.application.title
        return notice(
            "application_decided", project.id, recipient, f"v{project.version}", self.store.today(), at, title=title, **values
        )

    @command("funding.sign_agreement")
    def sign_agreement(self, ctx: CommandContext, project_id: UUID, expected: int | None, agreement_no: str) -> Project:
        """The agreement (协议) is signed today and its first tranche is paid on signing."""
        project = self.project(project_id, expected)
        today = self.store.today()
        at = self._at(ctx, self._round_rules(self.funding_round(project.round_id)))
        project.sign_agreement(agreement_no, today, at)
        project.pay_next_tranche(today, at)
        return self._save(project)

    @command("funding.pay_tranche")
    def pay_tranche(self, ctx: CommandContext, project_id: UUID, expected: int | None) -> Project:
        project = self.project(project_id, expected)
        project.pay_next_tranche(self.store.today(), self._at(ctx, self._round_rules(self.funding_round(project.round_id))))
        return self._save(project)

    # -- milestones --------------------------------------------------------------------------------------
    @command("funding.submit_report", owner=project_owner)
    def submit_report(
        self, ctx: CommandContext, project_id: UUID, expected: int | None, milestone: Milestone, summary: str
    ) -> Project:
        project = self.project(project_id, expected)
        self._require_own(ctx, project)
        project.submit_report(milestone, summary, self.store.today(), self._at(ctx))
        return self._save(project)

    @command("funding.request_extension", owner=project_owner)
    def request_extension(
        self, ctx: CommandContext, project_id: UUID, expected: int | None, milestone: Milestone, until: date, reason: str
    ) -> Project:
        """延期: the organization asks for more time for a milestone report before it is due; the registrars are told."""
        project = self.project(project_id, expected)
        self._require_own(ctx, project)
        rules = self._round_rules(self.funding_round(project.round_id))
        today, at = self.store.today(), self._at(ctx, rules)
        project.request_extension(milestone, until, reason, today, rules.funding.milestone_extension_max_days, at)
        told = _milestone_notice(
            "milestone_extension_requested",
            project,
            registrars(),
            milestone,
            today,
            at,
            until=until.isoformat(),
            reason=reason.strip()[:200],
        )
        return self._save(project, told)

    @command("funding.decide_extension")
    def decide_extension(
        self,
        ctx: CommandContext,
        project_id: UUID,
        expected: int | None,
        milestone: Milestone,
        granted: bool,
        until: date | None,
        reasons: str,
    ) -> Project:
        """The funder grants (the day asked for, or another within the rule set's limit) or refuses; the
        milestone's reminders and its lateness follow the granted day from then on."""
        project = self.project(project_id, expected)
        rules = self._round_rules(self.funding_round(project.round_id))
        today, at = self.store.today(), self._at(ctx, rules)
        project.decide_extension(milestone, granted, until, reasons, today, rules.funding.milestone_extension_max_days, at)
        new = project.due[milestone].isoformat()
        told = _milestone_notice(
            "milestone_extension_decided",
            project,
            f"organization:{project.organization_id}",
            milestone,
            today,
            at,
            outcome_zh="已获准许" if granted else "未获准许",
            outcome_en="granted" if granted else "refused",
            detail_zh=f"新的提交期限为{new}。" if granted else f"提交期限仍为{new}。",
            detail_en=f"The new deadline is {new}. " if granted else f"The deadline stays {new}. ",
            reasons=reasons.strip()[:200],
        )
        return self._save(project, told)

    # -- ending --------------------------------------------------------------------------------------------
    @command("funding.terminate")
    def terminate(self, ctx: CommandContext, project_id: UUID, expected: int | None, reason: str, breach: bool) -> Project:
        """The unpaid remainder returns to the round; a breach bars the organization for the
        rule set's period. One transaction for all three."""
        return self._retrying(None, lambda: self._terminate(ctx, project_id, expected, reason, breach))

    def _terminate(self, ctx: CommandContext, project_id: UUID, expected: int | None, reason: str, breach: bool) -> Project:
        project = self.project(project_id, expected)
        funding_round = self.funding_round(project.round_id)
        rule_set = self._round_rules(funding_round)
        today = self.store.today()
        at = self._at(ctx, rule_set)
        unpaid = project.unpaid_amount if project.awarded is not None else Decimal(0)
        project.terminate(reason, breach, today, at)
        caused = replace(at, caused_by=f"project:{project.id}")
        changed: list[LedgerAggregate] = []
        if unpaid > 0:
            funding_round.release_award(project.id, unpaid, caused)
            changed.append(funding_round)
        if breach:
            org = self._organization(project.organization_id)
            org.bar_from_funding(add_years(today, rule_set.funding.breach_bar_years), project.id, caused)
            if org.pending_events:
                changed.append(org)
        return self._save(project, *changed)

    @command("funding.complete")
    def complete(self, ctx: CommandContext, project_id: UUID, expected: int | None) -> Project:
        project = self.project(project_id, expected)
        project.complete(self.store.today(), self._at(ctx))
        return self._save(project)

    def _require_own(self, ctx: CommandContext, project: Project) -> None:
        if ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization != project.organization_id:
            raise NotPermitted("组织只能办理本组织的项目", "An organization acts only on its own projects")


def _milestone_notice(
    kind: str, project: Project, recipient: str, milestone: Milestone, today: date, at: Provenance, **values: Any
) -> Reminder:
    """A notice about a milestone report's deadline, one per the project's version (a retry stores no second)."""
    zh, en = MILESTONE_NAMES[milestone.value]
    occasion = f"{milestone.value}:v{project.version}"
    return notice(
        kind, project.id, recipient, occasion, today, at, title=project.application.title, report=zh, report_en=en, **values
    )
