"""Two people change one organization at the same moment over real HTTP: one wins, the other
is told it changed meanwhile (412), and nothing is lost or half-written."""

from __future__ import annotations

import threading

import httpx

from application.demo import DEMO_PASSWORD
from interfaces.app import create_app
from tests.integration.helpers import code
from tests.support.server import serving


def test_two_concurrent_changes_give_one_200_and_one_412(demo) -> None:
    with serving(create_app(demo)) as base, httpx.Client(base_url=base, timeout=20) as client:
        token = client.post("/api/auth/login", json={"username": "registrar", "password": DEMO_PASSWORD}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        profile = {
            "name": "渝中区测试协会",
            "org_type": "social_association",
            "legal_representative": "黄伟",
            "address": "重庆市渝中区",
            "division_code": "500103",
            "district": "重庆市渝中区",
        }
        org = client.post(
            "/api/organizations", json={"profile": profile, "code": code(42, division="500103")}, headers=auth
        ).json()
        barrier = threading.Barrier(2)
        results: dict[str, httpx.Response] = {}

        def change(name: str) -> None:
            with httpx.Client(base_url=base, timeout=20) as own:
                barrier.wait()
                results[name] = own.put(
                    f"/api/organizations/{org['id']}/name", json={"name": name}, headers={**auth, "If-Match": '"1"'}
                )

        threads = [threading.Thread(target=change, args=(n,)) for n in ("甲名称", "乙名称")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 412], {n: r.text for n, r in results.items()}
        winner = next(n for n, r in results.items() if r.status_code == 200)
        loser = next(r for r in results.values() if r.status_code == 412)
        assert loser.headers["content-type"].startswith("application/problem+json")
        history = client.get(f"/api/organizations/{org['id']}/history", headers=auth).json()
        assert [h["event_type"] for h in history] == ["Registered", "Renamed"]
        assert history[1]["data"]["name"] == winner
        assert client.get(f"/api/organizations/{org['id']}").json()["name"] == winner
