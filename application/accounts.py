"""User accounts, logins and sessions (登录). Passwords are only ever stored hashed;
session tokens only as their SHA-256.

A session ends at the first of: its absolute limit (session_hours after sign-in) or
session_idle_minutes without a request. Each request slides the idle end forward, written at
most about once a minute per session (so the idle end is exact to within a minute).
A password needs password_min_length characters, is not the username, and is not one of the
commonest passwords (a list given by the wiring, compared without case).

A session checked in the last few seconds (RECENT) is answered from memory: one database read
per session every few seconds instead of one per request. Signing out or a new password ends it
here at once; on another instance it ends within RECENT."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.errors import BadCredentials, NotFound, TooManyAttempts
from application.ports import AccountStore, Clock, IdGenerator, LoginThrottle, PasswordHasher, TokenSource, UserRecord
from domain.errors import InvalidValue
from domain.provenance import Actor, Role

RECENT = timedelta(seconds=5)  # how long a checked session is believed without reading it again
RECENT_LIMIT = 10_000  # sessions remembered at most (forgotten all at once beyond)
LOGIN_ROLES = tuple(r for r in Role if r not in (Role.PUBLIC, Role.SYSTEM))


@dataclass
class User:
    id: str
    username: str
    display_name: str
    role: str
    organization_id: str | None
    password_hash: str = ""
    disabled: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.id, role=Role(self.role))


@dataclass(frozen=True)
class Session:
    token: str
    user: User


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(
        self,
        store: AccountStore,
        hasher: PasswordHasher,
        clock: Clock,
        ids: IdGenerator,
        tokens: TokenSource,
        *,
        session_hours: int = 12,
        throttle: LoginThrottle | None = None,
        throttle_limit: int = 5,
        throttle_window_seconds: int = 900,
        session_idle_minutes: int = 60,
        password_min_length: int = 10,
        common_passwords: Iterable[str] = (),
        organization_exists: Callable[[UUID], bool] | None = None,
    ) -> None:
        self.store = store
        self.organization_exists = organization_exists  # an organization user belongs to a registered organization
        self.hasher = hasher
        self.clock = clock
        self.ids = ids
        self.tokens = tokens
        self.session_hours = session_hours
        self.throttle = throttle
        self.throttle_limit = throttle_limit
        self.throttle_window_seconds = throttle_window_seconds
        self.idle = timedelta(minutes=session_idle_minutes)
        self.slide_step = min(timedelta(minutes=1), self.idle / 10)  # how stale the written idle end may be
        self.password_min_length = password_min_length
        self.common_passwords = frozenset(p.casefold() for p in common_passwords)
        self._dummy_hash: str | None = None  # made on first use: verifying against it hides unknown usernames
        self._recent: dict[str, tuple[datetime, User]] = {}  # token digest -> (believed until, its user)
        self._recent_lock = threading.Lock()

    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        display_name: str | None = None,
        organization_id: UUID | None = None,
    ) -> User:
        username = username.strip()
        if not username or len(username) > 50:
            raise InvalidValue("user.username", "用户名应为1到50个字符", "A username has 1 to 50 characters")
        if role not in {r.value for r in LOGIN_ROLES}:
            raise InvalidValue("user.role", f"未知角色:{role}", f"Unknown role: {role}")
        if (role == Role.ORGANIZATION.value) != (organization_id is not None):
            raise InvalidValue(
                "user.organization",
                "组织用户必须且只有组织用户才关联一个组织",
                "An organization user, and only one, belongs to an organization",
            )
        if organization_id is not None and self.organization_exists is not None and not self.organization_exists(organization_id):
            raise InvalidValue(
                "user.organization_unknown",
                f"没有该组织:{organization_id}(请先登记或备案)",
                f"No organization {organization_id} is registered or filed",
            )
        self._check_password(password, username)
        if self.store.user_by_name(username) is not None:
            raise InvalidValue("user.exists", f"用户名已存在:{username}", f"The username is taken: {username}")
        user = User(
            id=str(self.ids.new_id()),
            username=username,
            display_name=(display_name or username).strip(),
            role=role,
            organization_id=str(organization_id) if organization_id else None,
            password_hash=self.hasher.hash(password),
        )
        self.store.add_user(user)
        return user

    def set_password(self, username: str, password: str) -> None:
        user = self.store.user_by_name(username)
        if user is None:
            raise NotFound("user", username)
        self._check_password(password, user.username)
        self.store.set_password(user.id, self.hasher.hash(password))
        with self._recent_lock:  # the user's sessions are gone (the store dropped them)
            self._recent = {k: v for k, v in self._recent.items() if v[1].id != user.id}

    def users(self) -> list[User]:
        return [_user(u) for u in self.store.users()]

    def login(self, username: str, password: str, address: str | None = None) -> Session:
        """Failed attempts are counted per account and per address; past the limit, sign-in is
        refused (429 with Retry-After) until the window has passed — even with the right password."""
        keys = [f"user:{username.strip().casefold()}", *([f"addr:{address}"] if address else [])]
        self._check_throttle(keys)
        try:
            session = self._login(username, password)
        except BadCredentials:
            if self.throttle is not None:
                self.throttle.record_failure(keys, self.clock.now())
            raise
        if self.throttle is not None:
            self.throttle.clear(keys[0])
        return session

    def _check_throttle(self, keys: list[str]) -> None:
        if self.throttle is None:
            return
        now = self.clock.now()
        window = timedelta(seconds=self.throttle_window_seconds)
        for count, oldest in self.throttle.failures_since(keys, now - window).values():
            if count >= self.throttle_limit and oldest is not None:
                raise TooManyAttempts(max(1, int((oldest + window - now).total_seconds()) + 1))

    def _login(self, username: str, password: str) -> Session:
        record = self.store.user_by_name(username.strip())
        # Verify against a dummy hash when the user is unknown, so timing does not reveal usernames.
        if record is not None:
            hashed = record.password_hash
        else:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash("not-a-real-password")
            hashed = self._dummy_hash
        if not self.hasher.verify(hashed, password) or record is None or record.disabled:
            raise BadCredentials()
        token = self.tokens.new_token()
        now = self.clock.now()
        self.store.add_session(_digest(token), record.id, now, self._session_end(now, now))
        return Session(token=token, user=_user(record))

    def _session_end(self, signed_in: datetime, last_request: datetime) -> datetime:
        return min(signed_in + timedelta(hours=self.session_hours), last_request + self.idle)

    def authenticate(self, token: str) -> User | None:
        """The user of a live session, whose idle end this request moves forward."""
        now = self.clock.now()
        digest = _digest(token)
        found = self.store.session(digest, now)
        if found is None or found.user.disabled:
            return None
        end = self._session_end(found.created_at, now)
        if end - found.expires_at >= self.slide_step:
            self.store.extend_session(digest, end)
        user = _user(found.user)
        with self._recent_lock:
            if len(self._recent) >= RECENT_LIMIT:
                self._recent = {}
            self._recent[digest] = (min(now + RECENT, end), user)
        return user

    def recent_user(self, token: str) -> User | None:
        """The user of a session checked moments ago, from memory (None: ask `authenticate`).
        Cheap enough for the event loop: no database, no thread."""
        believed = self._recent.get(_digest(token))
        if believed is None or self.clock.now() >= believed[0]:
            return None
        return believed[1]

    def logout(self, token: str) -> None:
        digest = _digest(token)
        with self._recent_lock:
            self._recent.pop(digest, None)
        self.store.drop_session(digest)

    def _check_password(self, password: str, username: str) -> None:
        n = self.password_min_length
        if len(password) < n:
            raise InvalidValue("user.password_short", f"密码至少{n}个字符", f"A password has at least {n} characters")
        if password.casefold() == username.strip().casefold():
            raise InvalidValue("user.password_is_username", "密码不能与用户名相同", "A password may not be the username")
        if password.casefold() in self.common_passwords:
            raise InvalidValue(
                "user.password_common",
                "该密码是最常见的密码之一,很容易被猜中,请换一个",
                "This password is one of the commonest and easily guessed; choose another",
            )


def _user(record: UserRecord) -> User:
    return User(
        id=record.id,
        username=record.username,
        display_name=record.display_name,
        role=record.role,
        organization_id=record.organization_id,
        password_hash=record.password_hash,
        disabled=bool(record.disabled),
    )
