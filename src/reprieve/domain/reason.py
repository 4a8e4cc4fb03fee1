"""The reason of a sanction: everything a DSA statement of reasons needs (PRODUCT.md section 6)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from reprieve.domain.errors import ValidationError
from reprieve.domain.model import ensure_stored_text, ensure_text, parse_enum
from reprieve.domain.suggest import did_you_mean


class Ground(StrEnum):
    ILLEGAL_CONTENT = "illegal_content"
    INCOMPATIBLE_CONTENT = "incompatible_content"


class Source(StrEnum):
    ARTICLE_16 = "article_16"
    TRUSTED_FLAGGER = "trusted_flagger"
    OTHER_NOTIFICATION = "other_notification"
    VOLUNTARY = "voluntary"


class AutomatedDecision(StrEnum):
    NOT_AUTOMATED = "not_automated"
    PARTIALLY = "partially"
    FULLY = "fully"


#: The DSA Transparency Database's statement categories (schema v2).
CATEGORIES = frozenset(
    "STATEMENT_CATEGORY_" + name
    for name in (
        "ANIMAL_WELFARE",
        "CONSUMER_INFORMATION",
        "CYBER_VIOLENCE",
        "CYBER_VIOLENCE_AGAINST_WOMEN",
        "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
        "ILLEGAL_OR_HARMFUL_SPEECH",
        "INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "NOT_SPECIFIED_NOTICE",
        "OTHER_VIOLATION_TC",
        "PROTECTION_OF_MINORS",
        "RISK_FOR_PUBLIC_SECURITY",
        "SCAMS_AND_FRAUD",
        "SELF_HARM",
        "UNSAFE_AND_PROHIBITED_PRODUCTS",
        "VIOLENCE",
    )
)


def category_problem(value: object) -> str:
    """Why ``value`` is no category, with the category it was probably meant to be (or the list)."""
    if value is None or value == "":
        return f"is required: a Transparency Database category{did_you_mean(None, CATEGORIES)}"
    return f"{value!r} is not a Transparency Database category" + did_you_mean(
        value, CATEGORIES, prefix="STATEMENT_CATEGORY_"
    )


#: EEA member states, as the Transparency Database's territorial_scope lists them.
EEA_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)

_KEYWORD = re.compile(r"^KEYWORD_[A-Z0-9_]{1,80}$")
_CONTENT_TYPE = re.compile(r"^CONTENT_TYPE_[A-Z0-9_]{1,40}$")


@dataclass(frozen=True, slots=True)
class Automation:
    detection: bool = False
    decision: AutomatedDecision = AutomatedDecision.NOT_AUTOMATED

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Automation:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValidationError("must be an object {detection, decision}", field="automated")
        unknown = data.keys() - _AUTOMATION_FIELDS
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field="automated")
        detection = data.get("detection", False)
        if not isinstance(detection, bool):
            raise ValidationError("must be true or false", field="automated.detection")
        decision = parse_enum(AutomatedDecision, data.get("decision", "not_automated"), field="automated.decision")
        return cls(detection, decision)

    def to_dict(self) -> dict[str, Any]:
        # _value_, not value (here and in Reason.to_dict): the enum property costs two Python calls
        # (3.11), once per sanction of a bulk import.
        return {"detection": self.detection, "decision": self.decision._value_}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a sanction was imposed, in the terms of a DSA statement of reasons."""

    ground: Ground
    category: str
    explanation: str
    policy: str | None = None
    legal_ground: str | None = None
    contractual_ground: str | None = None
    keywords: tuple[str, ...] = ()
    facts: str = ""
    source: Source = Source.VOLUNTARY
    territorial_scope: tuple[str, ...] = ()
    content_type: tuple[str, ...] = ()
    content_date: str | None = None

    _FIELDS: ClassVar[list[str]] = [
        "ground",
        "category",
        "explanation",
        "policy",
        "legal_ground",
        "contractual_ground",
        "keywords",
        "facts",
        "source",
        "territorial_scope",
        "content_type",
        "content_date",
    ]

    @classmethod
    def from_dict(cls, data: object, *, stored: bool = False) -> Reason:
        """A reason as given to a command, or (``stored``) as recorded, held to the rules of then."""
        text = ensure_stored_text if stored else ensure_text
        if not isinstance(data, dict):
            raise ValidationError("must be an object", field="reason")
        unknown = data.keys() - _REASON_FIELDS
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field="reason")
        ground = parse_enum(Ground, data.get("ground"), field="reason.ground")
        category = data.get("category")
        if not isinstance(category, str) or category not in CATEGORIES:
            raise ValidationError(category_problem(category), field="reason.category")
        explanation = text(data.get("explanation"), field="reason.explanation", max_length=2000)  # type: ignore[arg-type]
        policy = _optional_text(data, "policy", 500, stored)
        legal = _optional_text(data, "legal_ground", 500, stored)
        contractual = _optional_text(data, "contractual_ground", 500, stored)
        if ground is _ILLEGAL_CONTENT and not legal:
            raise ValidationError("is required when the ground is illegal_content", field="reason.legal_ground")
        if ground is _INCOMPATIBLE_CONTENT and not contractual:
            contractual = policy  # the platform's rule is the contractual ground
            if not contractual:
                raise ValidationError(
                    "is required when the ground is incompatible_content (or give reason.policy)",
                    field="reason.contractual_ground",
                )
        keywords = _codes(data, "keywords", _KEYWORD, "KEYWORD_...")
        facts = text(data.get("facts", "") or "", field="reason.facts", max_length=5000, required=False)
        source = parse_enum(Source, data.get("source", "voluntary"), field="reason.source")
        territorial = data.get("territorial_scope", []) or []
        if not isinstance(territorial, list) or not _all_in(EEA_COUNTRIES, territorial):
            raise ValidationError(
                "must be a list of EEA country codes such as FR, DE", field="reason.territorial_scope"
            )
        content_type = _codes(data, "content_type", _CONTENT_TYPE, "CONTENT_TYPE_...")
        content_date = data.get("content_date")
        if content_date is not None:
            try:
                date.fromisoformat(content_date)
            except (TypeError, ValueError):
                raise ValidationError(
                    f"{content_date!r} is not a date such as 2021-01-06", field="reason.content_date"
                ) from None
        return cls(
            ground=ground,
            category=category,
            explanation=explanation,
            policy=policy,
            legal_ground=legal,
            contractual_ground=contractual,
            keywords=keywords,
            facts=facts,
            source=source,
            territorial_scope=tuple(sorted(set(territorial))),
            content_type=content_type,
            content_date=content_date,
        )

    @classmethod
    def as_recorded(cls, data: dict[str, Any]) -> Reason:
        """The reason of an event this process has just built from a reason checked already
        (``from_dict``'s output, ``to_dict``'s shape): taken as it is, without checking it again,
        as a statement issued inside its decision's transaction needs (``from_dict`` costs ten
        times more). Never for what was read or received: use ``from_dict``."""
        return cls(
            Ground(data["ground"]),
            data["category"],
            data["explanation"],
            data.get("policy"),
            data.get("legal_ground"),
            data.get("contractual_ground"),
            tuple(data.get("keywords") or ()),
            data.get("facts") or "",
            Source(data.get("source") or "voluntary"),
            tuple(data.get("territorial_scope") or ()),
            tuple(data.get("content_type") or ()),
            data.get("content_date"),
        )

    def to_dict(self) -> dict[str, Any]:
        # Written out rather than dataclasses.asdict, which deep-copies and costs ten times more.
        return {
            "ground": self.ground._value_,
            "category": self.category,
            "explanation": self.explanation,
            "policy": self.policy,
            "legal_ground": self.legal_ground,
            "contractual_ground": self.contractual_ground,
            "keywords": list(self.keywords),
            "facts": self.facts,
            "source": self.source._value_,
            "territorial_scope": list(self.territorial_scope),
            "content_type": list(self.content_type),
            "content_date": self.content_date,
        }

    def to_payload(self) -> dict[str, Any]:
        """``to_dict`` with the tuples as they are (the same JSON, no list copied): for an event's
        payload, made once per decision of a bulk import. Tuples of text, which the collector stops
        following, where lists would be walked until the payload is recorded."""
        return {
            "ground": self.ground._value_,
            "category": self.category,
            "explanation": self.explanation,
            "policy": self.policy,
            "legal_ground": self.legal_ground,
            "contractual_ground": self.contractual_ground,
            "keywords": self.keywords,
            "facts": self.facts,
            "source": self.source._value_,
            "territorial_scope": self.territorial_scope,
            "content_type": self.content_type,
            "content_date": self.content_date,
        }


_REASON_FIELDS = frozenset(Reason._FIELDS)
_AUTOMATION_FIELDS = frozenset({"detection", "decision"})
# Enum members read through a descriptor on each access; bound once here for the hot path.
_ILLEGAL_CONTENT = Ground.ILLEGAL_CONTENT
_INCOMPATIBLE_CONTENT = Ground.INCOMPATIBLE_CONTENT


def _all_in(allowed: frozenset[str], values: list[Any]) -> bool:
    try:
        return allowed.issuperset(values)
    except TypeError:  # an unhashable value, e.g. a list: not a code either
        return False


def _optional_text(data: dict[str, Any], key: str, max_length: int, stored: bool = False) -> str | None:
    """An optional text of the reason: absent, empty or blank (once trimmed) is None."""
    value = data.get(key)
    if value is None or value == "":
        return None
    if stored:
        return ensure_stored_text(value, field=f"reason.{key}", max_length=max_length)
    return ensure_text(value, field=f"reason.{key}", max_length=max_length, required=False) or None


def _codes(data: dict[str, Any], key: str, pattern: re.Pattern[str], example: str) -> tuple[str, ...]:
    values = data.get(key, []) or []
    if not isinstance(values, list) or len(values) > 20:
        raise ValidationError(f"must be a list of at most 20 {example} codes", field=f"reason.{key}")
    for value in values:
        if not isinstance(value, str) or not pattern.match(value):
            raise ValidationError(f"{value!r} is not a {example} code", field=f"reason.{key}")
    return tuple(dict.fromkeys(values))
