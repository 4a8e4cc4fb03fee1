"""The CSV export's short path for content decisions (issue 24, the export's speed):
``tdb.content_csv_line_of_kept`` writes a statement's line straight from its kept export fields
only when the general path (``content_statements_from_issued``, ``validate.problems``,
``csv_line``) would write the same line and refuse nothing; anything else it leaves to that path
(None). Checked on valid fields of every kind and ground, and on each of them spoiled one field
at a time with values the validator refuses, or that need trimming, quoting or folding."""

from __future__ import annotations

import random
from typing import Any

import orjson

from reprieve.dsa import tdb
from reprieve.dsa.validate import problems

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
