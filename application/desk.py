"""The desk: everything the interfaces (API, pages, CLI, scheduler) may reach, typed, in one
place. Use cases change state; views answer questions. The composition root (infra/wiring.py)
builds an object of this shape; a controller that needs anything else is reaching past the
application."""

from __future__ import annotations

from typing import Protocol

from application.accounts import Accounts
from application.announcements import PublicAnnouncements
from application.audit import Audit
from application.certificates import Certificates
from application.complaints import Complaints
from application.credit import CreditRecords
from application.evaluations import Evaluations
from application.event_store import EventStore
from application.evidence import PublicEvidence
from application.funding import Funding
from application.inspections import Inspections
from application.objections import Objections
from application.organizations import Organizations
from application.ports import (
    CasesView,
    Clock,
    ComplianceView,
    DashboardView,
    DocumentStore,
    FundingView,
    IdempotencyStore,
    IdGenerator,
    IntegrityView,
    RegisterView,
    ReminderView,
    RuleSetCatalog,
)
from application.public import PublicRegister
from application.register_import import RegisterImport
from application.reminders import Reminders
from application.spot_checks import SpotChecks
from application.subsidies import Subsidies


class Desk(Protocol):
    """Read-only attributes (properties), so the wiring may hold more specific types."""

    # the outside world the interfaces also need: the time, new ids, the day in the store's zone
    @property
    def clock(self) -> Clock: ...
    @property
    def ids(self) -> IdGenerator: ...
    @property
    def store(self) -> EventStore: ...
    @property
    def rules(self) -> RuleSetCatalog: ...

    # use cases, one group per context
    @property
    def organizations(self) -> Organizations: ...
    @property
    def evaluations(self) -> Evaluations: ...
    @property
    def inspections(self) -> Inspections: ...
    @property
    def credit(self) -> CreditRecords: ...
    @property
    def funding(self) -> Funding: ...
    @property
    def subsidies(self) -> Subsidies: ...
    @property
    def reminders(self) -> Reminders: ...
    @property
    def accounts(self) -> Accounts: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def public(self) -> PublicRegister: ...
    @property
    def evidence(self) -> PublicEvidence: ...
    @property
    def announcements(self) -> PublicAnnouncements: ...
    @property
    def objections(self) -> Objections: ...
    @property
    def complaints(self) -> Complaints: ...
    @property
    def register_import(self) -> RegisterImport: ...
    @property
    def certificates(self) -> Certificates: ...
    @property
    def spot_checks(self) -> SpotChecks: ...

    # views: read models and stores the pages list from
    @property
    def register_view(self) -> RegisterView: ...
    @property
    def cases(self) -> CasesView: ...
    @property
    def compliance(self) -> ComplianceView: ...
    @property
    def reminder_view(self) -> ReminderView: ...
    @property
    def funding_view(self) -> FundingView: ...
    @property
    def dashboards(self) -> DashboardView: ...
    @property
    def integrity(self) -> IntegrityView: ...
    @property
    def documents(self) -> DocumentStore: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
