"""The JSON of due process, one schema per direction: reviews, assessments, appeals, disputes,
violations. Same building blocks and conventions as ``reprieve.api.schemas``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from reprieve.api.content_schemas import ItemId
from reprieve.api.schemas import (
    BACKDATED_REASON,
    AccountId,
    AccountRefOut,
    Category,
    ContentDate,
    Country,
    Duration,
    Explanation,
    Facts,
    Instant,
    Name,
    NoNul,
    NotBlank,
    OneLine,
    Out,
    Page,
    SanctionOut,
    Schema,
    Slug,
)
from reprieve.domain.appeals import AppealKind, AppealOutcome, AppealState, Channel, DisputeOutcome, Relation
from reprieve.domain.content import ContentKind
from reprieve.domain.model import SanctionKind
from reprieve.domain.policy import Severity
from reprieve.domain.reason import AutomatedDecision
from reprieve.domain.reviews import ReviewOutcome, ReviewState, Risk
from reprieve.domain.sanctions import UNSET
from reprieve.services.appeals import DecideAppeal, FileAppeal, RecordDispute
from reprieve.services.due_process import ProbationRequest
from reprieve.services.reviews import DecideReview, FileAssessment
from reprieve.services.violations import VIOLATION_CONTENT_TYPES, VIOLATION_KEYWORDS, RecordViolation

LongText = Annotated[str, Field(min_length=1, max_length=10_000), NoNul, NotBlank]
Statement = Annotated[str, Field(min_length=1, max_length=20_000), NoNul, NotBlank]
Tag = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["ongoing_violence"])]
Member = Annotated[str, Field(min_length=1, max_length=200), OneLine, NotBlank]
#: Limits of a violation's fields, which the fast path (``api.fast.violations``) admits alike.
EXTERNAL_ID_MAX_LENGTH = 200
POLICY_MAX_LENGTH = 500
#: The code lists of a violation: (field, most items, longest item).
VIOLATION_CODE_LISTS = (("content_type", 20, 40), ("keywords", 20, 80), ("territorial_scope", 40, 2))
_CODE_LIMITS = {field: (most, longest) for field, most, longest in VIOLATION_CODE_LISTS}
ExternalId = Annotated[
    str, Field(min_length=1, max_length=EXTERNAL_ID_MAX_LENGTH, pattern=r"^\S(.*\S)?$"), OneLine, NotBlank
]
ViolationContentType = Annotated[
    str,
    Field(max_length=_CODE_LIMITS["content_type"][1], json_schema_extra={"enum": sorted(VIOLATION_CONTENT_TYPES)}),
    NoNul,
]
ViolationKeyword = Annotated[
    str, Field(max_length=_CODE_LIMITS["keywords"][1], json_schema_extra={"enum": sorted(VIOLATION_KEYWORDS)}), NoNul
]

# --- reviews -----------------------------------------------------------------------------


class ReviewCreate(Schema):
    panel: Annotated[list[Member], Field(min_length=1, max_length=25)] = Field(
        description="reviewers, by token name or member id", examples=[["expert-1", "expert-2", "expert-3"]]
    )
    reason: Explanation = Field(examples=["Two years on: do the risks to public safety remain?"])


class ReviewOpen(ReviewCreate):
    """``POST /v1/reviews``: a review of a sanction or of a content decision, exactly one named."""

    sanction: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None, description="the sanction to review (or content_decision)"
    )
    content_decision: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None, description="the content decision to review (or sanction)"
    )


class AssessmentCreate(Schema):
    risk: Risk
    factors: Annotated[list[Tag], Field(max_length=20)] = Field(
        default_factory=list, examples=[["election_period", "restrictions_on_assembly"]]
    )
    rationale: LongText

    def to_command(self) -> FileAssessment:
        """The use case's command, parsed once (``FileAssessment.parse``)."""
        return FileAssessment.parse(risk=self.risk, factors=self.factors, rationale=self.rationale)


class ProbationIn(Schema):
    duration: Duration | None = Field(default=None, description="default: the platform policy's probation.duration")
    ladder: dict[str, Any] | None = Field(
        default=None, description="{by_strikes?, by_severity?}; default: the platform policy's probation ladder"
    )

    def to_request(self) -> ProbationRequest:
        return ProbationRequest.parse(self.model_dump(exclude_none=True))


class ReviewDecisionCreate(Schema):
    outcome: ReviewOutcome
    ends_at: Instant | None = Field(default=None, description="extend and reduce: the new end")
    next_review_at: Instant | None = None
    probation: ProbationIn | None = Field(default=None, description="only when the outcome is lift")
    rationale: LongText
    effective_at: Instant | None = None
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)

    def to_command(self) -> DecideReview:
        """The use case's command, parsed once (``DecideReview.parse``); an absent end keeps it."""
        given = self.model_fields_set
        return DecideReview.parse(
            outcome=self.outcome,
            rationale=self.rationale,
            ends_at=self.ends_at if "ends_at" in given else UNSET,
            next_review_at=self.next_review_at if "next_review_at" in given else UNSET,
            probation=self.probation.to_request() if self.probation is not None else None,
            effective_at=self.effective_at,
            backdated_reason=self.backdated_reason,
        )


class AssessmentOut(Out):
    reviewer: str
    risk: Risk
    factors: list[str]
    rationale: str
    filed_at: str | None


class ProbationOut(Out):
    id: str
    starts_at: str
    until: str
    scope: list[str]
    ladder: dict[str, Any]
    sanction: str | None
    source: str


class ReviewDecisionOut(Out):
    rationale: str | None
    decided_by: str | None
    ends_at: str | None
    next_review_at: str | None
    probation: ProbationOut | None
    backdated: bool = Field(default=False, description="it took effect more than 24 hours before it was recorded")
    backdated_reason: str | None = Field(default=None, description="why it was backdated; null once erased")


class TimelineEntry(Out):
    at: str | None
    event: str
    by: str | None
    detail: str


class ReviewOut(Out):
    id: str | None = Field(description="null for a review that is due but not open yet")
    operator: str
    sanction: str | None = Field(description="the sanction reviewed; null: a review of a content decision")
    content_decision: str | None = Field(
        default=None, description="the content decision reviewed; null: a review of a sanction"
    )
    item: str | None = Field(default=None, description="the item of the content decision reviewed")
    subject: AccountRefOut
    state: ReviewState
    panel: list[str]
    quorum: int | None
    reason: str | None
    due_at: str | None
    opened_at: str | None
    opened_by: str | None
    assessments: list[AssessmentOut]
    risk: dict[str, int] = Field(description="how many reviewers assessed each level of risk")
    appeals: list[str] = Field(description="appeals attached for the panel to see")
    outcome: ReviewOutcome | None
    decided_at: str | None
    decision: ReviewDecisionOut | None
    timeline: list[TimelineEntry]


class ReviewPage(Page[ReviewOut]):
    pass


# --- appeals -----------------------------------------------------------------------------


class FiledBy(Schema):
    name: Name = Field(description="kept private: never in the event log, exports, webhooks or logs")
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")] | None = Field(
        default=None, description="kept private"
    )
    relation: Relation = Relation.SUBJECT


class AppealCreate(Schema):
    model_config = Schema.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "sanction": "snc_01EXAMPLE0000000000000000",
                    "kind": "reinstatement",
                    "filed_by": {"name": "Example Counsel", "relation": "representative"},
                    "statement": "We ask for the account back and a meeting to discuss its prompt reinstatement.",
                    "meeting_requested": True,
                    "channel": "api",
                },
                {
                    "content_decision": "cd_01EXAMPLE0000000000000000",
                    "kind": "complaint",
                    "filed_by": {"name": "Example Author", "relation": "subject"},
                    "statement": "The video quotes the song under the right of quotation: please put it back.",
                    "channel": "api",
                },
            ]
        },
    }

    sanction: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        default=None, description="the sanction appealed against; exactly one of sanction and content_decision"
    )
    content_decision: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        default=None,
        description="a complaint about this content decision (cd_...), in place of sanction: kind complaint "
        "only; granted, it restores the item, removes its strike and lifts the sanction that strike caused",
    )
    notice: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        default=None,
        description="a notifier's complaint about the decision on this notice (ntc_..., DSA art. 20(1)), no action "
        "included, in place of sanction: kind complaint, filed_by.relation notifier, within six months of the "
        "decision; granted, it reopens the notice's case for a new decision",
    )
    kind: AppealKind
    filed_by: FiledBy
    statement: Statement
    meeting_requested: bool = False
    channel: Channel
    received_at: Instant | None = Field(
        default=None,
        description="default now; never before the sanction was decided nor in the future. Only a `letter` or "
        "an `email` may be dated before it is recorded (its arrival, which then counts for the complaint "
        "window); any other channel at most 5 minutes before (clock skew), and is judged when recorded",
    )

    def to_command(self) -> FileAppeal:
        """The use case's command, parsed once (``FileAppeal.parse``)."""
        return FileAppeal.parse(
            sanction_id=self.sanction,
            content_decision_id=self.content_decision,
            notice_id=self.notice,
            kind=self.kind,
            filed_by=self.filed_by.model_dump(mode="json"),
            statement=self.statement,
            channel=self.channel,
            meeting_requested=self.meeting_requested,
            received_at=self.received_at,
        )


class AppealDecisionCreate(Schema):
    outcome: AppealOutcome
    rationale: LongText
    reply: Statement = Field(description="the answer sent to the requester")
    effective_at: Instant | None = None
    ends_at: Instant | None = Field(default=None, description="partially_granted: the sanction's new end")
    kind: SanctionKind | None = Field(default=None, description="partially_granted: the sanction's new kind")
    denies: Annotated[list[Slug], Field(max_length=64)] | None = Field(
        default=None, description="partially_granted: what a restriction denies"
    )
    probation: ProbationIn | None = Field(default=None, description="only when granted")
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)

    def to_command(self) -> DecideAppeal:
        """The use case's command, parsed once (``DecideAppeal.parse``); an absent end keeps it."""
        return DecideAppeal.parse(
            outcome=self.outcome,
            rationale=self.rationale,
            reply=self.reply,
            effective_at=self.effective_at,
            ends_at=self.ends_at if "ends_at" in self.model_fields_set else UNSET,
            kind=self.kind,
            denies=self.denies,
            probation=self.probation.to_request() if self.probation is not None else None,
            backdated_reason=self.backdated_reason,
        )


class AppealAttach(Schema):
    review: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class DisputeCreate(Schema):
    body: Annotated[str, Field(min_length=1, max_length=300), NoNul, NotBlank] = Field(
        description="the certified out-of-court dispute settlement body (DSA art. 21)"
    )
    submitted_at: Instant
    outcome: DisputeOutcome = DisputeOutcome.PENDING
    decided_at: Instant | None = None
    summary: Annotated[str, Field(max_length=10_000), NoNul] = ""
    dispute: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        default=None, description="update this dispute instead of recording a new one"
    )

    def to_command(self) -> RecordDispute:
        """The use case's command, parsed once (``RecordDispute.parse``)."""
        return RecordDispute.parse(
            body=self.body,
            submitted_at=self.submitted_at,
            outcome=self.outcome,
            decided_at=self.decided_at,
            summary=self.summary,
            dispute_id=self.dispute,
        )


class FiledByOut(Out):
    relation: Relation
    name: str | None = Field(description="shown to the operator's moderators and admins only")
    email: str | None = Field(description="shown to the operator's moderators and admins only")


class AppealDecisionOut(Out):
    outcome: AppealState
    rationale: str | None
    reply: str | None = Field(description="the answer sent to the requester; null once erased (personal data)")
    decided_at: str | None
    decided_by: str | None
    handling_seconds: int | None


class DisputeOut(Out):
    id: str
    body: str | None = Field(description="the settlement body; null once erased (personal data)")
    submitted_at: str | None
    decided_at: str | None
    outcome: DisputeOutcome
    summary: str | None = Field(description="null once erased (personal data)")


class AppealOut(Out):
    id: str
    operator: str
    sanction: str | None = Field(description="the sanction appealed against; null: a complaint about content")
    content_decision: str | None = Field(
        default=None, description="the content decision complained about; null: an appeal against a sanction"
    )
    notice: str | None = Field(default=None, description="a notifier's complaint about the decision on this notice")
    kind: AppealKind
    state: AppealState
    filed_by: FiledByOut
    channel: Channel
    meeting_requested: bool
    statement: str | None = Field(description="the requester's text; null once erased (personal data)")
    received_at: str | None
    deadline_at: str | None = Field(description="a complaint's window closes then")
    review: str | None
    decision: AppealDecisionOut | None
    disputes: list[DisputeOut]


class AppealPage(Page[AppealOut]):
    pass


# --- violations --------------------------------------------------------------------------


class ViolationAutomatedIn(Schema):
    detection: bool = False
    decision: AutomatedDecision = AutomatedDecision.NOT_AUTOMATED


class ViolationItemIn(Schema):
    """The item a violation is about; its platform and author are the violation's."""

    item: ItemId
    content_type: Annotated[list[ViolationContentType], Field(min_length=1, max_length=20)] = Field(
        description="CONTENT_TYPE_... codes of the Transparency Database", examples=[["CONTENT_TYPE_VIDEO"]]
    )
    content_date: ContentDate = Field(description="when it was posted: YYYY-MM-DD")
    language: Annotated[str, Field(max_length=20), OneLine] | None = Field(default=None, description="ISO 639-1 code")


class ViolationCreate(Schema):
    model_config = Schema.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "fb-violation-example-1",
                    "platform": "facebook",
                    "account": "example-account",
                    "policy": "Spam",
                    "severity": "low",
                    "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
                    "facts": "The same link posted 40 times in an hour.",
                    "content_type": ["CONTENT_TYPE_TEXT"],
                }
            ]
        },
    }

    id: ExternalId = Field(description="the platform's own violation id: a repeat is answered, not recorded twice")
    platform: Slug
    account: AccountId
    policy: Annotated[str, Field(min_length=1, max_length=POLICY_MAX_LENGTH), NoNul, NotBlank] = Field(
        description="the platform's rule that was broken"
    )
    severity: Severity
    category: Category
    facts: Facts = ""
    occurred_at: Instant | None = Field(default=None, description="default now; the strike counts from then")
    automated: ViolationAutomatedIn | None = Field(default=None, description="default: as the platform policy says")
    content_type: Annotated[list[ViolationContentType], Field(max_length=_CODE_LIMITS["content_type"][0])] | None = (
        Field(
            default=None,
            description="the kinds of content at fault, for the statement of reasons; without them the "
            "Transparency Database export refuses the statement of the sanction imposed",
        )
    )
    content_date: ContentDate | None = Field(
        default=None, description="the date the content was posted (UTC); default: the date of occurred_at"
    )
    keywords: Annotated[list[ViolationKeyword], Field(max_length=_CODE_LIMITS["keywords"][0])] | None = Field(
        default=None, description="the category's v2 KEYWORD_... codes (the statement's category_specification)"
    )
    territorial_scope: Annotated[list[Country], Field(max_length=_CODE_LIMITS["territorial_scope"][0])] | None = Field(
        default=None, description="EEA countries where the sanction applies; default: all of the EEA"
    )
    item: ViolationItemIn | None = Field(
        default=None,
        description="the item at fault, by the account: the violation becomes a content decision on it, "
        "counting as a strike (one strike); its content_type and content_date are the item's",
    )
    kind: ContentKind | None = Field(
        default=None, description="the content decision's kind, with item; default removal"
    )

    def to_command(self) -> RecordViolation:
        """The use case's command, parsed once (``RecordViolation.parse``)."""
        return RecordViolation.parse(
            id=self.id,
            platform=self.platform,
            account=self.account,
            policy=self.policy,
            severity=self.severity,
            category=self.category,
            facts=self.facts,
            occurred_at=self.occurred_at,
            automated=self.automated.model_dump(mode="json") if self.automated else None,
            content_type=self.content_type,
            content_date=self.content_date,
            keywords=self.keywords,
            territorial_scope=self.territorial_scope,
            item=self.item.model_dump(mode="json", exclude_none=True) if self.item is not None else None,
            kind=self.kind,
        )


class StepOut(Out):
    kind: SanctionKind
    duration: str | None
    denies: list[str]


class StrikeOut(Out):
    count: int = Field(description="strikes that count once this one is added; 0: a first warning, no strike")
    ladder: str = Field(
        description="standard, probation, or first_warning (the policy's first warning, which is not a strike)"
    )
    expires_at: str | None = Field(
        description="when the strike stops counting (null: never); a first warning's: its occurred_at (never counts)"
    )
    step: StepOut | None = Field(description="the ladder's step; null: nothing imposed")


class ViolationOut(Out):
    id: str
    violation: str = Field(description="the platform's own violation id")
    platform: str
    account: str
    identity: str
    severity: Severity
    occurred_at: str
    strike: StrikeOut
    probation: str | None = Field(description="the probation whose ladder applied, if any")
    sanction: SanctionOut | None
    content_decision: str | None = Field(
        default=None, description="the content decision whose strike this is (a report naming an item); null: none"
    )
