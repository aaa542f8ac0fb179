"""Reminders over real channels, on SQLite and PostgreSQL: an inspection deadline seen at
D-30, D-7, D-1 and D+1 gives the right reminders once each, by email (a real SMTP server)
and signed webhook (a real HTTP receiver); an SMTP outage delays delivery but loses and
duplicates nothing; dead letters can be retried."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from application.context import system_context
from application.queries.reminders import ReminderQuery
from tests.integration.helpers import REGISTRAR, code, profile
from tests.support.documents import attach_required
from tests.support.fakes import CountingIds, CountingTokens
from tests.support.receivers import free_port, smtp_server, webhook_receiver

SWEEP = system_context("daily-sweep", "reminder-test")
SECRET = "webhook-test-secret"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mailing_system(settings, clock, smtp_port) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from infra.wiring import build_system

    configured = dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        webhook_secret=SECRET,
        delivery_attempts=3,
        delivery_backoff_seconds=60,
    )
    system = build_system(configured, clock=clock, ids=CountingIds(), tokens=CountingTokens())
    yield system
    system.close()


def organization_with_contact(system: Any, clock: Any, hook_url: str) -> Any:
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    org = system.organizations.register_organization(REGISTRAR, profile(), code(1), date(2015, 6, 1))
    user = system.accounts.add_user("org-a", "a-long-password", "organization", "甲协会", org.id)
    system.reminders.set_contact(user.id, "office@jia.example.org", hook_url, ["inbox", "email", "webhook"])
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    return org, user


def run_day(system: Any, clock: Any, day: date, hour: int = 9) -> dict[str, int]:
    clock.move_to(day, hour)
    system.inspections.record_missed(SWEEP, day)
    issued = system.reminders.issue(SWEEP, day)
    system.reminders.deliver_due(SWEEP)
    return issued


def test_an_inspection_deadline_gives_each_reminder_once_by_email_and_webhook(mailing_system, clock, smtp_port) -> None:
    system = mailing_system
    with smtp_server(smtp_port) as mailbox, webhook_receiver(SECRET) as (url, hooks):
        _org, _user = organization_with_contact(system, clock, url)
        days = [
            (date(2026, 5, 1), 9),
            (date(2026, 5, 1), 15),
            (date(2026, 5, 10), 9),
            (date(2026, 5, 24), 9),
            (date(2026, 5, 30), 9),
            (date(2026, 6, 1), 9),
            (date(2026, 6, 2), 9),
        ]
        issued = [run_day(system, clock, day, hour)["issued"] for day, hour in days]
        assert issued == [1, 0, 0, 1, 1, 1, 0]  # D-30 (twice), D-21, D-7, D-1, D+1, D+2
        kinds = [(r.kind, r.offset) for r in reversed(system.reminder_view.reminders(ReminderQuery()).items)]
        assert kinds == [
            ("inspection_due", "30"),
            ("inspection_due", "7"),
            ("inspection_due", "1"),
            ("inspection_overdue", "overdue"),
        ]
        ids = {m["Message-ID"] for m in mailbox.messages}
        assert len(mailbox.messages) == 4 and len(ids) == 4
        first = mailbox.messages[0]
        assert first["To"] == "office@jia.example.org" and "2025年度工作报告" in first.get_payload(decode=True).decode()
        assert len(hooks.received) == 4 and hooks.bad_signatures == 0
        assert {h["key"] for h in hooks.received} == {m["Message-ID"].strip("<>").split("@")[0] for m in mailbox.messages}
        assert [h["offset"] for h in hooks.received] == ["30", "7", "1", "overdue"]


def test_smtp_down_then_up_delivers_once_and_dead_letters_can_be_retried(mailing_system, clock, smtp_port) -> None:
    system = mailing_system
    with webhook_receiver(SECRET) as (_url, _):
        _org, _user = organization_with_contact(system, clock, None)  # email only
        clock.move_to(date(2026, 5, 24))
        assert system.reminders.issue(SWEEP, date(2026, 5, 24))["issued"] == 1
        assert system.reminders.deliver_due(SWEEP) == {
            "delivered": 0,
            "failed": 1,
            "dead_lettered": 0,
            "cancelled": 0,
        }  # nobody listens
        assert system.reminders.deliver_due(SWEEP) == {
            "delivered": 0,
            "failed": 0,
            "dead_lettered": 0,
            "cancelled": 0,
        }  # backing off
        with smtp_server(smtp_port) as mailbox:
            clock.advance(seconds=61)
            assert system.reminders.deliver_due(SWEEP)["delivered"] == 1
            clock.advance(hours=2)
            assert system.reminders.deliver_due(SWEEP)["delivered"] == 0
        assert len(mailbox.messages) == 1

        # three failures in a row: dead-lettered, shown as dead, retried by the registrar
        clock.move_to(date(2026, 5, 30))
        system.reminders.issue(SWEEP, date(2026, 5, 30))
        for _ in range(3):
            system.reminders.deliver_due(SWEEP)
            clock.advance(hours=1)
        dead = system.reminder_view.reminders(ReminderQuery(delivery_status="dead")).items
        assert [(r.offset, r.deliveries[0].attempts) for r in dead] == [("1", 3)]
        assert "ConnectionRefusedError" in (dead[0].deliveries[0].last_error or "")
        system.reminders.retry(REGISTRAR, dead[0].id, "email")
        with smtp_server(smtp_port) as mailbox:
            assert system.reminders.deliver_due(SWEEP)["delivered"] == 1
        assert len(mailbox.messages) == 1


def test_the_inbox_counts_unread_and_marks_read(mailing_system, clock) -> None:
    from application.context import CommandContext
    from domain.provenance import Actor, Role

    system = mailing_system
    org, user = organization_with_contact(system, clock, None)
    clock.move_to(date(2026, 5, 24))
    system.reminders.issue(SWEEP, date(2026, 5, 24))
    me = CommandContext(Actor(user.id, Role.ORGANIZATION), "req", actor_organization=org.id)
    stranger = CommandContext(Actor("someone-else", Role.ORGANIZATION), "req", actor_organization=None)
    assert system.reminders.unread(me) == 1 and system.reminders.unread(stranger) == 0
    reminder = system.reminders.inbox(me).items[0]
    assert "还有7天" in reminder.text_zh and not reminder.read
    from application.errors import NotFound

    with pytest.raises(NotFound):
        system.reminders.mark_read(stranger, reminder.id)
    system.reminders.mark_read(me, reminder.id)
    system.reminders.mark_read(me, reminder.id)  # twice: one event
    assert system.reminders.unread(me) == 0 and system.reminders.inbox(me).items[0].read
    types = [e.event_type for e in system.store.history(reminder.id)]
    assert types == ["Issued", "MarkedRead"]


def test_a_reminder_issued_late_for_an_earlier_day_says_how_the_deadline_stands_when_it_is_sent(mailing_system, clock) -> None:
    """A sweep that missed its day catches up: that day's reminders are issued once, but an
    organization told on 3 June is not told it has 7 days left before 31 May."""
    from application.context import CommandContext
    from domain.provenance import Actor, Role

    system = mailing_system
    org, user = organization_with_contact(system, clock, None)
    clock.move_to(date(2026, 5, 20))  # a plan for a day ahead of the clock speaks from that day
    [ahead] = [p for p in system.reminders.plan(date(2026, 5, 31)) if p.kind == "inspection_due"]
    assert "今天截止" in ahead.text_zh and "due today" in ahead.text_en
    clock.move_to(date(2026, 6, 3))
    assert system.reminders.issue(SWEEP, date(2026, 5, 24))["issued"] == 1
    me = CommandContext(Actor(user.id, Role.ORGANIZATION), "req", actor_organization=org.id)
    [reminder] = system.reminders.inbox(me).items
    assert "2026-05-31" in reminder.text_zh and "已过期3天" in reminder.text_zh and "还有" not in reminder.text_zh
    assert "3 days overdue" in reminder.text_en and "days left" not in reminder.text_en


def test_a_grade_is_reminded_180_and_30_days_ahead_then_expires_in_the_sweep(mailing_system, clock) -> None:
    from uuid import uuid4

    from application.sweep import sweep

    system = mailing_system
    org, _user = organization_with_contact(system, clock, None)
    graded = system.organizations.organization(org.id)
    graded.award_grade("4A", date(2021, 1, 1), date(2026, 12, 31), uuid4(), True, REGISTRAR.provenance(clock.now()))
    system.store.save(graded)
    issued = []
    for day in (date(2026, 7, 3), date(2026, 7, 4), date(2026, 7, 5), date(2026, 12, 1), date(2026, 12, 31)):
        clock.move_to(day)
        issued.append(system.reminders.issue(SWEEP, day)["issued"])
    assert issued == [0, 1, 0, 1, 0]  # 180 days before 31 Dec is 4 July; 30 days before is 1 December
    kinds = [(r.kind, r.offset) for r in system.reminder_view.reminders(ReminderQuery(kind="grade_expiring")).items]
    assert sorted(kinds) == [("grade_expiring", "180"), ("grade_expiring", "30")]
    clock.move_to(date(2027, 1, 1))
    done = sweep(
        system.organizations, system.inspections, system.credit, SWEEP, date(2027, 1, 1), planning=system.reminders.planning
    )
    assert done["grades"] == {"expired": 1}
    assert system.register_view.get(org.id).grade is None
    again = sweep(
        system.organizations, system.inspections, system.credit, SWEEP, date(2027, 1, 1), planning=system.reminders.planning
    )
    assert again["grades"] == {}


def test_evaluators_chair_and_organization_are_reminded_around_a_case(system, clock) -> None:
    from tests.integration.test_evaluation_flow import CHAIR, as_expert, case_with_panel, scores

    desk = system.evaluations
    org, _experts, evaluation = case_with_panel(system, desk, 3)  # scoring deadline 2026-06-30
    clock.move_to(date(2026, 6, 27))
    due = [(p.kind, p.recipient, p.offset) for p in system.reminders.plan(date(2026, 6, 27))]
    assert sorted(due) == [("scores_due", f"user:expert-user-{n}", "3") for n in (1, 2, 3)]
    planning = system.reminders.planning  # what a "scores due" reminder retried now would find
    assert not planning.sheet_submitted(evaluation.id, "expert-user-1") and planning.open_sheets(evaluation.id) == 3
    desk.save_draft(as_expert(1), evaluation.id, None, scores(desk, evaluation, "0.9"))
    desk.submit_sheet(as_expert(1), evaluation.id, None)
    assert planning.sheet_submitted(evaluation.id, "expert-user-1") and not planning.sheet_submitted(
        evaluation.id, "expert-user-2"
    )
    assert planning.open_sheets(evaluation.id) == 2
    clock.move_to(date(2026, 7, 1))
    overdue = [p for p in system.reminders.plan(date(2026, 7, 1)) if p.kind == "scores_overdue"]
    assert [(p.recipient, p.text_en.split(" with ")[1][:1]) for p in overdue] == [("user:chair-1", "2")]
    for n in (2, 3):
        desk.save_draft(as_expert(n), evaluation.id, None, scores(desk, evaluation, "0.9"))
        desk.submit_sheet(as_expert(n), evaluation.id, None)
    assert planning.open_sheets(evaluation.id) == 0  # the chair's "scoring overdue" reminder: done
    desk.close_scoring(CHAIR, evaluation.id, None)
    desk.compute_result(CHAIR, evaluation.id, None)
    announced = desk.open_announcement(CHAIR, evaluation.id, None)
    ends = announced.announcement[1]
    two_days_before = ends - timedelta(days=2)
    clock.move_to(two_days_before)
    ending = sorted((p.kind, p.recipient) for p in system.reminders.plan(two_days_before))
    assert ending == [("announcement_ending", f"organization:{org.id}"), ("announcement_ending", "user:chair-1")]


def test_a_reminder_whose_task_is_done_shows_as_done_and_leaves_the_unread_count_at_once(system, clock) -> None:
    from tests.integration.test_evaluation_flow import CHAIR, as_expert, case_with_panel, scores

    desk = system.evaluations
    org, _experts, evaluation = case_with_panel(system, desk, 3)  # scoring deadline 2026-06-30
    clock.move_to(date(2026, 6, 27))
    system.reminders.issue(SWEEP, date(2026, 6, 27))
    expert = as_expert(1)
    assert system.reminders.unread(expert) == 1
    (due,) = system.reminders.inbox(expert).items
    assert org.profile.name in due.text_zh  # the reminder names the case it is about
    assert due.done_zh is None

    desk.save_draft(expert, evaluation.id, None, scores(desk, evaluation, "0.9"))
    desk.submit_sheet(expert, evaluation.id, None)
    assert system.reminders.unread(expert) == 0  # no delivery run, no sweep: the submission did it
    (done,) = system.reminders.inbox(expert).items
    assert done.done_zh == "评分表已提交,提醒已取消。"
    assert system.reminders.unread(as_expert(2)) == 1  # the others' sheets are still due

    clock.move_to(date(2026, 7, 1))
    system.reminders.issue(SWEEP, date(2026, 7, 1))
    chair_unread = system.reminders.unread(CHAIR)
    desk.save_draft(as_expert(2), evaluation.id, None, scores(desk, evaluation, "0.9"))
    desk.submit_sheet(as_expert(2), evaluation.id, None)
    desk.close_scoring(CHAIR, evaluation.id, None)  # with the quorum: the third sheet is no longer due
    assert system.reminders.unread(as_expert(3)) == 0
    assert system.reminders.unread(CHAIR) == chair_unread - 1  # "scoring overdue": done


def test_a_reminder_whose_report_was_filed_while_smtp_was_down_is_cancelled_not_sent(mailing_system, clock, smtp_port) -> None:
    """Issue 19 (4): the mail failed, the organization filed its report, the mail server came
    back: the "7 days left" reminder is not sent but cancelled with the reason, and counts as done."""
    from application.context import CommandContext
    from domain.provenance import Actor, Role
    from tests.integration.test_credit_scenario import as_org, report

    system = mailing_system
    org, user = organization_with_contact(system, clock, None)  # email only
    clock.move_to(date(2026, 5, 24))
    assert system.reminders.issue(SWEEP, date(2026, 5, 24))["issued"] == 1
    assert system.reminders.deliver_due(SWEEP)["failed"] == 1  # no mail server

    system.inspections.draft_report(as_org(org.id), org.id, 2025, None, report())
    attach_required(system, as_org(org.id), org.id, 2025)
    system.inspections.submit_report(as_org(org.id), org.id, 2025, None)
    with smtp_server(smtp_port) as mailbox:
        clock.advance(seconds=61)
        assert system.reminders.deliver_due(SWEEP) == {"delivered": 0, "failed": 0, "dead_lettered": 0, "cancelled": 1}
        clock.advance(hours=1)
        assert not any(system.reminders.deliver_due(SWEEP).values())
    assert mailbox.messages == []

    reminder = system.reminder_view.reminders(ReminderQuery(kind="inspection_due")).items[0]
    assert [e.event_type for e in system.store.history(reminder.id)] == ["Issued", "DeliveryFailed", "Cancelled"]
    assert [(d.channel, d.status, d.attempts) for d in reminder.deliveries] == [("email", "cancelled", 1)]
    assert reminder.done_zh == f"2025年度工作报告已于{date(2026, 5, 24)}报送,提醒已取消。"
    assert reminder.done_en is not None and "was filed on 2026-05-24" in reminder.done_en
    me = CommandContext(Actor(user.id, Role.ORGANIZATION), "req", actor_organization=org.id)
    assert system.reminders.unread(me) == 0 and system.reminders.inbox(me, unread_only=True).total == 0
    assert system.reminders.inbox(me).items[0].done_zh == reminder.done_zh  # still listed, as done
    assert system.reminder_view.reminders(ReminderQuery(delivery_status="cancelled")).total == 1

    from litestar.testing import TestClient

    from interfaces.app import create_app

    with TestClient(create_app(system)) as client:
        token = client.post("/api/auth/login", json={"username": "org-a", "password": "a-long-password"}).json()["token"]
        signed_in = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/inbox/unread-count", headers=signed_in).json() == {"unread": 0}
        form = client.get("/login").text
        csrf = form.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"username": "org-a", "password": "a-long-password", "_csrf_token": csrf})
        page = client.get("/inbox/").text
        assert "已办结" in page and reminder.done_zh in page and "标为已读" not in page


def test_deliverers_racing_on_one_database_send_each_reminder_once(settings, clock, smtp_port) -> None:
    """Two systems on one database (two instances) deliver at once, with no lock between them:
    each attempt claims its row first, so the mail server gets every reminder exactly once."""
    import threading
    from collections import Counter

    from infra.wiring import build_system

    configured = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp_port, webhook_secret=SECRET)
    first = build_system(configured, clock=clock, ids=CountingIds(1), tokens=CountingTokens())
    second = build_system(configured, clock=clock, ids=CountingIds(2), tokens=CountingTokens())
    try:
        clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
        for n in range(1, 13):
            org = first.organizations.register_organization(REGISTRAR, profile(f"铜陵市第{n}协会"), code(n), date(2015, 6, 1))
            account = first.accounts.add_user(f"org-{n}", "a-long-password", "organization", f"第{n}协会", org.id)
            first.reminders.set_contact(account.id, f"office{n}@example.org", None, ["inbox", "email"])
        first.inspections.open_campaign(REGISTRAR, 2025, "3407")
        clock.move_to(date(2026, 5, 24))
        assert first.reminders.issue(SWEEP, date(2026, 5, 24))["issued"] == 12
        with smtp_server(smtp_port) as mailbox:
            barrier = threading.Barrier(4)
            counts: list[dict[str, int]] = []

            def deliver(system: Any, name: str) -> None:
                barrier.wait()
                counts.append(system.reminders.deliver_due(SWEEP, deliverer=name, limit=None))

            threads = [threading.Thread(target=deliver, args=(s, f"d{n}")) for n, s in enumerate((first, second, first, second))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
        received = Counter(m["Message-ID"] for m in mailbox.messages)
        assert len(received) == 12 and set(received.values()) == {1}
        assert sum(c["delivered"] for c in counts) == 12
    finally:
        first.close()
        second.close()


def test_a_delivery_claimed_by_a_deliverer_that_died_is_delivered_once_its_lease_expires(
    mailing_system, clock, smtp_port
) -> None:
    system = mailing_system
    _org, _user = organization_with_contact(system, clock, None)  # email only
    clock.move_to(date(2026, 5, 24))
    system.reminders.issue(SWEEP, date(2026, 5, 24))
    now = clock.now()
    lease = system.reminders.policy.lease_seconds
    held = system.reminder_view.claim_delivery(now, "died-mid-send", now + timedelta(seconds=lease))
    assert held is not None  # …and that deliverer is never heard of again
    assert system.reminder_view.claim_delivery(now, "another", now + timedelta(seconds=lease)) is None
    with smtp_server(smtp_port) as mailbox:
        assert not any(system.reminders.deliver_due(SWEEP).values())  # still leased
        clock.advance(seconds=lease + 1)
        assert system.reminders.deliver_due(SWEEP)["delivered"] == 1
        assert system.reminder_view.renew_claim(held, clock.now() + timedelta(seconds=lease)) is None  # fenced off
    assert len(mailbox.messages) == 1


def test_people_are_told_what_they_wait_for_when_it_happens(system, clock) -> None:
    """The chair when an appeal is filed; the organization when its result is announced, the appeal decided
    and the result final — each a notice in the inbox, stored once however often the command is retried."""
    from application.context import CommandContext
    from domain.provenance import Actor, Role
    from tests.integration.test_evaluation_flow import CHAIR, as_expert, case_with_panel, scores

    desk = system.evaluations
    org, _experts, evaluation = case_with_panel(system, desk, 3)
    for n in (1, 2, 3):
        desk.save_draft(as_expert(n), evaluation.id, None, scores(desk, evaluation, "0.9"))
        desk.submit_sheet(as_expert(n), evaluation.id, None)
    desk.close_scoring(CHAIR, evaluation.id, None)
    desk.compute_result(CHAIR, evaluation.id, None)
    desk.open_announcement(CHAIR, evaluation.id, None)
    me = CommandContext(Actor("org-user", Role.ORGANIZATION), "req-org", actor_organization=org.id)

    def told(ctx: CommandContext) -> list[tuple[str, str]]:
        return [(r.kind, r.text_zh) for r in system.reminders.inbox(ctx).items if r.offset == "notice"]

    assert [kind for kind, _ in told(me)] == ["grade_announced"]
    assert "公示期至" in told(me)[0][1]
    desk.file_appeal(me, evaluation.id, None, "社会评价得分偏低")
    (filed,) = [text for kind, text in told(CHAIR) if kind == "appeal_filed"]
    assert org.profile.name in filed and "社会评价得分偏低" in filed and "15日内" in filed
    desk.decide_appeal(CHAIR, evaluation.id, None, False, "评分符合细则")
    decided = dict(told(me))["appeal_decided"]
    assert "未获支持" in decided and "评分符合细则" in decided
    clock.advance(days=8)
    desk.finalize(CHAIR, evaluation.id, None)
    assert "grade_decided" in dict(told(me))
    assert system.reminders.unread(me) == 3
