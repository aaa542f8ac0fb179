"""The in-app inbox (提醒): each signed-in person's reminders, unread first, and the unread
count shown in the header of every page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal
from uuid import UUID

from jinja2 import pass_context
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from application.desk import Desk
from application.queries.reminders import ReminderQuery
from domain.provenance import Role
from interfaces.common.commands import context, system_of
from interfaces.common.exports import Format, table_download
from interfaces.common.security import SIGNED_IN, STAFF, require_role
from interfaces.web.forms import Form
from interfaces.web.i18n import language, translate

RECIPIENTS = tuple(r for r in SIGNED_IN if r is not Role.AUDITOR)  # the auditor gets no reminders


def _recipient(request: Request[Any, Any, Any]) -> None:
    require_role(request.user, RECIPIENTS)


class InboxPages(Controller):
    path = "/inbox"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def inbox(self, request: Request[Any, Any, Any], page: Annotated[int, Parameter(ge=1, le=100_000)] = 1) -> Template:
        _recipient(request)
        result = system_of(request).reminders.inbox(context(request), page=page)
        return Template("inbox.html", context={"result": result, "page_link": lambda n: f"/inbox/?page={n}"})

    @post("/{reminder_id:uuid}/read", sync_to_thread=True, status_code=303)
    def read(self, request: Request[Any, Any, Any], reminder_id: UUID) -> Redirect:
        _recipient(request)
        system_of(request).reminders.mark_read(context(request), reminder_id)
        return Redirect("/inbox/", status_code=303)


class DeliveryPages(Controller):
    """The registrar's view of what was issued and how its delivery went; dead letters retried here."""

    path = "/reminders"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def reminders(
        self,
        request: Request[Any, Any, Any],
        status: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        _staff(request)
        system = system_of(request)
        system.reminder_view.catch_up()
        result = system.reminder_view.reminders(ReminderQuery(delivery_status=status, page=page, per_page=50))
        return Template(
            "reminders.html",
            context={"result": result, "status": status, "recipients": _recipients(system, result.items, language(request))},
        )

    @get("/download", sync_to_thread=True)
    def download(
        self,
        request: Request[Any, Any, Any],
        status: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
        format: Format = "xlsx",
    ) -> Response[bytes]:
        """The reminders as filtered on the page: when, what, to whom, and how each channel went."""
        _staff(request)
        system, lang = system_of(request), language(request)

        def rows() -> Iterator[list[Any]]:
            page = 1
            while True:
                found = system.reminder_view.reminders(ReminderQuery(delivery_status=status, page=page, per_page=200))
                names = _recipients(system, found.items, lang)
                for r in found.items:
                    deliveries = "; ".join(
                        f"{translate(lang, f'channel.{d.channel}')}: {translate(lang, f'deliveries.{d.status}')}"
                        for d in r.deliveries
                    )
                    text = r.text_zh if lang == "zh" else r.text_en
                    yield [
                        r.issued_at,
                        translate(lang, f"reminder.{r.kind}"),
                        text,
                        names.get(r.recipient, ""),
                        r.due_on,
                        deliveries,
                    ]
                if page >= found.pages:
                    return
                page += 1

        keys = (
            "deliveries.issued",
            "deliveries.kind",
            "deliveries.text",
            "deliveries.to",
            "deliveries.due",
            "deliveries.channels",
        )
        title = translate(lang, "nav.deliveries")
        return table_download("reminders", title, [translate(lang, k) for k in keys], rows(), format)

    @post("/{reminder_id:uuid}/retry", sync_to_thread=True, status_code=303)
    def retry(self, request: Request[Any, Any, Any], reminder_id: UUID, data: Form) -> Redirect:
        _staff(request)
        system_of(request).reminders.retry(context(request), reminder_id, data.get("channel", ""))
        return Redirect("/reminders/?status=dead", status_code=303)


def _staff(request: Request[Any, Any, Any]) -> None:
    require_role(request.user, STAFF)


@pass_context
def unread_reminders(ctx: Any) -> int:
    """For the header badge; 0 for the public and the auditor (who get no reminders)."""
    request = ctx.get("request")
    if request is None or request.user.role in (Role.PUBLIC, Role.AUDITOR, Role.SYSTEM):
        return 0
    return int(system_of(request).reminders.unread(context(request)))


def task_link(kind: str, subject_id: Any, period: str) -> str:
    """Where the task a reminder is about is done: the case, the year's report, the project, the organization."""
    if kind.startswith(("scores_", "announcement_", "appeal_", "grade_decided", "grade_announced")):
        return f"/evaluations/{subject_id}"
    if kind.startswith("inspection_") or kind == "report_reviewed":
        return f"/organizations/{subject_id}/inspections/{period}"
    if kind.startswith(("milestone_", "application_")):
        return f"/projects/{subject_id}"
    if kind.startswith("complaint_"):
        return f"/complaints/{subject_id}"
    return f"/organizations/{subject_id}"


def install(engine: Any) -> None:
    engine.engine.globals.update(unread_reminders=unread_reminders, task_link=task_link)


def _recipients(system: Desk, rows: list[Any], lang: str) -> dict[str, str]:
    """Who each reminder went to, by name: `organization:<id>` and `user:<id>` are not for people to read."""
    organizations = [UUID(r.recipient.split(":", 1)[1]) for r in rows if r.recipient.startswith("organization:")]
    names = {f"organization:{k}": v for k, v in system.register_view.names(organizations).items()}
    names.update({f"user:{u.id}": u.display_name for u in system.accounts.users()})
    names["role:registrar"] = translate(lang, "deliveries.all_registrars")
    return names
