"""Request and answer schemas of notices and cases (DSA art. 16; PRODUCT.md section 10)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import Field, StrictBool
from pydantic import ValidationError as PydanticValidationError

from reprieve.api.content_schemas import ContentDecisionCreate, ItemId
from reprieve.api.schemas import (
    AccountId,
    Category,
    Country,
    Instant,
    Name,
    NoNul,
    NotBlank,
    Out,
    Page,
    SanctionCreate,
    Schema,
    Slug,
)
from reprieve.domain.appeals import Channel
from reprieve.domain.errors import ValidationError
from reprieve.domain.notices import (
    AUTHORITY_MAX,
    DISCLOSURE_REASON_MAX,
    EXPLANATION_MAX,
    LEGAL_GROUND_MAX,
    LOCATION_MAX,
    RATIONALE_MAX,
    REPLY_MAX,
    CaseState,
    Language,
    NoticeAction,
    NoticeState,
    NotifierKind,
)
from reprieve.services.content import DecideContent
from reprieve.services.notices import DecideCase, ReceiveNotice
from reprieve.services.sanctions import ImposeSanction

Explanation = Annotated[str, Field(min_length=1, max_length=EXPLANATION_MAX), NoNul, NotBlank]
LegalGround = Annotated[str, Field(min_length=1, max_length=LEGAL_GROUND_MAX), NoNul, NotBlank]
Location = Annotated[
    str,
    Field(
        min_length=1, max_length=LOCATION_MAX, description="an http or https URL", examples=["https://x.example/p/1"]
    ),
]


class AboutIn(Schema):
    """Exactly one of ``item`` and ``account``: the platform's own id."""

    item: ItemId | None = None
    account: AccountId | None = None


class NotifierIn(Schema):
    kind: NotifierKind
    name: Name | None = Field(
        default=None,
        description="kept private; required but for the offences of DSA art. 16(2)(c) "
        "(illegal content in STATEMENT_CATEGORY_PROTECTION_OF_MINORS)",
    )
    email: Annotated[str, Field(max_length=320)] | None = Field(default=None, description="kept private; as name")


class NoticeCreate(Schema):
    model_config = Schema.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "platform": "facebook",
                    "about": {"item": "1346913502285590530"},
                    "location": "https://facebook.example/posts/1346913502285590530",
                    "explanation": "The post calls for violence against named people.",
                    "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                    "illegal": True,
                    "legal_ground": "§ 111 StGB (public incitement to crime)",
                    "notifier": {"kind": "individual", "name": "Example Person", "email": "person@example.org"},
                    "bona_fide": True,
                    "channel": "api",
                }
            ]
        },
    }

    platform: Slug
    about: AboutIn
    location: Location
    explanation: Explanation = Field(description="kept private (personal data): never in events or webhooks")
    category: Category = Field(description="STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE when none fits")
    illegal: bool = Field(description="true: illegal content (give legal_ground); false: a breach of the terms")
    legal_ground: LegalGround | None = None
    notifier: NotifierIn
    bona_fide: bool = Field(description="must be true: the notifier's statement of good faith (art. 16(2)(d))")
    channel: Channel
    received_at: Instant | None = Field(
        default=None, description="default now; only a letter or an e-mail may be dated before it is recorded"
    )
    language: Language = Field(default=Language.EN, description="the receipt's language")

    def to_command(self) -> ReceiveNotice:
        """The use case's command, parsed once (``ReceiveNotice.parse``)."""
        return ReceiveNotice.parse(
            platform=self.platform,
            about=self.about.model_dump(exclude_none=True),
            location=self.location,
            explanation=self.explanation,
            category=self.category,
            illegal=self.illegal,
            legal_ground=self.legal_ground,
            notifier=self.notifier.model_dump(mode="json", exclude_none=True),
            bona_fide=self.bona_fide,
            channel=self.channel,
            received_at=self.received_at,
            language=self.language,
        )


class ReceiptOut(Out):
    id: str
    language: Language
    text: str = Field(description="the receipt (DSA art. 16(4)): the notice's reference and when it was received")
    status_code: str = Field(description="with the notice's id, looks its state up on the public form /notice/status")


class NoticeReceivedOut(Out):
    id: str
    case: str
    state: NoticeState
    operator: str
    platform: str
    about: dict[str, str]
    category: str
    illegal: bool
    channel: Channel
    received_at: str
    receipt: ReceiptOut


class ReplyOut(Out):
    action: NoticeAction
    content_decision: str | None
    sanction: str | None
    automated: bool = Field(description="whether automated means were used")
    decided_at: str
    complaint_until: str = Field(description="the notifier may complain until then (art. 20(1): six months)")
    text: str | None = Field(description="the moderator's words about this notifier's allegation; null once erased")
    texts: dict[str, str] = Field(
        description="the whole reply (decision, automation, redress: arts. 20, 21, courts), in en and fr"
    )


class CaseDecisionOut(Out):
    action: NoticeAction
    content_decision: str | None
    sanction: str | None
    automated: bool
    referral: dict[str, str] | None = Field(description="{authority, member_state} (art. 18)")
    rationale: str | None = Field(default=None, description="null once erased; not in a decision's answer")
    decided_at: str


class NotifierOut(Out):
    kind: NotifierKind
    name: str | None = Field(description="shown to the operator's moderators and admins, in a read of one")
    email: str | None = Field(description="as name; the reading is recorded in the access log")


class NoticeOut(Out):
    id: str
    operator: str
    platform: str
    case: str
    state: NoticeState
    about: dict[str, str]
    category: str
    illegal: bool
    legal_ground: str | None
    location: str | None = Field(description="null once erased")
    explanation: str | None = Field(description="null once erased")
    notifier: NotifierOut
    channel: Channel
    source: str
    received_at: str
    receipt: ReceiptOut
    decided_at: str | None = None
    reply: ReplyOut | None = Field(default=None, description="the reply recorded for the notifier, once decided")
    disclosed: bool | None = Field(
        default=None, description="whether the notifier's identity is disclosed to the affected user (art. 17(3)(b))"
    )
    disclosure_reason: str | None = None


class NoticePage(Page[NoticeOut]):
    pass


class CaseOut(Out):
    id: str
    operator: str
    platform: str
    about: dict[str, str]
    state: CaseState
    opened_at: str
    count: int
    notices: list[NoticeOut]
    decision: CaseDecisionOut | None = None


# --- deciding a case ---------------------------------------------------------------------------

Rationale = Annotated[str, Field(min_length=1, max_length=RATIONALE_MAX), NoNul, NotBlank]
Reply = Annotated[str, Field(min_length=1, max_length=REPLY_MAX), NoNul, NotBlank]
DisclosureReason = Annotated[str, Field(min_length=1, max_length=DISCLOSURE_REASON_MAX), NoNul, NotBlank]
NoticeId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
OpaqueIdStr = NoticeId


class ReferralIn(Schema):
    authority: Annotated[str, Field(min_length=1, max_length=AUTHORITY_MAX)]
    member_state: Country


class NoticeDecisionCreate(Schema):
    model_config = Schema.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "action": "no_action",
                    "rationale": "The post quotes a song; it threatens nobody.",
                    "reply": "We read the post you notified: it quotes a song's lyrics and threatens nobody.",
                    "automated": False,
                }
            ]
        },
    }

    action: NoticeAction
    decision: OpaqueIdStr | dict[str, Any] | None = Field(
        default=None,
        description="for content_decision or sanction: the decision to make (the body POST /v1/content-decisions "
        "or POST /v1/sanctions takes), or the id of one made on a notice (reason.source article_16)",
    )
    rationale: Rationale = Field(description="kept beside the log (personal data)")
    reply: Reply = Field(description="the default reply to every notifier of the case (kept beside the log)")
    replies: Annotated[dict[NoticeId, Reply], Field(max_length=1000)] | None = Field(
        default=None, description="a notifier's own reply, by notice id, relative to their allegation"
    )
    automated: StrictBool = Field(description="whether automated means were used in deciding")
    referral: ReferralIn | None = Field(
        default=None, description="a suspected offence threatening life or safety referred to an authority (art. 18)"
    )
    disclosures: Annotated[dict[NoticeId, DisclosureReason], Field(max_length=1000)] | None = Field(
        default=None,
        description="the notices whose notifier's identity the affected user is told (art. 17(3)(b): only where "
        "strictly necessary), each with its reason",
    )

    def to_command(self, notice: str) -> DecideCase:
        """The use case's command, parsed once (``DecideCase.parse``), the decision made in the call
        parsed as its own route would (its errors name ``decision.<field>``)."""
        return DecideCase.parse(
            notice=notice,
            action=self.action,
            rationale=self.rationale,
            reply=self.reply,
            automated=self.automated,
            decision=self._decision(),
            replies=self.replies,
            referral=self.referral.model_dump(mode="json") if self.referral else None,
            disclosures=self.disclosures,
        )

    def _decision(self) -> str | DecideContent | ImposeSanction | None:
        given = self.decision
        if not isinstance(given, dict):
            return given
        if self.action is NoticeAction.NO_ACTION:
            raise ValidationError("is not given when no action is taken", field="decision")
        schema: type[ContentDecisionCreate] | type[SanctionCreate] = (
            ContentDecisionCreate if self.action is NoticeAction.CONTENT_DECISION else SanctionCreate
        )
        try:
            return schema.model_validate(given).to_command()
        except PydanticValidationError as exc:
            errors = [{**e, "loc": ("body", "decision", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors) from None
        except ValidationError as exc:
            inner = exc.field
            message = exc.message.removeprefix(f"{inner}: ") if inner else exc.message
            raise ValidationError(message, field=f"decision.{inner}" if inner else "decision") from None


class DecidedNoticeOut(Out):
    id: str
    state: NoticeState
    decided_at: str | None
    disclosed: bool | None
    complaint_until: str | None = Field(description="the notifier may complain until then (art. 20(1))")


class CaseDecidedOut(Out):
    """The answer to a decision: ids, codes and flags (it is kept for retries); the rationale, the
    replies and what the notifiers wrote are read with ``GET /v1/cases/{id}``."""

    id: str
    operator: str
    platform: str
    about: dict[str, str]
    state: CaseState
    opened_at: str
    count: int
    decision: CaseDecisionOut | None
    notices: list[DecidedNoticeOut]
