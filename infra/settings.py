"""Settings, grouped by concern. Every environment variable is listed here with its default
(and in the README's Configuration table)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# name → (default, meaning); the README's table is generated from this list by `starledger --help-env`.
VARIABLES: dict[str, tuple[str, str]] = {
    "STARLEDGER_HOST": ("127.0.0.1", "address the HTTP server listens on"),
    "STARLEDGER_PORT": ("8000", "port the HTTP server listens on"),
    "STARLEDGER_WORKERS": ("1", "server processes sharing the port (PostgreSQL: one per core; SQLite: 1, see README)"),
    "STARLEDGER_DATA_DIR": ("./var", "folder for the embedded SQLite database, secret key and outbox"),
    "STARLEDGER_DATABASE_URL": ("", "postgresql://user:pass@host:5432/db to use PostgreSQL; empty = SQLite in the data folder"),
    "STARLEDGER_DB_POOL_SIZE": ("10", "PostgreSQL connections per process"),
    "STARLEDGER_SNAPSHOT_INTERVAL": ("25", "snapshot an aggregate every N events (faster loads and as-of reads); 0 = off"),
    "STARLEDGER_AGGREGATE_CACHE": (
        "10000",
        "aggregates kept in memory per process, brought up to date from the log before each use; 0 = off",
    ),
    "STARLEDGER_LOG_LEVEL": ("info", "debug, info, warning or error"),
    "STARLEDGER_SCHEDULER": ("on", "run the scheduler inside `serve` (on/off)"),
    "STARLEDGER_CATCH_UP_SECONDS": ("2", "how often read models poll for events written by other processes"),
    "STARLEDGER_SWEEP_AT": ("01:30", "daily sweep time (HH:MM, Asia/Shanghai): missed inspections, credit timers"),
    "STARLEDGER_DELIVERY_SECONDS": ("30", "how often pending reminder deliveries are attempted"),
    "STARLEDGER_DELIVERY_ATTEMPTS": ("6", "attempts per channel before a reminder is dead-lettered"),
    "STARLEDGER_DELIVERY_BACKOFF_SECONDS": ("60", "first retry delay; doubles after every failure"),
    "STARLEDGER_DELIVERY_LEASE_SECONDS": (
        "300",
        "how long a deliverer holds a claimed delivery; longer than any send (a dead deliverer's claims are retried after it)",
    ),
    "STARLEDGER_SMTP_HOST": ("", "mail server for reminders; empty = no email (in-app inbox and webhooks only)"),
    "STARLEDGER_SMTP_PORT": ("25", "mail server port (587 with starttls, 465 with ssl)"),
    "STARLEDGER_SMTP_SECURITY": ("none", "none, starttls or ssl"),
    "STARLEDGER_SMTP_USERNAME": ("", "login for the mail server (empty = none)"),
    "STARLEDGER_SMTP_PASSWORD": ("", "password for the mail server"),
    "STARLEDGER_MAIL_FROM": ("StarLedger <noreply@starledger.local>", "sender of reminder mails"),
    "STARLEDGER_WEBHOOK_SECRET": ("", "HMAC-SHA256 key for webhook signatures; empty = the secret key"),
    "STARLEDGER_WEBHOOK_TIMEOUT": ("5", "seconds to wait for a webhook receiver"),
    "STARLEDGER_PUBLIC_URL": (
        "",
        "the address people open, e.g. https://starledger.example.gov.cn; https:// turns on Secure cookies and HSTS; empty = http://HOST:PORT",
    ),
    "STARLEDGER_TRUSTED_PROXIES": (
        "",
        "comma-separated addresses or networks (CIDR) of your reverse proxies: only their X-Forwarded-For/-Proto is believed; empty = none",
    ),
    "STARLEDGER_SESSION_HOURS": ("12", "how long a login lasts at most"),
    "STARLEDGER_SESSION_IDLE_MINUTES": ("60", "a login ends after this long without a request (exact to within a minute)"),
    "STARLEDGER_PASSWORD_MIN_LENGTH": (
        "10",
        "shortest password accepted (8 at least); the commonest passwords and the username are refused at any length",
    ),
    "STARLEDGER_LOGIN_ATTEMPTS": ("5", "failed sign-ins per account and per address before a pause"),
    "STARLEDGER_LOGIN_WINDOW_SECONDS": ("900", "the window failed sign-ins are counted in (and the pause)"),
    "STARLEDGER_OBJECTIONS_PER_HOUR": ("5", "objections (异议) the public may file per address per hour (429 beyond)"),
    "STARLEDGER_SECURE_COOKIES": ("off", "mark cookies Secure even when the public URL is not https:// (always on when it is)"),
    "STARLEDGER_SECRET_KEY": ("", "key for CSRF tokens; empty = generated once into the data folder"),
    "STARLEDGER_MAX_BODY_BYTES": ("1048576", "largest request body accepted (413 beyond)"),
    "STARLEDGER_MAX_DOCUMENT_BYTES": ("20971520", "largest document (attachment) accepted per file, in bytes (413 beyond)"),
}


def _env(name: str) -> str:
    return os.environ.get(name, VARIABLES[name][0])


def _on(value: str) -> bool:
    return value.strip().lower() in {"1", "on", "yes", "true"}


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    workers: int
    data_dir: Path
    database_url: str
    db_pool_size: int
    snapshot_interval: int
    aggregate_cache: int
    log_level: str
    scheduler: bool
    catch_up_seconds: float
    sweep_at: str
    delivery_seconds: float
    delivery_attempts: int
    delivery_backoff_seconds: float
    delivery_lease_seconds: float
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    mail_from: str
    webhook_secret: str
    webhook_timeout: float
    public_url: str
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    session_hours: int
    session_idle_minutes: int
    password_min_length: int
    login_attempts: int
    login_window_seconds: int
    objections_per_hour: int
    secure_cookies: bool
    secret_key: str
    max_body_bytes: int
    max_document_bytes: int

    @property
    def https(self) -> bool:
        """Served to people over https (the public URL says so)."""
        return self.public_url.startswith("https://")

    @property
    def cookies_secure(self) -> bool:
        """Cookies are marked Secure whenever people use https, or when told to."""
        return self.https or self.secure_cookies

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "starledger.sqlite3"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; keyword overrides win (tests, CLI flags)."""
    data_dir = Path(str(overrides.pop("data_dir", _env("STARLEDGER_DATA_DIR")))).resolve()
    values: dict[str, object] = {
        "host": _env("STARLEDGER_HOST"),
        "port": int(_env("STARLEDGER_PORT")),
        "workers": max(1, int(_env("STARLEDGER_WORKERS"))),
        "data_dir": data_dir,
        "database_url": _env("STARLEDGER_DATABASE_URL").strip(),
        "db_pool_size": int(_env("STARLEDGER_DB_POOL_SIZE")),
        "snapshot_interval": max(0, int(_env("STARLEDGER_SNAPSHOT_INTERVAL"))),
        "aggregate_cache": max(0, int(_env("STARLEDGER_AGGREGATE_CACHE"))),
        "log_level": _env("STARLEDGER_LOG_LEVEL").lower(),
        "scheduler": _on(_env("STARLEDGER_SCHEDULER")),
        "catch_up_seconds": float(_env("STARLEDGER_CATCH_UP_SECONDS")),
        "sweep_at": _hh_mm(_env("STARLEDGER_SWEEP_AT")),
        "delivery_seconds": float(_env("STARLEDGER_DELIVERY_SECONDS")),
        "delivery_attempts": max(1, int(_env("STARLEDGER_DELIVERY_ATTEMPTS"))),
        "delivery_backoff_seconds": float(_env("STARLEDGER_DELIVERY_BACKOFF_SECONDS")),
        "delivery_lease_seconds": max(1.0, float(_env("STARLEDGER_DELIVERY_LEASE_SECONDS"))),
        "smtp_host": _env("STARLEDGER_SMTP_HOST").strip(),
        "smtp_port": int(_env("STARLEDGER_SMTP_PORT")),
        "smtp_security": _choice(_env("STARLEDGER_SMTP_SECURITY"), "STARLEDGER_SMTP_SECURITY", ("none", "starttls", "ssl")),
        "smtp_username": _env("STARLEDGER_SMTP_USERNAME"),
        "smtp_password": _env("STARLEDGER_SMTP_PASSWORD"),
        "mail_from": _env("STARLEDGER_MAIL_FROM"),
        "webhook_secret": _env("STARLEDGER_WEBHOOK_SECRET"),
        "webhook_timeout": float(_env("STARLEDGER_WEBHOOK_TIMEOUT")),
        "public_url": _url(_env("STARLEDGER_PUBLIC_URL")),
        "trusted_proxies": _networks(_env("STARLEDGER_TRUSTED_PROXIES")),
        "session_hours": int(_env("STARLEDGER_SESSION_HOURS")),
        "session_idle_minutes": max(1, int(_env("STARLEDGER_SESSION_IDLE_MINUTES"))),
        "password_min_length": max(8, int(_env("STARLEDGER_PASSWORD_MIN_LENGTH"))),
        "login_attempts": max(1, int(_env("STARLEDGER_LOGIN_ATTEMPTS"))),
        "login_window_seconds": max(1, int(_env("STARLEDGER_LOGIN_WINDOW_SECONDS"))),
        "objections_per_hour": max(1, int(_env("STARLEDGER_OBJECTIONS_PER_HOUR"))),
        "secure_cookies": _on(_env("STARLEDGER_SECURE_COOKIES")),
        "secret_key": _env("STARLEDGER_SECRET_KEY"),
        "max_body_bytes": int(_env("STARLEDGER_MAX_BODY_BYTES")),
        "max_document_bytes": max(1, int(_env("STARLEDGER_MAX_DOCUMENT_BYTES"))),
    }
    values.update(overrides)
    if not values["public_url"]:
        values["public_url"] = f"http://{values['host']}:{values['port']}"
    if not values["secret_key"]:
        values["secret_key"] = _persistent_secret(data_dir)
    if not values["webhook_secret"]:
        values["webhook_secret"] = values["secret_key"]
    return Settings(**values)  # type: ignore[arg-type]


def _persistent_secret(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _url(value: str) -> str:
    value = value.strip().rstrip("/")
    if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
        raise SystemExit(f"STARLEDGER_PUBLIC_URL should look like https://starledger.example.gov.cn, not {value!r}")
    return value


def _networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError as e:
        raise SystemExit(
            f"STARLEDGER_TRUSTED_PROXIES should list addresses or networks like 10.0.0.5, 10.1.0.0/24: {e}"
        ) from None


def _hh_mm(value: str) -> str:
    hour, _, minute = value.strip().partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise SystemExit(f"STARLEDGER_SWEEP_AT should look like 01:30, not {value!r}")
    return f"{int(hour):02d}:{int(minute):02d}"


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise SystemExit(f"{name} should be one of {', '.join(allowed)}, not {value!r}")
    return value
