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
from reprieve.domain.reason import EEA_COUNTRIES
from reprieve.domain.text import trim
from reprieve.domain.time import format_instant, parse_duration

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
    """Where a notice stands: ``open`` until its case is decided (claiming and assigning come later);
    a granted complaint of a notifier reopens it."""

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


def parse_location(value: object) -> str:
    """The exact electronic location of the content: an http or https URL with a host."""
    if not isinstance(value, str):
        raise ValidationError("is required: the URL of the content", field="location")
    url = value.strip()
    if not url:
        raise ValidationError("is required: the URL of the content", field="location")
    if len(url) > LOCATION_MAX:
        raise ValidationError(f"is {len(url)} characters long; at most {LOCATION_MAX}", field="location")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
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


# --- deciding a case (art. 16(5), 17(3)(b), 18) ------------------------------------------------

RATIONALE_MAX = 5_000
REPLY_MAX = 5_000
DISCLOSURE_REASON_MAX = 1_000
AUTHORITY_MAX = 200
#: A notifier may complain about the decision on their notice for six months from being told (art. 20(1)).
NOTIFIER_COMPLAINT_WINDOW = parse_duration("P6M")


class NoticeAction(StrEnum):
    """What a case is decided with: a decision on the content, a sanction of the account, or nothing."""

    CONTENT_DECISION = "content_decision"
    SANCTION = "sanction"
    NO_ACTION = "no_action"


@dataclass(frozen=True, slots=True)
class Referral:
    """A suspected criminal offence threatening life or safety referred to an authority (art. 18):
    which authority, of which member state. No personal data: an authority's name and a country."""

    authority: str
    member_state: str

    @classmethod
    def parse(cls, data: object) -> Referral:
        if not isinstance(data, dict):
            raise ValidationError("must be an object {authority, member_state}", field="referral")
        unknown = set(data) - {"authority", "member_state"}
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field="referral")
        authority = data.get("authority")
        if not isinstance(authority, str):
            raise ValidationError("is required: the authority the offence is referred to", field="referral.authority")
        name = trim(ensure_text(authority, field="referral.authority", max_length=AUTHORITY_MAX, multiline=False))
        state = data.get("member_state")
        if not isinstance(state, str) or state not in EEA_COUNTRIES:
            raise ValidationError(
                "must be the EEA country code of the authority, such as FR", field="referral.member_state"
            )
        return cls(name, state)

    def to_json(self) -> dict[str, str]:
        return {"authority": self.authority, "member_state": self.member_state}


def notifier_complaint_deadline(decided_at: datetime) -> datetime:
    """The last instant a notifier may complain about the decision on their notice (art. 20(1)):
    six months from when they were told, the decision's instant."""
    return NOTIFIER_COMPLAINT_WINDOW.after(decided_at)


_ACTION_TEXT = {
    Language.EN: {
        NoticeAction.CONTENT_DECISION: "We took a decision on the content you notified ({decision}).",
        NoticeAction.SANCTION: "We took a measure against the account concerned ({decision}).",
        NoticeAction.NO_ACTION: "We decided to take no action on the content or account you notified.",
    },
    Language.FR: {
        NoticeAction.CONTENT_DECISION: "Nous avons pris une décision sur le contenu que vous avez signalé "
        "({decision}).",
        NoticeAction.SANCTION: "Nous avons pris une mesure à l'encontre du compte concerné ({decision}).",
        NoticeAction.NO_ACTION: "Nous avons décidé de ne prendre aucune mesure sur le contenu ou le compte signalé.",
    },
}
_REPLY_TEXT = {
    Language.EN: {
        "decided": "Our decision on your notice {notice} of {day}:",
        "automated": "Automated means were used in taking this decision.",
        "human": "No automated means were used in taking this decision: it was taken by a person.",
        "referral": "We referred a suspected criminal offence to the competent authorities (Article 18 DSA).",
        "complaint": "You can complain about this decision, free of charge, through our internal complaint-handling "
        "system (Article 20 DSA) until {deadline}, with your notice's reference and status code.",
        "out_of_court": "You can also refer the dispute to a certified out-of-court dispute settlement body "
        "(Article 21 DSA).",
        "courts": "You can bring the matter before a court at any time, under the law of your Member State.",
    },
    Language.FR: {
        "decided": "Notre décision sur votre notification {notice} du {day} :",
        "automated": "Des moyens automatisés ont été utilisés pour prendre cette décision.",
        "human": "Aucun moyen automatisé n'a été utilisé pour prendre cette décision : elle a été prise par une "
        "personne.",
        "referral": "Nous avons signalé une infraction pénale présumée aux autorités compétentes (article 18 du "
        "règlement).",
        "complaint": "Vous pouvez contester cette décision, gratuitement, par notre système interne de traitement des "
        "réclamations (article 20 du règlement) jusqu'au {deadline}, avec la référence de votre notification et son "
        "code de suivi.",
        "out_of_court": "Vous pouvez aussi saisir un organe certifié de règlement extrajudiciaire des litiges "
        "(article 21 du règlement).",
        "courts": "Vous pouvez à tout moment saisir une juridiction, selon le droit de votre État membre.",
    },
}


def reply_text(
    language: Language,
    *,
    notice_id: str,
    received_at: datetime,
    action: NoticeAction,
    decision: str | None,
    automated: bool,
    referred: bool,
    decided_at: datetime,
    own: str | None,
) -> str:
    """The reply to a notifier (art. 16(5)) in ``language``: the decision, the moderator's own
    words about their allegation (``own``; None once erased), whether automated means were used,
    and the redress open to them (art. 20 within six months, art. 21, the courts)."""
    t = _REPLY_TEXT[language]
    lines = [
        t["decided"].format(notice=notice_id, day=received_at.date().isoformat()),
        _ACTION_TEXT[language][action].format(decision=decision or ""),
    ]
    if own:
        lines.append(own)
    if referred:
        lines.append(t["referral"])
    lines.append(t["automated"] if automated else t["human"])
    deadline = notifier_complaint_deadline(decided_at).date().isoformat()
    lines += [t["complaint"].format(deadline=deadline), t["out_of_court"], t["courts"]]
    return "\n".join(lines)
