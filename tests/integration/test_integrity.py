"""Tamper evidence, on SQLite and PostgreSQL: change one byte of a stored event, delete one,
swap two, append one around the application — each is found and the event named."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from application.queries.register import RegisterQuery
from tests.integration.helpers import REGISTRAR, code, profile


def stored(system: Any) -> tuple[str, str]:
    """(events table, its notification id column) as the recorder made them."""
    table = system.store.recorder.events_table_name
    return table, ("notification_id" if system.backend == "postgres" else "rowid")


def seeded(system: Any) -> None:
    for n in range(1, 6):
        system.organizations.register_organization(REGISTRAR, profile(f"铜陵市第{n}协会"), code(n), date(2015, 6, 1))
    assert system.integrity.verify().ok  # 10 events: 5 organizations, 5 code claims


def change_a_byte(system: Any, tx: Any) -> int:
    table, nid = stored(system)
    state = bytes(tx.execute(f"SELECT state FROM {table} WHERE {nid} = 3").scalar())
    changed = state.replace(b"\xe9\x93\x9c", b"\xe9\x93\x9d", 1)  # 铜 → another character, one byte apart
    assert changed != state
    tx.execute(f"UPDATE {table} SET state = ? WHERE {nid} = 3", (changed,))
    return 3


def delete_one(system: Any, tx: Any) -> int:
    table, nid = stored(system)
    tx.execute(f"DELETE FROM {table} WHERE {nid} = 4")
    return 4


def swap_two(system: Any, tx: Any) -> int:
    table, nid = stored(system)
    five, seven = (bytes(tx.execute(f"SELECT state FROM {table} WHERE {nid} = ?", (n,)).scalar()) for n in (5, 7))
    tx.execute(f"UPDATE {table} SET state = ? WHERE {nid} = 5", (seven,))
    tx.execute(f"UPDATE {table} SET state = ? WHERE {nid} = 7", (five,))
    return 5


def append_one(system: Any, tx: Any) -> int:
    table, nid = stored(system)
    row = tx.execute(f"SELECT topic, state FROM {table} WHERE {nid} = 1").one()
    new_id = uuid4()
    tx.execute(
        f"INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
        (str(new_id) if system.backend == "postgres" else new_id.hex, row["topic"], row["state"]),
    )
    return 11


@pytest.mark.parametrize(
    "tamper, words",
    [
        (change_a_byte, "does not match its link"),
        (delete_one, "not in the log: it was deleted"),
        (swap_two, "does not match its link"),
        (append_one, "has no link in the chain"),
    ],
    ids=["changed-byte", "deleted", "swapped", "appended"],
)
def test_tampering_is_found_and_the_event_named(system, tamper, words) -> None:
    seeded(system)
    with system.database.transaction(write=True) as tx:
        position = tamper(system, tx)
    found = system.integrity.verify()
    assert not found.ok and found.position == position, found
    assert words in (found.problem or "") and f"#{position}" in (found.problem or "")


def test_the_chain_verifies_across_saves_and_checkpoints_record_the_head(system, clock) -> None:
    seeded(system)
    first = system.integrity.checkpoint(clock.now())
    org = system.register_view.search(RegisterQuery()).items[0]
    system.organizations.rename(REGISTRAR, org.id, None, "铜陵市新名称协会")
    second = system.integrity.checkpoint(clock.now())
    verified = system.integrity.verify()
    assert verified.ok and verified.checked == 11 and verified.head_hash == second.hash != first.hash
    assert [c.position for c in system.integrity.checkpoints()] == [10, 11]


def test_a_kept_checkpoint_shows_the_newest_events_were_deleted_where_the_chain_alone_cannot(system, clock) -> None:
    """Deleting the newest events with their links leaves a chain that verifies; anyone who kept a
    published checkpoint from before sees that the log no longer holds it."""
    from application.queries.integrity import holds_checkpoint

    seeded(system)
    org = system.register_view.search(RegisterQuery()).items[0]
    system.organizations.rename(REGISTRAR, org.id, None, "铜陵市新名称协会")
    kept = system.integrity.checkpoint(clock.now())  # #11, published
    system.organizations.rename(REGISTRAR, org.id, None, "铜陵市又一名称协会")  # #12: appended since
    still = system.integrity.verify()
    assert holds_checkpoint(still, kept.position, kept.hash, system.integrity.link_at(kept.position)) is None
    table, nid = stored(system)
    with system.database.transaction(write=True) as tx:  # someone removes the last two events and their links
        tx.execute(f"DELETE FROM {table} WHERE {nid} >= 11")
        tx.execute("DELETE FROM sl_chain WHERE position >= 11")
    truncated = system.integrity.verify()
    assert truncated.ok and truncated.head_position == 10  # the chain alone cannot tell
    problem = holds_checkpoint(truncated, kept.position, kept.hash, system.integrity.link_at(kept.position))
    assert problem is not None and "deleted" in problem and "#10" in problem


def test_the_auditor_endpoint_recomputes_the_chain(client, system) -> None:
    from tests.integration.conftest import login

    answer = client.get("/api/audit/integrity", headers=login(client, "auditor"))
    assert answer.status_code == 200 and answer.json()["ok"] is True and answer.json()["checked"] > 50
    assert client.get("/api/audit/integrity", headers=login(client, "org")).status_code == 403
    with system.database.transaction(write=True) as tx:
        delete_one(system, tx)
    found = client.get("/api/audit/integrity", headers=login(client, "auditor")).json()
    assert found["ok"] is False and found["position"] == 4 and "deleted" in found["problem"]


READ_MODELS = {
    "sl_register": "id",
    "sl_cases": "id",
    "sl_case_members": "case_id, expert_id",
    "sl_inspections": "id",
    "sl_listings": "record_id, seq",
    "sl_penalties": "record_id, decision_no",
    "sl_reminders": "id",
    "sl_deliveries": "reminder_id, channel",
    "sl_register_intervals": "organization_id, valid_from, recorded_from",
    "sl_register_listings": "organization_id, list_name, valid_from, recorded_from",
    "sl_register_overlaps": "organization_id",
    "sl_listing_days": "list_name, day, recorded_day",
    "sl_listing_changes": "list_name, recorded_at, organization_id, day",
    "sl_listed_names": "list_name, name, organization_id",
    "sl_interval_credit": "credit_record_id",
    "sl_rounds": "id",
    "sl_projects": "id",
    "sl_tranches": "project_id, idx",
    "sl_subsidies": "id",
}


def read_models(system: Any) -> dict[str, list[dict[str, Any]]]:
    with system.database.transaction() as tx:
        return {t: tx.execute(f"SELECT * FROM {t} ORDER BY {key}").all() for t, key in READ_MODELS.items()}


@pytest.mark.usefixtures("demo")
def test_export_import_replay_gives_identical_read_models_and_chain_head(system, settings, tmp_path, clock) -> None:
    import base64
    import dataclasses
    import io
    import json

    from infra.wiring import ImportRefused, build_system, export_log, import_log
    from tests.support.fakes import CountingIds, CountingTokens

    exported = io.StringIO()
    count = export_log(system.integrity, exported)
    assert count == system.integrity.verify().checked > 50
    lines = exported.getvalue().splitlines()

    from tests.support import postgres

    target_settings = dataclasses.replace(settings, data_dir=tmp_path / "copy")
    admin_url = settings.database_url.rsplit("/", 1)[0] + "/postgres"
    if system.backend == "postgres":  # a second, empty database beside the first
        target_settings = dataclasses.replace(target_settings, database_url=postgres.create_database(admin_url))
    copy = build_system(target_settings, clock=clock, ids=CountingIds(9), tokens=CountingTokens())
    try:
        at = next(i for i, line in enumerate(lines) if i > 3 and "铜陵" in line)
        tampered = [*lines[:at], lines[at].replace("铜陵", "铜岭", 1), *lines[at + 1 :]]
        with pytest.raises(ImportRefused, match=f"line {at + 1} "):
            import_log(copy.integrity, iter(tampered))
        assert copy.integrity.head() == (0, "0" * 64)  # nothing was stored
        chunk = next(i for i, line in enumerate(lines) if line.startswith('{"document"'))
        row = json.loads(lines[chunk])
        row["data"] = base64.b64encode(base64.b64decode(row["data"]).replace(b"StarLedger", b"StarLedgeR", 1)).decode()
        with pytest.raises(ImportRefused, match="do not hash to its name"):
            import_log(copy.integrity, iter([*lines[:chunk], json.dumps(row), *lines[chunk + 1 :]]))
        assert copy.integrity.head() == (0, "0" * 64) and copy.documents.hashes() == []
        assert import_log(copy.integrity, iter(lines)) == count
        assert copy.documents.hashes() == system.documents.hashes() != []
        with pytest.raises(ImportRefused, match="not empty"):
            import_log(copy.integrity, iter(lines))
        for projection in copy.projections:
            projection.rebuild()
        verified = copy.integrity.verify()
        assert verified.ok and copy.integrity.head() == system.integrity.head() and verified.documents > 0
        assert read_models(copy) == read_models(system)
    finally:
        copy.close()
        if system.backend == "postgres":
            postgres.drop_database(admin_url, target_settings.database_url)


def test_one_changed_byte_in_a_stored_document_is_found_and_named(system) -> None:
    from tests.support.documents import pdf, upload_of

    system.inspections.open_campaign(REGISTRAR, 2025, "3407")
    org = system.organizations.register_organization(REGISTRAR, profile("铜陵市审计材料协会"), code(1), date(2015, 6, 1)).id
    for name, text in (("一切正常.pdf", "fine"), ("审计报告.pdf", "audit")):
        with upload_of(system, pdf(text, pad_to=600_000)) as upload:
            system.inspections.attach_document(REGISTRAR, org, 2025, None, "report_other", upload, file_name=name)
    assert system.integrity.verify().ok and system.integrity.verify().documents == 2
    sha = next(
        a.document.sha256 for a in system.inspections.inspection(org, 2025).documents if a.document.file_name == "审计报告.pdf"
    )
    with system.database.transaction(write=True) as tx:
        data = bytes(tx.execute("SELECT data FROM sl_document_chunks WHERE sha256 = ? AND seq = 1", (sha,)).scalar())
        tx.execute(
            "UPDATE sl_document_chunks SET data = ? WHERE sha256 = ? AND seq = 1",
            (data[:100] + bytes([data[100] ^ 1]) + data[101:], sha),
        )
    result = system.integrity.verify()
    assert not result.ok and "审计报告.pdf" in (result.problem or "") and sha in (result.problem or "")
    assert "was changed" in (result.problem or "")
