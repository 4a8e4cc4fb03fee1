"""The API's JSON, one schema per direction: ``...Create`` / ``...Amend`` come in, ``...Out`` go out.

Shapes and limits (lengths, list sizes) are checked here, so that an oversized or malformed
request is a 422 before any service runs; the rules of the model stay in the domain, which
the services apply to what these schemas let through.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from reprieve.domain.errors import ValidationError as DomainValidationError
from reprieve.domain.model import AccountRef, PlatformKind, Role, SanctionKind, SanctionState, Status
from reprieve.domain.reason import CATEGORIES, EEA_COUNTRIES, AutomatedDecision, Ground, Source
from reprieve.domain.sanctions import STATEMENT_REFERENCE, UNSET
from reprieve.domain.text import check_text
from reprieve.domain.time import parse_duration, parse_instant
from reprieve.services.catalogue import CreateOperator, CreatePlatform, LinkIdentities, PutAccount
from reprieve.services.sanctions import (
    AmendSanction,
    ImposeSanction,
    LiftSanction,
)
from reprieve.services.tokens import CreateToken

# --- building blocks ---------------------------------------------------------------------

#: Operator, platform and capability ids (see ``reprieve.domain.model.ensure_slug``).
SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
#: An account is named by its platform's own id; in a URL path it cannot hold a ``/``.
ACCOUNT_PATTERN = r"^[^\s/\x00][^\s\x00]{0,199}$"
ACCOUNT_PATH_PATTERN = r"^[^\s/\x00][^\s/\x00]{0,199}$"
OPAQUE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
#: The longest instant, facts and category a request may carry (the fast paths admit the same).
INSTANT_MAX_LENGTH = 40
#: The longest ``country`` an item check may carry (one that is not a country code is refused in its row).
COUNTRY_MAX_LENGTH = 16
FACTS_MAX_LENGTH = 5000
CATEGORY_MAX_LENGTH = 80


def _text_rule(*, required: bool, multiline: bool) -> AfterValidator:
    """The domain's rule for a text (``reprieve.domain.text.check_text``) as a pydantic validator:
    no control characters (NUL, which PostgreSQL cannot store, among them), and if ``required``
    not blank once trimmed. The value passes through as given."""

    def check(value: str) -> str:
        try:
            check_text(value, field="text", required=required, multiline=multiline)
        except DomainValidationError as exc:
            raise ValueError(exc.message.removeprefix("text: ")) from None
        return value

    return AfterValidator(check)


def _valid_instant(value: str) -> str:
    try:
        parse_instant(value)
    except DomainValidationError as exc:
        raise ValueError(exc.message) from None
    except (OverflowError, ValueError):
        raise ValueError(f"{value!r} is out of the range of instants") from None
    return value


#: No control characters but tab and line breaks (a multi-line text); blank is allowed.
NoNul = _text_rule(required=False, multiline=True)
#: No control characters at all (a name, a code: one line).
OneLine = _text_rule(required=False, multiline=False)
#: Not blank once trimmed (spaces, line breaks, NBSP, BOM, zero-width characters): a required text.
NotBlank = _text_rule(required=True, multiline=True)

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, examples=["facebook"])]
AccountId = Annotated[str, Field(pattern=ACCOUNT_PATTERN, examples=["DonaldTrump"])]
#: The longest name (of a person, a token, a panel...).
NAME_MAX = 200
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), OneLine, NotBlank]
ShortText = Annotated[str, Field(max_length=200), OneLine]
GroundText = Annotated[str, Field(max_length=500), NoNul]
Explanation = Annotated[str, Field(min_length=1, max_length=2000), NoNul, NotBlank]
Facts = Annotated[str, Field(max_length=FACTS_MAX_LENGTH), NoNul]
#: The description of every decision's ``backdated_reason`` (PRODUCT.md section 8).
BACKDATED_REASON = (
    "why the decision takes effect more than 24 hours before it is recorded: required then (422 otherwise); "
    "ignored when it is not backdated"
)
Code = Annotated[str, Field(max_length=100), OneLine]
Instant = Annotated[
    str,
    Field(
        min_length=1,
        max_length=INSTANT_MAX_LENGTH,
        json_schema_extra={"format": "date-time"},
        examples=["2021-01-07T00:00:00Z"],
    ),
    NoNul,
    AfterValidator(_valid_instant),
]


def _valid_duration(value: str) -> str:
    """The domain's parser, so that a bad duration is explained ("... is not an ISO 8601
    duration such as P2Y, P30D or PT48H") rather than refused by a regular expression."""
    try:
        parse_duration(value, field="duration")
    except DomainValidationError as exc:
        raise ValueError(exc.message.removeprefix("duration: ")) from None
    return value


#: The pattern is documented (OpenAPI) but not what refuses a value: ``_valid_duration`` is.
Duration = Annotated[
    str,
    Field(
        examples=["P2Y", "P30D", "PT48H"],
        description="an ISO 8601 duration such as P2Y, P30D or PT48H",
        json_schema_extra={"pattern": r"^[Pp][0-9A-Za-z]{1,38}$"},
    ),
    AfterValidator(_valid_duration),
]
ContentDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2021-01-06"])]
Category = Annotated[
    str,
    Field(
        max_length=CATEGORY_MAX_LENGTH,
        json_schema_extra={"enum": sorted(CATEGORIES)},
        examples=["STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"],
    ),
]
Country = Annotated[str, Field(json_schema_extra={"enum": sorted(EEA_COUNTRIES)})]


class Schema(BaseModel):
    """Requests refuse unknown fields: a typo is an error, not a silently ignored wish."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


T = TypeVar("T")


class Page(Out, Generic[T]):
    """A page of a list; pass ``next_cursor`` as ``?cursor=`` for the next one (null: the last)."""

    items: list[T]
    next_cursor: str | None


class Problem(Out):
    """RFC 9457 problem details."""

    type: str = Field(examples=["https://reprieve.dev/problems/not-found"])
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = Field(
        default=None, description="for validation problems: each field at fault and why"
    )


# --- operators and platforms -------------------------------------------------------------


class OperatorCreate(Schema):
    id: Slug = Field(examples=["meta"])
    name: Name = Field(examples=["Meta Platforms"])

    def to_command(self) -> CreateOperator:
        return CreateOperator.parse(id=self.id, name=self.name)


class OperatorOut(Out):
    id: str
    name: str


class OperatorDetailOut(OperatorOut):
    platforms: list[str]


class PlatformCreate(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"id": "example-platform", "operator": "meta", "name": "Example", "kind": "social", "policy": "meta"}
            ]
        },
    )

    id: Slug
    operator: Slug
    name: Name
    kind: PlatformKind
    capabilities: Annotated[list[Slug], Field(min_length=1, max_length=64)] | None = None
    policy: Slug | dict[str, Any] | None = Field(
        default=None,
        description="the name of a shipped policy (meta, youtube, truth-social, parler) or a policy object",
    )

    def to_command(self) -> CreatePlatform:
        """The use case's command, its capabilities and policy checked (``CreatePlatform.parse``)."""
        return CreatePlatform.parse(
            id=self.id,
            operator=self.operator,
            name=self.name,
            kind=self.kind,
            capabilities=self.capabilities,
            policy=self.policy,
        )


class PlatformOut(Out):
    id: str
    operator: str
    name: str
    kind: PlatformKind
    capabilities: list[str]
    policy: dict[str, Any]


# --- accounts and identities -------------------------------------------------------------


class AccountPut(Schema):
    display_name: ShortText | None = Field(default=None, examples=["Donald J. Trump"])

    def to_command(self, ref: AccountRef) -> PutAccount:
        """The use case's command for the account named in the path."""
        return PutAccount.parse(ref, display_name=self.display_name)


class AccountOut(Out):
    platform: str
    account: str
    display_name: str | None
    identity: str
    operator: str


class AccountRefIn(Schema):
    platform: Slug
    account: AccountId


class AccountRefOut(Out):
    platform: str
    account: str


class IdentityCreate(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "operator": "meta",
                    "accounts": [
                        {"platform": "facebook", "account": "example-account"},
                        {"platform": "instagram", "account": "example-account"},
                    ],
                }
            ]
        },
    )

    operator: Slug
    accounts: Annotated[list[AccountRefIn], Field(min_length=1, max_length=1000)]

    def to_command(self) -> LinkIdentities:
        return LinkIdentities.parse(
            operator=self.operator, accounts=[AccountRef(a.platform, a.account) for a in self.accounts]
        )


class IdentityOut(Out):
    id: str
    operator: str
    accounts: list[AccountRefOut]


# --- tokens ------------------------------------------------------------------------------


class TokenCreate(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"operator": "meta", "role": "moderator", "name": "example-moderator"}]},
    )

    operator: Slug | None = Field(default=None, description="null only for an instance-admin token")
    role: Role
    name: Name
    expires_in: Duration | None = None
    expires_at: Instant | None = None

    def to_command(self) -> CreateToken:
        """The use case's command, parsed once (``CreateToken.parse``)."""
        return CreateToken.parse(
            name=self.name,
            role=self.role,
            operator=self.operator,
            expires_in=self.expires_in,
            expires_at=self.expires_at,
        )


class TokenOut(Out):
    id: str
    name: str
    role: Role
    operator: str | None
    created_at: str | None = None
    expires_at: str | None
    revoked_at: str | None = None


class TokenCreated(TokenOut):
    token: str | None = Field(
        description="the secret, shown this once: only its hash is kept (null when an "
        "Idempotency-Key retry replays the answer)"
    )


# --- sanctions ---------------------------------------------------------------------------


class ReasonIn(Schema):
    """What a DSA statement of reasons needs (docs/transparency.md)."""

    ground: Ground
    category: Category
    explanation: Explanation
    policy: GroundText | None = None
    legal_ground: GroundText | None = None
    contractual_ground: GroundText | None = None
    keywords: Annotated[list[Code], Field(max_length=20)] | None = None
    facts: Facts | None = None
    source: Source | None = None
    territorial_scope: Annotated[list[Country], Field(max_length=40)] | None = None
    content_type: Annotated[list[Code], Field(max_length=20)] | None = None
    content_date: ContentDate | None = None


class ReasonOut(Out):
    ground: Ground
    category: str
    explanation: str
    policy: str | None
    legal_ground: str | None
    contractual_ground: str | None
    keywords: list[str]
    facts: str
    source: Source
    territorial_scope: list[str]
    content_type: list[str]
    content_date: str | None


class AutomatedIn(Schema):
    detection: bool = False
    decision: AutomatedDecision = AutomatedDecision.NOT_AUTOMATED


class AutomatedOut(Out):
    detection: bool
    decision: AutomatedDecision


#: Safe to send as it is, to the demo too: a fictional account, starting now (no ``starts_at``),
#: with what a statement of reasons needs (tests/api/test_api_openapi_examples.py sends it).
_SANCTION_EXAMPLE: dict[str, Any] = {
    "subject": {"platform": "facebook", "account": "example-account"},
    "kind": "suspension",
    "duration": "P30D",
    "review_after": "P14D",
    "reason": {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "policy": "Fraud and deception",
        "explanation": "Sold counterfeit concert tickets through posts and messages",
        "facts": "Three posts offering tickets that the venue confirmed were counterfeit.",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "source": "voluntary",
    },
    "automated": {"detection": False, "decision": "not_automated"},
}


class OrderIn(Schema):
    """An authority's order (DSA art. 9) the decision gives effect to: no statement of reasons is
    issued (art. 17(5)), the art. 9(5) information is, instead. Not personal data: a public body."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "authority": "Arcom",
                    "member_state": "FR",
                    "reference": "2026/118-AB",
                    "received_at": "2026-12-01T09:00:00Z",
                }
            ]
        },
    )

    authority: str = Field(max_length=120, description="the public body's short name (never a person's)")
    member_state: str = Field(max_length=2, description="its state: an EU or EEA country code (FR, DE, NO...)")
    reference: str = Field(max_length=100, description="the order's reference, as its authority wrote it")
    received_at: Instant = Field(description="when the platform received it; never in the future")
    territorial_scope: Annotated[list[str], Field(max_length=31)] | None = Field(
        default=None, description="the member states the order is limited to; absent: not limited"
    )


class OrderOut(Out):
    authority: str
    member_state: str
    reference: str
    received_at: str
    territorial_scope: list[str] | None = None


class SanctionCreate(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SANCTION_EXAMPLE]})

    subject: AccountRefIn
    scope: Annotated[list[Slug], Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="platforms of the subject's operator; default: the subject's platform"
    )
    kind: SanctionKind
    denies: Annotated[list[Slug], Field(max_length=64)] | None = Field(
        default=None, description="capabilities a restriction denies"
    )
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    duration: Duration | None = None
    review_at: Instant | None = None
    review_after: Duration | None = None
    hold_until_review: bool = Field(
        default=False,
        description="keep it in force after ends_at until its review is decided; needs review_at or review_after",
    )
    reason: ReasonIn
    automated: AutomatedIn | None = None
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)
    order: OrderIn | None = Field(
        default=None,
        description="the authority's order it gives effect to (DSA art. 9): the art. 9(5) information is "
        "issued instead of a statement of reasons (art. 17(5))",
    )

    def to_command(self) -> ImposeSanction:
        """The use case's command, parsed once (``ImposeSanction.parse``)."""
        return ImposeSanction.parse(
            subject=AccountRef(self.subject.platform, self.subject.account),
            kind=self.kind,
            reason=self.reason.model_dump(exclude_none=True, mode="json"),
            scope=self.scope,
            denies=self.denies or (),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            duration=self.duration,
            review_at=self.review_at,
            review_after=self.review_after,
            automated=self.automated.model_dump(mode="json") if self.automated else None,
            hold_until_review=self.hold_until_review,
            backdated_reason=self.backdated_reason,
            order=self.order.model_dump(mode="json", exclude_none=True) if self.order else None,
        )


class ImportedStatementIn(Schema):
    """The statement of reasons the platform itself issued (recorded instead of issuing one)."""

    reference: str = Field(
        pattern=f"^{STATEMENT_REFERENCE.pattern}$",
        description="the platform's own reference of its statement (an id or a URL, no spaces)",
        examples=["tdb:example-statement-0001"],
    )
    issued_at: Instant


class ImportRow(SanctionCreate):
    """A sanction decided before Reprieve: the create body, with when its user was informed."""

    model_config = ConfigDict(extra="forbid")

    informed_at: Instant | None = Field(
        default=None,
        description="when the platform informed the user; never before starts_at nor in the future; "
        "required unless the import says `informed_at_start`",
    )
    statement: ImportedStatementIn | None = None


_IMPORT_EXAMPLE: dict[str, Any] = {
    "sanctions": [
        {
            **{k: v for k, v in _SANCTION_EXAMPLE.items() if k != "review_after"},
            "subject": {"platform": "facebook", "account": "example-imported-account"},
            "starts_at": "2023-03-01T09:00:00Z",
            "informed_at": "2023-03-01T09:05:00Z",
            "statement": {"reference": "tdb:example-statement-0001", "issued_at": "2023-03-01T09:00:00Z"},
        }
    ],
    "informed_at_start": False,
}


class SanctionAmend(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"ends_at": "2031-01-01T00:00:00Z", "reason": "Extended after a second offence"}]
        },
    )

    ends_at: Instant | None = Field(
        default=None, description="the new end; null makes the sanction indefinite; absent keeps it"
    )
    review_at: Instant | None = Field(default=None, description="null removes the review; absent keeps it")
    kind: SanctionKind | None = None
    denies: Annotated[list[Slug], Field(max_length=64)] | None = None
    hold_until_review: bool | None = Field(
        default=None, description="keep it in force after ends_at until its review is decided; absent keeps it"
    )
    reason: Explanation
    effective_at: Instant | None = Field(
        default=None, description="default: now; for a sanction that has not started yet, its start"
    )
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)

    def to_command(self) -> AmendSanction:
        """The use case's command, parsed once (``AmendSanction.parse``); a field not given is kept."""
        given = self.model_fields_set
        return AmendSanction.parse(
            reason=self.reason,
            ends_at=self.ends_at if "ends_at" in given else UNSET,
            review_at=self.review_at if "review_at" in given else UNSET,
            kind=self.kind,
            denies=self.denies,
            effective_at=self.effective_at,
            hold_until_review=self.hold_until_review,
            backdated_reason=self.backdated_reason,
        )


class SanctionLift(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Reinstated with new guardrails"}]}
    )

    reason: Explanation
    effective_at: Instant | None = None
    backdated_reason: Explanation | None = Field(default=None, description=BACKDATED_REASON)

    def to_command(self) -> LiftSanction:
        """The use case's command, parsed once (``LiftSanction.parse``)."""
        return LiftSanction.parse(
            reason=self.reason, effective_at=self.effective_at, backdated_reason=self.backdated_reason
        )


class ImportedStatementOut(Out):
    reference: str
    issued_at: str


class ImportedOut(Out):
    informed_at: str
    statement: ImportedStatementOut | None


class ChangeOut(Out):
    type: str
    seq: int
    effective_at: str | None
    kind: SanctionKind | None
    ends_at: str | None
    denies: list[str]
    review_at: str | None
    hold_until_review: bool = Field(
        default=False, description="the term is held in force after ends_at until its review"
    )
    backdated: bool = Field(
        default=False, description="it takes effect more than 24 hours before it was recorded (PRODUCT.md section 8)"
    )
    backdated_reason: str | None = Field(default=None, description="why it was backdated; null once erased")


class SanctionOut(Out):
    id: str
    operator: str
    identity: str
    subject: AccountRefOut
    scope: list[str]
    kind: SanctionKind
    denies: list[str]
    starts_at: str
    ends_at: str | None
    review_at: str | None
    lifted_at: str | None
    state: SanctionState = Field(description="at the instant `at`")
    at: str
    reason: ReasonOut
    automated: AutomatedOut
    history: list[ChangeOut]
    version: int = Field(
        description='the seq of the last event that changed it; send it back as `If-Match: "<version>"` '
        "to amend or lift only if nothing changed since (else 412)"
    )
    hold_until_review: bool = Field(description="the term is held in force after ends_at until its review is decided")
    pending_review: bool = Field(description="at `at`: held past its ends_at, its review not decided yet")
    imported: ImportedOut | None = Field(
        default=None, description="an imported sanction: when its user was informed, and the platform's statement"
    )
    order: OrderOut | None = Field(
        default=None, description="the authority's order it gives effect to (DSA art. 9), if any"
    )


class InformedOut(Out):
    """When the user was told of the sanction's latest decision (PRODUCT.md section 8)."""

    informed_at: str | None = Field(
        description="a delivery receipt of that decision's statement, or an import's informed_at; null: none recorded"
    )
    channel: str | None = Field(description="the receipt's channel")
    statement: str | None = Field(description="the statement issued for that decision, if one was")
    source: str = Field(description="what the window runs from: delivery, issue (no receipt), import or decision")
    window_from: str = Field(description="the instant the complaint window (DSA art. 20(2)) runs from")
    complaint_deadline: str | None = Field(description="the last instant a complaint is received; null once lifted")


class SanctionDetailOut(SanctionOut):
    informed: InformedOut = Field(description="when its user was informed, and the complaint window that opens")


class SanctionPage(Page[SanctionOut]):
    pass


# --- standing and checks -----------------------------------------------------------------


class StandingOut(Out):
    platform: str
    account: str
    identity: str | None
    at: str
    status: Status
    denies: list[str]
    until: str | None
    pending_review: bool = Field(
        description="in force past its term's end, held until its review is decided: `until` is then null"
    )
    sanctions: list[str]
    strikes: int
    probation: dict[str, Any] | None


MAX_CHECKS = 10_000


class CheckIn(Schema):
    platform: Slug
    account: AccountId
    capability: Slug


class ItemCheckIn(Schema):
    """An item row (PRODUCT.md section 9): may this item be viewed, interacted with, monetized, by a
    viewer in ``country`` (optional)? ``account``: the platform's statement of the item's author,
    used when no decision about the item is recorded (the recorded author wins)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"platform": "facebook", "item": "1234567890123456789", "capability": "view", "country": "FR"}]
        },
    )

    platform: Slug
    item: Annotated[str, Field(pattern=ACCOUNT_PATTERN, examples=["1234567890123456789"])]
    capability: Annotated[str, Field(pattern=SLUG_PATTERN, examples=["view"], description="view, interact or monetize")]
    country: Annotated[
        str | None,
        Field(
            max_length=COUNTRY_MAX_LENGTH,
            examples=["FR"],
            description="the viewer's country (ISO 3166-1 alpha-2); without it, a decision in some countries "
            "only restricts nothing and its countries are in `restricted_in`",
        ),
    ] = None
    account: AccountId | None = None


def _check_row_kind(value: Any) -> str:
    """An item row names its ``item``; an account row does not."""
    if isinstance(value, dict):
        return "item" if "item" in value else "account"
    return "item" if isinstance(value, ItemCheckIn) else "account"


CheckRow = Annotated[
    Annotated[CheckIn, Tag("account")] | Annotated[ItemCheckIn, Tag("item")], Discriminator(_check_row_kind)
]


class ChecksRequest(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "checks": [
                        {"platform": "facebook", "account": "DonaldTrump", "capability": "post"},
                        {"platform": "facebook", "item": "1234567890123456789", "capability": "view", "country": "FR"},
                    ]
                }
            ]
        },
    )

    at: Instant | None = None
    #: record time (PRODUCT.md section 8): as known then, from the events recorded by then
    as_of: Instant | None = None
    checks: Annotated[list[CheckRow], Field(max_length=MAX_CHECKS)]


class CheckResult(Out):
    platform: str
    account: str
    capability: str
    allowed: bool
    status: Status
    until: str | None
    sanction: str | None


class RowErrorOut(Out):
    type: str = Field(
        examples=["https://reprieve.dev/problems/not-found"],
        description="the problem type the same error would have as a whole request's",
    )
    detail: str = Field(examples=["no platform 'facebok'"])


class CheckRefused(Out):
    """A check that could not be answered (an unknown platform, a capability the platform lacks),
    in its place: the other checks of the batch are still decided."""

    platform: str
    account: str
    capability: str
    error: RowErrorOut


class ItemAuthorOut(Out):
    account: str
    status: Status = Field(description="the author's standing on the platform at the instant")


class ItemCheckResult(Out):
    """An item row's answer: ``decision`` is the worst decision in force for this viewer that
    denies the capability (null if allowed); ``author`` null when no author is recorded or stated."""

    platform: str
    item: str
    capability: str
    country: str | None
    allowed: bool
    status: str = Field(examples=["removed"], description="visible, or the status of the worst kind in force here")
    until: str | None
    decision: str | None
    restricted_in: list[str]
    author: ItemAuthorOut | None


class ItemCheckRefused(Out):
    """An item row that could not be answered (an unknown platform, a capability not asked of an
    item, a country that is not one), in its place."""

    platform: str
    item: str
    capability: str
    country: str | None
    error: RowErrorOut


class ChecksOut(Out):
    at: str
    results: list[CheckResult | CheckRefused | ItemCheckResult | ItemCheckRefused]


class VisibilityDecisionOut(Out):
    id: str
    kind: str = Field(examples=["disabling"])
    territorial_scope: list[str] = Field(description="the EEA countries it applies in; empty: everywhere")
    until: str | None = Field(description="when it stops being in force; null: never")


class VisibilityOut(Out):
    """An item at an instant, for a viewer in ``country`` (null: not said)."""

    platform: str
    item: str
    country: str | None
    visible: bool
    status: str = Field(examples=["disabled"])
    restricted: list[str] = Field(description="the capabilities denied to this viewer: view, interact, monetize")
    restricted_in: list[str] = Field(description="the countries of the decisions in force in some countries only")
    author: ItemAuthorOut | None
    decisions: list[VisibilityDecisionOut] = Field(description="in force for this viewer, worst first")
    until: str | None = Field(description="when nothing is denied any more; null: never, or nothing is")


# --- the audit log -----------------------------------------------------------------------


class EventOut(Out):
    seq: int
    type: str
    at: str
    effective_at: str
    actor: str = Field(description="who acted, by id: token:<id>, member:<id>, cli, cli:member:<id>, system:<what>")
    actor_name: str = Field(description="who acted, by name, resolved outside the log; the actor if no name")
    operator: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


class EventPage(Page[EventOut]):
    pass


class VerificationOut(Out):
    ok: bool
    events: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None
