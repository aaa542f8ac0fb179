"""The JSON API end to end through the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import TestClient

from tests.integration.conftest import login
from tests.integration.helpers import code

PROFILE = {
    "name": "荣成市宁津街道志愿者协会",
    "org_type": "social_association",
    "legal_representative": "冯雪",
    "address": "荣成市宁津街道",
    "division_code": "371082",
    "district": "荣成市",
}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["message_zh"] and body["message_en"]
    return body


def register(client: TestClient[Any], headers: dict[str, str], n: int = 1, **extra: Any) -> Any:
    return client.post(
        "/api/organizations", json={"profile": PROFILE, "code": code(n, division="371082"), **extra}, headers=headers
    )


def test_a_registrar_registers_and_anyone_reads_the_register(client) -> None:
    registrar = login(client, "registrar")
    created = register(client, registrar)
    assert created.status_code == 201
    org = created.json()
    assert created.headers["etag"] == '"1"' and created.headers["location"] == f"/api/organizations/{org['id']}"
    found = client.get("/api/organizations", params={"q": "宁津街道志愿者", "per_page": 5}).json()
    assert [i["id"] for i in found["items"]] == [org["id"]]
    assert client.get(f"/api/organizations/{org['id']}").json()["code"] == org["code"]


def test_signed_out_and_wrong_roles_are_refused(client) -> None:
    assert_problem(register(client, {}), 401, "auth.required")
    assert_problem(register(client, login(client, "auditor")), 403, "access.denied")
    assert_problem(register(client, {"Authorization": "Bearer nonsense"}), 401, "auth.required")


def test_bad_input_gets_a_clear_problem_and_stores_nothing(client, system) -> None:
    registrar = login(client, "registrar")
    head = system.store.recorder.max_notification_id()
    bad_code = client.post("/api/organizations", json={"profile": PROFILE, "code": "51371082MJ00000010"}, headers=registrar)
    assert "校验位" in assert_problem(bad_code, 422, "uscc.check")["message_zh"]
    missing = client.post(
        "/api/organizations", json={"profile": {**PROFILE, "division_code": "37"}, "code": code(1)}, headers=registrar
    )
    assert assert_problem(missing, 400, "request.invalid")["errors"]
    assert_problem(client.post("/api/organizations", content=b"{not json", headers=registrar), 400, "request.invalid")
    assert_problem(client.get("/api/organizations", params={"page": "0"}), 400, "request.invalid")
    assert_problem(client.get(f"/api/organizations/{uuid.uuid4()}"), 404, "organization.not_found")
    assert system.store.recorder.max_notification_id() == head


def test_updates_need_the_version_seen_and_a_stale_one_is_412(client) -> None:
    registrar = login(client, "registrar")
    org = register(client, registrar).json()
    url = f"/api/organizations/{org['id']}/name"
    assert_problem(client.put(url, json={"name": "新名称"}, headers=registrar), 428, "version.required")
    ok = client.put(url, json={"name": "新名称"}, headers={**registrar, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = client.put(url, json={"name": "再改名"}, headers={**registrar, "If-Match": '"1"'})
    assert assert_problem(stale, 412, "version.stale")["details"] == {"expected": 1, "actual": 2}
    assert client.get(f"/api/organizations/{org['id']}").json()["name"] == "新名称"


def test_a_retried_create_with_the_same_idempotency_key_creates_nothing_twice(client, system) -> None:
    registrar = {**login(client, "registrar"), "Idempotency-Key": "batch-7-row-3"}
    first = register(client, registrar)
    head = system.store.recorder.max_notification_id()
    again = register(client, registrar)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert system.store.recorder.max_notification_id() == head
    assert_problem(register(client, registrar, n=2), 422, "idempotency.key_reused")


def test_wrong_transitions_are_409_with_the_reason(client) -> None:
    registrar = login(client, "registrar")
    org = register(client, registrar).json()
    resume = client.post(f"/api/organizations/{org['id']}/resumption", json={}, headers={**registrar, "If-Match": '"1"'})
    assert_problem(resume, 409, "organization.not_suspended")


def test_revoking_deregistering_or_suspending_without_the_decisions_basis_is_refused_and_changes_nothing(client) -> None:
    registrar = login(client, "registrar")
    org = register(client, registrar).json()
    at_version_1 = {**registrar, "If-Match": '"1"'}
    for act in ("revocation", "deregistration", "suspension"):
        body = assert_problem(
            client.post(
                f"/api/organizations/{org['id']}/{act}", json={"basis": {"document_no": "民社〔2026〕3号"}}, headers=at_version_1
            ),
            422,
            "basis.required",
        )
        assert "事由" in body["message_zh"] and "grounds" in body["message_en"]
    assert client.get(f"/api/organizations/{org['id']}").json()["status"] == "active"
    basis = {"basis": {"document_no": "民社〔2026〕3号", "reason": "以欺骗手段取得登记"}}
    revoked = client.post(f"/api/organizations/{org['id']}/revocation", json=basis, headers=at_version_1)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_history_is_for_staff_auditors_and_the_organization_itself(client, system) -> None:
    from application.queries.register import RegisterQuery

    hub = system.register_view.search(RegisterQuery(text="铜陵市郊区社会组织联合会")).items[0]
    other = system.register_view.search(RegisterQuery(text="荣成市志愿服务联合会")).items[0]
    own = client.get(f"/api/organizations/{hub.id}/history", headers=login(client, "org"))
    assert own.status_code == 200
    change = next(h for h in own.json() if h["event_type"] == "LegalRepresentativeChanged")
    assert change["document_no"] == "铜郊民社〔2024〕12号" and change["actor_role"] == "system"
    assert_problem(client.get(f"/api/organizations/{other.id}/history", headers=login(client, "org")), 403, "access.denied")
    assert client.get(f"/api/organizations/{other.id}/history", headers=login(client, "auditor")).status_code == 200
    assert_problem(client.get(f"/api/organizations/{other.id}/history"), 401, "auth.required")


def test_an_oversized_body_is_413(client) -> None:
    registrar = login(client, "registrar")
    huge = {"profile": {**PROFILE, "address": "x" * 2_000_000}, "code": code(1)}
    assert_problem(client.post("/api/organizations", json=huge, headers=registrar), 413, "request.too_large")


def test_the_openapi_document_names_every_operation(client) -> None:
    spec = client.get("/schema/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    assert all(op.get("operationId") for op in operations)
    assert all("/" in op.get("summary", "") for op in operations)  # "中文 / English"
    assert "registerOrganization" in {op["operationId"] for op in operations}


def test_health_answers_when_ready(client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["register_position"] > 0


def test_dates_at_the_edge_of_the_calendar_are_refused_not_crashed_on(client) -> None:
    """Found by the fuzzer: a date one day after 0001-01-01 is valid, but deadlines computed
    from it leave the calendar."""
    registrar = login(client, "registrar")
    assert_problem(client.get("/api/audit/register?at=0001-01-01T00:00:00%2B01:00", headers=registrar), 422, "value.out_of_range")
    # a batch as of such a day is refused before any deadline is computed: no rule set was in force
    assert_problem(client.get("/api/reminders/plan?as_of=0001-01-02", headers=registrar), 422, "rules.none_in_force")
