"""Each reminder delivered exactly once, whoever delivers (issue 24, section 4), on PostgreSQL with
real processes: two `starledger serve` instances (their schedulers deliver every 0.3 s) and the
`starledger reminders run` command deliver 1,000 due reminders at the same time, each through its
own mail server (all writing into one list). One instance is killed (SIGKILL) in the middle of a
send, holding the claimed row; the lease expires, another deliverer claims the row and delivers.

Where the kill lands decides what can be promised, so the test runs it at both places:
- the mail server has the message but has not accepted it (no 250 yet): nothing is lost and
  nothing doubled — every reminder reaches the mail servers exactly once;
- the mail server accepted it, and the deliverer died before it could hear so and record it:
  that one message arrives twice, with the same Message-ID (README, Reminders: the window no
  deliverer can close), every other reminder exactly once, and still nothing is lost.
Either way each reminder has exactly one Delivered event."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from application.context import system_context
from domain.organization import Organization
from infra.wiring import build_system, load_settings
from tests.integration.helpers import REGISTRAR, code, profile
from tests.integration.test_faults import ROOT, ServeProcess
from tests.support.fakes import CountingIds, CountingTokens, SteppingClock
from tests.support.receivers import HoldingMailbox, free_port, holding_smtp_server

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

REMINDERS = 1000
DAY = date(2026, 5, 24)  # seven days before the 2025 reports are due (31 May)
LEASE_SECONDS = 6
HOLD_AFTER = 15  # the victim's mail server holds the message after its 15th


def seed(system: Any, clock: SteppingClock) -> None:
    """1,000 organizations in a 2025 inspection campaign, each with a user who wants email:
    saved in batches (as a data migration would), one password hash for all the users."""
    clock.current = datetime(2026, 1, 5, 1, tzinfo=clock.current.tzinfo)
    ctx = system_context("seed", "seed")
    orgs = [
        Organization.register(
            id=system.ids.new_id(),
            profile=profile(f"铜陵市第{n}志愿者协会"),
            code=code(n),
            registered_on=date(2015, 6, 1),
            provenance=ctx.provenance(clock.now()),
        )
        for n in range(1, REMINDERS + 1)
    ]
    for start in range(0, len(orgs), 250):
        system.store.save(*orgs[start : start + 250])
    password_hash = system.accounts.hasher.hash("a-long-password")
    with system.database.transaction(write=True) as tx:  # the accounts' own tables, in one transaction
        tx.executemany(
            "INSERT INTO sl_users (id, username, display_name, role, organization_id, password_hash, disabled) "
            "VALUES (?, ?, ?, 'organization', ?, ?, 0)",
            [(f"org-user-{n}", f"org-{n}", f"第{n}协会", str(org.id), password_hash) for n, org in enumerate(orgs, 1)],
        )
        tx.executemany(
            "INSERT INTO sl_contacts (user_id, email, webhook_url, channels) VALUES (?, ?, NULL, ?)",
            [(f"org-user-{n}", f"office{n}@example.org", '["inbox", "email"]') for n in range(1, len(orgs) + 1)],
        )
    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    assert len(system.reminders.plan(DAY)) == REMINDERS


def deliverer_env(env: dict[str, str], smtp_port: int) -> dict[str, str]:
    sweep_at = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)).strftime("%H:%M")  # not today again
    return {
        **env,
        "STARLEDGER_SMTP_HOST": "127.0.0.1",
        "STARLEDGER_SMTP_PORT": str(smtp_port),
        "STARLEDGER_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "STARLEDGER_DELIVERY_BACKOFF_SECONDS": "1",
        "STARLEDGER_DELIVERY_SECONDS": "0.3",
        "STARLEDGER_SWEEP_AT": sweep_at,
    }


def deliveries(system: Any) -> dict[str, tuple[str, str]]:
    """reminder id → (status, the last claimant: "scheduler@host:pid/…" or "cli@host:pid/…")."""
    with system.database.transaction() as tx:
        rows = tx.execute("SELECT reminder_id, status, claimed_by FROM sl_deliveries WHERE channel = 'email'").all()
    return {r["reminder_id"]: (r["status"], r["claimed_by"] or "") for r in rows}


@pytest.mark.parametrize("accepted_before_the_kill", [False, True], ids=["killed-before-accepted", "killed-after-accepted"])
def test_the_cli_and_two_instances_deliver_1000_reminders_each_once_and_a_killed_deliverer_loses_none(
    pg_url: str,
    tmp_path: Path,
    accepted_before_the_kill: bool,
) -> None:
    clock = SteppingClock()
    system = build_system(
        load_settings(data_dir=tmp_path / "seed", database_url=pg_url, scheduler=False, secret_key="delivery-tests"),
        clock=clock,
        ids=CountingIds(),
        tokens=CountingTokens(),
    )
    accepted: list[tuple[int, str]] = []
    victim_box = HoldingMailbox(free_port(), accepted, hold_after=HOLD_AFTER, accept_held=accepted_before_the_kill)
    other_box, cli_box = HoldingMailbox(free_port(), accepted), HoldingMailbox(free_port(), accepted)
    servers: list[ServeProcess] = []
    cli: subprocess.Popen[bytes] | None = None
    try:
        seed(system, clock)
        with holding_smtp_server(victim_box), holding_smtp_server(other_box), holding_smtp_server(cli_box):
            for name, box in (("victim", victim_box), ("other", other_box)):
                (tmp_path / name).mkdir()
                server = ServeProcess(tmp_path / name, pg_url)
                server.env = deliverer_env({**server.env, "STARLEDGER_SCHEDULER": "on"}, box.port)
                servers.append(server.start())
            victim, other = servers
            # The command issues the 1,000 reminders (two transactions of 500), then delivers; the
            # schedulers start on the first 500 as soon as they are committed.
            cli_log = (tmp_path / "cli.log").open("wb")
            cli = subprocess.Popen(
                [sys.executable, "-m", "interfaces.cli", "reminders", "run", "--as-of", DAY.isoformat()],
                cwd=ROOT,
                env=deliverer_env(victim.env, cli_box.port) | {"STARLEDGER_DATA_DIR": str(tmp_path / "cli")},
                stdout=cli_log,
                stderr=subprocess.STDOUT,
            )

            assert victim_box.holding.wait(timeout=90), "the victim never reached its held message"
            victim.kill()  # holding a claimed row whose message was not accepted
            victim_box.release.set()

            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                found = deliveries(system)
                if len(found) == REMINDERS and all(status == "delivered" for status, _ in found.values()):
                    break
                time.sleep(0.5)
            assert cli.wait(timeout=90) == 0, (tmp_path / "cli.log").read_text()[-3000:]
            other.stop()  # nobody sends any more: what the mail servers have is all there is
        printed = (tmp_path / "cli.log").read_text()
    finally:
        if cli is not None and cli.poll() is None:
            cli.kill()
        for server in servers:
            server.stop()

    try:
        received = Counter(message_id for _, message_id in accepted)
        assert len(received) == REMINDERS, f"{REMINDERS - len(received)} reminder(s) never arrived"
        twice = [m for m, n in received.items() if n > 1]
        assert twice == ([victim_box.held] if accepted_before_the_kill else []) and max(received.values()) <= 2, twice[:10]
        by_server = Counter(port for port, _ in accepted)
        assert by_server[victim_box.port] == HOLD_AFTER + accepted_before_the_kill  # then it was killed
        assert by_server[other_box.port] > 0 and by_server[cli_box.port] > 0, by_server  # all three delivered
        assert f"{by_server[cli_box.port]} delivered" in printed

        found = deliveries(system)
        assert {status for status, _ in found.values()} == {"delivered"}
        held = victim_box.held.strip("<>").split("@")[0]  # type: ignore[union-attr]
        assert f":{victim.process.pid}/" not in found[held][1]  # type: ignore[union-attr]  # delivered by another
        delivered = Counter(
            n.originator_id
            for n in system.store.recorder.select_notifications(start=1, limit=100_000)
            if n.topic.endswith("Reminder.Delivered")
        )
        assert len(delivered) == REMINDERS and set(delivered.values()) == {1}
    finally:
        system.close()
