"""One rule for dates before the earliest rule set (2021-01-01), on SQLite and PostgreSQL: every
batch as of a date refuses them with the same 422 `rules.none_in_force`, whether or not that day
would have had anything to decide, and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import login
from tests.integration.test_compliance_http import events
from tests.integration.test_http_api import assert_problem


def batches(client: Any, headers: dict[str, str], as_of: str) -> dict[str, Any]:
    return {
        "inspection deadlines": client.post("/api/inspection-deadlines", json={"as_of": as_of}, headers=headers),
        "credit rules": client.post("/api/credit/rule-application", json={"as_of": as_of}, headers=headers),
        "reminders issued": client.post("/api/reminders/issue", json={"as_of": as_of}, headers=headers),
        "reminders planned": client.get("/api/reminders/plan", params={"as_of": as_of}, headers=headers),
    }


@pytest.mark.parametrize("as_of", ["0001-01-01", "2020-12-31"])
def test_every_batch_refuses_a_date_before_the_earliest_rule_set_alike(client, system, as_of: str) -> None:
    registrar = login(client, "registrar")
    before = events(system)
    answers = batches(client, registrar, as_of)
    messages = set()
    for what, answer in answers.items():
        body = assert_problem(answer, 422, "rules.none_in_force")
        assert "2021-01-01" in body["message_en"] and as_of in body["message_en"], what
        assert "2021-01-01" in body["message_zh"], what
        messages.add((body["message_zh"], body["message_en"]))
    assert len(messages) == 1  # the same error everywhere
    assert events(system) == before


def test_the_first_day_of_the_earliest_rule_set_is_accepted_by_every_batch(client) -> None:
    registrar = login(client, "registrar")
    for what, answer in batches(client, registrar, "2021-01-01").items():
        assert answer.status_code in (200, 201), (what, answer.text)
