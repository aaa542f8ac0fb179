"""异议: an objection from the public to a result under announcement. Anyone may object within the
announcement period, with their name, a way to reach them and their grounds; the chair or the
registrar decides each one with reasons before the result can be confirmed, and an objection
upheld means this result is not confirmed (the case is withdrawn and evaluated again)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol, TypeVar
from uuid import UUID

from domain import values
from domain.errors import InvalidTransition, InvalidValue


@dataclass(frozen=True)
class PublicObjection:
    reference: str  # what the objector keeps to look its state up
    objector: str
    contact: str
    grounds: str
    received_on: date
    decided_on: date | None = None
    upheld: bool | None = None
    reasons: str = ""

    @property
    def open(self) -> bool:
        return self.decided_on is None

    def decided(self, upheld: bool, reasons: str, on: date) -> PublicObjection:
        return replace(self, decided_on=on, upheld=upheld, reasons=reasons)


def reference_for(objection_id: UUID) -> str:
    """A short reference people can read out and type: YY- and ten base32 characters (50 bits) of
    the new id's hash, so sequential ids give unrelated references too."""
    return "YY-" + base64.b32encode(hashlib.sha256(objection_id.bytes).digest()).decode()[:10]


def checked_objection(objector: str, contact: str, grounds: str) -> tuple[str, str, str]:
    """The objector's name and contact (both needed to answer them) and the grounds, cleaned."""
    name = values.name(objector, "objector", "异议人姓名", 50) if objector.strip() else ""
    if not name:
        raise InvalidValue("objection.objector", "请填写异议人姓名", "Give the objector's name", field="objector")
    reach = values.name(contact, "contact", "联系方式", 100) if contact.strip() else ""
    if not reach:
        raise InvalidValue(
            "objection.contact", "请留下联系方式(电话或电子邮箱)", "Leave a phone number or e-mail", field="contact"
        )
    if not grounds.strip():
        raise InvalidValue(
            "objection.grounds", "请写明异议的事实和理由", "State the facts and grounds of the objection", field="grounds"
        )
    if len(grounds) > 5000:
        raise InvalidValue(
            "objection.grounds_long", "异议理由不超过5000字", "Grounds are at most 5,000 characters", field="grounds"
        )
    return name, reach, grounds.strip()


def require_within(window: tuple[date, date] | None, on: date) -> None:
    if window is None or not window[0] <= on <= window[1]:
        span = f"{window[0]}至{window[1]}" if window else "-"
        raise InvalidTransition(
            "objection.outside_announcement",
            f"异议须在公示期内({span})提出",
            f"An objection is made within the announcement period ({span.replace('至', ' to ')})",
        )


def require_none_open(objections: tuple[PublicObjection, ...]) -> None:
    """A result is confirmed only once every objection is decided, and none was upheld."""
    pending = [o.reference for o in objections if o.open]
    if pending:
        raise InvalidTransition(
            "objection.open",
            f"尚有异议未处理({'、'.join(pending)}),处理后才能确认结果",
            f"Objections are still open ({', '.join(pending)}); decide them before finalizing",
            references=pending,
        )
    upheld = [o.reference for o in objections if o.upheld]
    if upheld:
        raise InvalidTransition(
            "objection.upheld",
            f"异议成立({'、'.join(upheld)}),本次评估结果不能确认;请撤回评估后重新评估",
            f"An objection was upheld ({', '.join(upheld)}): this result cannot be confirmed; withdraw the case and evaluate again",
            references=upheld,
        )


class Decidable(Protocol):
    @property
    def reference(self) -> str: ...
    @property
    def open(self) -> bool: ...


D = TypeVar("D", bound=Decidable)


def to_decide(objections: Iterable[D], reference: str, reasons: str) -> tuple[D, str]:
    """The open objection a decision is about, and its reasons (required, upheld or not), for
    both kinds: the public's on a result, an organization's on a listing."""
    found = next((o for o in objections if o.reference == reference), None)
    if found is None:
        raise InvalidValue("objection.unknown", f"没有编号为{reference[:40]}的异议", f"No objection {reference[:40]}")
    if not found.open:
        raise InvalidTransition("objection.decided", "该异议已处理", "The objection is decided already")
    if not reasons.strip():
        raise InvalidValue(
            "objection.reasons", "请写明处理理由(成立或不成立均须说明)", "State the reasons, upheld or not", field="reasons"
        )
    return found, reasons.strip()[:5000]
