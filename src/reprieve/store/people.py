"""Erasure and retention of a person's data beside the log (issue 21): who a key names (an appeal
requester by reference or e-mail, within one operator), their appeals and disputes, blanking the
requester's row, rewriting the cached idempotency answers that hold what was blanked, and the
closed cases the retention period has passed."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select, update

from reprieve.store import tables
from reprieve.store.connection import Connection
from reprieve.store.personal import sha256_of

R = tables.appeal_requesters.c
A = tables.appeals.c
P = tables.personal_data.c
K = tables.idempotency_keys.c

_REQUESTER = (R.id, R.appeal_id, R.name, R.email, R.erased_at)


def requester_of(conn: Connection, operator: str, reference: str) -> dict[str, Any] | None:
    """The requester ``reference`` of one of ``operator``'s appeals, or None."""
    row = conn.execute(
        select(*_REQUESTER)
        .join(tables.appeals, A.id == R.appeal_id)
        .where(R.id == reference, A.operator_id == operator)
    ).first()
    return dict(row._mapping) if row else None


def requesters_by_email(conn: Connection, operator: str, email: str) -> list[dict[str, Any]]:
    """Every requester of ``operator``'s appeals whose e-mail is ``email``, case-insensitively."""
    rows = conn.execute(
        select(*_REQUESTER)
        .join(tables.appeals, A.id == R.appeal_id)
        .where(A.operator_id == operator, func.lower(R.email) == email.lower())
        .order_by(R.id)
    )
    return [dict(r._mapping) for r in rows]


def appeals_of(conn: Connection, appeal_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The appeals' rows (what an erasure weighs), by id: with who filed (``relation``) and the
    sanction's account (``platform``, ``account``)."""
    if not appeal_ids:
        return []
    columns = (A.id, A.operator_id, A.sanction_id, A.state, A.requester, A.relation, A.decided_at, A.statement)
    # The sanction's account, or for a complaint about content its item's author.
    S, CD = tables.sanctions.c, tables.content_decisions.c
    platform = func.coalesce(S.subject_platform, CD.platform_id).label("platform")
    account = func.coalesce(S.subject_account, CD.author_account).label("account")
    rows = conn.execute(
        select(*columns, A.statement_ref, A.reply, A.reply_ref, platform, account)
        .outerjoin(tables.sanctions, S.id == A.sanction_id)
        .outerjoin(tables.content_decisions, CD.id == A.content_decision_id)
        .where(A.id.in_(list(appeal_ids)))
        .order_by(A.id)
    )
    return [dict(r._mapping) for r in rows]


def unerased_texts(conn: Connection, operator: str, subjects: Sequence[str]) -> list[dict[str, Any]]:
    """The personal-data rows of ``subjects`` within ``operator`` not yet erased, with their text."""
    if not subjects:
        return []
    rows = conn.execute(
        select(P.id, P.kind, P.subject, P.value)
        .where(P.operator_id == operator, P.subject.in_(list(subjects)), P.erased_at.is_(None))
        .order_by(P.id)
    )
    return [dict(r._mapping) for r in rows]


def erase_requester(conn: Connection, reference: str, *, now_us: int, by: str) -> None:
    """Blank a requester's name and e-mail, keeping their SHA-256 and when and by whom."""
    row = conn.execute(select(R.name, R.email).where(R.id == reference, R.erased_at.is_(None))).first()
    if row is None:
        return
    conn.execute(
        update(tables.appeal_requesters)
        .where(R.id == reference)
        .values(
            name=None,
            email=None,
            name_sha256=None if row.name is None else sha256_of(row.name),
            email_sha256=None if row.email is None else sha256_of(row.email),
            erased_at=now_us,
            erased_by=by,
        )
    )


def scrub_cached_answers(conn: Connection, appeal_ids: Sequence[str], texts: Collection[str]) -> int:
    """Replace by null every string among ``texts`` in the cached idempotency answers about
    ``appeal_ids`` (which name the appeal), keeping the key: a retry still gets its answer, without
    the data, and does not act twice. How many answers were rewritten."""
    wanted = {t for t in texts if t}
    if not wanted or not appeal_ids:
        return 0
    rewritten = 0
    for appeal_id in appeal_ids:
        rows = conn.execute(select(K.scope, K.key, K.body).where(K.body.contains(appeal_id, autoescape=True)))
        for row in list(rows):
            body = _scrubbed(row.body, wanted)
            if body != row.body:
                conn.execute(
                    update(tables.idempotency_keys).where(K.scope == row.scope, K.key == row.key).values(body=body)
                )
                rewritten += 1
    return rewritten


def _scrubbed(body: str, texts: set[str]) -> str:
    try:
        data = json.loads(body)
    except ValueError:  # not JSON: cut the texts out
        for text in texts:
            body = body.replace(text, "")
        return body
    if not any(text in body or json.dumps(text)[1:-1] in body for text in texts):
        return body

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            # A long text inside a longer string goes too; a short one (a name) only as the whole value.
            return None if any(text == value or (len(text) >= 12 and text in value) for text in texts) else value
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return json.dumps(walk(data), ensure_ascii=False, separators=(",", ":"))


def closed_unpurged_appeals(conn: Connection, operator: str, *, closed_by_us: int, limit: int) -> list[dict[str, Any]]:
    """``operator``'s decided appeals, decided by ``closed_by_us``, whose requester is not erased yet
    (candidates of the retention purge), oldest decision first."""
    rows = conn.execute(
        select(A.id, A.requester, A.decided_at)
        .join(tables.appeal_requesters, R.id == A.requester)
        .where(
            A.operator_id == operator,
            A.state != "open",
            A.decided_at.is_not(None),
            A.decided_at <= closed_by_us,
            R.erased_at.is_(None),
        )
        .order_by(A.decided_at, A.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def old_display_name(conn: Connection, platform: str, account: str) -> tuple[bool, bool]:
    """Whether the account exists, and whether its display name is an old event's text (in the chain)."""
    c = tables.accounts.c
    row = conn.execute(
        select(c.display_name, c.display_name_ref).where(c.platform_id == platform, c.account_id == account)
    ).first()
    if row is None:
        return False, False
    return True, bool(row.display_name) and row.display_name_ref is None


def operator_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(tables.operators.c.id).order_by(tables.operators.c.id)).scalars())
