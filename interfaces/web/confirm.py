"""The confirmation step before an act that cannot be taken back (撤销登记, 确认结果, 终止项目 …).

A destructive form posts without `confirmed=yes` and is answered with this page: what will happen, who
will see it, the legal basis it needs (document number, grounds) and a confirm button set apart from
everyday ones. The page posts back with `confirmed=yes`; a refusal re-renders it with what was typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from domain.errors import DomainError
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
    """The decision's document number (文号) and its grounds (事由), both required."""
    return (
        BasisField("document_no", translate(lang, "field.document_no"), maxlength=100, hint=document_hint),
        BasisField("reason", translate(lang, "confirm.grounds"), long=True),
    )


def basis_from(form: dict[str, str]) -> Basis:
    """The decision's document number and grounds as typed (blank is none)."""
    return Basis((form.get("document_no") or "").strip() or None, (form.get("reason") or "").strip() or None)


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
