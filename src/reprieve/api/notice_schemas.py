"""Request and answer schemas of notices and cases (DSA art. 16; PRODUCT.md section 10)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from reprieve.api.content_schemas import ItemId
from reprieve.api.schemas import AccountId, Category, Instant, Name, NoNul, NotBlank, Out, Page, Schema, Slug
from reprieve.domain.appeals import Channel
from reprieve.domain.notices import (
    EXPLANATION_MAX,
    LEGAL_GROUND_MAX,
    LOCATION_MAX,
    CaseState,
    Language,
    NoticeState,
    NotifierKind,
)
from reprieve.services.notices import ReceiveNotice

#: The longest e-mail address (RFC 5321's path).
EMAIL_MAX = 320
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
    email: Annotated[str, Field(max_length=EMAIL_MAX)] | None = Field(default=None, description="kept private; as name")


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


class NoticePage(Page[NoticeOut]):
    pass


class CaseOut(Out):
    id: str
    operator: str
    platform: str
    about: dict[str, str]
    state: CaseState
    opened_at: str
    count: int = Field(description="how many notices the case gathers")
    notices: list[NoticeOut] = Field(description="a page of them, oldest first (100 unless ?limit= says)")
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page of notices; null: none")


#: The fields of a notice, those it needs, and those of its parts: what the fast path
#: (``api.fast.notices``) admits is judged against these.
NOTICE_FIELDS = frozenset(NoticeCreate.model_fields)
REQUIRED_NOTICE_FIELDS = frozenset(k for k, f in NoticeCreate.model_fields.items() if f.is_required())
ABOUT_FIELDS = frozenset(AboutIn.model_fields)
NOTIFIER_FIELDS = frozenset(NotifierIn.model_fields)
