"""Webhooks: an operator's admins register endpoints, watch their deliveries, and redeliver."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from reprieve.api.deps import IDEMPOTENT, OpaqueId, OperatorAdmin, allow, shown_once
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN
from reprieve.api.webhook_schemas import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookPage,
)
from reprieve.domain.model import Role
from reprieve.http.deps import Now, Tenant
from reprieve.services import egress, webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

#: Admins manage endpoints; auditors may look at them and their deliveries.
WebhookReader = Annotated[Tenant, Depends(allow(Role.ADMIN, Role.AUDITOR))]
Cursor = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")]
Limit = Annotated[int, Query(ge=1, le=1000)]


def webhook_resolver(request: Request) -> egress.Resolver:
    """How a new endpoint's host name is resolved to check its addresses: the system's resolver,
    unless the app's state holds another (``app.state.webhook_resolver``, for tests)."""
    resolver: egress.Resolver = getattr(request.app.state, "webhook_resolver", egress.system_resolver)
    return resolver


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@router.post(
    "",
    status_code=201,
    response_model=WebhookCreated,
    dependencies=[*IDEMPOTENT, shown_once("secret")],
    responses=problem_responses(403, 413),
    summary="Register an endpoint; its secret is shown once",
)
def create_webhook(
    tenant: OperatorAdmin,
    body: WebhookCreate,
    now: Now,
    resolver: Annotated[egress.Resolver, Depends(webhook_resolver)],
) -> dict[str, Any]:
    created = webhooks.create_webhook(tenant.db, body.to_command(), caller=tenant.caller(now), resolver=resolver)
    return created.to_json()


@router.get("", response_model=WebhookPage, responses=problem_responses(403), summary="List endpoints")
def list_webhooks(
    tenant: WebhookReader,
    operator: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = webhooks.list_webhooks(
        tenant.db, operator=tenant.operator_filter(operator), caller=tenant.caller(), limit=limit, cursor=cursor
    )
    return page.to_json()


@router.get("/{webhook_id}", response_model=WebhookOut, responses=problem_responses(403))
def get_webhook(tenant: WebhookReader, webhook_id: OpaqueId) -> dict[str, Any]:
    return webhooks.get_webhook(tenant.db, webhook_id, caller=tenant.caller()).to_json()


@router.delete(
    "/{webhook_id}",
    status_code=204,
    responses=problem_responses(403),
    summary="Delete an endpoint and its deliveries",
)
def delete_webhook(tenant: OperatorAdmin, webhook_id: OpaqueId, now: Now) -> Response:
    webhooks.delete_webhook(tenant.db, webhook_id, caller=tenant.caller(now))
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/disable",
    response_model=WebhookOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 413),
    summary="Disable an endpoint: its deliveries wait, nothing new is queued",
)
def disable_webhook(tenant: OperatorAdmin, webhook_id: OpaqueId, now: Now) -> dict[str, Any]:
    return webhooks.set_webhook_state(tenant.db, webhook_id, active=False, caller=tenant.caller(now)).to_json()


@router.post(
    "/{webhook_id}/enable",
    response_model=WebhookOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 413),
    summary="Enable an endpoint again",
)
def enable_webhook(tenant: OperatorAdmin, webhook_id: OpaqueId, now: Now) -> dict[str, Any]:
    return webhooks.set_webhook_state(tenant.db, webhook_id, active=True, caller=tenant.caller(now)).to_json()


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=problem_responses(403),
    summary="Deliveries of an endpoint, newest first; ?state=dead for the dead letters",
)
def list_deliveries(
    tenant: WebhookReader,
    webhook_id: OpaqueId,
    state: DeliveryState | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return webhooks.list_deliveries(
        tenant.db,
        webhook_id,
        state=state.value if state else None,
        caller=tenant.caller(),
        limit=limit,
        cursor=cursor,
    ).to_json()


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 413),
    summary="Deliver again, with a fresh 24 hours of retries",
)
def redeliver(tenant: OperatorAdmin, delivery_id: OpaqueId, now: Now) -> dict[str, Any]:
    return webhooks.redeliver(tenant.db, delivery_id, caller=tenant.caller(now)).to_json()
