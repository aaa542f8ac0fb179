"""/api/auth: bearer tokens for API clients; /health for load balancers."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post

from interfaces.common.runtime import runtime_of, system_of
from interfaces.common.security import SIGNED_IN, Principal, allow
from interfaces.http import dto


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth 登录"]

    @post(
        "/login", operation_id="login", summary="登录,获取令牌 / Sign in for a bearer token", sync_to_thread=True, status_code=200
    )
    def login(self, request: Request[Any, Any, Any], data: dto.LoginIn) -> dto.TokenOut:
        address = request.client.host if request.client else None
        session = system_of(request).accounts.login(data.username, data.password, address)
        u = session.user
        return dto.TokenOut(
            token=session.token, token_type="bearer", user_id=u.id, role=u.role, organization_id=u.organization_id
        )

    @post(
        "/logout",
        operation_id="logout",
        summary="注销令牌 / Revoke this token",
        guards=[allow(*SIGNED_IN)],
        sync_to_thread=True,
        status_code=204,
    )
    def logout(self, request: Request[Any, Any, Any]) -> None:
        principal: Principal = request.user
        if principal.token:
            system_of(request).accounts.logout(principal.token)

    @get("/me", operation_id="whoAmI", summary="当前用户 / Who am I", guards=[allow(*SIGNED_IN)])
    async def me(self, request: Request[Any, Any, Any]) -> dto.MeOut:
        p: Principal = request.user
        return dto.MeOut(
            user_id=p.user_id,
            username=p.username,
            display_name=p.display_name,
            role=p.role.value,
            organization_id=p.organization_id,
        )


@get("/health", operation_id="health", summary="健康检查 / Readiness", tags=["system"])
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    system = runtime_of(request)

    def check() -> dict[str, Any]:
        ok = system.ping()
        return {
            "status": "ok" if ok else "unavailable",
            "database": system.backend,
            "register_position": system.register_view.position() if ok else None,
        }

    # Threads of its own: while the database is away, requests waiting on it can hold every worker
    # thread, and the health check must still answer (503) instead of queueing behind them.
    state = request.app.state
    if getattr(state, "health_threads", None) is None:
        state.health_threads = anyio.CapacityLimiter(2)
    body = await anyio.to_thread.run_sync(check, limiter=state.health_threads)
    ok = body["status"] == "ok"
    return Response(body, status_code=200 if ok else 503, headers=None if ok else {"Retry-After": "5"})
