"""The cut-over of a history already chained (issue 21, ``reprieve audit cut-over``).

Events recorded before issue 21 hold personal data in their declared fields and name people in
their ``actor``. The cut-over moves each such text or name into ``personal_data`` and puts its
reference in the stored event (``{"ref": "pd_..."}`` for a text, ``ref:pd_...`` where the field
holds an actor or a name as a string), under the chain head's lock. The stored ``hash`` and
``prev_hash`` columns are not touched (printed appeal codes and exported puids depend on them):
the prefix no longer recomputes to them, so a checkpoint proves it instead, a running SHA-256 over
each prefix event as now stored (``prefix_digest``) signed by an HMAC under a key kept out of the
database (``store.keys``), kept in ``log_checkpoints`` and chained in a ``log.checkpointed`` event.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from reprieve.domain.events import (
    EVENT_CLASSES,
    PERSONAL_FIELDS,
    EventType,
    RecordedEvent,
    canonical_json,
    envelope_json,
)
from reprieve.domain.personal import ACTOR_NAME_KIND, PANEL_KIND, PREFIX, REF_TEXT
from reprieve.store import personal, tables
from reprieve.store.db import Database

#: The kind of each declared field that holds a text of the public, as new events file it.
TEXT_KINDS: dict[tuple[str, str], str] = {
    (EventType.APPEAL_FILED.value, "statement"): "appeal.statement",
    (EventType.APPEAL_DECIDED.value, "reply"): "appeal.reply",
    (EventType.DISPUTE_RECORDED.value, "body"): "dispute.body",
    (EventType.DISPUTE_RECORDED.value, "summary"): "dispute.summary",
    (EventType.ACCOUNT_REGISTERED.value, "display_name"): "account.display_name",
    (EventType.ACCOUNT_RENAMED.value, "display_name"): "account.display_name",
}
#: Declared fields that already held a reference before issue 21 (an appeal's requester).
ALREADY_REFERENCES = frozenset({(EventType.APPEAL_FILED.value, "requester")})
#: Actors that name nobody: the ids new events carry, and the old worker's and command line's.
_ID_ACTOR_PREFIXES = ("token:", "member:", "cli:member:", "system:", REF_TEXT)
_NAMELESS_ACTORS = frozenset({"cli", "worker", "system"})


def names_nobody(actor: str | None) -> bool:
    """Whether an actor (or a staff field) is an id, not a name: nothing to move."""
    return not actor or actor in _NAMELESS_ACTORS or actor.startswith(_ID_ACTOR_PREFIXES)


def prefix_line(event: RecordedEvent) -> bytes:
    """What the prefix digest takes of one event: its seq, its stored links and its content as stored."""
    envelope = envelope_json(
        event.seq, event.type, event.at, event.effective_at, event.actor, event.operator, event.data
    )
    return f"{event.seq}\n{event.prev_hash}\n{event.hash}\n{envelope}\n".encode()


def signed_text(head_seq: int, head_hash: str, rewritten: int, digest: str, at: str) -> bytes:
    return f"reprieve log checkpoint v1\n{head_seq}\n{head_hash}\n{rewritten}\n{digest}\n{at}\n".encode()


def sign(key: bytes, head_seq: int, head_hash: str, rewritten: int, digest: str, at: str) -> str:
    return hmac.new(key, signed_text(head_seq, head_hash, rewritten, digest, at), hashlib.sha256).hexdigest()


def signature_checks(keys: Iterable[bytes], signature: str, *facts: Any) -> bool:
    """Whether ``signature`` is the HMAC of the facts under one of ``keys`` (compared in constant time)."""
    return any(hmac.compare_digest(sign(key, *facts), signature) for key in keys)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A row of ``log_checkpoints``."""

    event_seq: int
    head_seq: int
    head_hash: str
    rewritten: int
    digest: str
    signature: str
    at: str


def checkpoint(conn: Connection) -> Checkpoint | None:
    """The cut-over's checkpoint, if the cut-over ran (the first, if rows were added)."""
    c = tables.log_checkpoints.c
    row = conn.execute(select(tables.log_checkpoints).order_by(c.event_seq).limit(1)).first()
    return None if row is None else Checkpoint(**row._mapping)


def _events(conn: Connection, where: Any, limit: int | None = None) -> list[RecordedEvent]:
    e = tables.events.c
    query = select(*(e[c] for c in RecordedEvent._fields if c != "operator"), e.operator_id).where(where)
    rows = conn.execute(query.order_by(e.seq).limit(limit))
    return [
        RecordedEvent(r.seq, r.type, r.at, r.effective_at, r.actor, r.operator_id, r.data, r.prev_hash, r.hash)
        for r in rows
    ]


def checkpoint_events(conn: Connection) -> list[RecordedEvent]:
    """The ``log.checkpointed`` events (one, once the cut-over ran)."""
    e = tables.events.c
    # It belongs to no operator: ix_events_operator_type_seq finds it without reading the log.
    return _events(conn, e.operator_id.is_(None) & (e.type == EventType.LOG_CHECKPOINTED.value))


def save_checkpoint(conn: Connection, row: Checkpoint) -> None:
    conn.execute(
        tables.log_checkpoints.insert().values(
            event_seq=row.event_seq,
            head_seq=row.head_seq,
            head_hash=row.head_hash,
            rewritten=row.rewritten,
            digest=row.digest,
            signature=row.signature,
            at=row.at,
        )
    )


@dataclass(frozen=True, slots=True)
class Rewritten:
    """What rewriting the prefix did: events changed, texts and names moved, the prefix's digest."""

    events: int
    moved: int
    digest: str


class _Mover:
    """Moves texts and names into ``personal_data``, one row per text (per name and operator for
    a staff name, per entry for a panel), and remembers what it moved."""

    def __init__(self, db: Database, conn: Connection, now: datetime) -> None:
        self.db, self.conn, self.now = db, conn, now
        self.moved = 0
        self.names: dict[tuple[str, str], str] = {}  # (operator, name) -> ref
        self.panels: dict[str, dict[str, str]] = {}  # review -> entry -> ref
        self.requesters: dict[str, str] = {}  # appeal -> requester

    def keep(self, operator: str | None, kind: str, subject: str | None, value: str) -> str:
        ref = self.db.ids.new_id(PREFIX, self.now)
        personal.insert(
            self.conn,
            ref=ref,
            operator=operator or "",
            kind=kind,
            subject=subject or f"actor:{ref}",
            value=value,
            now=self.now,
        )
        self.moved += 1
        return ref

    def name(self, operator: str | None, value: str) -> str:
        key = (operator or "", value)
        if key not in self.names:
            self.names[key] = self.keep(operator, ACTOR_NAME_KIND, None, value)
        return REF_TEXT + self.names[key]

    def requester_of(self, appeal: object) -> str:
        if not isinstance(appeal, str):
            return "appeal:unknown"
        if appeal not in self.requesters:
            a = tables.appeals.c
            found = self.conn.execute(select(a.requester).where(a.id == appeal)).scalar_one_or_none()
            self.requesters[appeal] = found or f"appeal:{appeal}"
        return self.requesters[appeal]

    def payload(self, type_: str, operator: str | None, data: dict[str, Any]) -> bool:
        """Move the plain texts and names of one payload; whether it changed."""
        cls = EVENT_CLASSES.get(type_)
        fields = PERSONAL_FIELDS.get(cls, frozenset()) if cls is not None else frozenset()
        if type_ == EventType.APPEAL_FILED.value and isinstance(data.get("id"), str):
            self.requesters[data["id"]] = str(data.get("requester") or f"appeal:{data['id']}")
        changed = False
        for field in sorted(fields):
            value = data.get(field)
            if (type_, field) in ALREADY_REFERENCES or value is None or value == "":
                continue
            kind = TEXT_KINDS.get((type_, field))
            if kind is not None:
                if isinstance(value, str):
                    data[field] = {"ref": self.keep(operator, kind, self._subject(type_, data), value)}
                    changed = True
            elif field == "panel" and isinstance(value, list):
                entries = self.panels.setdefault(str(data.get("id")), {})
                moved = []
                for entry in value:
                    if isinstance(entry, str):
                        if entry not in entries:
                            entries[entry] = self.keep(operator, PANEL_KIND, f"review:{data.get('id')}", entry)
                        moved.append({"ref": entries[entry]})
                        changed = True
                    else:
                        moved.append(entry)
                data[field] = moved
            elif isinstance(value, str) and not names_nobody(value):
                if field == "name" and value == data.get("id"):
                    continue  # a token's or member's id, as new events hold it
                seat = self.panels.get(str(data.get("review")), {}).get(value) if field == "reviewer" else None
                data[field] = REF_TEXT + seat if seat is not None else self.name(operator, value)
                changed = True
        return changed

    def _subject(self, type_: str, data: dict[str, Any]) -> str:
        if type_ in (EventType.ACCOUNT_REGISTERED.value, EventType.ACCOUNT_RENAMED.value):
            return f"{data.get('platform')}/{data.get('account')}"
        if type_ == EventType.APPEAL_FILED.value:
            return str(data.get("requester") or f"appeal:{data.get('id')}")
        return self.requester_of(data.get("appeal") if type_ == EventType.DISPUTE_RECORDED.value else data.get("id"))


def rewrite_prefix(
    db: Database,
    conn: Connection,
    *,
    head_seq: int,
    now: datetime,
    batch: int = 5_000,
    on_progress: Callable[[int], None] | None = None,
) -> Rewritten:
    """Move the personal data of events 1 to ``head_seq`` out of them (their hashes untouched) and
    answer the digest of the prefix as it is then stored. The caller holds the head's lock."""
    mover = _Mover(db, conn, now)
    digest = hashlib.sha256()
    events = 0
    after = 0
    e = tables.events.c
    change = (
        update(tables.events)
        .where(e.seq == bindparam("at_seq"))
        .values(actor=bindparam("new_actor"), data=bindparam("new_data"))
    )
    while after < head_seq:
        e = tables.events.c
        page = _events(conn, (e.seq > after) & (e.seq <= head_seq), batch)
        if not page:
            break
        changes = []
        for event in page:
            data = event.payload()
            changed = mover.payload(event.type, event.operator, data)
            actor = event.actor
            if not names_nobody(actor):
                actor = mover.name(event.operator, actor)
                changed = True
            if changed:
                event = event._replace(actor=actor, data=canonical_json(data))
                changes.append({"at_seq": event.seq, "new_actor": event.actor, "new_data": event.data})
            digest.update(prefix_line(event))
        if changes:
            conn.execute(change, changes)
            events += len(changes)
        after = page[-1].seq
        if on_progress is not None:
            on_progress(after)
    return Rewritten(events, mover.moved, digest.hexdigest())
