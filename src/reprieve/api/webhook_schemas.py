"""Schemas of the webhook routes, one per direction."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from reprieve.api.schemas import NoNul, Out, Page, Schema, Slug
from reprieve.domain.events import EventType
from reprieve.services.webhooks import CreateWebhook

EventTypeName = Annotated[
    str, Field(max_length=64, json_schema_extra={"enum": ["*", *sorted(t.value for t in EventType)]}), NoNul
]


class WebhookCreate(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "operator": "meta",
                    "url": "https://hooks.example.org/reprieve",
                    "event_types": ["sanction.imposed", "sanction.lifted", "sanction.ended"],
                }
            ]
        },
    )

    operator: Slug | None = Field(default=None, description="default: the token's operator")
    url: Annotated[str, Field(min_length=1, max_length=2000), NoNul]
    event_types: Annotated[list[EventTypeName], Field(min_length=1, max_length=100)] = Field(
        description='event types to deliver; ["*"] for every type'
    )
    secret: Annotated[str, Field(min_length=16, max_length=200), NoNul] | None = Field(
        default=None, description="the signing secret; default: one is generated and shown once"
    )
    description: Annotated[str, Field(max_length=500), NoNul] = ""

    def to_command(self) -> CreateWebhook:
        return CreateWebhook(self.operator, self.url, tuple(self.event_types), self.secret, self.description)


class DeliveryCounts(Out):
    pending: int
    delivered: int
    dead: int


class WebhookOut(Out):
    id: str
    operator: str
    url: str
    event_types: list[str]
    description: str
    state: str = Field(description="active or disabled")
    created_at: str
    deliveries: DeliveryCounts


class WebhookCreated(WebhookOut):
    secret: str | None = Field(
        description="the signing secret, shown this once (null when an Idempotency-Key retry replays the answer)"
    )


class WebhookPage(Page[WebhookOut]):
    pass


class DeliveryOut(Out):
    id: str
    webhook: str
    seq: int = Field(description="the event delivered")
    type: str
    subject: str = Field(description="ordering key: a later delivery for the same subject waits")
    state: str = Field(description="pending, delivered or dead")
    attempts: int
    created_at: str | None
    next_attempt_at: str | None
    last_attempt_at: str | None
    delivered_at: str | None
    last_error: str | None


class DeliveryPage(Page[DeliveryOut]):
    pass
