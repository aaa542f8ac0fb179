"""Tables of ours beside eventsourcing's: created idempotently at start-up. The read models'
tables are declared by their projections (infra/read_models.py lists them); the rest is here."""

from __future__ import annotations

from infra.database import PostgresDatabase, SQLiteDatabase, Tx
from infra.documents import document_tables
from infra.read_models import READ_MODELS, read_model_statements
from infra.sweep_chunks import TABLES as SWEEP_TABLES

# Where each read model stands: the version its tables were created at, and its position in the log.
BOOKKEEPING = [
    """CREATE TABLE IF NOT EXISTS sl_read_models (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sl_tracking (
        projection TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
]

# Our tables that are not read models: the integrity chain, logins, contacts, accounts, sessions, idempotency
# (and the shared sweep's chunks, infra/sweep_chunks.py).
STATEMENTS = [
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


def create_tables(db: SQLiteDatabase | PostgresDatabase) -> None:
    with db.transaction(write=True) as tx:
        if db.dialect == "postgres":
            # Several instances may start at once; serialise the DDL.
            tx.execute("SELECT pg_advisory_xact_lock(4242001)")
        for statement in BOOKKEEPING:
            tx.execute(statement)
        _drop_outdated_read_models(tx)
        for statement in read_model_statements(db.dialect) + STATEMENTS + SWEEP_TABLES + document_tables(db.dialect):
            tx.execute(statement)


def _drop_outdated_read_models(tx: Tx) -> None:
    """Read models are disposable: an outdated one is dropped, and its projection starts over."""
    for kind in READ_MODELS:
        name, version = kind.name, kind.version
        stored = tx.execute("SELECT version FROM sl_read_models WHERE name = ?", (name,)).scalar()
        if stored == version:
            continue
        for table in kind.tables:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
        tx.execute("DELETE FROM sl_tracking WHERE projection = ?", (name,))
        tx.execute("DELETE FROM sl_read_models WHERE name = ?", (name,))
        tx.execute("INSERT INTO sl_read_models (name, version) VALUES (?, ?)", (name, version))
