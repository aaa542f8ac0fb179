"""Many aggregates read in one query: a sweep's chunk replayed from the log without a round trip
(two, with snapshots) per aggregate. Every event of each is read and applied in order, as the
repository would without a snapshot: the same state, whatever the snapshots hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from application.aggregate_cache import replay


class BulkAggregates:
    def __init__(self, app: Application[UUID]) -> None:
        self.app = app

    def get_many(self, ids: Sequence[UUID]) -> dict[UUID, Any]:
        """The aggregates found, by id (an id with no events is left out)."""
        if not ids:
            return {}
        by_id: dict[UUID, list[Any]] = {}
        for stored in self._stored(ids):
            by_id.setdefault(UUID(str(stored.originator_id)), []).append(self.app.mapper.to_domain_event(stored))
        found: dict[UUID, Any] = {}
        for aggregate_id, events in by_id.items():
            aggregate = replay(None, events)  # no per-event runtime Protocol check
            if aggregate is not None:
                found[aggregate_id] = aggregate
        return found

    def _stored(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        recorder: Any = self.app.recorder
        if isinstance(recorder, PostgresApplicationRecorder):
            statement = SQL(
                "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
                "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
            ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name))
            with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, (list(ids),))
                return [
                    StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                    for r in curs.fetchall()
                ]
        marks = ", ".join("?" for _ in ids)
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
                f"WHERE originator_id IN ({marks}) ORDER BY originator_id, originator_version",
                [i.hex for i in ids],
            )
            return [
                StoredEvent(recorder.convert_originator_id(r["originator_id"]), r["originator_version"], r["topic"], r["state"])
                for r in c.fetchall()
            ]
