"""eventsourcing's environment for our settings: which recorder, where, and our mapper."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from infra.settings import Settings

MAPPER_TOPIC = "infra.persistence.mapper:MsgspecMapper"


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    env = {
        "MAPPER_TOPIC": MAPPER_TOPIC,
        "SNAPSHOT_INTERVAL": str(settings.snapshot_interval),
        "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache),
    }
    if settings.snapshot_interval:
        env["IS_SNAPSHOTTING_ENABLED"] = "y"
    if settings.uses_postgres:
        parts = conninfo_to_dict(settings.database_url)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            APPLICATION_RECORDER_TOPIC="infra.persistence.chained:ChainedPostgresApplicationRecorder",
            POSTGRES_DBNAME=str(parts.get("dbname", "postgres")),
            POSTGRES_HOST=str(parts.get("host", "127.0.0.1")),
            POSTGRES_PORT=str(parts.get("port", "5432")),
            POSTGRES_USER=str(parts.get("user", "postgres")),
            POSTGRES_PASSWORD=str(parts.get("password", "")),
            POSTGRES_POOL_SIZE=str(settings.db_pool_size),
            POSTGRES_MAX_OVERFLOW="5",
            POSTGRES_PRE_PING="n",
            POSTGRES_CONNECT_TIMEOUT="3",  # per attempt; eventsourcing retries ten times: an outage answers 503 within a minute
            SAVES_BEHIND="y",  # a sweep decides its next chunk while the server writes the last (application/behind.py)
        )
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            APPLICATION_RECORDER_TOPIC="infra.persistence.chained:ChainedSQLiteApplicationRecorder",
            SQLITE_DBNAME=str(settings.sqlite_path),
            SQLITE_LOCK_TIMEOUT="30",
            SWEEP_SET_SIZE="2000",  # fewer commits, each index page written once per chunk (application/event_store.py)
        )
    return env
