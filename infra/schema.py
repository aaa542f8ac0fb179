"""Tables of ours beside eventsourcing's: created idempotently at start-up."""

from __future__ import annotations

from infra.database import PostgresDatabase, SQLiteDatabase, Tx
from infra.documents import document_tables

# Bump when a read model's columns change: its table is dropped and rebuilt from the events.
READ_MODEL_VERSIONS = {"register": 4, "cases": 1, "compliance": 2, "reminders": 2, "funding": 1, "register_history": 1}
READ_MODEL_TABLES = {
    "register": ("sl_register",),
    "cases": ("sl_cases", "sl_case_members", "sl_experts"),
    "compliance": ("sl_campaigns", "sl_inspections", "sl_credit_records", "sl_listings", "sl_penalties"),
    "reminders": ("sl_reminders", "sl_deliveries", "sl_reminder_reads"),
    "funding": ("sl_rounds", "sl_projects", "sl_tranches", "sl_subsidies"),
    "register_history": ("sl_register_intervals", "sl_interval_credit"),
}

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS sl_read_models (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_tracking (
        projection TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_register (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        org_type TEXT NOT NULL,
        track TEXT NOT NULL,
        status TEXT NOT NULL,
        code TEXT,
        filing_no TEXT,
        legal_representative TEXT NOT NULL,
        address TEXT NOT NULL,
        district TEXT NOT NULL,
        division_code TEXT NOT NULL,
        supervising_unit TEXT,
        is_hub INTEGER NOT NULL,
        hub_id TEXT,
        member_count INTEGER NOT NULL DEFAULT 0,
        public_benefit INTEGER NOT NULL,
        community_level INTEGER NOT NULL,
        party_branch INTEGER NOT NULL DEFAULT 0,
        registered_on TEXT,
        grade TEXT,
        grade_valid_from TEXT,
        grade_valid_until TEXT,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        search_text TEXT NOT NULL,
        credit_record_id TEXT,
        abnormal_since TEXT,
        serious_since TEXT)""",
    "CREATE INDEX IF NOT EXISTS sl_register_name ON sl_register (name)",
    "CREATE INDEX IF NOT EXISTS sl_register_district ON sl_register (district, name)",
    "CREATE INDEX IF NOT EXISTS sl_register_division ON sl_register (division_code)",
    "CREATE INDEX IF NOT EXISTS sl_register_hub ON sl_register (hub_id)",
    "CREATE INDEX IF NOT EXISTS sl_register_credit ON sl_register (credit_record_id)",
    # the register through time: one row per organization and interval of unchanged status/grade/credit
    """CREATE TABLE IF NOT EXISTS sl_register_intervals (
        organization_id TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_to TEXT,
        name TEXT NOT NULL,
        org_type TEXT NOT NULL,
        track TEXT NOT NULL,
        status TEXT NOT NULL,
        district TEXT NOT NULL,
        division_code TEXT NOT NULL,
        grade TEXT,
        grade_valid_until TEXT,
        abnormal INTEGER NOT NULL,
        serious INTEGER NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (organization_id, valid_from))""",
    "CREATE INDEX IF NOT EXISTS sl_register_intervals_span ON sl_register_intervals (valid_from, valid_to)",
    "CREATE INDEX IF NOT EXISTS sl_register_intervals_open ON sl_register_intervals (organization_id) WHERE valid_to IS NULL",
    """CREATE TABLE IF NOT EXISTS sl_interval_credit (
        credit_record_id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_campaigns (
        id TEXT PRIMARY KEY,
        report_year INTEGER NOT NULL,
        division_prefix TEXT NOT NULL,
        supervising_unit_deadline TEXT NOT NULL,
        registration_authority_deadline TEXT NOT NULL,
        rule_set TEXT NOT NULL,
        deadline_recorded INTEGER NOT NULL,
        missed INTEGER NOT NULL,
        exempt INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_inspections (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        report_year INTEGER NOT NULL,
        campaign_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        outcome TEXT,
        review_outcome TEXT,
        simplified INTEGER NOT NULL,
        deadline TEXT NOT NULL,
        submitted_on TEXT,
        filed_late INTEGER NOT NULL,
        reasons TEXT NOT NULL,
        rectification_deadline TEXT,
        rectified_on TEXT,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS sl_inspections_org_year ON sl_inspections (organization_id, report_year)",
    "CREATE INDEX IF NOT EXISTS sl_inspections_rectification ON sl_inspections (rectification_deadline)",
    """CREATE TABLE IF NOT EXISTS sl_credit_records (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_listings (
        record_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        organization_id TEXT NOT NULL,
        list_name TEXT NOT NULL,
        listed_on TEXT NOT NULL,
        clock_from TEXT NOT NULL,
        grounds TEXT NOT NULL,
        obligation_met_on TEXT,
        removed_on TEXT,
        removal_reason TEXT,
        PRIMARY KEY (record_id, seq))""",
    "CREATE INDEX IF NOT EXISTS sl_listings_current ON sl_listings (list_name, removed_on)",
    "CREATE INDEX IF NOT EXISTS sl_listings_org ON sl_listings (organization_id)",
    """CREATE TABLE IF NOT EXISTS sl_penalties (
        record_id TEXT NOT NULL,
        decision_no TEXT NOT NULL,
        organization_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        decided_on TEXT NOT NULL,
        amount_cny TEXT,
        reason TEXT NOT NULL,
        PRIMARY KEY (record_id, decision_no))""",
    """CREATE TABLE IF NOT EXISTS sl_cases (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        stage TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        chair_user_id TEXT NOT NULL,
        scoring_deadline TEXT NOT NULL,
        rule_set TEXT NOT NULL,
        total TEXT,
        result TEXT,
        announcement_ends TEXT,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sl_cases_subject ON sl_cases (subject_id)",
    "CREATE INDEX IF NOT EXISTS sl_cases_chair ON sl_cases (chair_user_id)",
    """CREATE TABLE IF NOT EXISTS sl_case_members (
        case_id TEXT NOT NULL,
        expert_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        recused TEXT,
        submitted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (case_id, expert_id))""",
    "CREATE INDEX IF NOT EXISTS sl_case_members_user ON sl_case_members (user_id)",
    """CREATE TABLE IF NOT EXISTS sl_experts (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        field TEXT NOT NULL,
        affiliation TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_reminders (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        period TEXT NOT NULL,
        offset_label TEXT NOT NULL,
        due_on TEXT NOT NULL,
        text_zh TEXT NOT NULL,
        text_en TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        cancelled_at TEXT,
        done_zh TEXT,
        done_en TEXT)""",
    "CREATE INDEX IF NOT EXISTS sl_reminders_recipient ON sl_reminders (recipient, issued_at)",
    # claimed_by/claimed_until: the lease of the deliverer attempting the row (written by deliverers,
    # never by the projection); a rebuild forgets leases, the reminder's own history still says what was sent
    """CREATE TABLE IF NOT EXISTS sl_deliveries (
        reminder_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT,
        last_error TEXT,
        claimed_by TEXT,
        claimed_until TEXT,
        PRIMARY KEY (reminder_id, channel))""",
    "CREATE INDEX IF NOT EXISTS sl_deliveries_due ON sl_deliveries (status, next_attempt_at)",
    """CREATE TABLE IF NOT EXISTS sl_reminder_reads (
        reminder_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (reminder_id, user_id))""",
    """CREATE TABLE IF NOT EXISTS sl_chain (
        position BIGINT PRIMARY KEY,
        hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_chain_checkpoints (
        position BIGINT PRIMARY KEY,
        hash TEXT NOT NULL,
        at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_login_failures (
        key TEXT NOT NULL,
        at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sl_login_failures_key ON sl_login_failures (key, at)",
    """CREATE TABLE IF NOT EXISTS sl_contacts (
        user_id TEXT PRIMARY KEY,
        email TEXT,
        webhook_url TEXT,
        channels TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        organization_id TEXT,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS sl_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_idempotency (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        location TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (scope, key))""",
]

# Money in read models is whole fen (BIGINT), so both databases add it up exactly.
FUNDING_STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS sl_rounds (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        division_prefix TEXT NOT NULL,
        budget_fen BIGINT NOT NULL,
        cap_fen BIGINT NOT NULL,
        committed_fen BIGINT NOT NULL,
        applications_open TEXT NOT NULL,
        applications_close TEXT NOT NULL,
        project_start TEXT NOT NULL,
        mid_term_due TEXT NOT NULL,
        closing_due TEXT NOT NULL,
        min_grade TEXT,
        rule_set TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_projects (
        id TEXT PRIMARY KEY,
        round_id TEXT NOT NULL,
        organization_id TEXT NOT NULL,
        organization_name TEXT NOT NULL,
        district TEXT NOT NULL,
        title TEXT NOT NULL,
        requested_fen BIGINT NOT NULL,
        stage TEXT NOT NULL,
        bars TEXT NOT NULL,
        review_score TEXT,
        review_rank_score BIGINT,
        awarded_fen BIGINT,
        paid_fen BIGINT NOT NULL,
        mid_term_due TEXT,
        closing_due TEXT,
        mid_term_reported_on TEXT,
        closing_reported_on TEXT,
        mid_term_passed INTEGER,
        stars INTEGER,
        closing_score TEXT,
        evaluations TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sl_projects_round ON sl_projects (round_id, review_rank_score)",
    "CREATE INDEX IF NOT EXISTS sl_projects_org ON sl_projects (organization_id)",
    """CREATE TABLE IF NOT EXISTS sl_tranches (
        project_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        round_id TEXT NOT NULL,
        district TEXT NOT NULL,
        amount_fen BIGINT NOT NULL,
        paid_on TEXT NOT NULL,
        PRIMARY KEY (project_id, idx))""",
    """CREATE TABLE IF NOT EXISTS sl_subsidies (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        organization_name TEXT NOT NULL,
        district TEXT NOT NULL,
        rule_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        period TEXT NOT NULL,
        year INTEGER NOT NULL,
        amount_fen BIGINT NOT NULL,
        reasons TEXT NOT NULL,
        rule_set TEXT NOT NULL,
        granted_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sl_subsidies_year ON sl_subsidies (year, district)",
]
STATEMENTS += FUNDING_STATEMENTS


def create_tables(db: SQLiteDatabase | PostgresDatabase) -> None:
    with db.transaction(write=True) as tx:
        if db.dialect == "postgres":
            # Several instances may start at once; serialise the DDL.
            tx.execute("SELECT pg_advisory_xact_lock(4242001)")
        tx.execute(STATEMENTS[0])  # sl_read_models
        tx.execute(STATEMENTS[1])  # sl_tracking
        _drop_outdated_read_models(tx)
        for statement in STATEMENTS[2:] + document_tables(db.dialect):
            tx.execute(statement)


def _drop_outdated_read_models(tx: Tx) -> None:
    """Read models are disposable: an outdated one is dropped, and its projection starts over."""
    for name, version in READ_MODEL_VERSIONS.items():
        stored = tx.execute("SELECT version FROM sl_read_models WHERE name = ?", (name,)).scalar()
        if stored == version:
            continue
        for table in READ_MODEL_TABLES[name]:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
        tx.execute("DELETE FROM sl_tracking WHERE projection = ?", (name,))
        tx.execute("DELETE FROM sl_read_models WHERE name = ?", (name,))
        tx.execute("INSERT INTO sl_read_models (name, version) VALUES (?, ?)", (name, version))
