"""Notices (DSA art. 16) and the cases they form (PRODUCT.md section 10).

* A **notice** says that an item or an account on a platform is illegal, or breaks the platform's
  terms. It carries the art. 16(2) elements: a substantiated ``explanation``, the exact
  ``location`` (a URL), the notifier's name and e-mail address, and their statement that they
  act in good faith (``bona_fide``); whether it alleges illegal content (then with the law it
  breaks, ``legal_ground``); a statement ``category``, which may be
  ``STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE``.
* **Art. 16(2)(c)**: the name and e-mail address are not required for the offences of arts. 3
  to 7 of Directive 2011/93/EU (the sexual abuse and sexual exploitation of children, child
  sexual abuse material, the solicitation of children). The Transparency Database files them
  under ``STATEMENT_CATEGORY_PROTECTION_OF_MINORS``; a notice is read as alleging one of them when
  it alleges illegal content (``illegal: true``) in that category (``allows_anonymous``). The
  category is wider (age-specific restrictions, unsafe challenges), but letting a notifier of
  illegal content about minors stay anonymous costs nothing and never keeps a notice out.
* A **receipt** (art. 16(4)) is recorded for the notifier when the notice is received: its id,
  the notice's reference and when it was received (``receipt_text``).
* A **case** gathers the notices about one item (or one account) that are open at the same time:
  a new notice joins the open case of its subject, or opens one; a decided case takes no more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from reprieve.domain.errors import ValidationError
from reprieve.domain.model import ensure_text, parse_enum
from reprieve.domain.text import trim
from reprieve.domain.time import format_instant

#: The category of a notice that names none (the Transparency Database's own value).
NOT_SPECIFIED = "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"
#: The categories whose illegal content may be notified without a name or e-mail (art. 16(2)(c)).
ANONYMOUS_CATEGORIES = frozenset({"STATEMENT_CATEGORY_PROTECTION_OF_MINORS"})

EXPLANATION_MAX = 20_000
LOCATION_MAX = 2_048
LEGAL_GROUND_MAX = 1_000
NAME_MAX = 200
EMAIL_MAX = 320
#: The platform's id of an item or an account, as the rest of the API takes them.
SUBJECT_MAX = 200

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
_SUBJECT = re.compile(r"^[^\s\x00-\x1f\x7f]{1,200}$")


class NoticeState(StrEnum):
    """Where a notice stands: ``open`` until its case is decided (claiming and assigning come later)."""

    OPEN = "open"
    DECIDED = "decided"


class CaseState(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class NotifierKind(StrEnum):
    INDIVIDUAL = "individual"
    ENTITY = "entity"


class AboutKind(StrEnum):
    """What a notice is about: an item (a piece of content) or an account."""

    ITEM = "item"
    ACCOUNT = "account"


class Language(StrEnum):
    """The languages a receipt is written in."""

    EN = "en"
    FR = "fr"


@dataclass(frozen=True, slots=True)
class About:
    """The item or the account a notice is about, by the platform's own id."""

    kind: AboutKind
    id: str

    @classmethod
    def parse(cls, data: object) -> About:
        if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in {"item", "account"}:
            raise ValidationError("must be an object with exactly one of item or account", field="about")
        key, value = next(iter(data.items()))
        if not isinstance(value, str) or not _SUBJECT.match(value):
            raise ValidationError(
                f"must be the platform's id of the {key}: 1 to {SUBJECT_MAX} characters, no spaces",
                field=f"about.{key}",
            )
        return cls(AboutKind(key), value)

    def to_json(self) -> dict[str, str]:
        return {self.kind.value: self.id}


@dataclass(frozen=True, slots=True)
class Notifier:
    """Who notified: personal data, kept apart from the event log (events carry only a reference)."""

    kind: NotifierKind
    name: str | None
    email: str | None

    @classmethod
    def parse(cls, data: object) -> Notifier:
        if not isinstance(data, dict):
            raise ValidationError("must be an object {kind, name?, email?}", field="notifier")
        unknown = set(data) - {"kind", "name", "email"}
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field="notifier")
        kind = parse_enum(NotifierKind, data.get("kind"), field="notifier.kind")
        name = data.get("name")
        if name is not None:
            if not isinstance(name, str):
                raise ValidationError("must be text", field="notifier.name")
            name = trim(ensure_text(name, field="notifier.name", max_length=NAME_MAX, required=False, multiline=False))
        email = data.get("email")
        if email is not None:
            if not isinstance(email, str) or len(email) > EMAIL_MAX or not _EMAIL.match(email.strip()):
                raise ValidationError("is not an e-mail address", field="notifier.email")
            email = email.strip()
        return cls(kind, name or None, email or None)


def allows_anonymous(category: str, illegal: bool) -> bool:
    """Whether a notice may leave out the notifier's name and e-mail (art. 16(2)(c), see above)."""
    return illegal and category in ANONYMOUS_CATEGORIES


def ensure_identified(notifier: Notifier, *, category: str, illegal: bool) -> None:
    """Raise ValidationError naming the field when the name or the e-mail is missing and the
    notice is not about an offence of art. 16(2)(c)."""
    if allows_anonymous(category, illegal):
        return
    why = "is required (only notices of child sexual abuse offences, DSA art. 16(2)(c), may leave it out)"
    if notifier.name is None:
        raise ValidationError(why, field="notifier.name")
    if notifier.email is None:
        raise ValidationError(why, field="notifier.email")


#: What a URL never holds: white space (``str.isspace``'s, as ``\s`` is) and control characters.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f]")


def parse_location(value: object) -> str:
    """The exact electronic location of the content: an http or https URL with a host."""
    if not isinstance(value, str):
        raise ValidationError("is required: the URL of the content", field="location")
    url = value.strip()
    if not url:
        raise ValidationError("is required: the URL of the content", field="location")
    if len(url) > LOCATION_MAX:
        raise ValidationError(f"is {len(url)} characters long; at most {LOCATION_MAX}", field="location")
    if _NOT_IN_URL.search(url):
        raise ValidationError("must be a URL without spaces", field="location")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ValidationError("is not a URL", field="location") from None
    if parts.scheme.lower() not in {"http", "https"} or not host:
        raise ValidationError("must be an http or https URL, such as https://example.org/post/1", field="location")
    return url


def parse_legal_ground(value: object, *, illegal: bool) -> str | None:
    """The law an allegation of illegal content names: required then, refused otherwise."""
    if not illegal:
        if value not in (None, ""):
            raise ValidationError("is only given for illegal content (illegal: true)", field="legal_ground")
        return None
    if value is None:
        raise ValidationError("is required when the notice alleges illegal content", field="legal_ground")
    if not isinstance(value, str):
        raise ValidationError("must be text", field="legal_ground")
    return trim(ensure_text(value, field="legal_ground", max_length=LEGAL_GROUND_MAX))


def ensure_bona_fide(value: object) -> None:
    """The notifier's statement of good faith (art. 16(2)(d)) must be given, and true."""
    if value is not True:
        raise ValidationError(
            "must be true: the notifier confirms in good faith that the notice is accurate and complete",
            field="bona_fide",
        )


def receipt_text(notice_id: str, received_at: datetime, receipt_id: str, language: Language) -> str:
    """The receipt (art. 16(4)) as recorded for the notifier: the notice's reference and when it
    was received; no name, no e-mail, nothing of what they wrote."""
    when = format_instant(received_at) or ""
    if language is Language.FR:
        return (
            f"Accusé de réception {receipt_id} : nous avons reçu votre notification le {when}. "
            f"Sa référence est {notice_id}. Nous vous informerons de notre décision et des voies de recours."
        )
    return (
        f"Receipt {receipt_id}: we received your notice on {when}. Its reference is {notice_id}. "
        "We will tell you our decision and how you can contest it."
    )
