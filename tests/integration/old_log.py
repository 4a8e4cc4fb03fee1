"""The log and projections of a database made by older code, as a test fixture, and their loading.

``python tests/integration/old_log.py DIR`` (with ``PYTHONPATH`` naming the older code's ``src``
first) tells ``event_story`` into a fresh SQLite database and writes, in ``DIR``, its events
(``events.jsonl``) and its projections (``projections.json``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from reprieve.store import tables
from reprieve.store.db import Database, open_database

_EVENT_COLUMNS = ("seq", "type", "at", "effective_at", "actor", "operator_id", "data", "prev_hash", "hash")


#: Columns added after the fixture was made: issue 21's references into ``personal_data``, which
#: only new events fill. ``projections`` checks that they are all null and leaves them out.
LATER_COLUMNS: dict[str, tuple[str, ...]] = {
    "appeals": ("statement_ref", "reply_ref"),
    "appeal_disputes": ("body_ref", "summary_ref"),
    "accounts": ("display_name_ref",),
}


def projections(conn: Connection) -> dict[str, list[Any]]:
    """Every row of every projection, each table's rows in a fixed order, as JSON would hold them."""
    dumped: dict[str, list[Any]] = {}
    for table in tables.PROJECTIONS:
        later = LATER_COLUMNS.get(table.name, ())
        for name in later:
            filled = conn.execute(select(table.c[name]).where(table.c[name].is_not(None))).first()
            assert filled is None, f"an old log filled {table.name}.{name}"
        columns = [c for c in table.c if c.name not in later]
        rows = [json.loads(json.dumps(list(row), default=str)) for row in conn.execute(select(*columns))]
        dumped[table.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return dumped


def load_events(db: Database, lines: list[str]) -> int:
    """Append the dumped events to ``db``'s empty log, as they were, and move its head; how many."""
    rows = [dict(zip(_EVENT_COLUMNS, json.loads(line), strict=True)) for line in lines if line.strip()]
    with db.engine.begin() as conn:
        conn.execute(insert(tables.events), rows)
        conn.execute(update(tables.chain_head).values(seq=rows[-1]["seq"], hash=rows[-1]["hash"]))
    return len(rows)


def dump(target: Path) -> None:
    from event_story import tell

    with tempfile.TemporaryDirectory() as scratch:
        db = open_database(f"sqlite:///{Path(scratch) / 'old.db'}")
        tell(db)
        e = tables.events.c
        with db.read() as conn:
            events = conn.execute(select(*(e[c] for c in _EVENT_COLUMNS)).order_by(e.seq)).all()
            made = projections(conn)
        db.dispose()
    target.mkdir(parents=True, exist_ok=True)
    (target / "events.jsonl").write_text("".join(json.dumps(list(row), ensure_ascii=False) + "\n" for row in events))
    (target / "projections.json").write_text(json.dumps(made, indent=1, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    dump(Path(sys.argv[1]))
