"""Input that used to break things (issue 24 §2), each class on both databases: unknown pages,
NUL characters, deep JSON, page numbers out of range, unknown and empty filter values, amounts
that are not amounts, names holding invisible characters, and formulas in every CSV export."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import pytest

from application.exports import csv_text
from domain.uscc import complete_code
from interfaces.common.exports import DASHBOARDS
from interfaces.common.input_guard import MAX_JSON_DEPTH
from tests.integration.hostile_support import Live, live  # noqa: F401  (the fixture)

HTML = {"Accept": "text/html"}


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["message_zh"] and body["message_en"]
    return body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-page", 404),
        ("GET", "/organizations/not-a-uuid", 404),
        ("GET", "/static/no-such-file.css", 404),
        ("GET", "/public/organizations/12345", 404),
        ("DELETE", "/register", 405),
        ("PUT", "/public/", 405),
    ],
)
def test_anything_unrouted_answers_a_404_or_405_page_in_the_persons_language_with_a_way_back(
    live: Live, method: str, path: str, status: int
) -> None:
    for lang, words in (("zh", "出错了"), ("en", "Something went wrong")):
        answer = live.page("registrar", method, path, lang=lang)
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html")
        assert words in answer.text and 'href="/register"' in answer.text


def test_a_nul_character_in_a_query_form_json_text_path_or_cookie_is_a_400(live: Live) -> None:
    client, registrar = live.client, live.tokens["registrar"]
    org = live.ids["organization_id"]
    refusals = [
        client.get("/public/", params={"q": "铜陵\x00"}),
        client.get("/api/public/organizations", params={"q": "\x00"}),
        client.get("/api/organizations", params={"district": "a\x00b"}, headers=registrar),
        client.put(f"/api/organizations/{org}/name", json={"name": "新名称\x00"}, headers={**registrar, "If-Match": '"1"'}),
        client.post("/api/auth/login", json={"username": "admin\x00", "password": "x"}),
        client.get("/lang/zh%00"),
        client.get("/register", headers={"Cookie": "sl_session=%00"}),
        client.get("/register", headers={"Cookie": 'sl_session="\\000"'}),  # an octal escape in a quoted value
    ]
    for answer in refusals:
        assert _is_problem(answer, 400)["code"] == "request.nul_character", answer.request.url
    form = live.page(
        "registrar",
        "POST",
        f"/organizations/{org}/change",
        data={"field": "name", "value": "新名称\x00", "version": "1", "_csrf_token": live.csrf_field},
    )
    assert form.status_code == 400 and "空字符" in form.text


def test_a_json_escape_that_is_not_a_nul_is_accepted(live: Live) -> None:
    answer = live.client.post(
        "/api/auth/login", content=b'{"username": "a\\\\u0000", "password": "x"}', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401  # a backslash followed by "u0000" is text, and a wrong password


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 512, 1_000, 100_000])
def test_json_nested_deeper_than_allowed_is_a_400_at_any_depth(live: Live, depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    answer = live.client.post("/api/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert _is_problem(answer, 400)["code"] == "request.too_deep"


@pytest.mark.parametrize("page", [str(10**22), "0", "-1", "1.5", "abc", "١٢"])
def test_a_page_number_out_of_range_is_the_same_400_on_both_databases(live: Live, page: str) -> None:
    for path in ("/register", "/public/", "/public/lists/abnormal", "/reminders/", "/inbox/"):
        answer = live.page("registrar", "GET", path, params={"page": page})
        assert answer.status_code == 400, (path, answer.text[:200])
        assert "page" in answer.text
    api = live.client.get("/api/public/organizations", params={"page": page})
    assert "page" in _is_problem(api, 400)["message_en"]


def test_an_unknown_filter_value_is_a_400_naming_the_parameter(live: Live) -> None:
    for params in ({"credit_status": "bogus"}, {"status": "bogus"}, {"grade": "6A"}):
        answer = live.page("auditor", "GET", "/audit/register", params=params)
        assert answer.status_code == 400 and next(iter(params)) in answer.text
    for params in ({"org_type": "bogus"}, {"track": "bogus"}, {"status": "bogus"}):
        answer = live.page("public", "GET", "/register", params=params)
        assert answer.status_code == 400 and next(iter(params)) in answer.text
    api = live.client.get(
        "/api/audit/register",
        params={"at": "2026-01-01T00:00:00+08:00", "credit_status": "bogus"},
        headers=live.tokens["auditor"],
    )
    body = _is_problem(api, 400)
    assert "credit_status" in body["message_zh"] and "credit_status" in body["message_en"]


def test_public_search_with_a_name_and_credit_status_left_at_any_finds_the_organization(live: Live) -> None:
    answer = live.page("public", "GET", "/public/", params={"q": "铜陵市郊区社会组织联合会", "district": "", "credit_status": ""})
    assert answer.status_code == 200 and "铜陵市郊区社会组织联合会" in answer.text


def test_a_credit_code_of_the_wrong_length_says_so_in_zh_and_en(live: Live) -> None:
    profile = {
        "name": "测试协会",
        "org_type": "social_association",
        "legal_representative": "张三",
        "address": "铜陵市郊区",
        "division_code": "340711",
        "district": "铜陵市郊区",
    }
    answer = live.client.post("/api/organizations", json={"profile": profile, "code": "5" * 17}, headers=live.tokens["registrar"])
    body = _is_problem(answer, 422)
    assert body["code"] == "uscc.length" and "18位" in body["message_zh"] and "18 characters" in body["message_en"]
    page = live.page(
        "registrar",
        "POST",
        "/organizations/new",
        data={**profile, "code": "5" * 17, "track": "registered", "_csrf_token": live.csrf_field},
    )
    assert page.status_code == 422 and "18位" in page.text


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1E+400", "1E+13", "0.001", "-5", 1e308])
def test_a_money_field_that_is_not_finite_in_range_and_to_the_fen_is_a_422_naming_the_field(live: Live, amount: Any) -> None:
    org, registrar = live.ids["organization_id"], live.tokens["registrar"]
    fine = live.client.post(
        f"/api/organizations/{org}/credit/penalties",
        headers=registrar,
        json={
            "kind": "fine",
            "decision_no": "铜郊民罚〔2026〕9号",
            "decided_on": "2026-01-05",
            "reason": "违规",
            "amount_cny": amount,
        },
    )
    assert "amount_cny" in _is_problem(fine, 422)["message_en"]
    round_ = live.client.post(
        "/api/funding-rounds",
        headers=registrar,
        json={
            "title": "公益创投",
            "division_prefix": "340711",
            "budget": amount,
            "per_project_cap": "50000",
            "applications_open": "2026-05-20",
            "applications_close": "2026-06-30",
            "project_start": "2026-07-01",
            "mid_term_due": "2026-12-31",
            "closing_due": "2027-06-30",
        },
    )
    assert "budget" in _is_problem(round_, 422)["message_en"]


@pytest.mark.parametrize("name", ["铜陵\r\n协会", "铜陵\u202e协会", "铜陵\u200b协会", "铜陵\x07协会", "铜陵\u2028协会"])
def test_an_organization_name_with_a_control_or_invisible_character_is_refused_with_a_clear_message(
    live: Live, name: str
) -> None:
    org = live.ids["organization_id"]
    current = live.client.get(f"/api/organizations/{org}").json()
    answer = live.client.put(
        f"/api/organizations/{org}/name",
        json={"name": name},
        headers={**live.tokens["registrar"], "If-Match": f'"{current["version"]}"'},
    )
    body = _is_problem(answer, 422)
    assert body["code"] == "name.invisible_character" and "不可见字符" in body["message_zh"]


def test_an_organization_name_is_stored_trimmed_and_in_nfc(live: Live) -> None:
    org = live.ids["organization_id"]
    current = live.client.get(f"/api/organizations/{org}").json()
    decomposed = "Cafe\u0301 铜陵市郊区社会组织联合会 "
    answer = live.client.put(
        f"/api/organizations/{org}/name",
        json={"name": decomposed},
        headers={**live.tokens["registrar"], "If-Match": f'"{current["version"]}"'},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Caf\u00e9 铜陵市郊区社会组织联合会"
    back = live.client.put(
        f"/api/organizations/{org}/name",
        json={"name": current["name"]},
        headers={**live.tokens["registrar"], "If-Match": f'"{answer.json()["version"]}"'},
    )
    assert back.status_code == 200


FORMULAS = {
    "name": '=HYPERLINK("http://example.invalid","点击查看")',
    "legal_representative": "@SUM(1+1)",
    "district": "=cmd|' /C calc'!A0",
}


def test_every_csv_export_writes_formula_like_text_as_text(live: Live) -> None:
    registrar = live.tokens["registrar"]
    profile = {"org_type": "social_association", "address": "铜陵市郊区", "division_code": "340711", **FORMULAS}
    for serial, (list_ground, _listed_name) in enumerate(
        (("no_party_organization", "abnormal"), ("court_defaulter", "serious")), start=900
    ):
        created = live.client.post(
            "/api/organizations",
            headers=registrar,
            json={
                "profile": {**profile, "name": f"{FORMULAS['name']}{serial}"},
                "code": complete_code(f"51340711MJ{serial:07d}"),
            },
        )
        assert created.status_code == 201, created.text
        grounded = live.client.post(
            f"/api/organizations/{created.json()['id']}/credit/grounds",
            headers=registrar,
            json={"code": list_ground, "on": "2026-01-05", "detail": "+1+1"},
        )
        assert grounded.status_code == 201, grounded.text
    exports = [f"/api/public/lists/{name}/csv" for name in ("abnormal", "serious")]
    exports += [f"/public/lists/{name}/download" for name in ("abnormal", "serious")]
    exports += [f"/dashboards/{key}/table.csv" for key in DASHBOARDS]
    exports += ["/register/download?format=csv", "/public/announcements/projects/download?format=csv"]
    seen_hostile = 0
    for path in exports:
        answer = live.page("registrar", "GET", path)
        assert answer.status_code == 200, (path, answer.text[:200])
        for row in csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path, cell)
                assert not cell.startswith("-") or re.fullmatch(r"-(\d+(\.\d+)?)?", cell), (path, cell)
                seen_hostile += cell.startswith(("'=", "'@"))
    assert seen_hostile >= 5  # the names on both lists (page and API) and the district on the grade dashboard


def test_every_xlsx_export_holds_formula_like_text_as_text_and_keeps_the_filter(live: Live) -> None:
    from openpyxl import load_workbook

    registrar = live.tokens["registrar"]
    profile = {"org_type": "social_association", "address": "铜陵市郊区", "division_code": "340711", **FORMULAS}
    created = live.client.post(
        "/api/organizations",
        headers=registrar,
        json={"profile": {**profile, "name": f"{FORMULAS['name']}950"}, "code": complete_code("51340711MJ0000950")},
    )
    assert created.status_code == 201, created.text
    grounded = live.client.post(
        f"/api/organizations/{created.json()['id']}/credit/grounds",
        headers=registrar,
        json={"code": "no_party_organization", "on": "2026-01-05", "detail": "=1+1"},
    )
    assert grounded.status_code == 201, grounded.text
    exports = ["/register/download?format=xlsx", "/public/lists/abnormal/download?format=xlsx"]
    exports += [f"/dashboards/{key}/table.xlsx" for key in DASHBOARDS]
    exports += ["/public/announcements/projects/download?format=xlsx", "/public/announcements/inspections/download?year=2025"]
    exports += ["/reminders/download?format=xlsx", "/evaluations/download?format=xlsx", "/reminders/download?status=dead"]
    hostile = 0
    for path in exports:
        answer = live.page("registrar", "GET", path)
        assert answer.status_code == 200, (path, answer.text[:200])
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats"), path
        sheet = load_workbook(io.BytesIO(answer.content)).active
        cells = [c for row in sheet.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells), path  # nothing is a formula
        hostile += sum(1 for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULAS["name"]))
    assert hostile >= 2  # the name, as typed, on the register and on the abnormal list
    only = live.page("registrar", "GET", f"/register/download?format=xlsx&q={FORMULAS['name']}950")
    names = [r[0] for r in load_workbook(io.BytesIO(only.content)).active.iter_rows(min_row=2, values_only=True)]
    assert names == [f"{FORMULAS['name']}950"]  # the page's filter, applied
    header = next(load_workbook(io.BytesIO(only.content)).active.iter_rows(max_row=1, values_only=True))
    assert header[0] == "名称" and "信用状态" in header


def test_a_formula_cell_keeps_its_text_behind_an_apostrophe_and_numbers_stay_numbers() -> None:
    text = csv_text(["a", "b", "c", "d"], [["=1+1", "-5", Decimal("-5"), "-1+2"], ["\tx", "\rx", "+3.5", "-"]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ["'=1+1", "-5", "-5", "'-1+2"] and rows[2] == ["'\tx", "'\rx", "+3.5", "-"]
