"""The local validator: the Transparency Database's own rules, applied before anything is sent.

The rules are those of the database's store endpoints (``GroupedSubmissionsService::multi_rules``
and ``StatementStoreRequest`` in digital-services-act/transparency-database) and of its API
documentation: at least one of the four decision fields; the fields a ground or an ``_OTHER``
value requires; maximum lengths; date formats and ranges; enumerations; the ``puid`` pattern.
Each problem names the field and says why, as the database's 422 answers do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from reprieve.domain.errors import ValidationError
from reprieve.domain.text import INVISIBLE, is_blank
from reprieve.dsa import enums

PUID = re.compile(r"^[a-zA-Z0-9_-]+$")
PUID_MAX = 500
_LANGUAGE = re.compile(r"^[A-Z]{2}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

DECISION_FIELDS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
_EARLIEST_CONTENT = date(2000, 1, 1)
_EARLIEST_APPLICATION = date(2020, 1, 1)
_LATEST = date(2038, 1, 1)
_END_DATES = (
    "end_date_visibility_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_account_restriction",
)
_ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
_INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: the field and why."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def problems(statement: Mapping[str, Any]) -> list[Problem]:
    """Every rule ``statement`` breaks; empty when the database would accept it.

    The rules on enumerated fields depend only on those fields' values, which repeat from one
    statement to the next: their verdict is kept per combination (``_shape_problems``); texts,
    dates and the puid are checked on every statement.
    """
    try:
        shape = _shape_problems(_shape_key(statement))
    except TypeError:  # an unhashable value where a code or a list of codes belongs
        shape = tuple(_shape_checks(statement))
    return [*shape, *_value_checks(statement)]


#: The fields whose rules look at codes only.
_SHAPE_FIELDS = (
    "decision_visibility",
    "decision_monetary",
    "decision_provision",
    "decision_account",
    "account_type",
    "decision_ground",
    "incompatible_content_illegal",
    "content_type",
    "category",
    "category_addition",
    "category_specification",
    "territorial_scope",
    "content_language",
    "source_type",
    "automated_detection",
    "automated_decision",
)


def _shape_key(statement: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values of ``_SHAPE_FIELDS`` (lists as tuples), then the unknown fields."""
    get = statement.get
    visibility, content_type, addition, specification, territory = (
        get("decision_visibility"),
        get("content_type"),
        get("category_addition"),
        get("category_specification"),
        get("territorial_scope"),
    )
    if type(territory) is list:
        # Most statements name all of the EEA: a marker stands for that list (whose 30 codes would
        # otherwise be hashed on every statement); ``_shape_problems`` puts the list back.
        territory = _ALL_OF_THE_EEA if territory == _EEA_LIST else tuple(territory)
    return (
        tuple(visibility) if type(visibility) is list else visibility,
        get("decision_monetary"),
        get("decision_provision"),
        get("decision_account"),
        get("account_type"),
        get("decision_ground"),
        get("incompatible_content_illegal"),
        tuple(content_type) if type(content_type) is list else content_type,
        get("category"),
        tuple(addition) if type(addition) is list else addition,
        tuple(specification) if type(specification) is list else specification,
        territory,
        get("content_language"),
        get("source_type"),
        get("automated_detection"),
        get("automated_decision"),
        () if enums.FIELDS.issuperset(statement) else tuple(sorted(statement.keys() - enums.FIELDS)),
    )


#: What ``_shape_key`` puts for a territorial scope of all of the EEA: an object of its own, which
#: no statement can hold.
_ALL_OF_THE_EEA = object()
_EEA_LIST = list(enums.EEA_COUNTRIES)


@lru_cache(maxsize=65_536)
def _shape_problems(key: tuple[Any, ...]) -> tuple[Problem, ...]:
    shaped: dict[str, Any] = {
        field: list(value) if isinstance(value, tuple) else value
        for field, value in zip(_SHAPE_FIELDS, key, strict=False)
        if value is not None
    }
    if shaped.get("territorial_scope") is _ALL_OF_THE_EEA:
        shaped["territorial_scope"] = list(_EEA_LIST)
    found = [Problem(field, "is not a field of the Transparency Database's statement") for field in key[-1]]
    return (*found, *_shape_checks(shaped))


def _shape_checks(statement: Mapping[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    add = out.append
    get = statement.get
    if not any(get(f) for f in DECISION_FIELDS):
        add(
            Problem(
                "decision_visibility",
                "at least one of decision_visibility, decision_monetary, "
                "decision_provision or decision_account is required",
            )
        )
    visibility = get("decision_visibility")
    if visibility is not None:
        _enum_list(out, "decision_visibility", visibility, enums.DECISION_VISIBILITIES, required=False)
    _enum(out, statement, "decision_monetary", enums.DECISION_MONETARIES)
    _enum(out, statement, "decision_provision", enums.DECISION_PROVISIONS)
    _enum(out, statement, "decision_account", enums.DECISION_ACCOUNTS)
    _enum(out, statement, "account_type", enums.ACCOUNT_TYPES)
    ground = get("decision_ground")
    if ground is None:
        add(Problem("decision_ground", "is required"))
    elif ground not in enums.DECISION_GROUNDS:
        add(Problem("decision_ground", f"{ground!r} is not one of {sorted(enums.DECISION_GROUNDS)}"))
    if get("incompatible_content_illegal") is not None and get("incompatible_content_illegal") not in enums.YES_NO:
        add(Problem("incompatible_content_illegal", "must be Yes or No"))
    _enum_list(out, "content_type", get("content_type"), enums.CONTENT_TYPES, required=True)
    category = get("category")
    if category is None:
        add(Problem("category", "is required"))
    elif category not in enums.STATEMENT_CATEGORIES:
        add(Problem("category", f"{category!r} is not a v2 STATEMENT_CATEGORY_* value"))
    if get("category_addition") is not None:
        _enum_list(out, "category_addition", get("category_addition"), enums.STATEMENT_CATEGORIES, required=False)
    if get("category_specification") is not None:
        _enum_list(out, "category_specification", get("category_specification"), enums.KEYWORDS, required=False)
    if get("territorial_scope") is not None:
        _enum_list(out, "territorial_scope", get("territorial_scope"), enums.EEA_SET, required=False)
    language = get("content_language")
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.match(language)):
        add(Problem("content_language", "must be an upper-case ISO 639-1 code such as EN"))
    elif language is not None and language not in enums.LANGUAGES:
        add(Problem("content_language", f"{language!r} is not an ISO 639-1 language code"))
    source = get("source_type")
    if source is None:
        add(Problem("source_type", "is required"))
    elif source not in enums.SOURCE_TYPES:
        add(Problem("source_type", f"{source!r} is not one of {sorted(enums.SOURCE_TYPES)}"))
    if get("automated_detection") not in enums.YES_NO:
        add(Problem("automated_detection", "is required: Yes or No"))
    if get("automated_decision") not in enums.AUTOMATED_DECISIONS:
        add(Problem("automated_decision", f"is required: one of {sorted(enums.AUTOMATED_DECISIONS)}"))
    return out


def _value_checks(statement: Mapping[str, Any]) -> list[Problem]:
    """Texts, dates and the puid. Written for the common statement, which has few optional fields:
    each rule is looked at only when its field, or what makes it required, is there."""
    out: list[Problem] = []
    add = out.append
    get = statement.get
    visibility = get("decision_visibility")
    if isinstance(visibility, list) and "DECISION_VISIBILITY_OTHER" in visibility:
        _other(out, statement, "decision_visibility_other", True)
    if get("decision_monetary") == "DECISION_MONETARY_OTHER":
        _other(out, statement, "decision_monetary_other", True)
    ground = get("decision_ground")
    if ground == _INCOMPATIBLE:
        _conditional(out, statement, "incompatible_content_ground", 500, "decision_ground is incompatible content")
        _conditional(
            out, statement, "incompatible_content_explanation", 2000, "decision_ground is incompatible content"
        )
    elif ground == _ILLEGAL:
        _conditional(out, statement, "illegal_content_legal_ground", 500, "decision_ground is illegal content")
        _conditional(out, statement, "illegal_content_explanation", 2000, "decision_ground is illegal content")
    reference = get("decision_ground_reference_url")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 500 or not _URL.match(reference)):
        add(Problem("decision_ground_reference_url", "must be a URL of at most 500 characters"))
    content_type = get("content_type")
    if isinstance(content_type, list) and "CONTENT_TYPE_OTHER" in content_type:
        _other(out, statement, "content_type_other", True)
    if "category_specification_other" in statement:
        _max(out, statement, "category_specification_other", 500)
    _date(out, statement, "content_date", required=True, earliest=_EARLIEST_CONTENT)
    application = _date(out, statement, "application_date", required=True, earliest=_EARLIEST_APPLICATION)
    for field in _END_DATES:
        if field in statement:
            end = _date(out, statement, field, required=False, earliest=None)
            if end is not None and application is not None and end < application:
                add(Problem(field, "must be on or after application_date"))
    facts = get("decision_facts")
    if _plain(facts, 5000):
        pass
    elif not facts or (isinstance(facts, str) and is_blank(facts)):
        add(Problem("decision_facts", "is required"))
    elif not isinstance(facts, str) or len(facts) > 5000:
        _max(out, statement, "decision_facts", 5000)
    if "source_identity" in statement:
        _max(out, statement, "source_identity", 500)
    puid = get("puid")
    if not puid or not isinstance(puid, str):
        add(Problem("puid", "is required"))
    elif len(puid) > PUID_MAX:
        add(Problem("puid", f"is longer than {PUID_MAX} characters"))
    elif not PUID.match(puid):
        add(Problem("puid", "may hold only letters a-z A-Z, digits, '-' and '_'"))
    return out


def _plain(value: Any, max_length: int) -> bool:
    """Whether ``value`` is a text of 1 to ``max_length`` characters with nothing to trim at either
    end: a required text the database takes as it is (most are; the others are looked at closely)."""
    return (
        type(value) is str
        and 0 < len(value) <= max_length
        and not (value[0] in _EDGES or value[-1] in _EDGES or value[0].isspace() or value[-1].isspace())
    )


def is_plain_text(value: Any, max_length: int) -> bool:
    """Whether ``value`` is a text the rules on a required text of at most ``max_length``
    characters certainly accept as it is (``_plain``): a text of 1 to ``max_length`` characters
    with nothing to trim at either end."""
    return _plain(value, max_length)


def day_within(value: Any, earliest: date | None) -> date | None:
    """The day of ``value`` if the rules on a date (``_date``) find nothing wrong with it: text of
    the form YYYY-MM-DD, on or after ``earliest`` (None: no bound) and on or before 2038-01-01;
    None otherwise."""
    if type(value) is not str:
        return None
    try:
        day = _parse_day(value)
    except ValueError:
        return None
    if (earliest is not None and day < earliest) or day > _LATEST:
        return None
    return day


#: The earliest content date and application date the rules accept.
EARLIEST_CONTENT, EARLIEST_APPLICATION = _EARLIEST_CONTENT, _EARLIEST_APPLICATION

#: The invisibles ``trim`` takes off either end of a text, besides whitespace.
_EDGES = frozenset(INVISIBLE)


def ensure_valid(statement: Mapping[str, Any]) -> None:
    """ValidationError naming the first broken rule's field; nothing if the statement is valid."""
    found = problems(statement)
    if found:
        first = found[0]
        raise ValidationError(first.message, field=first.field)


def _enum(out: list[Problem], statement: Mapping[str, Any], field: str, allowed: frozenset[str]) -> None:
    value = statement.get(field)
    if value is not None and value not in allowed:
        out.append(Problem(field, f"{value!r} is not one of {sorted(allowed)}"))


def _enum_list(out: list[Problem], field: str, value: Any, allowed: frozenset[str], *, required: bool) -> None:
    if value is None or value == []:
        if required:
            out.append(Problem(field, "is required: a list of at least one value"))
        return
    if not isinstance(value, list):
        out.append(Problem(field, "must be a list"))
        return
    bad = [v for v in value if not isinstance(v, str) or v not in allowed]
    if bad:
        out.append(Problem(field, f"{bad[0]!r} is not an allowed value"))


def _other(out: list[Problem], statement: Mapping[str, Any], field: str, required: bool) -> None:
    value = statement.get(field)
    if required and (not value or (isinstance(value, str) and is_blank(value))):
        out.append(Problem(field, "is required when the _OTHER value is chosen"))
    elif required:  # without the _OTHER value the database drops the field (exclude_unless)
        _max(out, statement, field, 500)


def _conditional(out: list[Problem], statement: Mapping[str, Any], field: str, max_length: int, when: str) -> None:
    """A field the ground requires; under the other ground the database drops it (exclude_unless)."""
    value = statement.get(field)
    if _plain(value, max_length):
        return
    if not value or (isinstance(value, str) and is_blank(value)):  # the database trims, then requires
        out.append(Problem(field, f"is required when {when}"))
    elif not isinstance(value, str) or len(value) > max_length:
        _max(out, statement, field, max_length)


def _max(out: list[Problem], statement: Mapping[str, Any], field: str, max_length: int) -> None:
    value = statement.get(field)
    if value is None:
        return
    if not isinstance(value, str):
        out.append(Problem(field, "must be text"))
    elif len(value) > max_length:
        out.append(Problem(field, f"is longer than {max_length} characters ({len(value)})"))


def _date(
    out: list[Problem], statement: Mapping[str, Any], field: str, *, required: bool, earliest: date | None
) -> date | None:
    value = statement.get(field)
    if value is None:
        if required:
            out.append(Problem(field, "is required (YYYY-MM-DD)"))
        return None
    try:
        day = _parse_day(value)
    except (TypeError, ValueError):
        out.append(Problem(field, "does not match the format YYYY-MM-DD"))
        return None
    if earliest is not None and day < earliest:
        out.append(Problem(field, f"must be on or after {earliest.isoformat()}"))
    if day > _LATEST:
        out.append(Problem(field, f"must be on or before {_LATEST.isoformat()}"))
    return day


@lru_cache(maxsize=65_536)
def _parse_day(value: str) -> date:
    """``YYYY-MM-DD`` exactly (ValueError otherwise); TypeError for what is not text."""
    if type(value) is not str or len(value) != 10:
        raise ValueError(value)
    return date.fromisoformat(value)
