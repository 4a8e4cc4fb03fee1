"""Schemas of decisions on content (PRODUCT.md section 9): one per direction.

Shapes and limits are checked here; what an item, a kind or a territorial scope may be is the
domain's (``DecideContent.parse``), which explains a refusal by the field at fault.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictBool

from reprieve.api.schemas import (
    ACCOUNT_PATTERN,
    BACKDATED_REASON,
    AccountId,
    AutomatedIn,
    AutomatedOut,
    Country,
    Duration,
    Explanation,
    ImportedOut,
    Instant,
    NoNul,
    OneLine,
    Out,
    Page,
    ReasonIn,
    ReasonOut,
    Schema,
    Slug,
)
from reprieve.domain.content import KEEP, KIND_OTHER_MAX, ContentKind, ContentState
from reprieve.domain.evidence import REFERENCE_MAX
from reprieve.domain.policy import Severity
from reprieve.services.content import AmendContent, DecideContent, RestoreContent

ItemId = Annotated[
    str,
    Field(pattern=ACCOUNT_PATTERN, description="the platform's own id of the item", examples=["1346913502285590530"]),
]
Code = Annotated[str, Field(max_length=60), OneLine]


class ItemIn(Schema):
    """The item as the platform describes it: an item keeps the author it was first recorded with."""

    platform: Slug
    item: ItemId
    account: AccountId = Field(description="its author's account on the platform")
    content_type: Annotated[list[Code], Field(min_length=1, max_length=20)] = Field(
        description="CONTENT_TYPE_... codes of the Transparency Database", examples=[["CONTENT_TYPE_TEXT"]]
    )
    content_date: Annotated[str, Field(max_length=40), OneLine] = Field(
        description="when it was posted: YYYY-MM-DD", examples=["2021-01-06"]
    )
    language: Annotated[str, Field(max_length=20), OneLine] | None = Field(
        default=None, description="ISO 639-1 code, if known", examples=["en"]
    )


class ItemOut(Out):
    platform: str
    item: str
    account: str
    content_type: list[str]
    content_date: str
    language: str | None


class EvidenceIn(Schema):
    """The platform's reference of its snapshot of the item and the snapshot's SHA-256: kept
    beside the log, never in it, and never the content itself."""

    reference: Annotated[str, Field(min_length=1, max_length=REFERENCE_MAX)] = Field(
        description="an id or a URL of the platform's snapshot, no spaces", examples=["snapshots/2026/example-0001"]
    )
    sha256: Annotated[str, Field(min_length=64, max_length=64)] = Field(
        description="64 lower-case hexadecimal digits",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )


class EvidenceOut(Out):
    reference: str | None = Field(description="null once forgotten")
    sha256: str | None = Field(description="null once forgotten")
    recorded_at: str
    forgotten_at: str | None


#: Safe to send as it is, to the demo too: a fictional item, deciding now (no ``starts_at``), with
#: what a statement of reasons needs (tests/api/test_api_openapi_examples.py sends it).
_DECIDE_EXAMPLE: dict[str, Any] = {
    "item": {
        "platform": "facebook",
        "item": "example-post-0001",
        "account": "example-author",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2026-11-30",
        "language": "de",
    },
    "kind": "disabling",
    "territorial_scope": ["DE"],
    "reason": {
        "ground": "illegal_content",
        "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "legal_ground": "StGB section 130 (incitement to hatred)",
        "explanation": "The post incites hatred against a group; it is illegal in Germany only",
        "source": "article_16",
    },
    "strike": False,
    "automated": {"detection": False, "decision": "not_automated"},
    "evidence": {
        "reference": "snapshots/2026/example-post-0001",
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
}


class ContentDecisionCreate(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_DECIDE_EXAMPLE]})

    item: ItemIn
    kind: ContentKind
    kind_other: Annotated[str, Field(max_length=KIND_OTHER_MAX), NoNul] | None = Field(
        default=None, description="for kind other (required then): what the decision does"
    )
    territorial_scope: Annotated[list[Country], Field(max_length=40)] | None = Field(
        default=None, description="the EEA countries it applies in; absent or empty: everywhere"
    )
    starts_at: Instant | None = Field(default=None, description="default: now")
    ends_at: Instant | None = Field(default=None, description="default: indefinite")
    duration: Duration | None = None
    reason: ReasonIn = Field(
        description="its content_type, content_date and territorial_scope are the item's and the decision's"
    )
    strike: StrictBool = Field(
        default=False,
        description="counts as a strike against the author on the item's platform, from starts_at: the "
        "platform's ladder imposes the account sanction (or, the policy's first warning, which is no strike)",
    )
    severity: Severity | None = Field(
        default=None, description="for a strike, the ladder's severity (default: moderate); only with strike"
    )
    automated: AutomatedIn | None = None
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)
    evidence: EvidenceIn | None = None

    def to_command(self) -> DecideContent:
        """The use case's command, parsed once (``DecideContent.parse``)."""
        return DecideContent.parse(
            item=self.item.model_dump(mode="json", exclude_none=True),
            kind=self.kind,
            reason=self.reason.model_dump(exclude_none=True, mode="json"),
            kind_other=self.kind_other,
            territorial_scope=self.territorial_scope,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            duration=self.duration,
            strike=self.strike,
            severity=self.severity,
            automated=self.automated.model_dump(mode="json") if self.automated else None,
            backdated_reason=self.backdated_reason,
            evidence=self.evidence.model_dump(mode="json") if self.evidence else None,
        )


class ContentDecisionAmend(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"territorial_scope": ["AT", "DE"], "reason": "A court found the same post illegal in Austria too"}
            ]
        },
    )

    kind: ContentKind | None = Field(default=None, description="absent keeps it")
    ends_at: Instant | None = Field(
        default=None, description="the new end; null makes the decision indefinite; absent keeps it"
    )
    territorial_scope: Annotated[list[Country], Field(max_length=40)] | None = Field(
        default=None, description="the new scope ([]: everywhere); absent keeps it"
    )
    reason: Explanation = Field(description="why the term changes")
    effective_at: Instant | None = Field(
        default=None, description="default: now; for a decision that has not started yet, its start"
    )
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)

    def to_command(self) -> AmendContent:
        given = self.model_fields_set
        return AmendContent.parse(
            reason=self.reason,
            kind=self.kind,
            ends_at=self.ends_at if "ends_at" in given else KEEP,
            territorial_scope=self.territorial_scope,
            effective_at=self.effective_at,
            backdated_reason=self.backdated_reason,
        )


class ContentDecisionRestore(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Restored: on a second look the post is satire"}]},
    )

    reason: Explanation
    effective_at: Instant | None = Field(
        default=None, description="default: now (a decision not started yet: its start, which cancels it)"
    )
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)

    def to_command(self) -> RestoreContent:
        return RestoreContent.parse(
            reason=self.reason, effective_at=self.effective_at, backdated_reason=self.backdated_reason
        )


class ContentChangeOut(Out):
    type: str = Field(description="decided, amended or restored")
    seq: int
    effective_at: str | None
    kind: ContentKind | None
    ends_at: str | None
    territorial_scope: list[str]
    backdated: bool = Field(description="it takes effect more than 24 hours before it was recorded")
    backdated_reason: str | None = Field(description="why it was backdated; null once erased")


class ContentStrikeOut(Out):
    violation: str = Field(description="the violation that is its strike (vio_...)")
    ladder: str = Field(description="standard, probation, or first_warning (the policy's first warning: no strike)")
    count: int = Field(description="strikes counting once it was added; 0: a first warning, no strike")
    starts_at: str = Field(description="when it starts counting: the decision's start")
    ends_at: str | None = Field(
        description="when it stops counting, as known now: its expiry, the decision's first restoration, "
        "or a lift of its ladder's sanction; null: never (or a first warning, which never counts)"
    )
    sanction: str | None = Field(description="the account sanction its ladder imposed (snc_...), if any")
    counts: bool = Field(description="whether it counts as a strike at `at`")


class ContentDecisionOut(Out):
    id: str
    operator: str
    item: ItemOut
    kind: ContentKind = Field(description="of the term in force at `at` (before it starts: the first)")
    kind_other: str | None
    territorial_scope: list[str] = Field(description="EEA countries it applies in at `at`; []: everywhere")
    restricts: list[str] = Field(description="what the kind denies, of view, interact and monetize")
    state: ContentState = Field(description="at the instant `at`")
    at: str
    starts_at: str
    ends_at: str | None
    restored_at: str | None
    reason: ReasonOut
    automated: AutomatedOut
    strike: bool = Field(description="it was decided to count as a strike against the author")
    strike_record: ContentStrikeOut | None = Field(
        default=None, description="what its strike became: its violation and the ladder's sanction; null: no strike"
    )
    version: int = Field(
        description='the seq of the last event that changed it; send it back as `If-Match: "<version>"` '
        "to amend or restore only if nothing changed since (else 412)"
    )
    backdated: bool = Field(description="its creation took effect more than 24 hours before it was recorded")
    changes: list[ContentChangeOut]
    evidence: EvidenceOut | None = Field(
        description="the platform's snapshot reference and digest, if given (never shown to a platform token)"
    )
    imported: ImportedOut | None = Field(
        default=None,
        description="imported history: when its user was informed, and the platform's own statement "
        "(recorded instead of issuing one)",
    )


class ContentDecisionPage(Page[ContentDecisionOut]):
    pass
