"""A sanction as a Transparency Database statement (schema v2): API JSON, batches, daily-dump CSV.

Each decision on a sanction is one statement: its creation, and each amendment that changes the
restriction, identified by a ``puid`` derived from the sanction id (and the amendment's sequence
number). A decision that issued a statement of reasons is exported from it, as issued
(``statements_from_issued``); one that issued none (an import, a decision recorded before statements
were issued, one whose statement's text was erased) from the sanction's columns
(``statements_from_columns``). A ``warning`` restricts nothing: it is none of the four
decisions of DSA art. 17(1) the database records, so it has no statement (``statement_of`` and
``to_statement``, which maps a sanction's creation, answer None). Nothing of the subject (account, names, contacts) is
written: the statement carries the decision, its grounds and the reason's own fields only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar

import orjson

from reprieve.domain.sanctions import ChangeType, Sanction
from reprieve.domain.text import INVISIBLE, trim
from reprieve.domain.time import parse_instant, to_micros
from reprieve.dsa import enums
from reprieve.dsa.validate import (
    EARLIEST_APPLICATION,
    EARLIEST_CONTENT,
    PUID,
    PUID_MAX,
    day_within,
    is_plain_text,
    problems,
)

T = TypeVar("T")

#: The multiple-statements endpoint takes 1 to 100 statements per call.
BATCH_LIMIT = 100

#: Columns of the database's daily dumps ("full" CSV): ``StatementExportTrait::headings``.
CSV_COLUMNS = (
    "uuid",
    "decision_visibility",
    "decision_visibility_other",
    "end_date_visibility_restriction",
    "decision_monetary",
    "decision_monetary_other",
    "end_date_monetary_restriction",
    "decision_provision",
    "end_date_service_restriction",
    "decision_account",
    "end_date_account_restriction",
    "account_type",
    "decision_ground",
    "decision_ground_reference_url",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category",
    "category_addition",
    "category_specification",
    "category_specification_other",
    "content_type",
    "content_type_other",
    "content_language",
    "content_date",
    "content_id_ean",
    "territorial_scope",
    "application_date",
    "decision_facts",
    "source_type",
    "source_identity",
    "automated_detection",
    "automated_decision",
    "platform_name",
    "platform_uid",
    "created_at",
)
_ARRAY_COLUMNS = frozenset(
    {
        "decision_visibility",
        "category_addition",
        "category_specification",
        "content_type",
        "territorial_scope",
    }
)
_DATE_COLUMNS = frozenset(
    {
        "end_date_visibility_restriction",
        "end_date_monetary_restriction",
        "end_date_service_restriction",
        "end_date_account_restriction",
        "content_date",
        "application_date",
    }
)
#: In the dumps, dates are the database's datetime columns, printed as they are stored.
_DUMP_TIME = " 00:00:00"

_SOURCES = {
    "article_16": "SOURCE_ARTICLE_16",
    "trusted_flagger": "SOURCE_TRUSTED_FLAGGER",
    "other_notification": "SOURCE_TYPE_OTHER_NOTIFICATION",
    "voluntary": "SOURCE_VOLUNTARY",
}
_AUTOMATED = {
    "fully": "AUTOMATED_DECISION_FULLY",
    "partially": "AUTOMATED_DECISION_PARTIALLY",
    "not_automated": "AUTOMATED_DECISION_NOT_AUTOMATED",
}
#: A restriction denying payments is a monetary decision; denying anything else, a partial
#: suspension of the service.
_MONETARY = frozenset({"monetize"})
_US_PER_DAY = 86_400_000_000
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the export needs of a sanction: its creation, its reason, its automation."""

    sanction_id: str
    kind: str
    starts_on: str  #: YYYY-MM-DD (UTC) of starts_at
    ends_on: str | None  #: YYYY-MM-DD (UTC) of the term's end as imposed; None: indefinite
    denies: tuple[str, ...]
    reason: Mapping[str, Any]
    automated: Mapping[str, Any]

    @classmethod
    def of(cls, sanction: Sanction) -> Decision:
        created = next(c for c in sanction.changes if c.type is ChangeType.IMPOSED)
        assert created.kind is not None
        return cls(
            sanction.id,
            created.kind.value,
            sanction.starts_at.date().isoformat(),
            created.ends_at.date().isoformat() if created.ends_at else None,
            created.denies,
            sanction.reason.to_dict(),
            sanction.automated.to_dict(),
        )


def _is_plain_puid(sanction_id: str) -> bool:
    return len(sanction_id) <= PUID_MAX and PUID.match(sanction_id) is not None


def puid_for(sanction_id: str) -> str:
    """The statement's platform unique identifier: the sanction id, which already fits the pattern;
    any other id is replaced by a hash of it (stable, and within the pattern and length)."""
    if len(sanction_id) <= PUID_MAX and PUID.match(sanction_id):
        return sanction_id
    return "h-" + hashlib.sha256(sanction_id.encode()).hexdigest()


def to_statement(d: Decision) -> dict[str, Any] | None:
    """The v2 statement of a decision; None for a warning (no DSA decision to report)."""
    return statement_of(d.sanction_id, d.kind, d.starts_on, d.ends_on, d.denies, d.reason, d.automated)


def statements_from_columns(
    sanction_id: str,
    starts_at_us: int,
    reason_json: str | bytes,
    automated_json: str | bytes,
    changes_json: str | bytes,
    *,
    start_us: int,
    end_us: int,
) -> list[tuple[str, dict[str, Any] | None]]:
    """``(puid, statement)`` of each decision on a sanction applied within ``[start_us, end_us)``,
    straight from the sanctions table's columns (the bulk export's path).

    The decisions: the creation (puid: the sanction id), and each amendment that changed the
    restriction in force before it (its kind, end or denials; puid: ``<sanction id>-<seq>``), applied
    at its ``effective_at``. An amendment of the review date only is no new decision; a lift
    restricts nothing. The statement is None for a warning. A sanction giving effect to an
    authority's order (DSA art. 9) has none at all: art. 17 does not apply to it (art. 17(5)), and
    the database holds the statements of art. 17 (art. 24(5)); it gave the art. 9(5) information.
    """
    changes = orjson.loads(changes_json)
    if changes[0].get("order") or (len(changes) > 1 and any(c.get("order") for c in changes)):
        return []
    if len(changes) == 1:  # never amended nor lifted: the common case
        if not start_us <= starts_at_us < end_us:
            return []
        created = changes[0]
        ends = created.get("ends_at")
        return [
            (
                sanction_id,
                statement_of(
                    sanction_id,
                    created["kind"],
                    _day(starts_at_us),
                    ends[:10] if ends else None,
                    created.get("denies") or (),
                    orjson.loads(reason_json),
                    orjson.loads(automated_json),
                ),
            )
        ]
    terms = []
    for change in changes:
        if change["type"] == "lifted":
            continue
        applied = starts_at_us if change["type"] == "imposed" else to_micros(parse_instant(change["effective_at"]))
        terms.append((applied, change["seq"], change))
    terms.sort(key=lambda t: (t[0], t[1]))
    out: list[tuple[str, dict[str, Any] | None]] = []
    reason: Mapping[str, Any] | None = None
    automated: Mapping[str, Any] = {}
    before: tuple[Any, ...] | None = None
    for applied, seq, change in terms:
        term = (change["kind"], change.get("ends_at"), tuple(change.get("denies") or ()))
        if term == before:
            continue
        before = term
        if not start_us <= applied < end_us:
            continue
        if reason is None:
            reason, automated = orjson.loads(reason_json), orjson.loads(automated_json)
        puid = sanction_id if change["type"] == "imposed" else f"{sanction_id}-{seq}"
        ends = change.get("ends_at")
        out.append(
            (
                puid,
                statement_of(
                    puid,
                    change["kind"],
                    _day(applied),
                    ends[:10] if ends else None,
                    change.get("denies") or (),
                    reason,
                    automated,
                ),
            )
        )
    return out


def statements_from_issued(
    sanction_id: str, documents: Iterable[str | bytes], *, start_us: int, end_us: int
) -> dict[str, dict[str, Any]]:
    """``{puid: statement}`` of the statements of reasons issued for a sanction's decisions (their
    stored JSON, ``dsa.statement``) applied within ``[start_us, end_us)``: each as it was issued,
    its decision's own date the application date and its term's end the end date, whatever was
    decided since. The puid is the one the columns give the same decision (``statements_from_columns``):
    the sanction id for its creation, ``<sanction id>-<seq of the change>`` for an amendment or a
    review decision's change. A decision that lifts the measure restricts nothing: none."""
    out: dict[str, dict[str, Any]] = {}
    for text in documents:
        doc = orjson.loads(text)
        decided = doc["decided"]
        if decided["lifts"] or decided["change"] is None:
            continue
        applied = to_micros(parse_instant(decided["effective_at"]))
        if not start_us <= applied < end_us:
            continue
        puid = sanction_id if decided["type"] == "imposed" else f"{sanction_id}-{decided['change']}"
        ground, content, measure = doc["ground"], doc["content"], doc["measure"]
        reason = {
            "ground": ground["type"],
            "legal_ground": ground["legal_ground"],
            "contractual_ground": ground["contractual_ground"],
            "policy": ground["policy"],
            "explanation": ground["explanation"],
            "category": doc["category"],
            "keywords": doc["keywords"],
            "content_type": content["types"],
            "content_date": content["date"],
            "territorial_scope": doc["territorial_scope"]["countries"],
            "facts": doc["facts"],
            "source": doc["source"]["type"],
        }
        ends = doc["duration"]["ends_at"]
        statement = statement_of(
            puid,
            measure["kind"],
            _day(applied),
            ends[:10] if ends else None,
            measure["denies"],
            reason,
            doc["automated"],
        )
        if statement is not None:
            out[puid] = statement
    return out


def statement_of(
    identifier: str,
    kind: str,
    starts_on: str,
    ends_on: str | None,
    denies: Iterable[str],
    reason: Mapping[str, Any],
    automated: Mapping[str, Any],
) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    if kind == "suspension":
        out["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
        if ends_on:
            out["end_date_account_restriction"] = ends_on
    elif kind == "termination":
        out["decision_account"] = "DECISION_ACCOUNT_TERMINATED"
    elif kind == "restriction":
        denied = set(denies)
        if denied & _MONETARY:
            out["decision_monetary"] = "DECISION_MONETARY_SUSPENSION"
            if ends_on:
                out["end_date_monetary_restriction"] = ends_on
        if denied - _MONETARY or not denied:
            out["decision_provision"] = "DECISION_PROVISION_PARTIAL_SUSPENSION"
            if ends_on:
                out["end_date_service_restriction"] = ends_on
    else:
        return None
    get = reason.get
    _grounds(out, get)
    out["content_type"] = list(get("content_type") or ())
    if (content_date := get("content_date")) is not None:
        out["content_date"] = content_date
    # A sanction names no territory when it applies wherever the platform is offered: all of the EEA.
    out["territorial_scope"] = list(get("territorial_scope") or enums.EEA_COUNTRIES)
    _tail(out, get, automated, starts_on, identifier)
    return out


def _grounds(out: dict[str, Any], get: Any) -> None:
    """The ground of a decision, its category and keywords, from its reason (``get``: its ``get``)."""
    explanation = get("explanation")
    if get("ground") == "illegal_content":
        out["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        if legal := get("legal_ground"):
            out["illegal_content_legal_ground"] = legal
        if explanation:
            out["illegal_content_explanation"] = explanation
    else:
        out["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        if contractual := get("contractual_ground") or get("policy"):
            out["incompatible_content_ground"] = contractual
        if explanation:
            out["incompatible_content_explanation"] = explanation
    if (category := get("category")) is not None:
        out["category"] = category
    if keywords := get("keywords"):
        out["category_specification"] = list(keywords)


def _tail(out: dict[str, Any], get: Any, automated: Mapping[str, Any], starts_on: str, identifier: str) -> None:
    """The application date, facts, source, automation and puid of a decision."""
    out["application_date"] = starts_on
    if facts := get("facts"):
        out["decision_facts"] = facts
    out["source_type"] = _SOURCES.get(get("source") or "voluntary", "SOURCE_VOLUNTARY")
    out["automated_detection"] = "Yes" if automated.get("detection") else "No"
    out["automated_decision"] = _AUTOMATED.get(automated.get("decision") or "not_automated", "")
    out["puid"] = identifier if _is_plain_puid(identifier) else puid_for(identifier)


# --- decisions on content (PRODUCT.md section 9) ------------------------------------------------

#: Beyond every instant a period can bound (``domain.periods``): an unbounded period's limits.
_UNBOUNDED = 2**62

#: Each kind of decision on content, as the database's ``decision_visibility`` value; a
#: demonetization is a monetary decision instead (``CONTENT_MONETARY``).
CONTENT_VISIBILITY = {
    "removal": "DECISION_VISIBILITY_CONTENT_REMOVED",
    "disabling": "DECISION_VISIBILITY_CONTENT_DISABLED",
    "demotion": "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "age_restriction": "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "interaction_restriction": "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "label": "DECISION_VISIBILITY_CONTENT_LABELLED",
    "other": "DECISION_VISIBILITY_OTHER",
}
#: A demonetization suspends the payments the item earns, for its term or until it is restored:
#: DECISION_MONETARY_SUSPENSION, as a sanction's restriction of ``monetize`` is. Not a termination
#: (the end of the monetary relationship, an account's), and not ``_OTHER``, whose free text
#: would only repeat the word.
CONTENT_MONETARY = "DECISION_MONETARY_SUSPENSION"


@dataclass(frozen=True, slots=True)
class ContentItem:
    """What the export needs of an item: its content types, date and language (as first recorded)."""

    content_type: tuple[str, ...]
    content_date: str
    language: str | None

    @property
    def content_language(self) -> str | None:
        """The database's ``content_language``: the item's ISO 639-1 code in upper case (``en-GB``:
        EN); None for a language with no two-letter code."""
        return _language_code(self.language) if self.language else None


@lru_cache(maxsize=65_536)
def _content_item(content_type: tuple[str, ...], content_date: str, language: str | None) -> ContentItem:
    """An item's export fields as a ``ContentItem``: they repeat from one item to the next, and a
    frozen class costs a microsecond to make."""
    return ContentItem(content_type, content_date, language)


@lru_cache(maxsize=1024)
def _language_code(language: str) -> str | None:
    code = language.split("-", 1)[0].upper()
    return code if code in enums.LANGUAGES else None


def content_statement_of(
    identifier: str,
    kind: str,
    kind_other: str | None,
    starts_on: str,
    ends_on: str | None,
    countries: Sequence[str],
    item: ContentItem,
    reason: Mapping[str, Any],
    automated: Mapping[str, Any],
) -> dict[str, Any]:
    """The v2 statement of a decision on content: what it does to the item's visibility (or its
    monetisation), until when, where (no country: all of the EEA), the item's content type, date
    and language, and the reason's grounds."""
    out: dict[str, Any] = {}
    if kind == "demonetization":
        out["decision_monetary"] = CONTENT_MONETARY
        if ends_on:
            out["end_date_monetary_restriction"] = ends_on
    else:
        out["decision_visibility"] = [CONTENT_VISIBILITY[kind]]
        if kind == "other":
            out["decision_visibility_other"] = kind_other or ""
        if ends_on:
            out["end_date_visibility_restriction"] = ends_on
    get = reason.get
    _grounds(out, get)
    out["content_type"] = list(item.content_type)
    if (language := item.content_language) is not None:
        out["content_language"] = language
    out["content_date"] = item.content_date
    out["territorial_scope"] = list(countries or enums.EEA_COUNTRIES)
    _tail(out, get, automated, starts_on, identifier)
    return out


def content_statements_from_columns(
    decision_id: str,
    starts_at_us: int,
    kind_other: str | None,
    reason_json: str | bytes,
    automated_json: str | bytes,
    changes_json: str | bytes,
    item: ContentItem,
    *,
    start_us: int,
    end_us: int,
    in_hand: Container[str] = (),
) -> list[tuple[str, dict[str, Any] | None]]:
    """``(puid, statement)`` of each decision on an item applied within ``[start_us, end_us)``,
    straight from the ``content_decisions`` columns: its creation (puid: the decision's id) and
    each amendment that changed the kind, the end or the territorial scope in force before it
    (puid: ``<id>-<seq>``), applied at its ``effective_at``. A restoration restricts nothing.
    The statement of a puid ``in_hand`` (its issued statement's) is not made: None."""
    changes = orjson.loads(changes_json)
    if len(changes) == 1:  # never amended nor restored: the common case
        if not start_us <= starts_at_us < end_us:
            return []
        if decision_id in in_hand:
            return [(decision_id, None)]
        created = changes[0]
        ends = created.get("ends_at")
        return [
            (
                decision_id,
                content_statement_of(
                    decision_id,
                    created["kind"],
                    kind_other,
                    _day(starts_at_us),
                    ends[:10] if ends else None,
                    created.get("territorial_scope") or (),
                    item,
                    orjson.loads(reason_json),
                    orjson.loads(automated_json),
                ),
            )
        ]
    terms = []
    for change in changes:
        if change["type"] == "restored":
            continue
        applied = starts_at_us if change["type"] == "decided" else to_micros(parse_instant(change["effective_at"]))
        terms.append((applied, change["seq"], change))
    terms.sort(key=lambda t: (t[0], t[1]))
    out: list[tuple[str, dict[str, Any] | None]] = []
    reason: Mapping[str, Any] | None = None
    automated: Mapping[str, Any] = {}
    before: tuple[Any, ...] | None = None
    for applied, seq, change in terms:
        term = (change["kind"], change.get("ends_at"), tuple(change.get("territorial_scope") or ()))
        if term == before:
            continue
        before = term
        if not start_us <= applied < end_us:
            continue
        puid = decision_id if change["type"] == "decided" else f"{decision_id}-{seq}"
        if puid in in_hand:
            out.append((puid, None))
            continue
        if reason is None:
            reason, automated = orjson.loads(reason_json), orjson.loads(automated_json)
        ends = change.get("ends_at")
        out.append(
            (
                puid,
                content_statement_of(
                    puid,
                    term[0],
                    kind_other,
                    _day(applied),
                    ends[:10] if ends else None,
                    term[2],
                    item,
                    reason,
                    automated,
                ),
            )
        )
    return out


def content_export_fields(doc: Mapping[str, Any]) -> list[Any]:
    """What the export takes of a content decision's issued statement (``doc``, as stored: the
    document of ``dsa.statement.build_content_statement``), as a list in a fixed order, which is
    kept as a JSON array beside the document (``issued_documents.export_fields``) when the statement
    is issued: the export reads that and never parses the document's some 3.5 KB. The order is
    ``content_statements_from_issued``'s; changing it means filling the column again (a migration)."""
    decided, ground, content, measure, automated = (
        doc["decided"],
        doc["ground"],
        doc["content"],
        doc["measure"],
        doc["automated"],
    )
    return [
        decided["type"],
        decided["change"],
        decided["effective_at"],
        measure["kind"],
        measure.get("kind_other"),
        doc["duration"]["ends_at"],
        doc["territorial_scope"]["countries"],
        content["types"],
        content["date"],
        doc["item"].get("language"),
        ground["type"],
        ground["legal_ground"],
        ground["contractual_ground"],
        ground["policy"],
        ground["explanation"],
        doc["category"],
        doc["keywords"],
        doc["facts"],
        doc["source"]["type"],
        automated.get("detection"),
        automated.get("decision"),
    ]


def content_statements_from_issued(
    decision_id: str,
    issued: Iterable[tuple[str | bytes | None, str | bytes | None]],
    *,
    start_us: int,
    end_us: int,
) -> dict[str, dict[str, Any]]:
    """``{puid: statement}`` of the statements of reasons issued for a content decision's changes
    (``dsa.statement.content_facts_of``, as stored) applied within ``[start_us, end_us)``, each as
    it was issued; puids as ``content_statements_from_columns`` gives the same decisions. Each of
    ``issued`` is ``(export fields, document)``: the statement's ``content_export_fields`` as kept
    (JSON), else its document, parsed for them (a row the column was never filled for)."""
    out: dict[str, dict[str, Any]] = {}
    bounded = start_us > -_UNBOUNDED or end_us < _UNBOUNDED
    for fields, text in issued:
        if fields is not None:
            kept = orjson.loads(fields)
        else:
            assert text is not None
            kept = content_export_fields(orjson.loads(text))
        (
            decided_type,
            change,
            effective,
            kind,
            kind_other,
            ends,
            countries,
            types,
            content_date,
            language,
            ground,
            legal_ground,
            contractual_ground,
            policy,
            explanation,
            category,
            keywords,
            facts,
            source,
            detection,
            automation,
        ) = kept
        if decided_type == "restored":  # it ends the restriction: the database takes restrictions only
            continue
        if bounded and not start_us <= to_micros(parse_instant(effective)) < end_us:
            continue
        puid = decision_id if decided_type == "decided" else f"{decision_id}-{change}"
        reason = {
            "ground": ground,
            "legal_ground": legal_ground,
            "contractual_ground": contractual_ground,
            "policy": policy,
            "explanation": explanation,
            "category": category,
            "keywords": keywords,
            "facts": facts,
            "source": source,
        }
        out[puid] = content_statement_of(
            puid,
            kind,
            kind_other,
            effective[:10],  # an RFC 3339 UTC instant: its date is the UTC date
            ends[:10] if ends else None,
            countries,
            _content_item(tuple(types), content_date, language),
            reason,
            {"detection": detection, "decision": automation},
        )
    return out


def content_csv_line_of_kept(
    decision_id: str, fields: str | bytes, name_cell: str, *, start_us: int, end_us: int
) -> str | None:
    """The CSV line of the one statement a content decision never amended nor restored issued,
    straight from its kept export fields (``fields``; ``name_cell``: the platform's name as
    ``csv_line`` writes it), if the statement is certainly valid and applied within ``[start_us,
    end_us)``: the line ``csv_line`` writes of ``content_statements_from_issued``'s statement,
    which ``validate.problems`` finds nothing wrong with, without making the statement. None when
    that is not certain (a text to trim or too long, a date out of range, a code the validator
    refuses, a statement of a change, anything unexpected): the caller then takes the general
    path, which makes the statement, validates it and refuses it if it must.

    The rules on the enumerated fields are the validator's own (``validate.problems``), run once
    per combination of them with the cells they give (``_content_shape``); the texts, dates
    and the puid are checked here on every statement, each by a test that implies the validator's
    (a plain text within its length, a date within its range, a plain puid)."""
    if not _is_plain_puid(decision_id):
        return None
    found = _kept_line(decision_id, fields, name_cell, start_us=start_us, end_us=end_us, of_changes=False)
    return None if found is None or found is _OUT_OF_PERIOD else found[1]


def content_csv_lines_of_kept(
    decision_id: str,
    starts_at_us: int,
    changes_json: str | bytes,
    kept: Sequence[str | bytes | None],
    name_cell: str,
    *,
    start_us: int,
    end_us: int,
) -> tuple[str, int] | None:
    """The CSV lines of a content decision amended or restored (or of any decision the general
    path exports through its columns, ``content_statements_from_columns``), and how many, straight
    from its statements' kept export fields (``kept``, in decision order; ``changes_json``
    and ``starts_at_us``: its columns), if every line is certainly the general path's and it
    refuses none: that path's statements are those of the columns applied within ``[start_us,
    end_us)``, each the issued one of its puid if issued and applied within the period, then the
    other issued ones applied within it, in decision order (``_content_exported``). None when that
    is not certain: a statement whose fields are not kept or not certainly valid
    (``content_csv_line_of_kept``'s rules), a decision of the columns with no statement in hand
    (made from the columns), two statements of one puid, anything unexpected."""
    lines: dict[str, str] = {}
    for fields in kept:
        if fields is None:
            return None
        found = _kept_line(decision_id, fields, name_cell, start_us=start_us, end_us=end_us, of_changes=True)
        if found is None:
            return None
        if found is _OUT_OF_PERIOD:
            continue
        puid, line = found
        if puid in lines:
            return None
        lines[puid] = line
    try:
        puids = content_puids_of_columns(decision_id, starts_at_us, changes_json, start_us=start_us, end_us=end_us)
    except Exception:  # malformed columns: the general path meets them (and says so)
        return None
    out = []
    for puid in puids:
        line = lines.pop(puid, "")
        if not line:  # its statement would be made from the columns
            return None
        out.append(line)
    out += lines.values()
    return "".join(out), len(out)


def content_puids_of_columns(
    decision_id: str, starts_at_us: int, changes_json: str | bytes, *, start_us: int, end_us: int
) -> list[str]:
    """The puids of ``content_statements_from_columns``'s decisions, in its order, computed as it
    computes them, without making any statement."""
    changes = orjson.loads(changes_json)
    if len(changes) == 1:
        return [decision_id] if start_us <= starts_at_us < end_us else []
    terms = []
    for change in changes:
        if change["type"] == "restored":
            continue
        applied = starts_at_us if change["type"] == "decided" else to_micros(parse_instant(change["effective_at"]))
        terms.append((applied, change["seq"], change))
    terms.sort(key=lambda t: (t[0], t[1]))
    out: list[str] = []
    before: tuple[Any, ...] | None = None
    for applied, seq, change in terms:
        term = (change["kind"], change.get("ends_at"), tuple(change.get("territorial_scope") or ()))
        if term == before:
            continue
        before = term
        if not start_us <= applied < end_us:
            continue
        out.append(decision_id if change["type"] == "decided" else f"{decision_id}-{seq}")
    return out


#: ``_kept_line``'s answer for a statement applied outside the period, or a restoration's (the
#: database takes restrictions only): no line, and no doubt.
_OUT_OF_PERIOD = ("", "")


def _kept_line(
    decision_id: str, fields: str | bytes, name_cell: str, *, start_us: int, end_us: int, of_changes: bool
) -> tuple[str, str] | None:
    """``(puid, line)`` of the statement of these kept export fields (``content_csv_line_of_kept``),
    ``_OUT_OF_PERIOD`` if it applied outside ``[start_us, end_us)``, None if not certain; a
    statement of a change only if ``of_changes``."""
    try:
        (
            decided_type,
            change,
            effective,
            kind,
            kind_other,
            ends,
            countries,
            types,
            content_date,
            language,
            ground,
            legal_ground,
            contractual_ground,
            policy,
            explanation,
            category,
            keywords,
            facts,
            source,
            detection,
            automation,
        ) = orjson.loads(fields)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    if type(effective) is not str or (decided_type != "decided" and not of_changes):
        return None
    if decided_type == "restored":  # as content_statements_from_issued: it ends a restriction, never exported
        return _OUT_OF_PERIOD
    if (start_us > -_UNBOUNDED or end_us < _UNBOUNDED) and not start_us <= to_micros(parse_instant(effective)) < end_us:
        return _OUT_OF_PERIOD
    # The general path's puid (content_statements_from_issued), written as it is if plain (the
    # decision's id, for a statement never amended, is looked at by the caller).
    if decided_type == "decided":
        puid = decision_id
        if of_changes and not _is_plain_puid(puid):
            return None
    else:
        puid = f"{decision_id}-{change}"
        if not _is_plain_puid(puid):
            return None
    if type(countries) is not list or type(types) is not list or type(keywords) is not list:
        return None
    try:
        shape = _content_shape(
            kind,
            tuple(countries),
            tuple(types),
            language,
            ground,
            category,
            tuple(keywords),
            source,
            bool(detection),
            automation,
        )
    except TypeError:  # something unhashable where a code belongs
        return None
    if shape is None:
        return None
    template, end_at, ground_at, explanation_at, other = shape
    application = effective[:10]
    applies = _application_day(application)
    if applies is None or type(content_date) is not str or not _is_content_day(content_date):
        return None
    grounds = legal_ground if ground == "illegal_content" else (contractual_ground or policy)
    # is_plain_text of each (validate._plain: a text of 1 to n characters with nothing to trim at
    # either end, which _EDGES holds), inline: the three texts of every line.
    edges = _EDGES
    if not (
        type(grounds) is str
        and 0 < len(grounds) <= 500
        and grounds[0] not in edges
        and grounds[-1] not in edges
        and type(explanation) is str
        and 0 < len(explanation) <= 2000
        and explanation[0] not in edges
        and explanation[-1] not in edges
        and type(facts) is str
        and 0 < len(facts) <= 5000
        and facts[0] not in edges
        and facts[-1] not in edges
    ):
        return None
    row = list(template)
    if other:
        if not is_plain_text(kind_other, 500):
            return None
        row[_VISIBILITY_OTHER_AT] = _text_cell(kind_other)
    if ends:
        if type(ends) is not str:
            return None
        ends_on = ends[:10]
        last = day_within(ends_on, None)
        if last is None or last < applies:
            return None
        row[end_at] = _dump_date(ends_on)
    row[ground_at] = _plain_text_cell(grounds)
    row[explanation_at] = _plain_text_cell(explanation)
    row[_FACTS_AT] = _plain_text_cell(facts)
    row[_CONTENT_DATE_AT] = _dump_date(content_date)
    row[_APPLICATION_AT] = _dump_date(application)
    row[_NAME_AT] = name_cell
    row[_PUID_AT] = puid  # a plain puid: nothing to quote
    return puid, ",".join(row) + "\r\n"


@lru_cache(maxsize=65_536, typed=True)
def _content_shape(
    kind: Any,
    countries: tuple[Any, ...],
    types: tuple[Any, ...],
    language: Any,
    ground: Any,
    category: Any,
    keywords: tuple[Any, ...],
    source: Any,
    detection: bool,
    automation: Any,
) -> tuple[tuple[str, ...], int, int, int, bool] | None:
    """For ``content_csv_line_of_kept``: the cells of the enumerated fields of a content statement
    with these values (``content_statement_of``'s), the columns of its end date, grounds and
    explanation, and whether its kind is ``other``; None if the validator refuses a statement
    with these values and valid texts and dates (or the kind is none of a content decision's).
    Kept per combination: they repeat from one statement to the next."""
    if kind != "demonetization" and kind not in CONTENT_VISIBILITY:
        return None
    if not (language is None or type(language) is str) or not (automation is None or type(automation) is str):
        return None
    if not (source is None or type(source) is str):
        return None
    text = "x"
    statement = content_statement_of(
        "x",
        kind,
        text,
        "2020-01-01",
        "2020-01-02",
        countries,
        ContentItem(types, "2020-01-01", language),
        {
            "ground": ground,
            "legal_ground": text,
            "contractual_ground": text,
            "explanation": text,
            "category": category,
            "keywords": list(keywords),
            "facts": text,
            "source": source,
        },
        {"detection": detection, "decision": automation},
    )
    # Valid texts and dates stand in for the statement's own (checked by the caller): whatever
    # the validator refuses here, these values are the cause (an enumerated field, or a rule such
    # as CONTENT_TYPE_OTHER's, which requires a text no content statement holds).
    if problems(statement):
        return None
    shaped = {field: value for field, value in statement.items() if field in _SHAPED_CELLS}
    row = _cells(shaped)
    ends = "end_date_monetary_restriction" if kind == "demonetization" else "end_date_visibility_restriction"
    end_at = _WHERE[ends][0]
    if ground == "illegal_content":
        ground_at, explanation_at = _WHERE["illegal_content_legal_ground"][0], _WHERE["illegal_content_explanation"][0]
    else:
        ground_at = _WHERE["incompatible_content_ground"][0]
        explanation_at = _WHERE["incompatible_content_explanation"][0]
    return tuple(row), end_at, ground_at, explanation_at, kind == "other"


#: The fields of a content statement whose cells ``_content_shape`` keeps: those the validator's
#: rules on enumerated fields look at.
_SHAPED_CELLS = frozenset(
    {
        "decision_visibility",
        "decision_monetary",
        "decision_ground",
        "category",
        "category_specification",
        "content_type",
        "content_language",
        "territorial_scope",
        "source_type",
        "automated_detection",
        "automated_decision",
    }
)


def _day(us: int) -> str:
    """The UTC date of an instant in µs; days before 1970 are out of the database's range anyway."""
    return (_EPOCH_DAY + timedelta(days=us // _US_PER_DAY)).isoformat()


def batches(statements: Iterable[T], size: int = BATCH_LIMIT) -> Iterator[list[T]]:
    """Lists of at most ``size`` (never more than the database's 100) statements, in order."""
    size = max(1, min(size, BATCH_LIMIT))
    batch: list[T] = []
    for statement in statements:
        batch.append(statement)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_row(statement: Mapping[str, Any], platform_name: str) -> list[str]:
    """A statement as a row of the daily-dump layout: arrays as JSON lists, dates as the dumps
    print them, line breaks folded to spaces, texts trimmed at either end; ``uuid`` and
    ``created_at`` are the database's to give."""
    row = list(_EMPTY_ROW)
    # Statements come in few layouts (which fields, in which order): each layout's plan, where
    # each field goes and how, is made once.
    keys = tuple(statement)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _plan(keys)
    for field, position, how in plan:
        value = statement[field]
        if value is None:
            continue
        if how is _TEXT:
            # Most texts have nothing to fold nor to trim: they are taken as they are.
            if (value and (value[0] in _EDGES or value[-1] in _EDGES)) or "\n" in value or "\r" in value:
                value = value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
                value = trim(value)  # the dumps trim each text, as the database trims its input
            row[position] = value
        elif how is _ARRAY:
            row[position] = _json_list(tuple(value))
        else:
            row[position] = value + _DUMP_TIME
    row[_NAME_AT] = platform_name
    row[_PUID_AT] = statement["puid"]
    return row


def csv_line(statement: Mapping[str, Any], platform_name: str) -> str:
    """``csv_row`` of the statement as a line of CSV, as ``csv_lines`` writes it (RFC 4180 quoting,
    ``\\r\\n`` at the end), made in one pass: the export writes a million of them. A field is quoted
    when it holds a comma, a double quote or a line break (its double quotes doubled), as the
    ``csv`` module's minimal quoting does; the arrays' and dates' quoted forms are made once each,
    and a code of the database's enumerations is taken as it is (none needs folding nor quoting)."""
    row = _cells(statement)
    row[_NAME_AT] = _quoted(platform_name)
    row[_PUID_AT] = _quoted(statement["puid"])
    return ",".join(row) + "\r\n"


def _cells(statement: Mapping[str, Any]) -> list[str]:
    """The cells of ``csv_line``'s row that ``statement``'s fields fill (the platform's name and
    the puid left empty)."""
    row = list(_EMPTY_ROW)
    keys = tuple(statement)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _plan(keys)
    for field, position, how in plan:
        value = statement[field]
        if value is None:
            continue
        if how is _TEXT:
            row[position] = value if value in _CODES else _text_cell(value)
        elif how is _ARRAY:
            row[position] = _quoted_json_list(tuple(value))
        else:
            row[position] = _dump_date(value)
    return row


def _plain_text_cell(value: str) -> str:
    """``_text_cell`` of a text with nothing to trim at either end (``validate.is_plain_text``)."""
    if "\n" in value or "\r" in value:
        return _text_cell(value)
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value:
        return '"' + value + '"'
    return value


@lru_cache(maxsize=4096)
def _application_day(value: str) -> date | None:
    """``day_within(value, EARLIEST_APPLICATION)``, kept per day: the days repeat."""
    return day_within(value, EARLIEST_APPLICATION)


@lru_cache(maxsize=4096)
def _is_content_day(value: str) -> bool:
    """Whether ``day_within(value, EARLIEST_CONTENT)`` finds a day, kept per value: they repeat."""
    return day_within(value, EARLIEST_CONTENT) is not None


def _text_cell(value: str) -> str:
    """A text as ``csv_line`` writes it: line breaks folded to spaces and trimmed (as the dumps do),
    then quoted if it holds a comma or a double quote (no line break is left)."""
    if (value and (value[0] in _EDGES or value[-1] in _EDGES)) or "\n" in value or "\r" in value:
        value = value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        value = trim(value)
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value:
        return '"' + value + '"'
    return value


def csv_cell(value: str) -> str:
    """A text as ``csv_line`` writes the platform's name: quoted as the ``csv`` module would."""
    return _quoted(value)


def _quoted(value: str) -> str:
    """A field as the ``csv`` module writes it with minimal quoting and ``\\r\\n`` line ends."""
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value or "\r" in value:
        return '"' + value + '"'
    return value


@lru_cache(maxsize=4096)
def _dump_date(value: str) -> str:
    return _quoted(value + _DUMP_TIME)


@lru_cache(maxsize=4096)
def _quoted_json_list(values: tuple[str, ...]) -> str:
    return _quoted(_json_list(values))


def _plan(keys: tuple[str, ...]) -> tuple[tuple[str, int, str], ...]:
    """``(field, column, kind)`` of each field of ``keys`` the dumps carry (``content_id`` is
    ``content_id_ean`` there: none), kept for the next statement of that layout."""
    plan = tuple((field, *_WHERE[field]) for field in keys if field in _WHERE)
    if len(_PLANS) >= 1024:
        _PLANS.clear()
    _PLANS[keys] = plan
    return plan


_TEXT, _ARRAY, _DATE = "text", "array", "date"
#: Column and kind of each statement field the dumps carry; ``uuid``, ``created_at`` (the database's
#: to give) and ``content_id_ean`` stay empty.
_WHERE = {
    c: (i, _ARRAY if c in _ARRAY_COLUMNS else _DATE if c in _DATE_COLUMNS else _TEXT)
    for i, c in enumerate(CSV_COLUMNS)
    if c not in ("uuid", "created_at", "content_id_ean", "platform_name", "platform_uid")
}
_EMPTY_ROW = ("",) * len(CSV_COLUMNS)
_PLANS: dict[tuple[str, ...], tuple[tuple[str, int, str], ...]] = {}
#: What ``trim`` takes off either end of a text: whitespace (``str.isspace``: none lies beyond
#: U+3000) and the invisibles.
_EDGES = frozenset(c for c in map(chr, range(0x3001)) if c.isspace()) | frozenset(INVISIBLE)
#: The codes of the database's enumerations that a CSV field holds as they are (all of them: no
#: whitespace, comma, quote or line break); a text equal to one needs no look.
_CODES = frozenset(
    code
    for codes in (
        enums.DECISION_VISIBILITIES,
        enums.DECISION_MONETARIES,
        enums.DECISION_PROVISIONS,
        enums.DECISION_ACCOUNTS,
        enums.ACCOUNT_TYPES,
        enums.DECISION_GROUNDS,
        enums.YES_NO,
        enums.CONTENT_TYPES,
        enums.SOURCE_TYPES,
        enums.AUTOMATED_DECISIONS,
        enums.STATEMENT_CATEGORIES,
        enums.LANGUAGES,
    )
    for code in codes
    if code and not any(c in code for c in ',"\r\n') and code == trim(code) and code[0] not in _EDGES
)
_VISIBILITY_OTHER_AT = CSV_COLUMNS.index("decision_visibility_other")
_FACTS_AT = CSV_COLUMNS.index("decision_facts")
_CONTENT_DATE_AT = CSV_COLUMNS.index("content_date")
_APPLICATION_AT = CSV_COLUMNS.index("application_date")
_NAME_AT = CSV_COLUMNS.index("platform_name")
_PUID_AT = CSV_COLUMNS.index("platform_uid")


@lru_cache(maxsize=4096)
def _json_list(values: tuple[str, ...]) -> str:
    """``["A","B"]``, as the database stores its array fields (codes only: no escaping needed)."""
    return json.dumps(list(values), separators=(",", ":"))


def csv_header() -> str:
    return _line(CSV_COLUMNS)


def csv_lines(rows: Iterable[Sequence[str]], *, per_chunk: int = 1) -> Iterator[str]:
    """CSV text (RFC 4180 quoting, ``\\r\\n`` line ends): ``per_chunk`` rows per piece of text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writerows = writer.writerows
    iterator = iter(rows)
    while True:
        chunk = list(islice(iterator, per_chunk))
        if not chunk:
            return
        writerows(chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()
