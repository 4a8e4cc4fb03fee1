"""``FastNotices``: ``POST /v1/notices`` taken before FastAPI's machinery, as the route would.

It reads the body with orjson, admits it only if ``NoticeCreate`` certainly would (its limits,
from ``api.notice_schemas`` and ``domain.notices``, and its text rule, ``domain.text``), parses
it into the service's command as the route does (``ReceiveNotice.parse``), and submits it to the
group commit, where the notices waiting are received in one batch (``services.notices``).
Whenever it is not sure, it hands the request, body included, to the full application.
"""

from __future__ import annotations

from typing import Any

import orjson

from reprieve.api.fast.common import ACCOUNT, SLUG, text_ok
from reprieve.api.fast.writes import FastWrite, Unsure, loads
from reprieve.api.notice_schemas import (
    ABOUT_FIELDS,
    EMAIL_MAX,
    NOTICE_FIELDS,
    NOTIFIER_FIELDS,
    REQUIRED_NOTICE_FIELDS,
)
from reprieve.api.routes.notices import FILER_ROLES, PATH
from reprieve.api.schemas import CATEGORY_MAX_LENGTH, INSTANT_MAX_LENGTH, NAME_MAX
from reprieve.domain.appeals import Channel
from reprieve.domain.errors import ReprieveError
from reprieve.domain.notices import EXPLANATION_MAX, LEGAL_GROUND_MAX, LOCATION_MAX, Language, NotifierKind
from reprieve.domain.roles import admitted
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import notices
from reprieve.services.callers import Caller
from reprieve.services.committing import Answer

_CHANNELS = frozenset(c.value for c in Channel)
_LANGUAGES = frozenset(lang.value for lang in Language)
_KINDS = frozenset(k.value for k in NotifierKind)


class FastNotices(FastWrite):
    """``POST /v1/notices`` without FastAPI's dependency solving and pydantic parsing; every
    other request, and every notice it is not sure of, goes to ``app`` unchanged."""

    path = PATH
    roles = admitted(*FILER_ROLES)

    def parse(self, body: bytes) -> notices.ReceiveNotice:
        return _notice(body)

    def submit(self, committer: GroupCommitter, command: Any, caller: Caller, answer: Answer) -> None:
        notices.submit_notice(committer, command, caller=caller, answer=answer)

    def respond(self, result: notices.NoticeView) -> tuple[int, bytes]:
        # The service's view in the documented shape (the tests hold it to the route's, which
        # NoticeReceivedOut validates), so it is serialised directly.
        return 201, orjson.dumps(result.intake_json())


def _notice(body: bytes) -> notices.ReceiveNotice:
    """The command of a body ``NoticeCreate`` certainly accepts; else ``Unsure``."""
    data = loads(body)
    if not NOTICE_FIELDS.issuperset(data) or not REQUIRED_NOTICE_FIELDS.issubset(data):
        raise Unsure
    platform, about, location, explanation, category = (
        data["platform"],
        data["about"],
        data["location"],
        data["explanation"],
        data["category"],
    )
    legal_ground = data.get("legal_ground")
    received_at = data.get("received_at")
    language = data.get("language", Language.EN.value)
    if not (
        type(platform) is str
        and SLUG.fullmatch(platform)
        and type(about) is dict
        and ABOUT_FIELDS.issuperset(about)
        and all(v is None or (type(v) is str and ACCOUNT.fullmatch(v)) for v in about.values())
        and type(location) is str
        and 0 < len(location) <= LOCATION_MAX
        and _text(explanation, EXPLANATION_MAX)
        and type(category) is str
        and len(category) <= CATEGORY_MAX_LENGTH
        and type(data["illegal"]) is bool
        and type(data["bona_fide"]) is bool
        and (legal_ground is None or _text(legal_ground, LEGAL_GROUND_MAX))
        and type(data["channel"]) is str
        and data["channel"] in _CHANNELS
        and type(language) is str
        and language in _LANGUAGES
        and (
            received_at is None
            or (
                type(received_at) is str
                and 0 < len(received_at) <= INSTANT_MAX_LENGTH
                and text_ok(received_at, required=False)
            )
        )
    ):
        raise Unsure
    notifier = _notifier(data["notifier"])
    try:
        # The route's own parsing (``NoticeCreate.to_command``): what it refuses is the route's
        # to answer. An instant out of range is a ValueError there (the schema's refusal).
        return notices.ReceiveNotice.parse(
            platform=platform,
            about={k: v for k, v in about.items() if v is not None},
            location=location,
            explanation=explanation,
            category=category,
            illegal=data["illegal"],
            legal_ground=legal_ground,
            notifier=notifier,
            bona_fide=data["bona_fide"],
            channel=data["channel"],
            received_at=received_at,
            language=language,
        )
    except (ReprieveError, ValueError, OverflowError):
        raise Unsure from None


def _text(value: Any, longest: int) -> bool:
    """Whether ``value`` is a required multi-line text of the schema (``NoNul``, ``NotBlank``)."""
    return type(value) is str and 0 < len(value) <= longest and text_ok(value, required=True)


def _notifier(value: Any) -> dict[str, str]:
    """``NotifierIn`` as the route dumps it (without its nulls), if it certainly accepts it."""
    if type(value) is not dict or not NOTIFIER_FIELDS.issuperset(value) or "kind" not in value:
        raise Unsure
    kind, name, email = value["kind"], value.get("name"), value.get("email")
    if not (
        type(kind) is str
        and kind in _KINDS
        and (
            name is None
            or (type(name) is str and 0 < len(name) <= NAME_MAX and text_ok(name, required=True, multiline=False))
        )
        and (email is None or (type(email) is str and len(email) <= EMAIL_MAX))
    ):
        raise Unsure
    return {k: v for k, v in value.items() if v is not None}
