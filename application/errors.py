"""Errors a use case raises at its boundary (in addition to the domain's)."""

from __future__ import annotations

from uuid import UUID

from domain.errors import Conflict, DomainError


class NotFound(DomainError):
    def __init__(self, kind: str, id: UUID | str) -> None:
        labels = {"organization": "组织", "user": "用户", "rule_set": "规则", "certificate": "等级证书"}
        super().__init__(
            f"{kind}.not_found",
            f"找不到该{labels.get(kind, kind)}:{id}",
            f"No {kind.replace('_', ' ')} with id {id}",
            id=str(id),
        )


class StaleVersion(DomainError):
    """The caller decided on an older version than the one recorded (optimistic concurrency)."""

    def __init__(self, expected: int | None, actual: int | None) -> None:
        super().__init__(
            "version.stale",
            f"数据已被他人修改(您看到的是第{expected}版,当前为第{actual}版),请刷新后重试",
            f"Somebody changed this meanwhile (you saw version {expected}, it is now {actual}); reload and retry",
            expected=expected,
            actual=actual,
        )


class DuplicateIdentifier(Conflict):
    def __init__(self, kind: str, value: str) -> None:
        zh = {"uscc": "统一社会信用代码", "filing": "备案编号"}.get(kind, kind)
        super().__init__(
            f"{kind}.duplicate",
            f"该{zh}已被其他组织使用:{value}",
            f"This {'credit code' if kind == 'uscc' else 'filing number'} is already used by another organization: {value}",
            value=value,
        )


class NotPermitted(DomainError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__("access.denied", zh, en)


class BadCredentials(DomainError):
    def __init__(self) -> None:
        super().__init__("auth.bad_credentials", "用户名或密码错误", "Wrong username or password")


class TooManyAttempts(DomainError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "auth.too_many_attempts",
            f"登录失败次数过多,请{retry_after}秒后再试",
            f"Too many failed sign-ins; try again in {retry_after} seconds",
            retry_after=retry_after,
        )


class TooFrequent(DomainError):
    """Too many requests of one kind from one address (public objections): answered 429."""
