# ruff: noqa: F811  (the live-server fixture is imported from hostile_support and requested by name)
"""The score form's save on the page: the valid fields are kept, an invalid one is refused for itself alone and
told by its field (autosave answers JSON; a full post shows the page again with the field marked), while the
API keeps refusing a bad sheet whole."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from tests.integration.hostile_support import Live, live  # noqa: F401  (the fixture)


def indicators(live: Live) -> list[Any]:
    evaluation = live.system.evaluations.evaluation(UUID(live.ids["evaluation_id"]))
    rules = live.system.rules.get(evaluation.rule_set.id, evaluation.rule_set.version).evaluation
    return list(rules.scheme_for(evaluation.subject_type).indicators)


def saved_points(live: Live, key: str) -> Decimal | None:
    evaluation = live.system.evaluations.evaluation(UUID(live.ids["evaluation_id"]))
    user = live.system.accounts.store.user_by_name("evaluator")
    seat = next(m for m in evaluation.active_members() if m.user_id == user.id)
    draft = evaluation.drafts.get(seat.expert_id)
    return draft.points(key) if draft else None


def post_sheet(live: Live, form: dict[str, str], autosave: bool, lang: str = "zh") -> Any:
    headers = {"X-Autosave": "1", "X-CSRFToken": live.csrf_cookie} if autosave else {}
    data = {**form, "intent": "save", "_csrf_token": live.csrf_field}
    return live.page("evaluator", "POST", f"/evaluations/{live.ids['evaluation_id']}/sheet", lang, data=data, headers=headers)


def test_autosave_keeps_the_valid_fields_and_names_the_refused_one(live: Live) -> None:
    a, b = indicators(live)[:2]
    answer = post_sheet(live, {f"points:{a.key}": "1", f"points:{b.key}": str(b.maximum + 5)}, autosave=True)
    assert answer.status_code == 200 and answer.json()["saved"] is True
    assert list(answer.json()["errors"]) == [f"points:{b.key}"] and str(b.maximum) in answer.json()["errors"][f"points:{b.key}"]
    assert saved_points(live, a.key) == 1 and saved_points(live, b.key) is None

    post_sheet(live, {f"points:{a.key}": "2", f"points:{b.key}": "1"}, autosave=True)
    english = post_sheet(live, {f"points:{a.key}": "3", f"points:{b.key}": "-1"}, autosave=True, lang="en")
    assert "points" in english.json()["errors"][f"points:{b.key}"]
    assert saved_points(live, a.key) == 3 and saved_points(live, b.key) == 1  # the refused field keeps its last value


def test_a_full_post_shows_the_page_again_with_the_refused_field_marked_and_the_rest_saved(live: Live) -> None:
    a, b = indicators(live)[:2]
    answer = post_sheet(live, {f"points:{a.key}": "4", f"points:{b.key}": str(b.maximum + 5)}, autosave=False)
    assert answer.status_code == 422
    assert f'id="points-{b.key}"' in answer.text and 'aria-invalid="true"' in answer.text
    assert f'value="{b.maximum + 5}"' in answer.text  # what was typed is shown again, not lost
    assert saved_points(live, a.key) == 4
