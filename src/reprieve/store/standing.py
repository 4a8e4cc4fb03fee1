"""Everything the standing of one account on one platform depends on, read in one statement.

A standing is asked for on every check that misses the enforcement index and on every read of
``/standing``: one round trip instead of six keeps it within a millisecond. The statement is
the union of the account's identity, the spans reaching it, its strikes (sanctions imposed
directly, violations reported) with the first granted appeal of each, its probations, which of
its sanctions are held until their review, and when its identity's links took effect (a
standing before one is read by ``store.asof``),
tagged by kind and padded to one shape; the rules applied to them are those of
``reprieve.store.due_process`` and ``reprieve.domain``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection

from reprieve.domain.model import SanctionKind
from reprieve.domain.sanctions import Sanction
from reprieve.domain.standing import ResolvedSpan
from reprieve.domain.strikes import LadderName, Probation
from reprieve.store.due_process import DirectStrike, ReportedStrike, probation_of
from reprieve.store.raw import fetch_all

#: The ladder column of a violation that brought the policy's first warning (no strike).
_FIRST_WARNING = LadderName.FIRST_WARNING.value
_GRANTED = "(SELECT min(ap.decided_at) FROM appeals ap WHERE ap.sanction_id = {sanction} AND ap.state = 'granted')"

#: Columns: tag, three texts, four integers. {p} is the platform, {a} the account. Every branch
#: starts from the identity (a scalar subquery, computed once) and reaches the rest through
#: correlated subqueries on primary keys, which no planner turns into a scan of a platform's
#: rows, even before the tables have statistics (after a bulk import); {fence} keeps PostgreSQL
#: from turning those subqueries into joins.
_STATEMENT = f"""
WITH a AS (SELECT identity_id FROM accounts WHERE platform_id = {{p}} AND account_id = {{a}})
SELECT 'i', a.identity_id, CAST(NULL AS TEXT), CAST(NULL AS TEXT),
       CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
  FROM a
UNION ALL
SELECT 's', sp.sanction_id, sp.kind, sp.denies, sp.active_from, sp.active_until,
       (SELECT 1 FROM sanctions s WHERE s.id = sp.sanction_id AND s.changes LIKE {{held}}{{fence}}), NULL
  FROM sanction_spans sp
 WHERE sp.identity_id = (SELECT identity_id FROM a) AND sp.platform_id = {{p}}
UNION ALL
SELECT 'd', s.id, NULL, NULL, s.starts_at, s.lifted_at, {_GRANTED.format(sanction="s.id")}, NULL
  FROM sanctions s
 WHERE s.identity_id = (SELECT identity_id FROM a)
   AND EXISTS (SELECT 1 FROM sanction_scope sc WHERE sc.sanction_id = s.id AND sc.platform_id = {{p}}{{fence}})
   AND NOT EXISTS (SELECT 1 FROM violations v WHERE v.sanction_id = s.id{{fence}})
UNION ALL
SELECT 'v', v.sanction_id, v.ladder, NULL, v.occurred_at, v.strike_expires_at,
       (SELECT s.lifted_at FROM sanctions s WHERE s.id = v.sanction_id),
       {_GRANTED.format(sanction="v.sanction_id")}
  FROM violations v
 WHERE v.identity_id = (SELECT identity_id FROM a) AND v.platform_id = {{p}}
UNION ALL
SELECT 'p', p.id, p.sanction_id, p.ladder, p.starts_at, p."until", NULL, NULL
  FROM probations p
 WHERE p.identity_id = (SELECT identity_id FROM a) AND p.platform_id = {{p}}
UNION ALL
SELECT 'l', NULL, NULL, NULL, l.effective_at, NULL, NULL, NULL
  FROM identity_links l
 WHERE l.identity_id = (SELECT identity_id FROM a)
"""
#: The statement in each driver's parameter style (sqlite3: named; psycopg: pyformat).
_BY_DIALECT = {
    "sqlite": _STATEMENT.format(p=":p", a=":a", fence="", held="'%hold_until_review%'"),
    "postgresql": _STATEMENT.format(p="%(p)s", a="%(a)s", fence=" OFFSET 0", held="'%%hold_until_review%%'"),
}


#: The same for many accounts of one platform at once (a group commit of violations): every
#: row is tagged with its account, and the branches reach the rest from each account's identity
#: by the same indexes (``CROSS JOIN``: SQLite then keeps the accounts as the outer loop, rather
#: than scanning a platform's violations). {among} takes the accounts as one parameter, so that
#: the statement's text, compiled once, is the same whatever their number.
_MANY = f"""
WITH a AS (SELECT account_id, identity_id FROM accounts WHERE platform_id = {{p}} AND account_id {{among}})
SELECT a.account_id AS account, 'i' AS tag, a.identity_id AS t1, CAST(NULL AS TEXT) AS t2, CAST(NULL AS TEXT) AS t3,
       CAST(NULL AS BIGINT) AS i1, CAST(NULL AS BIGINT) AS i2, CAST(NULL AS BIGINT) AS i3, CAST(NULL AS BIGINT) AS i4
  FROM a
UNION ALL
SELECT a.account_id, 's', sp.sanction_id, sp.kind, sp.denies, sp.active_from, sp.active_until, NULL, NULL
  FROM a CROSS JOIN sanction_spans sp
 WHERE sp.identity_id = a.identity_id AND sp.platform_id = {{p}}
UNION ALL
SELECT a.account_id, 'd', s.id, NULL, NULL, s.starts_at, s.lifted_at, {_GRANTED.format(sanction="s.id")}, NULL
  FROM a CROSS JOIN sanctions s
 WHERE s.identity_id = a.identity_id
   AND EXISTS (SELECT 1 FROM sanction_scope sc WHERE sc.sanction_id = s.id AND sc.platform_id = {{p}}{{fence}})
   AND NOT EXISTS (SELECT 1 FROM violations v WHERE v.sanction_id = s.id{{fence}})
UNION ALL
SELECT a.account_id, 'v', v.sanction_id, v.ladder, NULL, v.occurred_at, v.strike_expires_at,
       (SELECT s.lifted_at FROM sanctions s WHERE s.id = v.sanction_id),
       {_GRANTED.format(sanction="v.sanction_id")}
  FROM a CROSS JOIN violations v
 WHERE v.identity_id = a.identity_id AND v.platform_id = {{p}}
UNION ALL
SELECT a.account_id, 'p', p.id, p.sanction_id, p.ladder, p.starts_at, p."until", NULL, NULL
  FROM a CROSS JOIN probations p
 WHERE p.identity_id = a.identity_id AND p.platform_id = {{p}}
"""
#: SQLite: the rows as one JSON array, made in one step of the statement. A step lets other
#: threads take the GIL, and a busy server's writer then waits to get it back: once, not per row.
_MANY_AS_ONE_ROW = "SELECT json_group_array(json_array(account, tag, t1, t2, t3, i1, i2, i3, i4)) FROM ({many})"
_MANY_POSTGRESQL = _MANY.format(p="%(p)s", among="= ANY(%(accounts)s)", fence=" OFFSET 0")
_MANY_SQLITE = _MANY_AS_ONE_ROW.format(
    many=_MANY.format(p=":p", among="IN (SELECT value FROM json_each(:accounts))", fence="")
)
#: Accounts per statement at most: a bulk read stays a bounded piece of work.
_MANY_CHUNK = 500


@dataclass(slots=True)
class StandingRows:
    """What was read for one account; ``identity`` is None for an account never registered."""

    identity: str | None = None
    spans: list[ResolvedSpan] = field(default_factory=list)
    direct: list[DirectStrike] = field(default_factory=list)
    reported: list[ReportedStrike] = field(default_factory=list)
    probations: list[Probation] = field(default_factory=list)
    #: The sanctions among the spans' with a term held until its review (``pending_review``).
    held: set[str] = field(default_factory=set)
    #: When the last link of its identity took effect (µs; None: never linked). A standing
    #: before it is not the identity's now (``store.asof.standing_rows_as_of`` reads it).
    last_link: int | None = None
    #: As of a past instant (``store.asof``): the sanctions read, as known then, by id (None: not read).
    known: dict[str, Sanction] | None = None


def standing_rows(conn: Connection, platform_id: str, account_id: str) -> StandingRows:
    result = StandingRows()
    denials: dict[str, frozenset[str]] = {}
    for row in fetch_all(conn, _BY_DIALECT[conn.dialect.name], {"p": platform_id, "a": account_id}):
        _add(result, row, denials)
    return result


def standing_rows_of(conn: Connection, platform_id: str, account_ids: Sequence[str]) -> dict[str, StandingRows]:
    """``standing_rows`` of each of ``account_ids`` on one platform, in one statement per 500."""
    unique = list(dict.fromkeys(account_ids))
    found = {account: StandingRows() for account in unique}
    denials: dict[str, frozenset[str]] = {}
    postgresql = conn.dialect.name == "postgresql"
    for i in range(0, len(unique), _MANY_CHUNK):
        chunk = unique[i : i + _MANY_CHUNK]
        rows: Iterable[Sequence[Any]]
        if postgresql:
            rows = fetch_all(conn, _MANY_POSTGRESQL, {"p": platform_id, "accounts": chunk})
        else:
            one_row = fetch_all(conn, _MANY_SQLITE, {"p": platform_id, "accounts": orjson.dumps(chunk).decode()})
            rows = orjson.loads(one_row[0][0])
        for account, *row in rows:
            _add(found[account], row, denials)
    return found


def _add(result: StandingRows, row: Sequence[Any], denials: dict[str, frozenset[str]]) -> None:
    """One row of the statement, into what was read for its account."""
    tag, t1, t2, t3, i1, i2, i3, i4 = row
    if tag == "s":
        denies = denials.get(t3)
        if denies is None:
            denies = denials[t3] = frozenset(json.loads(t3))
        result.spans.append(ResolvedSpan(t1, i1, i2, SanctionKind(t2), denies))
        if i3:
            result.held.add(t1)
    elif tag == "d":
        result.direct.append(DirectStrike(t1, i1, i2, i3))
    elif tag == "v":
        result.reported.append(ReportedStrike(i1, i2, t1, i3, i4, t2 == _FIRST_WARNING))
    elif tag == "p":
        result.probations.append(probation_of(t1, i1, i2, t3, t2))
    elif tag == "l":
        result.last_link = i1 if result.last_link is None else max(result.last_link, i1)
    else:
        result.identity = t1
