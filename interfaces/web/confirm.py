"""The confirmation step before an act that cannot be taken back (撤销登记, 确认结果, 终止项目 …).

A destructive form posts without `confirmed=yes` and is answered with this page: what will happen, who
will see it, the legal basis it needs (document number, grounds) and a confirm button set apart from
everyday ones. The page posts back with `confirmed=yes`; a refusal re-renders it with what was typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from domain.errors import DomainError, InvalidValue
from domain.provenance import Basis
from interfaces.common.problems import domain_status
from interfaces.web.i18n import message_for, translate


@dataclass(frozen=True)
class BasisField:
    name: str
    label: str
    required: bool = True
    long: bool = False
    maxlength: int = 1000
    hint: str = ""
    kind: str = "text"  # or "date"


@dataclass(frozen=True)
class Confirmation:
    title: str
    consequence: str
    audience: str
    action_url: str
    back_url: str
    back_label: str
    confirm_label: str
    hidden: dict[str, str] = field(default_factory=dict)
    fields: tuple[BasisField, ...] = ()
    irreversible: bool = True


def basis_fields(lang: str, document_hint: str = "") -> tuple[BasisField, ...]:
    """The decision's document number (文号) and its grounds (事由), both required; and the day it took
    effect, for a decision made on paper and entered later."""
    return (
        BasisField("document_no", translate(lang, "field.document_no"), maxlength=100, hint=document_hint),
        BasisField("reason", translate(lang, "confirm.grounds"), long=True),
        effective_field(lang),
    )


def effective_field(lang: str) -> BasisField:
    """决定日期: blank is today; an earlier day records a decision made on paper before it is entered."""
    label, hint = translate(lang, "confirm.effective_on"), translate(lang, "confirm.effective_on_hint")
    return BasisField("effective_on", label, required=False, maxlength=10, hint=hint, kind="date")


@dataclass(frozen=True)
class FormBasis:
    """What a confirmation form says of a decision: its document, grounds, and the day it took effect."""

    document_no: str | None
    reason: str | None
    effective_on: date | None = None

    @property
    def basis(self) -> Basis:
        return Basis(self.document_no, self.reason)


def basis_from(form: dict[str, str]) -> FormBasis:
    """The decision's document number, grounds and day as typed (blank is none; a day that is no date is refused)."""
    day = (form.get("effective_on") or "").strip()
    try:
        effective_on = date.fromisoformat(day) if day else None
    except ValueError:
        raise InvalidValue(
            "effective_on.malformed", f"决定日期应为 2026-11-10 这样的日期:{day[:20]}", f"A day looks like 2026-11-10: {day[:20]}"
        ) from None
    return FormBasis((form.get("document_no") or "").strip() or None, (form.get("reason") or "").strip() or None, effective_on)


def confirmed(form: dict[str, str]) -> bool:
    return form.get("confirmed") == "yes"


def confirmation_page(
    confirmation: Confirmation,
    form: dict[str, str] | None = None,
    error: str | None = None,
    missing: list[str] | None = None,
    status_code: int = 200,
) -> Template:
    context: dict[str, Any] = {"c": confirmation, "form": form or {}, "error": error, "missing": missing or []}
    return Template("confirm.html", context=context, status_code=status_code)


def confirm_then(
    request: Request[Any, Any, Any], page: Confirmation, form: dict[str, str], act: Callable[[], object], done_url: str
) -> Response[Any]:
    """The confirmation step around an act: the page first; once confirmed the act, then the record's page
    (`done_url`); a refusal shows the page again with what was typed and the missing fields marked."""
    if not confirmed(form):
        return confirmation_page(page, form)
    try:
        act()
    except DomainError as e:
        return confirmation_page(page, form, message_for(request, e), list(e.details.get("missing", [])), domain_status(e))
    return Redirect(done_url, status_code=303)
