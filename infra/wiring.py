"""The one wiring function: builds the whole system from settings. Interfaces reach
infra only through this module; tests build it with their own clock and ids."""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from application.accounts import Accounts
from application.announcements import PublicAnnouncements
from application.audit import Audit
from application.certificates import Certificates
from application.complaints import Complaints
from application.credit import CreditRecords
from application.desk import Desk
from application.evaluations import Evaluations
from application.event_store import EventStore
from application.evidence import PublicEvidence
from application.funding import Funding
from application.inspections import Inspections
from application.objections import Objections
from application.organizations import Organizations
from application.ports import Clock, IdGenerator, Progress, Seeds, TokenSource
from application.public import PublicRegister
from application.register_import import RegisterImport
from application.reminders import Reminders
from application.reminders.delivery import DeliveryPolicy
from application.spot_checks import SpotChecks
from application.subsidies import Subsidies
from application.sweep_runs import SharedRuns
from infra.accounts import Argon2Hasher, SqlAccountStore, SqlIdempotencyStore, SqlLoginThrottle, common_passwords
from infra.bulk_reads import BulkAggregates
from infra.certificates import PdfCertificateRenderer
from infra.channels import HttpWebhookPoster, SmtpMailer
from infra.contacts import SqlContactDirectory
from infra.dashboards import Dashboards
from infra.database import PostgresDatabase, SQLiteDatabase
from infra.documents import SqlDocumentStore
from infra.integrity import IntegrityChain
from infra.locks import DatabaseSweepLock
from infra.persistence.environment import eventsourcing_env
from infra.planning import PlanningQueries
from infra.projections.base import BulkProjection, Projection, ReadModels
from infra.projections.cases import CasesProjection
from infra.projections.complaints import ComplaintsProjection
from infra.projections.compliance import ComplianceProjection
from infra.projections.funding import FundingProjection
from infra.projections.register import RegisterProjection
from infra.projections.register_history import RegisterHistoryProjection
from infra.projections.reminders import ReminderProjection
from infra.projections.spot_checks import SpotChecksProjection
from infra.read_models import READ_MODELS
from infra.rulesets import FileRuleSetCatalog
from infra.schema import create_tables
from infra.settings import VARIABLES, Settings, load_settings
from infra.sweep_chunks import SqlSweepChunks
from infra.system_ports import RandomIds, RandomSeeds, RandomTokens, SystemClock
from infra.transfer import ImportRefused, export_log, import_log
from infra.working_days import ChineseWorkingDays

__all__ = ["VARIABLES", "ImportRefused", "Settings", "System", "build_system", "export_log", "import_log", "load_settings"]

log = logging.getLogger("starledger")


@dataclass
class System:
    settings: Settings
    clock: Clock
    ids: IdGenerator
    store: EventStore
    organizations: Organizations
    evaluations: Evaluations
    register_view: RegisterProjection
    cases: CasesProjection
    compliance: ComplianceProjection
    inspections: Inspections
    credit: CreditRecords
    public: PublicRegister
    reminder_view: ReminderProjection
    reminders: Reminders
    funding_view: FundingProjection
    register_history: RegisterHistoryProjection
    funding: Funding
    subsidies: Subsidies
    sweep_lock: DatabaseSweepLock
    sweep_runs: SharedRuns
    integrity: IntegrityChain
    audit: Audit
    accounts: Accounts
    rules: FileRuleSetCatalog
    idempotency: SqlIdempotencyStore
    database: SQLiteDatabase | PostgresDatabase
    documents: SqlDocumentStore
    evidence: PublicEvidence
    announcements: PublicAnnouncements
    objections: Objections
    complaints: Complaints
    register_import: RegisterImport
    read_models: ReadModels
    dashboards: Dashboards
    certificates: Certificates
    spot_checks: SpotChecks

    def desk(self) -> Desk:
        """What the interfaces may reach (application/desk.py); the type checker holds this
        system to that shape."""
        return self

    @property
    def backend(self) -> str:
        return self.database.dialect

    @property
    def projections(self) -> list[Any]:
        return list(self.read_models.projections)  # each after those it reads (infra/read_models.py)

    def ping(self) -> bool:
        """True when the database answers (health check)."""
        try:
            with self.database.transaction() as tx:
                return bool(tx.execute("SELECT 1").scalar() == 1)
        except Exception:
            log.exception("database ping failed")
            return False

    def is_outage(self, exc: BaseException) -> bool:
        """A database that is down, restarting, out of connections or (SQLite) busy: the
        request did not happen and may be retried, so it is answered 503, not 500."""
        if isinstance(exc, sqlite3.OperationalError):
            return "locked" in str(exc) or "busy" in str(exc)
        return isinstance(exc, (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError))

    def close(self) -> None:
        self.store.close()
        self.database.close()


def build_system(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    tokens: TokenSource | None = None,
    seeds: Seeds | None = None,
) -> System:
    settings = settings or load_settings()
    clock = clock or SystemClock()
    ids = ids or RandomIds()
    rules = FileRuleSetCatalog()
    database: SQLiteDatabase | PostgresDatabase
    if settings.uses_postgres:
        database = PostgresDatabase(settings.database_url, settings.db_pool_size)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        database = SQLiteDatabase(settings.sqlite_path)
    create_tables(database)
    documents = SqlDocumentStore(database, settings.data_dir / "spool", settings.max_document_bytes)
    store = EventStore(eventsourcing_env(settings), clock=clock, rules=rules)
    read_models = ReadModels(store, database, READ_MODELS)
    register = read_models.get(RegisterProjection)
    cases = read_models.get(CasesProjection)
    compliance = read_models.get(ComplianceProjection)
    reminder_view = read_models.get(ReminderProjection)
    funding_view = read_models.get(FundingProjection)
    register_history = read_models.get(RegisterHistoryProjection)
    store.recorder.after_insert = read_models.apply_saved  # type: ignore[attr-defined]  # our recorders (infra/persistence) call it
    store.recorder.after_commit = read_models.remember_behind  # type: ignore[attr-defined]
    store.on_saved(read_models.notice)
    evaluations = Evaluations(store, rules, clock, ids, documents=documents, calendar=ChineseWorkingDays())
    planning = PlanningQueries(compliance, [register, cases, funding_view, read_models.get(ComplaintsProjection)])
    # who claims a sweep's chunks, as the database shows it: host, process and this system (tests run two in one process)
    runs = SharedRuns(SqlSweepChunks(database), clock, f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    credit = CreditRecords(
        store,
        rules,
        clock,
        ids,
        runs=runs,
        view=compliance,
        documents=documents,
        calendar=ChineseWorkingDays(),
        reader=BulkAggregates(store),
    )
    inspections = Inspections(store, rules, clock, ids, view=compliance, credit=credit, documents=documents, runs=runs)
    accounts = Accounts(
        SqlAccountStore(database),
        Argon2Hasher(),
        clock,
        ids,
        tokens or RandomTokens(),
        session_hours=settings.session_hours,
        throttle=SqlLoginThrottle(database),
        throttle_limit=settings.login_attempts,
        throttle_window_seconds=settings.login_window_seconds,
        session_idle_minutes=settings.session_idle_minutes,
        password_min_length=settings.password_min_length,
        organization_exists=lambda org_id: register.get(org_id) is not None,
        common_passwords=common_passwords(),
    )
    integrity = IntegrityChain(store.recorder, database, documents)
    organizations = Organizations(store, rules, clock, ids)
    spot_checks = SpotChecks(
        store,
        rules,
        clock,
        ids,
        seeds=seeds or RandomSeeds(),
        register=register,
        compliance=compliance,
        cases=cases,
        complaints=read_models.get(ComplaintsProjection),
        documents=documents,
        view=read_models.get(SpotChecksProjection),
    )
    system = System(
        settings=settings,
        clock=clock,
        ids=ids,
        store=store,
        organizations=organizations,
        evaluations=evaluations,
        register_view=register,
        cases=cases,
        compliance=compliance,
        inspections=inspections,
        credit=credit,
        public=PublicRegister(register, compliance, rules, store.today, spot_checks.conclusions_of),
        reminder_view=reminder_view,
        reminders=Reminders(
            store,
            rules,
            clock,
            ids,
            view=reminder_view,
            planning=planning,
            register=register,
            contacts=SqlContactDirectory(database),
            mailer=SmtpMailer(settings),
            webhooks=HttpWebhookPoster(settings),
            policy=DeliveryPolicy(settings.delivery_attempts, settings.delivery_backoff_seconds, settings.delivery_lease_seconds),
        ),
        funding_view=funding_view,
        register_history=register_history,
        funding=Funding(store, rules, clock, ids, evaluations=evaluations, documents=documents),
        subsidies=Subsidies(store, rules, clock, ids, register=register),
        sweep_lock=DatabaseSweepLock(database, settings.data_dir),
        sweep_runs=runs,
        integrity=integrity,
        audit=Audit(store, register_history),
        accounts=accounts,
        rules=rules,
        idempotency=SqlIdempotencyStore(database),
        database=database,
        documents=documents,
        evidence=PublicEvidence(inspections, credit, compliance),
        announcements=PublicAnnouncements(cases, compliance, funding_view, integrity, store.today),
        register_import=RegisterImport(store, rules, clock, ids, organizations=organizations),
        objections=Objections(
            store,
            rules,
            clock,
            ids,
            evaluations=evaluations,
            view=cases,
            documents=documents,
            throttle=SqlLoginThrottle(database),
            per_hour=settings.objections_per_hour,
        ),
        complaints=Complaints(
            store,
            rules,
            clock,
            ids,
            view=read_models.get(ComplaintsProjection),
            throttle=SqlLoginThrottle(database),
            per_hour=settings.objections_per_hour,  # public filings per address and hour, objections and complaints alike
            calendar=ChineseWorkingDays(),
            documents=documents,
        ),
        read_models=read_models,
        dashboards=Dashboards(database),
        certificates=Certificates(store, integrity, PdfCertificateRenderer()),
        spot_checks=spot_checks,
    )
    adopted = system.integrity.adopt_existing()
    if adopted:
        log.warning("integrity chain started over %d events recorded before it existed", adopted)
    for projection in system.projections:
        _bring_up_to_date(projection, system.sweep_lock)
    log.info("system ready on %s (%s)", database.dialect, _where(settings))
    return system


def _bring_up_to_date(projection: Projection, locks: DatabaseSweepLock) -> None:
    """A read model starting over on a long log (a new version after an upgrade) is rebuilt in bulk,
    by one process: others starting at the same time wait for it, then catch up what it left."""
    if isinstance(projection, BulkProjection) and projection.starts_over():
        with locks.rebuilding(projection.name):
            if projection.starts_over():
                started = time.monotonic()
                log.info("read model %s starts over: rebuilding it in bulk", projection.name)
                applied = projection.rebuild(_logged_progress(projection.name))
                log.info("read model %s rebuilt: %d events in %.1f s", projection.name, applied, time.monotonic() - started)
    projection.catch_up()


PROGRESS_EVERY = 10.0  # seconds between a long start's progress lines


def _logged_progress(name: str) -> Progress:
    """A line in the log every PROGRESS_EVERY seconds: a rebuild at a million organizations takes minutes."""
    last = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY and total:
            last = time.monotonic()
            log.info("read model %s: %d of %d events read (%.0f %%)", name, done, total, 100 * done / total)

    return progress


def _where(settings: Settings) -> str:
    if settings.uses_postgres:
        return settings.database_url.split("@")[-1]
    return str(settings.sqlite_path)
