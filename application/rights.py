"""Who may do what: one table for every command of every group of use cases, consulted by each
command through `authorize` before it decides anything.

A role says what kind of user someone is; a row also names the relation the user must have to
the record the command acts on (ARCHITECTURE.md decision 8): the chair of *this* case, a member
of *this* panel, the expert the command names, the organization the record is about, a
reminder's recipient. `ANY` means the role suffices. A role missing from a row may not run the
command at all. tests/unit/test_rights.py fails for a command (a public use-case method taking a
CommandContext) without a row or without a check of it, and checks `authorize` for every row ×
role × relation; tests/integration/test_rights_walk.py walks every command on an existing case
on a real system with ten actors (chair of this case or another, on the panel or off it, the
case's organization or another, staff, system, auditor). The other groups' relation is OWN only,
covered by their HTTP tests (an organization acting on another's records gets 403)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

from application.aggregate_cache import one_reading
from application.context import CommandContext
from application.errors import NotPermitted
from domain.provenance import Role

F = TypeVar("F", bound=Callable[..., Any])


class Relation(str, Enum):
    ANY = "any"  # the role alone suffices
    OWN = "own"  # the record is the actor's own organization's (the organization, its case, report, record, project)
    CHAIR = "chair"  # the actor chairs this case
    MEMBER = "member"  # the actor sits on this case's panel (not recused), or on this spot check's team
    SELF = "self"  # the expert the command names is the actor
    RECIPIENT = "recipient"  # the reminder is addressed to the actor


A, OWN, CHAIR, MEMBER, SELF, RECIPIENT = (
    Relation.ANY,
    Relation.OWN,
    Relation.CHAIR,
    Relation.MEMBER,
    Relation.SELF,
    Relation.RECIPIENT,
)
Row = Mapping[Role, Relation]

STAFF: Row = {Role.ADMIN: A, Role.REGISTRAR: A}
# staff, and the system: scheduler jobs, policies and the operator's console (cli, demo seed)
OFFICE: Row = {**STAFF, Role.SYSTEM: A}
CASE_CHAIR: Row = {**STAFF, Role.CHAIR: CHAIR}  # the case's chair or a registrar
OWN_OR_OFFICE: Row = {Role.ORGANIZATION: OWN, **OFFICE}
SIGNED_IN: Row = {r: A for r in Role if r not in (Role.PUBLIC, Role.SYSTEM)}

RIGHTS: dict[str, Row] = {
    # -- organizations: the register of organizations -------------------------------------
    "organizations.register_organization": OFFICE,
    "organizations.register_with_history": OFFICE,  # a register file's row, with its grade and listings
    "organizations.file_organization": OFFICE,
    "register_import.import_rows": OFFICE,  # 台账导入: each row through organizations.register_with_history
    "organizations.promote_to_registration": OFFICE,
    "organizations.rename": OFFICE,
    "organizations.change_address": OFFICE,
    "organizations.change_legal_representative": OFFICE,
    "organizations.amend_charter": OFFICE,
    "organizations.establish_party_branch": OFFICE,
    "organizations.designate_as_hub": OFFICE,
    "organizations.join_hub": OFFICE,
    "organizations.leave_hub": OFFICE,
    "organizations.suspend": OFFICE,
    "organizations.resume": OFFICE,
    "organizations.deregister": OFFICE,
    "organizations.revoke": OFFICE,
    "organizations.correct_last_decision": OFFICE,  # 更正: undoes the latest decision from its day, on a decision of its own
    "organizations.apply_grade_finding": OFFICE,
    "organizations.expire_grade": OFFICE,
    # -- evaluations: one case from opening to its result ----------------------------------
    "evaluations.enroll_expert": OFFICE,
    "evaluations.declare_relation": {**STAFF, Role.EVALUATOR: SELF, Role.CHAIR: SELF},  # an expert's own ties
    "evaluations.open_grade_evaluation": OFFICE,
    "evaluations.submit_application": OWN_OR_OFFICE,
    # the self-assessment report, each indicator's supporting material, an appeal's grounds
    "evaluations.check_attach": OWN_OR_OFFICE,  # asked before an upload's bytes are read
    "evaluations.attach_document": OWN_OR_OFFICE,
    "evaluations.withdraw_document": OWN_OR_OFFICE,
    "evaluations.check_eligibility": OFFICE,
    "evaluations.assign_panel": {**CASE_CHAIR, Role.SYSTEM: A},
    "evaluations.draw_panel": {**CASE_CHAIR, Role.SYSTEM: A},
    "evaluations.replace_member": CASE_CHAIR,
    "evaluations.declare_conflict": {Role.EVALUATOR: SELF, Role.CHAIR: SELF},  # only one's own conflict
    "evaluations.force_recusal": CASE_CHAIR,  # with its grounds
    "evaluations.request_recusal": {Role.ORGANIZATION: OWN},  # a request, decided by the chair or a registrar
    "evaluations.decide_recusal_request": CASE_CHAIR,
    "evaluations.save_draft": {Role.EVALUATOR: MEMBER, Role.CHAIR: MEMBER},
    "evaluations.save_typed_draft": {Role.EVALUATOR: MEMBER, Role.CHAIR: MEMBER},
    "evaluations.submit_sheet": {Role.EVALUATOR: MEMBER, Role.CHAIR: MEMBER},
    "evaluations.reopen_sheet": CASE_CHAIR,
    "evaluations.close_scoring": CASE_CHAIR,
    "evaluations.compute_result": CASE_CHAIR,
    "evaluations.open_announcement": CASE_CHAIR,
    "evaluations.file_appeal": {Role.ORGANIZATION: OWN, **STAFF},
    "evaluations.decide_appeal": CASE_CHAIR,
    "evaluations.extend_appeal_decision": CASE_CHAIR,
    "evaluations.finalize": {**CASE_CHAIR, Role.SYSTEM: A},
    "evaluations.withdraw": CASE_CHAIR,
    # -- objections (异议): anyone objects to a result under announcement; its chair or a registrar decides --
    "objections.file": {r: A for r in Role if r not in (Role.SYSTEM, Role.AUDITOR)},  # the public too, by law
    "objections.attach": {r: A for r in Role if r not in (Role.SYSTEM, Role.AUDITOR)},  # the objector's material
    "objections.decide": CASE_CHAIR,
    # -- complaints (投诉举报): anyone files one; the registry triages, answers, investigates --
    "complaints.file": {r: A for r in Role if r not in (Role.SYSTEM, Role.AUDITOR)},
    "complaints.attach": {r: A for r in Role if r not in (Role.SYSTEM, Role.AUDITOR)},  # the complainant's material
    "complaints.document": STAFF,
    "complaints.triage": STAFF,
    "complaints.answer": STAFF,
    "complaints.open_investigation": STAFF,  # 立案调查 on the registry's own initiative
    "complaints.close_investigation": STAFF,
    # -- inspections: the annual report and its review ---------------------------------------
    "inspections.open_campaign": OFFICE,
    "inspections.draft_report": OWN_OR_OFFICE,
    "inspections.submit_report": OWN_OR_OFFICE,
    "inspections.withdraw_report": OWN_OR_OFFICE,
    "inspections.request_extension": OWN_OR_OFFICE,  # 延期申请 (a registrar may enter a request made on paper)
    "inspections.decide_extension": OFFICE,
    "inspections.check_attach": OWN_OR_OFFICE,  # asked before an upload's bytes are read
    "inspections.attach_document": OWN_OR_OFFICE,
    "inspections.withdraw_document": OWN_OR_OFFICE,
    "inspections.give_preliminary_opinion": OFFICE,
    "inspections.request_correction": OFFICE,
    "inspections.review": OFFICE,
    "inspections.order_rectification": OFFICE,
    "inspections.confirm_rectification": OFFICE,
    "inspections.record_missed": OFFICE,
    # -- spot checks (双随机一公开): the yearly draw, then each check by its team or the registry ------
    "spot_checks.draw": OFFICE,  # irreversible: one per division and year
    "spot_checks.notify": {**OFFICE, Role.EVALUATOR: MEMBER, Role.CHAIR: MEMBER},  # MEMBER: on the check's team
    "spot_checks.add_material": {Role.ORGANIZATION: OWN, **OFFICE, Role.EVALUATOR: MEMBER, Role.CHAIR: MEMBER},
    "spot_checks.check_attach": {
        Role.ORGANIZATION: OWN,
        **OFFICE,
        Role.EVALUATOR: MEMBER,
        Role.CHAIR: MEMBER,
    },  # before the bytes
    "spot_checks.attach_document": {Role.ORGANIZATION: OWN, **OFFICE, Role.EVALUATOR: MEMBER, Role.CHAIR: MEMBER},
    "spot_checks.record_findings": {**OFFICE, Role.EVALUATOR: MEMBER, Role.CHAIR: MEMBER},
    "spot_checks.conclude": OFFICE,  # the registry's decision, on the team's findings
    "spot_checks.confirm_rectification": OFFICE,
    # -- credit: penalties, lists, removal ---------------------------------------------------
    "credit.record_penalty": OFFICE,
    "credit.add_ground": OFFICE,
    "credit.record_returned_letter": OFFICE,
    "credit.file_objection": OWN_OR_OFFICE,
    "credit.decide_objection": STAFF,
    "credit.request_removal": OWN_OR_OFFICE,
    "credit.check_attach": OWN_OR_OFFICE,  # the organization: only its removal request's grounds
    "credit.attach_document": OWN_OR_OFFICE,
    "credit.withdraw_document": OWN_OR_OFFICE,
    "credit.verify_obligation": OFFICE,
    "credit.apply_rules": OFFICE,
    "credit.decide_revocation": OFFICE,
    # -- funding: rounds and projects ------------------------------------------------------------
    "funding.open_round": OFFICE,
    "funding.apply": OWN_OR_OFFICE,
    "funding.check_eligibility": OFFICE,
    "funding.open_evaluation": OFFICE,
    "funding.award": OFFICE,
    "funding.decline": OFFICE,
    "funding.sign_agreement": OFFICE,
    "funding.pay_tranche": OFFICE,
    "funding.submit_report": OWN_OR_OFFICE,
    "funding.request_extension": OWN_OR_OFFICE,  # 延期申请 (a registrar may enter a request made on paper)
    "funding.decide_extension": OFFICE,
    "funding.check_attach": OWN_OR_OFFICE,  # asked before an upload's bytes are read
    "funding.attach_document": OWN_OR_OFFICE,
    "funding.withdraw_document": OWN_OR_OFFICE,
    "funding.terminate": OFFICE,
    "funding.complete": OFFICE,
    # -- subsidies ------------------------------------------------------------------------------
    "subsidies.grant_year": OFFICE,
    # -- reminders ------------------------------------------------------------------------------
    "reminders.issue": OFFICE,
    "reminders.deliver_due": OFFICE,
    "reminders.retry": OFFICE,
    "reminders.recipients_of": SIGNED_IN,  # one's own addresses
    "reminders.inbox": SIGNED_IN,  # one's own inbox
    "reminders.unread": SIGNED_IN,
    "reminders.mark_read": dict.fromkeys(SIGNED_IN, RECIPIENT),
}

# Commands with no signed-in actor: the operator's console (`starledger user add`, `set-password`,
# `contact`) and the demo seed. No route reaches them; whoever runs them holds the database already.
CONSOLE: dict[str, frozenset[str]] = {
    "accounts": frozenset({"add_user", "set_password"}),
    "reminders": frozenset({"set_contact"}),
}

# Public use-case methods that take no CommandContext: reads (the interfaces check who may read
# what: role guards, the organization's own records, sealed scores) and signing in.
QUERIES: dict[str, frozenset[str]] = {
    "organizations": frozenset({"organization", "organization_by_code", "organization_by_filing", "code_taken", "history"}),
    "evaluations": frozenset(
        {
            "expert",
            "evaluation",
            "history",
            "recompute",
            "subject_organization",
            "relations",
            "conflicts",
            "sheet_changes",
            "outliers",
            "sight",
            "scores_sealed",
            "documents_of",
            "document",
            "rule_set_of",
            "eligibility_due",
            "appeal_due",
        }
    ),  # reads: Evaluations.documents_of decides who
    "inspections": frozenset(
        {"campaign", "campaign_for", "inspection", "document", "found", "required_documents", "filing", "open_report_year"}
    ),
    "credit": frozenset({"record_of", "opened", "rule_set_for", "document", "penalty_recording"}),
    # documents_of / document: the applicant, staff, auditors, the chair and members of its panels (Funding.documents_of)
    "funding": frozenset({"funding_round", "project", "documents_of", "document"}),
    "subsidies": frozenset(),
    "reminders": frozenset({"plan"}),
    "accounts": frozenset({"users", "login", "authenticate", "recent_user", "logout"}),
    "objections": frozenset({"state"}),
    "complaints": frozenset({"complaint", "state", "search"}),
    "register_import": frozenset(),
    # relations: how a reader stands to a check (the pages decide what they see)
    "spot_checks": frozenset(
        {
            "rule_set_for",
            "report_year_for",
            "preview",
            "draw_record",
            "draw_of",
            "published",
            "drawn_by",
            "spot_check",
            "checks_of",
            "history",
            "conclusions_of",
            "draws",
            "checks",
            "relations",
            "document",
        }
    ),
}

_NEEDS = {
    Relation.OWN: ("只能办理本组织的事项", "An organization acts only on its own records"),
    Relation.CHAIR: ("只有本案的评估委员会主任或登记管理机关可以办理", "Only this case's chair or a registrar may do this"),
    Relation.MEMBER: ("您不在该评估的专家组中,或已回避", "You are not on this panel, or you have recused"),
    Relation.SELF: ("专家只能声明本人的利益冲突", "An expert declares only their own conflict"),
    Relation.RECIPIENT: ("这条提醒不是发给您的", "This reminder is not addressed to you"),
}


def allowed(ctx: CommandContext, command: str, holds: Collection[Relation] = ()) -> bool:
    row = RIGHTS[command]
    needed = row.get(ctx.actor.role)
    return needed is not None and (needed is Relation.ANY or needed in holds)


def authorize(ctx: CommandContext, command: str, holds: Collection[Relation] = ()) -> None:
    """Refuse (NotPermitted → 403) unless the actor's role has a row for the command and the
    relation it names holds for this record."""
    if allowed(ctx, command, holds):
        return
    needed = RIGHTS[command].get(ctx.actor.role)
    if needed is None:
        roles = "、".join(r.value for r in RIGHTS[command]) or "-"
        raise NotPermitted(
            f"“{ctx.actor.role.value}”角色不能办理此事项(可办理的角色:{roles})",
            f"The role '{ctx.actor.role.value}' may not do this (roles that may: {', '.join(r.value for r in RIGHTS[command])})",
        )
    raise NotPermitted(*_NEEDS[needed])


def command(name: str, owner: str | Callable[[Any, dict[str, Any]], UUID | None] | None = None) -> Callable[[F], F]:
    """Declares a use-case method the command `name` and authorizes every call before the method
    runs. `owner` finds the organization the record belongs to (for the OWN relation): the name of
    the method's parameter holding its id, or a function of (use cases, the call's arguments)."""

    def wrap(method: F) -> F:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def run(self: Any, ctx: CommandContext, *args: Any, **kwargs: Any) -> Any:
            holds: set[Relation] = set()
            if owner is not None and ctx.actor.role is Role.ORGANIZATION and ctx.actor_organization is not None:
                arguments = signature.bind(self, ctx, *args, **kwargs).arguments
                found = arguments.get(owner) if isinstance(owner, str) else owner(self, arguments)
                if found == ctx.actor_organization:
                    holds.add(Relation.OWN)
            authorize(ctx, name, holds)
            with one_reading():  # decided on one reading of each aggregate it asks for
                return method(self, ctx, *args, **kwargs)

        run.command = name  # type: ignore[attr-defined]  # read by tests/unit/test_rights.py
        return run  # type: ignore[return-value]

    return wrap


def project_owner(use_cases: Any, arguments: dict[str, Any]) -> UUID | None:
    """The applicant of the project a funding command names."""
    applicant: UUID = use_cases.project(arguments["project_id"]).organization_id
    return applicant
