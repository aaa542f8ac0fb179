"""Auditors' reads of any aggregate over HTTP: history filtered by type and time, state as of
an instant and as of a version, what one event changed; bad times and unknown ids are 4xx."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4, uuid5

from application.demo import _NS
from application.queries.register import RegisterAsOfQuery, RegisterQuery
from tests.integration.conftest import login
from tests.integration.test_http_api import assert_problem

HUB = uuid5(_NS, "tl-hub")


def test_history_state_as_of_and_changes(client, system, clock) -> None:
    auditor = login(client, "auditor")
    base = f"/api/audit/aggregates/{HUB}"
    everything = client.get(f"{base}/history", headers=auditor).json()
    assert everything[0]["event_type"] == "Registered" and [e["version"] for e in everything] == list(
        range(1, len(everything) + 1)
    )
    changed = client.get(f"{base}/history", params={"event_type": "LegalRepresentativeChanged"}, headers=auditor).json()
    assert [e["data"]["legal_representative"] for e in changed] == ["王建华"]
    moment = changed[0]["at"]
    before_change = (system.organizations.organization(HUB).created_on + timedelta(microseconds=1)).isoformat()
    early = client.get(f"{base}/state", params={"at": before_change}, headers=auditor).json()
    late = client.get(f"{base}/state", params={"at": moment}, headers=auditor).json()
    assert early["version"] == 1 and early["state"]["profile"]["legal_representative"] == "王建国"
    assert late["state"]["profile"]["legal_representative"] == "王建华" and late["aggregate_type"] == "Organization"
    window = client.get(f"{base}/history", params={"since": moment, "until": moment}, headers=auditor).json()
    assert [e["event_type"] for e in window] == ["LegalRepresentativeChanged"]
    version = changed[0]["version"]
    diff = client.get(f"{base}/changes/{version}", headers=auditor).json()
    assert diff["event_type"] == "LegalRepresentativeChanged"
    assert diff["changed"] == {"profile.legal_representative": ["王建国", "王建华"]}
    assert diff["before"]["profile"]["address"] == diff["after"]["profile"]["address"]
    by_version = client.get(f"{base}/state", params={"version": version - 1}, headers=auditor).json()
    assert by_version["state"]["profile"]["legal_representative"] == "王建国"


def test_bad_times_and_unknown_ids_are_clear_4xx(client) -> None:
    auditor = login(client, "auditor")
    base = f"/api/audit/aggregates/{HUB}"
    assert_problem(client.get(f"{base}/state", params={"at": "2026-06-01T09:00:00"}, headers=auditor), 400, "audit.naive_time")
    assert client.get(f"{base}/state", params={"at": "yesterday"}, headers=auditor).status_code == 400
    assert_problem(client.get(f"{base}/state", headers=auditor), 400, "audit.at_or_version")
    assert_problem(
        client.get(f"{base}/state", params={"at": "1999-01-01T00:00:00+08:00"}, headers=auditor), 404, "aggregate_state.not_found"
    )
    assert client.get(f"/api/audit/aggregates/{uuid4()}/history", headers=auditor).status_code == 404
    assert client.get(f"{base}/changes/999", headers=auditor).status_code == 404
    assert client.get(f"{base}/history", headers=login(client, "org")).status_code == 403


def test_timeline_shows_what_each_event_changed(client) -> None:
    auditor = login(client, "auditor")
    timeline = client.get(f"/api/audit/aggregates/{HUB}/timeline", headers=auditor).json()
    first = timeline[0]
    assert first["event"]["event_type"] == "Registered" and first["changed"]["status"] == [None, "active"]
    assert first["changed"]["profile.name"] == [None, "铜陵市郊区社会组织联合会"]
    change = next(t for t in timeline if t["event"]["event_type"] == "LegalRepresentativeChanged")
    assert change["changed"] == {"profile.legal_representative": ["王建国", "王建华"]}
    only = client.get(
        f"/api/audit/aggregates/{HUB}/timeline", params={"event_type": "LegalRepresentativeChanged,Registered"}, headers=auditor
    ).json()
    assert [t["event"]["event_type"] for t in only] == ["Registered", "LegalRepresentativeChanged"]
    assert only[1] == change  # a filtered entry still shows its own change, not the one since the last shown
    assert_problem(
        client.get(f"/api/audit/aggregates/{HUB}/timeline", params={"since": "2026-01-01T00:00:00"}, headers=auditor),
        400,
        "audit.naive_time",
    )
    assert client.get(f"/api/audit/aggregates/{uuid4()}/timeline", headers=auditor).status_code == 404


def test_register_as_of_over_http(client, system) -> None:
    auditor = login(client, "auditor")
    now = system.clock.now().isoformat()
    current = client.get("/api/audit/register", params={"at": now, "per_page": 500}, headers=auditor).json()
    assert current["total"] == len(current["items"]) == system.register_view.search(RegisterQuery(per_page=200)).total
    serious = client.get("/api/audit/register", params={"at": now, "credit_status": "serious"}, headers=auditor).json()
    assert [row["name"] for row in serious["items"]] == ["青山区社区社会组织服务中心"]
    hub = system.organizations.organization(HUB)
    # in effect: from its registration's day, entered or not; as known: only once it was entered
    registered = hub.registered_on
    on_the_day = client.get("/api/audit/register", params={"effective_at": registered.isoformat()}, headers=auditor).json()
    assert str(HUB) in {row["id"] for row in on_the_day["items"]}
    day_before = (registered - timedelta(days=1)).isoformat()
    before = client.get("/api/audit/register", params={"effective_at": day_before}, headers=auditor).json()
    assert str(HUB) not in {row["id"] for row in before["items"]}
    unknown = (hub.created_on - timedelta(microseconds=1)).isoformat()
    not_yet = client.get(
        "/api/audit/register", params={"effective_at": registered.isoformat(), "known_at": unknown}, headers=auditor
    ).json()
    assert str(HUB) not in {row["id"] for row in not_yet["items"]}
    lines = client.get(f"/api/audit/organizations/{HUB}/register-lines", headers=auditor).json()
    assert lines[0]["valid_from"] == registered.isoformat() and lines[-1]["valid_to"] is None
    assert lines[0]["recorded_from"] == hub.created_on.isoformat().replace("+00:00", "Z")
    for bad in (
        {"at": "2026-06-01"},
        {"effective_at": "June 1"},
        {"known_at": "2026-06-01T09:00:00"},
        {"at": now, "grade": "6A"},
        {"at": now, "per_page": 1000},
        {"at": now, "status": "sleeping"},
    ):
        assert client.get("/api/audit/register", params=bad, headers=auditor).status_code == 400, bad
    assert_problem(
        client.get("/api/audit/register", params={"at": "2026-06-01T09:00:00"}, headers=auditor), 400, "audit.naive_time"
    )
    assert client.get("/api/audit/register", params={"at": now}, headers=login(client, "org")).status_code == 403
    assert client.get(f"/api/audit/organizations/{uuid4()}/register-lines", headers=auditor).status_code == 404


def test_the_register_page_says_more_than_when_a_count_stops_at_its_cap(client, system, monkeypatch) -> None:
    from infra.projections import register_history

    token = login(client, "auditor")["Authorization"].removeprefix("Bearer ")
    on = system.clock.now().date().isoformat()
    client.cookies.update({"sl_session": token, "sl_lang": "zh"})
    whole = client.get("/audit/register", params={"on": on})
    total = system.audit.register_as_of(RegisterAsOfQuery(effective_on=system.clock.now().date())).total
    assert whole.status_code == 200 and f"共 {total:,} 个组织" in whole.text and "超过" not in whole.text
    monkeypatch.setattr(register_history, "COUNT_CAP", 2)
    capped = client.get("/audit/register", params={"on": on, "grade": "none"})
    assert "超过 2 个组织" in capped.text and "至少" in capped.text
    client.cookies.set("sl_lang", "en")
    english = client.get("/audit/register", params={"on": on, "grade": "none"})
    assert "more than 2 organizations" in english.text
