"""Accounts and sessions in SQL; argon2 password hashing; the list of the commonest passwords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from infra.database import PostgresDatabase, SQLiteDatabase

COMMON_PASSWORDS = Path(__file__).resolve().parent / "passwords" / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """infra/passwords/common-passwords.txt: where it comes from is said at its top."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


_USER_COLUMNS = "id, username, display_name, role, organization_id, password_hash, disabled"


class Argon2Hasher:
    def __init__(self) -> None:
        self._argon2 = Argon2()

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._argon2.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _record(row: dict[str, Any] | None) -> Any:
    if row is None:
        return None
    row["disabled"] = bool(row["disabled"])
    return SimpleNamespace(**row)


class SqlAccountStore:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase) -> None:
        self.db = db

    def add_user(self, user: Any) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute(
                f"INSERT INTO sl_users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    user.id,
                    user.username,
                    user.display_name,
                    user.role,
                    user.organization_id,
                    user.password_hash,
                    int(user.disabled),
                ),
            )

    def user_by_name(self, username: str) -> Any:
        with self.db.transaction() as tx:
            return _record(tx.execute(f"SELECT {_USER_COLUMNS} FROM sl_users WHERE username = ?", (username,)).one())

    def users(self) -> list[Any]:
        with self.db.transaction() as tx:
            return [_record(r) for r in tx.execute(f"SELECT {_USER_COLUMNS} FROM sl_users ORDER BY role, username").all()]

    def set_password(self, user_id: str, password_hash: str) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute("UPDATE sl_users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
            tx.execute("DELETE FROM sl_sessions WHERE user_id = ?", (user_id,))

    def add_session(self, token_hash: str, user_id: str, created: datetime, expires: datetime) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute("DELETE FROM sl_sessions WHERE expires_at < ?", (_iso(created),))
            tx.execute(
                "INSERT INTO sl_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (token_hash, user_id, _iso(created), _iso(expires)),
            )

    def session(self, token_hash: str, now: datetime) -> Any:
        with self.db.transaction() as tx:
            row = tx.execute(
                f"SELECT {', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))}, "
                "s.created_at AS session_created_at, s.expires_at AS session_expires_at "
                "FROM sl_sessions s JOIN sl_users u ON u.id = s.user_id "
                "WHERE s.token_hash = ? AND s.expires_at > ?",
                (token_hash, _iso(now)),
            ).one()
        if row is None:
            return None
        created, expires = row.pop("session_created_at"), row.pop("session_expires_at")
        return SimpleNamespace(
            user=_record(row), created_at=datetime.fromisoformat(created), expires_at=datetime.fromisoformat(expires)
        )

    def extend_session(self, token_hash: str, expires: datetime) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute("UPDATE sl_sessions SET expires_at = ? WHERE token_hash = ?", (_iso(expires), token_hash))

    def drop_session(self, token_hash: str) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute("DELETE FROM sl_sessions WHERE token_hash = ?", (token_hash,))


class SqlIdempotencyStore:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase) -> None:
        self.db = db

    def recall(self, scope: str, key: str) -> Any:
        with self.db.transaction() as tx:
            row = tx.execute(
                "SELECT fingerprint, status, body, location FROM sl_idempotency WHERE scope = ? AND key = ?",
                (scope, key),
            ).one()
        if row is None:
            return None
        row["body"] = row["body"].encode()
        return SimpleNamespace(**row)

    def remember(self, scope: str, key: str, response: Any, at: datetime) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO sl_idempotency (scope, key, fingerprint, status, body, location, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING",
                (scope, key, response.fingerprint, response.status, response.body.decode(), response.location, _iso(at)),
            )


class SqlLoginThrottle:
    def __init__(self, db: SQLiteDatabase | PostgresDatabase) -> None:
        self.db = db

    def failures_since(self, keys: list[str], since: datetime) -> dict[str, tuple[int, datetime | None]]:
        found: dict[str, tuple[int, datetime | None]] = {}
        with self.db.transaction() as tx:
            for key in keys:
                row = tx.execute(
                    "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM sl_login_failures WHERE key = ? AND at >= ?",
                    (key, _iso(since)),
                ).one()
                oldest = datetime.fromisoformat(row["oldest"]) if row and row["oldest"] else None
                found[key] = (int(row["n"]) if row else 0, oldest)
        return found

    def record_failure(self, keys: list[str], at: datetime) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute("DELETE FROM sl_login_failures WHERE at < ?", (_iso(at - timedelta(days=1)),))
            tx.executemany("INSERT INTO sl_login_failures (key, at) VALUES (?, ?)", [(k, _iso(at)) for k in keys])

    def clear(self, key: str) -> None:
        with self.db.transaction(write=True) as tx:
            tx.execute("DELETE FROM sl_login_failures WHERE key = ?", (key,))
