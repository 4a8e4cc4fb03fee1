"""The CSV export's short path for content decisions (issue 24, the export's speed):
``tdb.content_csv_line_of_kept`` writes a statement's line straight from its kept export fields
only when the general path (``content_statements_from_issued``, ``validate.problems``,
``csv_line``) would write the same line and refuse nothing; anything else it leaves to that path
(None). Checked on valid fields of every kind and ground, and on each of them spoiled one field
at a time with values the validator refuses, or that need trimming, quoting or folding."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import orjson

from reprieve.dsa import tdb
from reprieve.dsa.validate import problems
from reprieve.services.transparency import _content_exported

UNBOUNDED = 2**62
KINDS = (
    "removal",
    "disabling",
    "demotion",
    "age_restriction",
    "interaction_restriction",
    "label",
    "other",
    "demonetization",
)


def _fields(rng: random.Random, kind: str, ground: str) -> list[Any]:
    """Valid export fields (``tdb.content_export_fields``'s order) of a statement of ``kind``."""
    return [
        "decided",
        rng.randrange(1, 10**6),
        f"2024-0{rng.randrange(1, 10)}-1{rng.randrange(10)}T10:00:00Z",
        kind,
        "Hidden from recommendations" if kind == "other" else None,
        rng.choice((None, "2025-03-01T00:00:00Z", "2030-12-31T23:59:59Z")),
        rng.choice(([], ["DE"], ["FR", "BE"])),
        rng.choice((["CONTENT_TYPE_VIDEO"], ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT"])),
        rng.choice(("2024-05-30", "2001-01-01")),
        rng.choice(("en", "fr-FR", "pt", None)),
        ground,
        "Art. 130 StGB" if ground == "illegal_content" else None,
        rng.choice((None, "Terms, section 4")),
        "Hate speech",
        rng.choice(("The item breaks our policy.", 'It says "this", and that.')),
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        rng.choice(([], ["KEYWORD_HATE_SPEECH"])),
        "Reviewed after an automated flag; case 7.",
        rng.choice(("voluntary", "article_16", None)),
        rng.choice((True, False, None)),
        rng.choice(("not_automated", "partially", "fully", None)),
    ]


#: Values that break a rule, need trimming, folding or quoting, or are of another type, tried in
#: each field in turn.
SPOILERS: tuple[Any, ...] = (
    None,
    "",
    "   ",
    " padded ",
    "\u200bhidden edge",
    "two\nlines",
    'a "quote", and a comma',
    "x" * 501,
    "x" * 2001,
    "x" * 5001,
    "STATEMENT_CATEGORY_NOT_ONE",
    "CONTENT_TYPE_OTHER",
    "XX",
    "1999-12-31",
    "2019-12-31T00:00:00Z",
    "2038-01-02T00:00:00Z",
    "2024-02-30",
    "amended",
    "other",
    "demonetization",
    "illegal_content",
    0,
    1,
    True,
    [],
    ["ZZ"],
    ["CONTENT_TYPE_OTHER"],
    ["KEYWORD_NOT_ONE"],
    {"a": 1},
)


def _general(decision_id: str, fields: list[Any]) -> tuple[str | None, bool]:
    """The line the general path writes of these fields, and whether it refuses the statement;
    (None, False) if it writes nothing, or fails."""
    try:
        statements = tdb.content_statements_from_issued(
            decision_id, [(orjson.dumps(fields), None)], start_us=-UNBOUNDED, end_us=UNBOUNDED
        )
        statement = statements.get(decision_id)
        if statement is None:
            return None, False
        return tdb.csv_line(statement, "You, Tube"), bool(problems(statement))
    except Exception:  # the short path must then leave it to the general one
        return None, True


def _check(decision_id: str, fields: list[Any]) -> bool:
    """Whether the short path wrote the line itself (it must then be the general path's, unrefused)."""
    line = tdb.content_csv_line_of_kept(
        decision_id, orjson.dumps(fields), tdb.csv_cell("You, Tube"), start_us=-UNBOUNDED, end_us=UNBOUNDED
    )
    if line is None:
        return False
    general, refused = _general(decision_id, fields)
    assert not refused, fields
    assert line == general, fields
    return True


def test_valid_kept_fields_are_written_as_the_general_path_writes_them() -> None:
    rng = random.Random(24)
    for _ in range(400):
        kind, ground = rng.choice(KINDS), rng.choice(("incompatible_content", "illegal_content"))
        fields = _fields(rng, kind, ground)
        assert _check(f"cd_{rng.randrange(10**6):020d}", fields), fields


def test_spoiled_kept_fields_are_left_to_the_general_path_unless_it_writes_the_same() -> None:
    rng = random.Random(7)
    shortcuts = fallbacks = 0
    for kind in KINDS:
        for ground in ("incompatible_content", "illegal_content"):
            base = _fields(rng, kind, ground)
            for position in range(len(base)):
                for spoiler in SPOILERS:
                    fields = list(base)
                    fields[position] = spoiler
                    if _check("cd_1", fields):
                        shortcuts += 1
                    else:
                        fallbacks += 1
    assert shortcuts and fallbacks  # both paths were taken


def test_a_decision_id_that_is_no_plain_puid_or_a_statement_out_of_the_period_takes_the_general_path() -> None:
    fields = _fields(random.Random(1), "removal", "incompatible_content")
    kept = orjson.dumps(fields)
    assert tdb.content_csv_line_of_kept("cd 1", kept, "YouTube", start_us=-UNBOUNDED, end_us=UNBOUNDED) is None
    applied = 1_700_000_000_000_000  # 2023-11-14: before the statement applied
    assert tdb.content_csv_line_of_kept("cd_1", kept, "YouTube", start_us=0, end_us=applied) is None
    line = tdb.content_csv_line_of_kept("cd_1", kept, "YouTube", start_us=applied, end_us=UNBOUNDED)
    assert line is not None and line == _general("cd_1", fields)[0].replace('"You, Tube"', "YouTube")  # type: ignore[union-attr]
    assert tdb.content_csv_line_of_kept("cd_1", b"[1, 2]", "YouTube", start_us=-UNBOUNDED, end_us=UNBOUNDED) is None
    assert tdb.content_csv_line_of_kept("cd_1", b"{", "YouTube", start_us=-UNBOUNDED, end_us=UNBOUNDED) is None


# --- amended and restored decisions: every statement's line from its kept fields ----------------

DAY_US = 86_400 * 10**6
STARTS_US = 1_717_236_000_000_000  # 2024-06-01T10:00:00Z
TERMS: tuple[tuple[str, str | None, list[str]], ...] = (
    ("removal", None, []),
    ("label", "2030-12-31T23:59:59Z", ["DE"]),
    ("demotion", None, ["FR", "BE"]),
    ("other", "2025-03-01T00:00:00Z", []),
    ("demonetization", None, []),
)


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 10**6, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amended(rng: random.Random, decision_id: str) -> tuple[tuple[Any, ...], list[list[Any]]]:
    """A decision amended (or restored) as the service records it: the row
    ``_content_exported`` takes, and the kept fields of each statement issued, in decision order.
    Amendments may repeat the terms in force (no decision of the columns: the issued one comes
    last), take effect before the creation, or be restored."""
    ground = rng.choice(("incompatible_content", "illegal_content"))
    kind, ends, scope = rng.choice(TERMS)
    base = _fields(rng, kind, ground)
    changes: list[dict[str, Any]] = []
    kept: list[list[Any]] = []
    seq = rng.randrange(1, 1000)
    for n in range(rng.randrange(1, 4)):
        if n:
            seq += rng.randrange(1, 3)
            if rng.random() < 0.25:
                changes.append({"type": "restored", "seq": seq, "effective_at": _iso(STARTS_US + n * DAY_US)})
                continue
            if rng.random() < 0.7:
                kind, ends, scope = rng.choice(TERMS)
        applied = STARTS_US if not n else STARTS_US + rng.choice((-1, 1, 2, 3)) * DAY_US
        change_type = "decided" if not n else "amended"
        changes.append(
            {
                "type": change_type,
                "seq": seq,
                "effective_at": _iso(applied),
                "kind": kind,
                "ends_at": ends,
                "territorial_scope": scope,
            }
        )
        fields = list(base)
        fields[:8] = [change_type, seq, _iso(applied), kind, base[4], ends, scope, base[7]]
        fields[4] = "Hidden from recommendations" if kind == "other" else None
        kept.append(fields)
    reason = {
        "ground": ground,
        "legal_ground": base[11],
        "contractual_ground": base[12],
        "policy": base[13],
        "explanation": base[14],
        "category": base[15],
        "keywords": base[16],
        "facts": base[17],
        "source": base[18],
    }
    row = (
        decision_id,
        "yt",
        STARTS_US,
        "Hidden from recommendations" if any(c.get("kind") == "other" for c in changes) else None,
        orjson.dumps(reason),
        orjson.dumps({"detection": base[19], "decision": base[20]}),
        orjson.dumps(changes),
        orjson.dumps(base[7]),
        base[8],
        base[9],
        1,
        2,
    )
    return row, kept


PERIODS = (
    (-UNBOUNDED, UNBOUNDED),
    (-UNBOUNDED, STARTS_US + DAY_US),
    (STARTS_US + DAY_US, UNBOUNDED),
    (STARTS_US - DAY_US, STARTS_US + 2 * DAY_US),
    (0, STARTS_US - DAY_US),
)


def _general_lines(row: tuple[Any, ...], kept: list[list[Any]], start: int, end: int) -> tuple[str | None, int, bool]:
    """The lines the general path writes of this decision, how many, and whether it refuses any;
    (None, 0, True) if it fails."""
    try:
        exported = list(
            _content_exported(row, [(orjson.dumps(f), None) for f in kept], {"yt": "You, Tube"}, start, end, {})
        )
    except Exception:  # the short path must then leave it to the general one
        return None, 0, True
    written = [tdb.csv_line(e.statement, e.platform_name) for e in exported if e.statement is not None]
    return "".join(written), len(written), any(e.problems for e in exported)


def _check_amended(row: tuple[Any, ...], kept: list[list[Any] | None], start: int, end: int) -> bool:
    """Whether the short path wrote the decision's lines itself (they must then be the general path's)."""
    try:
        found = tdb.content_csv_lines_of_kept(
            row[0],
            row[2],
            row[6],
            [None if f is None else orjson.dumps(f) for f in kept],
            tdb.csv_cell("You, Tube"),
            start_us=start,
            end_us=end,
        )
    except Exception:  # an instant that is none, in a bounded period: the general path fails too
        assert None in kept or _general_lines(row, kept, start, end)[0] is None  # type: ignore[arg-type]
        return False
    if found is None:
        return False
    assert None not in kept
    general, count, refused = _general_lines(row, kept, start, end)  # type: ignore[arg-type]
    assert not refused, (row, kept)
    assert found == (general, count), (row, kept, start, end)
    return True


def test_amended_and_restored_decisions_are_written_from_kept_fields_as_the_general_path_writes_them() -> None:
    rng = random.Random(2024)
    shortcuts = with_lines = 0
    for n in range(600):
        row, kept = _amended(rng, f"cd_{n:020d}")
        for start, end in PERIODS:
            if _check_amended(row, list(kept), start, end):
                shortcuts += 1
                with_lines += _general_lines(row, kept, start, end)[1] > 1
    # Valid fields of every statement in hand: the short path writes nearly all (not those whose
    # decision of the columns has no statement, e.g. an amendment issued for terms that repeat).
    assert shortcuts > 0.8 * 600 * len(PERIODS) and with_lines > 300


def test_amended_decisions_with_a_statement_missing_spoiled_or_repeated_are_left_to_the_general_path() -> None:
    rng = random.Random(25)
    shortcuts = fallbacks = 0
    for n in range(60):
        row, kept = _amended(rng, f"cd_{n}")
        start, end = rng.choice(PERIODS)
        variants: list[list[list[Any] | None]] = []
        for at in range(len(kept)):
            variants.append(kept[:at] + kept[at + 1 :])  # a statement not issued (or erased)
            variants.append([*kept[:at], None, *kept[at + 1 :]])  # its fields not kept
            variants.append([*kept, kept[at]])  # issued twice
            for position in range(len(kept[at])):
                for spoiler in rng.sample(SPOILERS, 6):
                    spoiled = list(kept[at])
                    spoiled[position] = spoiler
                    variants.append([*kept[:at], spoiled, *kept[at + 1 :]])
        for variant in variants:
            if _check_amended(row, variant, start, end):
                shortcuts += 1
            else:
                fallbacks += 1
    assert shortcuts and fallbacks


def test_the_puids_of_the_columns_are_those_of_the_statements_made_from_them() -> None:
    rng = random.Random(26)
    for n in range(300):
        row, _ = _amended(rng, f"cd_{n}")
        item = tdb.ContentItem(tuple(orjson.loads(row[7])), row[8], row[9])
        for start, end in PERIODS:
            made = tdb.content_statements_from_columns(
                row[0], row[2], row[3], row[4], row[5], row[6], item, start_us=start, end_us=end
            )
            puids = tdb.content_puids_of_columns(row[0], row[2], row[6], start_us=start, end_us=end)
            assert puids == [puid for puid, _ in made]


def test_a_restorations_statement_is_never_written_as_the_general_path_leaves_it_out() -> None:
    """A restoration decided on a complaint or a review issues its statement (issue 25); it ends a
    restriction, so neither path exports it (the database takes restrictions only)."""
    rng = random.Random(25)
    written = 0
    for n in range(400):
        row, kept = _amended(rng, f"cd_{n:020d}")
        restorations = [c for c in orjson.loads(row[6]) if c["type"] == "restored"]
        if not restorations:
            continue
        restored = list(kept[-1])
        restored[:3] = ["restored", restorations[0]["seq"], restorations[0]["effective_at"]]
        for start, end in PERIODS:
            if _check_amended(row, [*kept, restored], start, end):
                written += 1
                assert _check_amended(row, list(kept), start, end)
                found = tdb.content_csv_lines_of_kept(
                    row[0],
                    row[2],
                    row[6],
                    [orjson.dumps(f) for f in kept],
                    tdb.csv_cell("You, Tube"),
                    start_us=start,
                    end_us=end,
                )
                with_restoration = tdb.content_csv_lines_of_kept(
                    row[0],
                    row[2],
                    row[6],
                    [orjson.dumps(f) for f in [*kept, restored]],
                    tdb.csv_cell("You, Tube"),
                    start_us=start,
                    end_us=end,
                )
                assert with_restoration == found
    assert written > 100
