"""Ports: what the application needs from the outside world. infra implements them;
tests may pass fakes for what lies outside the system's boundary."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from application.queries.cases import AnnouncedGrade, CaseRow, ExpertRow, MemberRow, ObjectionRow
from application.queries.certificates import CertificateStanding
from application.queries.common import Page, Table
from application.queries.complaints import ComplaintQuery, ComplaintRow
from application.queries.compliance import (
    CampaignRow,
    ExtendedReport,
    InspectionResultQuery,
    InspectionResultRow,
    InspectionRow,
    ListingQuery,
    ListingRow,
    MissedCandidate,
    PenaltyRow,
)
from application.queries.funding import ProjectQuery, ProjectRow, RoundRow, SubsidyRow, SubsidyTotal
from application.queries.integrity import Checkpoint, Verification
from application.queries.register import RegisterAsOfQuery, RegisterEntry, RegisterLine, RegisterQuery
from application.queries.reminders import ContactRow, DeliveryClaim, ReminderQuery, ReminderRow
from application.queries.spot_checks import DrawRow, SpotCheckQuery, SpotCheckRow
from domain.reminder import PlannedReminder
from domain.rules import RuleSet


class Clock(Protocol):
    def now(self) -> datetime:
        """A timezone-aware 'now'."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID: ...


class Seeds(Protocol):
    """Where a random draw's seed comes from: published with the draw so anyone can rerun it, so it
    must be unpredictable before the draw (infra: the operating system's randomness; tests: fixed)."""

    def new_seed(self) -> str:
        """32 lowercase hexadecimal digits (128 bits)."""
        ...


class TokenSource(Protocol):
    def new_token(self) -> str: ...


class CertificateRenderer(Protocol):
    """A grade certificate as a PDF in the official layout, its QR code opening `verify_url`."""

    def render(self, standing: CertificateStanding, verify_url: str) -> bytes: ...


class RuleSetCatalog(Protocol):
    def all(self) -> list[RuleSet]: ...

    def get(self, id: str, version: int) -> RuleSet: ...

    def for_division(self, division_code: str, on: date) -> RuleSet: ...


Progress = Callable[[int, int], None]  # (done, total)


class RegisterView(Protocol):
    """The register read model (登记名册), kept up to date from the notification log."""

    def catch_up(self) -> int:
        """Process all new events exactly once; returns how many were processed."""
        ...

    def rebuild(self, progress: Progress | None = None) -> int: ...

    def search(self, query: RegisterQuery) -> Page[RegisterEntry]: ...

    def get(self, organization_id: UUID) -> RegisterEntry | None: ...

    def names(self, organization_ids: list[UUID]) -> dict[UUID, str]:
        """The names of those of the organizations that are in the register (one query)."""
        ...

    def districts(self) -> list[str]: ...

    def position(self) -> int: ...


class RegisterHistoryView(Protocol):
    """The register through time: validity intervals of each organization's line."""

    def as_of(self, query: RegisterAsOfQuery) -> Page[RegisterLine]: ...

    def intervals(self, organization_id: UUID, known_at: datetime | None = None) -> list[RegisterLine]: ...

    def superseded(self, organization_id: UUID) -> list[RegisterLine]: ...


class ComplianceView(Protocol):
    """Read models of inspections and credit records (年检、信用信息), for sweeps, pages and the public."""

    def awaiting_review(self, limit: int) -> list[InspectionRow]: ...

    def catch_up(self) -> int: ...

    def campaigns(self) -> list[CampaignRow]: ...

    def due_campaigns(self, as_of: date) -> list[CampaignRow]:
        """Campaigns whose registration-authority deadline has passed but is not yet recorded."""
        ...

    def extended_unfiled(self, due_before: date | None = None) -> list[ExtendedReport]:
        """Reports whose deadline an extension moved, not yet filed (due before a day, if given)."""
        ...

    def missed_candidates(
        self, division_prefix: str, report_year: int, after: UUID | None, limit: int, within: IdRange = ...
    ) -> tuple[list[MissedCandidate], UUID | None]:
        """The open organizations in the locality that have not submitted the year's report, a window
        of the register at a time (the next `limit` organizations by id after `after`, within the id
        range: a shared sweep's chunk), with what the set-based missed sweep decides on, and the
        window's last id (None: the range is done)."""
        ...

    def count_without_filed_report(self, division_prefix: str, report_year: int) -> int: ...

    def outcomes(self, organization_ids: list[UUID], years: range) -> dict[tuple[UUID, int], str | None]:
        """The recorded outcome of each organization's inspection in those years (only years with one)."""
        ...

    def organization_versions(self, organization_ids: list[UUID]) -> dict[UUID, int]:
        """Each organization's version as the register has it now."""
        ...

    def inspections_of(self, organization_id: UUID) -> list[InspectionRow]: ...

    def late_reporters(self, division_prefix: str, report_year: int) -> list[UUID]:
        """Organizations whose report on the year was missed or filed late."""
        ...

    def records_with_active_listings(self) -> list[UUID]: ...

    def count_listed_records(self) -> int:
        """How many records `listed_records` walks (the credit sweep's chunks and progress)."""
        ...

    def listed_records(self, after: UUID | None, limit: int, within: IdRange = ...) -> list[tuple[UUID, str]]:
        """`records_with_active_listings` a chunk at a time (by id, after the last one seen, within
        the id range), each with its organization's division code (which rule set governs it)."""
        ...

    def overdue_rectifications(self, as_of: date) -> list[tuple[UUID, int, date]]: ...

    def listings(self, query: ListingQuery) -> Page[ListingRow]: ...

    def listings_of(self, organization_id: UUID) -> list[ListingRow]: ...

    def inspection_results(self, query: InspectionResultQuery) -> Page[InspectionResultRow]: ...

    def penalties_of(self, organization_id: UUID) -> list[PenaltyRow]: ...


class ContactDirectory(Protocol):
    def contacts_for(self, recipient: str) -> list[ContactRow]:
        """ "organization:<id>" → its users' contacts; "user:<id>" → that user's."""
        ...

    def reachable(self) -> dict[str, list[ContactRow]]:
        """Every recipient with an email address or webhook, with those contacts (one query;
        everybody else is reminded in the in-app inbox only)."""
        ...

    def set_contact(self, user_id: str, email: str | None, webhook_url: str | None, channels: list[str]) -> None: ...


class Mailer(Protocol):
    configured: bool

    def send(self, to: list[str], subject: str, body: str, message_id: str) -> None:
        """Raises on failure; the Message-ID lets a receiver drop a duplicate."""
        ...


class WebhookPoster(Protocol):
    def post(self, url: str, payload: bytes, idempotency_key: str) -> None:
        """POST signed JSON; raises unless the receiver answers 2xx."""
        ...


class ReminderView(Protocol):
    def catch_up(self) -> int: ...

    def claim_delivery(self, now: datetime, token: str, until: datetime) -> DeliveryClaim | None:
        """Atomically lease one pending delivery whose next attempt is due and which nobody holds
        (no lease, or one that expired) to `token` until `until`; None when there is none."""
        ...

    def renew_claim(self, claim: DeliveryClaim, until: datetime) -> DeliveryClaim | None:
        """Extend the lease if it is still this claim's (nobody took it over); else None."""
        ...

    def release_claim(self, claim: DeliveryClaim, until: datetime | None) -> None:
        """The attempt is recorded: the row may be claimed again from `until` (None: at once)."""
        ...

    def reminders(self, query: ReminderQuery) -> Page[ReminderRow]: ...

    def unread_count(self, recipients: list[str], user_id: str) -> int: ...

    def issued(self, planned: Sequence[PlannedReminder]) -> set[UUID]:
        """The ids of those planned that were issued already, matched on what they are about
        (kind, subject, recipient, period, offset), not on their ids: a reminder issued before
        ids followed their subjects has another id for the same thing (one query)."""
        ...


# Rows reminder planning reads (named tuples: the planners unpack them, or read them by name).
class MissedInspection(NamedTuple):
    organization_id: UUID
    report_year: int
    deadline: date


class GradeExpiry(NamedTuple):
    organization_id: UUID
    grade: str
    valid_until: date
    division_code: str


class OpenSheet(NamedTuple):
    case_id: UUID
    user_id: str  # the evaluator's
    scoring_deadline: date
    rule_set: str  # "id@version"
    subject_name: str = ""  # the organization evaluated, or the project's title


class OverdueScoring(NamedTuple):
    case_id: UUID
    chair_user_id: str
    scoring_deadline: date
    open_sheets: int
    subject_name: str = ""


class Announcement(NamedTuple):
    case_id: UUID
    organization_id: UUID  # the subject's (a project's organization for a project case)
    chair_user_id: str
    ends: date
    rule_set: str


class OpenMilestone(NamedTuple):
    project_id: UUID
    organization_id: UUID
    title: str
    milestone: str  # "mid_term" or "closing"
    due: date
    division_code: str
    extended: bool = False  # an extension moved the day: its reminders are another occasion


class OpenComplaint(NamedTuple):
    """A complaint waiting for the registry: its triage (受理) or, once triaged, its answer (答复)."""

    complaint_id: UUID
    reference: str
    organization_id: UUID
    step: str  # "triage" or "answer"
    due: date
    division_code: str


class AbnormalListing(NamedTuple):
    organization_id: UUID
    listed_on: date
    division_code: str


class PlanningView(Protocol):
    """What reminder planning reads: deadlines that are coming or have passed."""

    def catch_up(self) -> int: ...

    def open_campaigns(self) -> list[CampaignRow]: ...

    def unfiled_on_deadline(
        self, division_prefix: str, report_year: int, after: UUID | None, limit: int
    ) -> tuple[list[tuple[UUID, str]], UUID | None]:
        """Those that have not filed the year's report and are still on the campaign's deadline, a
        window of the register at a time (the next `limit` organizations by id after `after`), each
        with its name, and the window's last id (None: done)."""
        ...

    def extended_unfiled(self, due_before: date | None = None) -> list[ExtendedReport]: ...

    def missed_inspections(self, deadline_from: date) -> list[MissedInspection]: ...

    def grades_valid_until(self, start: date, end: date) -> list[GradeExpiry]:
        """Grades ending in the range."""
        ...

    def unsubmitted_sheets(self, start: date, end: date) -> list[OpenSheet]:
        """Sheets still open, of cases whose scoring deadline is in the range."""
        ...

    def overdue_sheets(self, deadline_from: date, before: date) -> list[OverdueScoring]:
        """Cases past their scoring deadline with sheets still open."""
        ...

    def announcements(self, ending_from: date, ending_to: date) -> list[Announcement]:
        """Announced cases whose announcement ends in the range."""
        ...

    def open_milestones(self) -> list[OpenMilestone]:
        """The next report of each running project."""
        ...

    def open_complaints(self, due_before: date) -> list[OpenComplaint]:
        """Complaints whose triage or answer is still to come, due before the day."""
        ...

    def complaint_step_done(self, complaint_id: UUID, step: str) -> bool:
        """Whether the complaint was triaged ("triage") or answered ("answer")."""
        ...

    def abnormal_listings(self) -> list[AbnormalListing]:
        """Current abnormal listings."""
        ...

    # -- is the task a reminder is about done? (asked at each delivery attempt)
    def report_filed_on(self, organization_id: UUID, report_year: int) -> date | None:
        """When the annual report of the year was filed (submitted), if it was."""
        ...

    def sheet_submitted(self, case_id: UUID, user_id: str) -> bool:
        """The evaluator's score sheet in the case is submitted."""
        ...

    def seat_vacated(self, case_id: UUID, user_id: str) -> bool:
        """The user sat on the case's panel and no longer does (recused or replaced)."""
        ...

    def open_sheets(self, case_id: UUID) -> int:
        """Sheets still to submit while the case is scoring (0 once scoring is over)."""
        ...

    def milestone_reported_on(self, project_id: UUID, milestone: str) -> date | None:
        """When the project's mid-term or closing report was handed in, if it was."""
        ...

    def listing_removed_on(self, organization_id: UUID, listed_on: date) -> date | None:
        """When the abnormal listing of that day was removed, if it was."""
        ...


class SweepLock(Protocol):
    def exclusive(self, name: str) -> Any:
        """A context manager yielding True when this process holds the named lock (one sweeper at a time)."""
        ...


class IdRange(NamedTuple):
    """Ids (as text) from `lo` (inclusive) to `hi` (exclusive); "" leaves that end open. A sweep's
    chunk: ids are random or uuid5 UUIDs, so ranges of their leading hex digits split any population evenly."""

    lo: str = ""
    hi: str = ""


class ChunkClaim(NamedTuple):
    """A chunk of a sweep run, leased to one claimer (`token`) until `until`."""

    run: str
    generation: int
    chunk: int
    ids: IdRange
    token: str
    until: datetime


class RunState(NamedTuple):
    chunks: int
    done: int  # chunks finished
    finished: bool  # the run's finishing action is done
    counts: dict[str, int]  # summed over every claimer's reports


class SweepChunks(Protocol):
    """A sweep step shared by every instance on the database: its chunks are claimed (a lease each),
    done and counted in our tables, so several instances split a step and a dead one's chunks are
    claimed again once its lease runs out."""

    def open_run(self, run: str, ranges: Sequence[IdRange], now: datetime, *, again: bool = True) -> int:
        """The run's current generation: the unfinished one, or (`again`) a new one of these chunks
        when the last was finished (a sweep run again for the same day does it all again, as before);
        without `again`, the last one whatever its state. Runs finished long ago are forgotten."""
        ...

    def claim(self, run: str, generation: int, token: str, now: datetime, until: datetime) -> ChunkClaim | None:
        """One chunk nobody is working on (never claimed, or its lease ran out), leased to `token`."""
        ...

    def report(self, claim: ChunkClaim, counts: dict[str, int], until: datetime) -> int:
        """Counts of work saved under the claim, added to the run's; the lease renewed. The run's
        `seen` count so far (every claimer's)."""
        ...

    def finish(self, claim: ChunkClaim, now: datetime) -> bool:
        """The chunk done, if the claim still holds it (False: its lease ran out and another took it)."""
        ...

    def release(self, claim: ChunkClaim) -> None:
        """The claimer gives the chunk up (its work failed): another may claim it at once."""
        ...

    def state(self, run: str, generation: int) -> RunState: ...

    def finish_run(self, run: str, generation: int, now: datetime) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool: ...


class UserRecord(Protocol):
    id: str
    username: str
    display_name: str
    role: str
    organization_id: str | None
    password_hash: str
    disabled: bool


class SessionRecord(Protocol):
    user: UserRecord
    created_at: datetime
    expires_at: datetime


class AccountStore(Protocol):
    def add_user(self, user: UserRecord) -> None: ...

    def user_by_name(self, username: str) -> UserRecord | None: ...

    def users(self) -> list[UserRecord]: ...

    def set_password(self, user_id: str, password_hash: str) -> None: ...

    def add_session(self, token_hash: str, user_id: str, created: datetime, expires: datetime) -> None: ...

    def session(self, token_hash: str, now: datetime) -> SessionRecord | None:
        """The session with this token hash if it has not ended by `now`."""
        ...

    def extend_session(self, token_hash: str, expires: datetime) -> None: ...

    def drop_session(self, token_hash: str) -> None: ...


class LoginThrottle(Protocol):
    """Failed sign-ins by key (an account, an address) within a window, shared by all instances."""

    def failures_since(self, keys: list[str], since: datetime) -> dict[str, tuple[int, datetime | None]]:
        """key → (failures since the instant, the oldest of them)."""
        ...

    def record_failure(self, keys: list[str], at: datetime) -> None: ...

    def clear(self, key: str) -> None: ...


class StoredResponse(Protocol):
    fingerprint: str
    status: int
    body: bytes
    location: str | None


class IdempotencyStore(Protocol):
    """Responses to creates, kept by (caller, Idempotency-Key) so a retry creates nothing twice."""

    def recall(self, scope: str, key: str) -> StoredResponse | None: ...

    def remember(self, scope: str, key: str, response: StoredResponse, at: datetime) -> None: ...


class DocumentUpload(Protocol):
    """Bytes received and spooled (not in memory), hashed on the way in."""

    sha256: str
    size_bytes: int
    head: bytes  # the first bytes, for the type

    def zip_names(self) -> frozenset[str] | None:
        """The names inside a ZIP container (OFD, XLSX, DOCX are ZIPs); None if it is not one."""
        ...

    def write(self, chunk: bytes) -> None:
        """More bytes (refused over the store's limit)."""
        ...

    def finish(self) -> DocumentUpload:
        """All bytes are in (refused when there are none): the hash is known."""
        ...

    def discard(self) -> None: ...


class StoredDocument(Protocol):
    @property
    def sha256(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def media_type(self) -> str: ...


class AggregateReader(Protocol):
    """Many aggregates at once, as the repository would give each (a sweep's chunk in one query)."""

    def get_many(self, ids: Sequence[UUID]) -> dict[UUID, Any]: ...


class DocumentStore(Protocol):
    """Documents by their SHA-256, in the same database as the events, each stored once."""

    @property
    def limit(self) -> int:
        """The most bytes one document may have."""
        ...

    def upload(self) -> DocumentUpload:
        """A new upload to write into (spooled, not in memory)."""
        ...

    def put(self, upload: DocumentUpload, media_type: str) -> bool:
        """Store the bytes unless they are stored already (True when newly stored)."""
        ...

    def info(self, sha256: str) -> StoredDocument | None: ...

    def read(self, sha256: str) -> Iterator[bytes]:
        """The bytes in chunks, one chunk in memory at a time."""
        ...


class ComplaintsView(Protocol):
    """The registry's list of complaints."""

    def search(self, query: ComplaintQuery) -> Page[ComplaintRow]: ...

    def complained_about(self, since: date) -> list[UUID]:
        """Organizations with a complaint received since the day, neither turned away nor referred elsewhere."""
        ...


class CasesView(Protocol):
    """Evaluation cases and the expert pool as lists (the cases read model)."""

    def cases(self, *, subject_id: UUID | None = None, chair_user_id: str | None = None) -> list[CaseRow]: ...

    def assignments(self, user_id: str) -> list[CaseRow]: ...

    def members(self, case_id: UUID) -> list[MemberRow]: ...

    def experts(self) -> list[ExpertRow]: ...

    def announced_grades(self, year: int | None = None) -> list[AnnouncedGrade]: ...

    def objection(self, reference: str) -> ObjectionRow | None: ...


class FundingView(Protocol):
    """Rounds, projects and subsidies as lists (the funding read model)."""

    def catch_up(self) -> int: ...

    def rounds(self) -> list[RoundRow]: ...

    def round(self, round_id: UUID) -> RoundRow | None: ...

    def projects(self, query: ProjectQuery) -> Page[ProjectRow]: ...

    def subsidies(self, year: int | None = None, district: str | None = None) -> list[SubsidyRow]: ...

    def subsidy_report(self, year: int) -> list[SubsidyTotal]: ...


class DashboardView(Protocol):
    def table(self, key: str) -> Table:
        """The figures behind one dashboard chart (KeyError for an unknown key)."""
        ...


class IntegrityView(Protocol):
    """The log's integrity chain: verify it, record and list checkpoints of its head."""

    def verify(self, progress: Callable[[int, int], None] | None = None) -> Verification: ...

    def checkpoint(self, now: datetime) -> Checkpoint: ...

    def checkpoints(self) -> list[Checkpoint]: ...

    def link_at(self, position: int) -> str | None:
        """The chain's stored link at a position (None past the head)."""
        ...


class SpotChecksView(Protocol):
    """Random inspections as lists: the draws made, and the checks with their stage and team."""

    def draws(self, year: int | None = None) -> list[DrawRow]: ...

    def checks(self, query: SpotCheckQuery) -> Page[SpotCheckRow]: ...
