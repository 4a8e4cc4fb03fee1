"""The JSON of amnesties, one schema per direction (conventions of ``reprieve.api.schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from reprieve.api.content_schemas import ContentDecisionOut
from reprieve.api.schemas import (
    BACKDATED_REASON,
    Category,
    Explanation,
    Instant,
    NoNul,
    NotBlank,
    Out,
    SanctionOut,
    Schema,
    Slug,
)
from reprieve.domain.amnesty import MAX_LIST, AmnestyFilter, AmnestyState, Covers, parse_amnesty
from reprieve.domain.content import ContentKind
from reprieve.domain.model import SanctionKind, SanctionState

Policy = Annotated[str, Field(min_length=1, max_length=500), NoNul, NotBlank]


class AmnestyFilterIn(Schema):
    kinds: Annotated[list[SanctionKind], Field(max_length=4)] | None = Field(
        default=None, description="default: every kind", examples=[["suspension", "termination"]]
    )
    states: Annotated[list[SanctionState], Field(max_length=4)] | None = Field(
        default=None, description="only `active` (the default): a lift acts only on an active sanction"
    )
    started_before: Instant | None = None
    exclude_categories: Annotated[list[Category], Field(max_length=MAX_LIST)] | None = Field(
        default=None, examples=[["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"]]
    )
    exclude_policies: Annotated[list[Policy], Field(max_length=MAX_LIST)] | None = Field(
        default=None, description="values of `reason.policy`", examples=[["Illegal activity"]]
    )
    covers: Covers | None = Field(
        default=None,
        description="sanctions (the default: lifted), content (content decisions: their items restored) or both; "
        "platforms, started_before and the exclusions apply to both",
    )
    content_kinds: Annotated[list[ContentKind], Field(max_length=8)] | None = Field(
        default=None, description="content decisions' kinds (covers content or both); default: every kind"
    )


class AmnestyCreate(Schema):
    operator: Slug
    platforms: Annotated[list[Slug], Field(max_length=MAX_LIST)] | None = Field(
        default=None, description="default: every platform of the operator", examples=[["twitter"]]
    )
    filter: AmnestyFilterIn = Field(default_factory=AmnestyFilterIn)
    reason: Explanation = Field(examples=["General amnesty: suspended accounts are reinstated"])
    dry_run: bool = Field(default=False, description="only count, and show a sample of 20; changes nothing")
    effective_at: Instant | None = Field(default=None, description="when the lifts take effect; default: now")
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)

    def to_filter(self) -> tuple[AmnestyFilter, datetime | None]:
        """The amnesty's filter and effective instant, parsed once (``domain.amnesty.parse_amnesty``)."""
        f = self.filter
        return parse_amnesty(
            self.operator,
            platforms=self.platforms,
            kinds=[k.value for k in f.kinds] if f.kinds is not None else None,
            states=[s.value for s in f.states] if f.states is not None else None,
            started_before=f.started_before,
            exclude_categories=f.exclude_categories,
            exclude_policies=f.exclude_policies,
            covers=f.covers.value if f.covers is not None else None,
            content_kinds=[k.value for k in f.content_kinds] if f.content_kinds is not None else None,
            effective_at=self.effective_at,
        )


class AmnestyRevertCreate(Schema):
    reason: Explanation


class AmnestyPreviewOut(Out):
    matched: int = Field(description="sanctions and content decisions")
    sanctions_matched: int
    content_matched: int
    sample: list[SanctionOut]
    content_sample: list[ContentDecisionOut]


class AmnestyAccepted(Out):
    id: str
    state: AmnestyState
    matched: int
    processed: int


class AmnestyRevertOut(Out):
    reason: str
    by: str | None
    started_at: str
    finished_at: str | None
    processed: int
    restored: int
    left_alone: int | None = Field(description="lifted ones left alone (changed since); set at the end")
    rate: float | None
    eta_seconds: float | None


class AmnestyOut(Out):
    id: str
    operator: str
    state: AmnestyState
    filter: dict[str, object]
    reason: str
    effective_at: str
    matched: int = Field(description="sanctions and content decisions")
    sanctions_matched: int
    content_matched: int
    content_restored: int = Field(description="content decisions whose items it restored so far")
    processed: int
    lifted: int = Field(description="sanctions lifted")
    skipped: int
    rate: float | None = Field(description="targets processed per second")
    eta_seconds: float | None
    started_at: str
    finished_at: str | None
    created_by: str
    error: str | None
    revert: AmnestyRevertOut | None
    backdated: bool = Field(default=False, description="effective more than 24 hours before it was recorded")
    backdated_reason: str | None = Field(default=None, description="why it was backdated; null once erased")
