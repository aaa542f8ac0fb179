"""Where users want reminders (email address, webhook URL, channels), beside their accounts."""

from __future__ import annotations

import json

from application.queries.reminders import ContactRow
from infra.database import PostgresDatabase, SQLiteDatabase


class SqlContactDirectory:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase) -> None:
        self.db = db

    def reachable(self) -> dict[str, list[ContactRow]]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT u.id, u.role, u.organization_id, c.email, c.webhook_url, c.channels FROM sl_users u "
                "JOIN sl_contacts c ON c.user_id = u.id WHERE u.disabled = 0 "
                "AND (c.email IS NOT NULL OR c.webhook_url IS NOT NULL) ORDER BY u.id"
            ).all()
        found: dict[str, list[ContactRow]] = {}
        for r in rows:
            contact = ContactRow(r["id"], r["email"], r["webhook_url"], json.loads(r["channels"] or '["inbox"]'))
            found.setdefault(f"user:{r['id']}", []).append(contact)
            if r["role"] == "organization" and r["organization_id"]:
                found.setdefault(f"organization:{r['organization_id']}", []).append(contact)
        return found

    def contacts_for(self, recipient: str) -> list[ContactRow]:
        kind, _, key = recipient.partition(":")
        column = {"organization": "u.organization_id", "user": "u.id"}.get(kind)
        if column is None:
            return []
        role = " AND u.role = 'organization'" if kind == "organization" else ""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT u.id, c.email, c.webhook_url, c.channels FROM sl_users u "
                f"LEFT JOIN sl_contacts c ON c.user_id = u.id WHERE {column} = ? AND u.disabled = 0{role} ORDER BY u.id",
                (key,),
            ).all()
        return [ContactRow(r["id"], r["email"], r["webhook_url"], json.loads(r["channels"] or '["inbox"]')) for r in rows]

    def set_contact(self, user_id: str, email: str | None, webhook_url: str | None, channels: list[str]) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO sl_contacts (user_id, email, webhook_url, channels) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, webhook_url = excluded.webhook_url, "
                "channels = excluded.channels",
                (user_id, email, webhook_url, json.dumps(channels)),
            )
