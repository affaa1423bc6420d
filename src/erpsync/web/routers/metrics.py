"""``/metrics``: the Prometheus text exposition, for an admin or the configured token."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from erpsync.domain.users import User
from erpsync.errors import ErpSyncError, ForbiddenError
from erpsync.web.auth_gate import bearer_token
from erpsync.web.deps import ServicesDep
from erpsync.web.openapi import errors

router = APIRouter(tags=["operators"])


def _may_read(request: Request, expected: str | None) -> bool:
    user: User | None = getattr(request.state, "user", None)
    if user is not None and user.is_admin:
        return True
    token = bearer_token(request.headers)
    if expected and token and hmac.compare_digest(token.encode(), expected.encode()):
        return True
    if user is not None:
        raise ForbiddenError("only an admin or the metrics token may read the metrics")
    return False


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "the metrics"},
        **errors(403),
    },
)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """Runs, records, the queue, the order forms, the ERP's answers and the role, for
    Prometheus (an admin's sign-in, or ``Authorization: Bearer`` the configured token)."""
    settings = services.settings
    expected = None if settings.metrics_token is None else settings.metrics_token.get_secret_value()
    if not _may_read(request, expected):
        return Response(
            '{"error": "sign-in required"}',
            status_code=401,
            media_type="application/json",
            headers={"WWW-Authenticate": 'Bearer realm="erpsync"'},
        )
    node = services.node
    role = node.role(services.clock.now())
    try:
        snapshot = await node.control.snapshot()
    except ErpSyncError:
        snapshot = None  # no orchestrator has published yet: counters only
    body = services.metrics.render(
        snapshot, holds_role=role.holds_role, epoch=role.epoch, state_age_s=role.state_age_s
    )
    return Response(body, media_type=CONTENT_TYPE_LATEST)
