"""Where a person's data is: search every table's text columns, every export, the webhook
outbox's bodies as they would be sent, and captured log output for needle strings.

The schema is reflected from the database (no table is named here), so a table a later
migration adds is searched without anyone remembering to add it. Needles are matched without
regard to case, as written and as JSON escapes them (``"Ma\\u00eetre"``), so that a name in a
canonical-JSON column is found too.

``places(...)`` answers, for each needle, where it was found: ``table:<table>.<column>[<key>]``,
``outbox:<delivery id>``, ``export:<name>``, ``log``. The issue-21 test
(``tests/e2e/test_personal_data_everywhere.py``) seeds a person through every path and asserts
on these places before (and, once erasure lands, after) erasing them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import JSON, LargeBinary, MetaData, String, Text, select

from reprieve.runtime.webhooks import public_event
from reprieve.store import tables
from reprieve.store.db import Database

#: Column types that can hold a person's text (VARCHAR, TEXT, CHAR, JSON, JSONB, bytes).
TEXTUAL = (String, Text, JSON, LargeBinary)


def _forms(needle: str) -> tuple[str, ...]:
    """The needle as written and as JSON (ASCII) escapes it, lower-cased."""
    escaped = json.dumps(needle)[1:-1]
    return tuple({needle.casefold(), escaped.casefold()})


def _contains(haystack: str, needle: str) -> bool:
    folded = haystack.casefold()
    return any(form in folded for form in _forms(needle))


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def table_places(db: Database, needles: Iterable[str]) -> dict[str, list[str]]:
    """Every table's every textual column, reflected from the database: where each needle is."""
    wanted = list(needles)
    found: dict[str, list[str]] = {n: [] for n in wanted}
    reflected = MetaData()
    reflected.reflect(bind=db.engine)
    with db.read() as conn:
        for table in reflected.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, TEXTUAL)]
            if not columns:
                continue
            keys = list(table.primary_key.columns) or list(table.columns)[:1]
            for row in conn.execute(select(*keys, *columns)).mappings():
                key = ",".join(str(row[k.name]) for k in keys)
                for column in columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    text = _text(value)
                    for needle in wanted:
                        if _contains(text, needle):
                            found[needle].append(f"table:{table.name}.{column.name}[{key}]")
    return found


def outbox_bodies(db: Database) -> dict[str, str]:
    """What each webhook delivery and dead letter of the outbox sends: its event, as
    ``runtime.webhooks.public_event`` builds it from the log."""
    o, e = tables.outbox, tables.events
    query = select(o.c.id, e.c.seq, e.c.type, e.c.at, e.c.effective_at, e.c.operator_id, e.c.data).join(
        e, e.c.seq == o.c.seq
    )
    with db.read() as conn:
        rows = conn.execute(query).all()
    return {
        f"outbox:{r.id}": json.dumps(public_event(r.seq, r.type, r.at, r.effective_at, r.operator_id, r.data))
        for r in rows
    }


def exports(
    client: TestClient,
    headers: Mapping[str, str],
    *,
    operator: str,
    sanctions: Iterable[str],
    period: tuple[str, str] = ("2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
) -> dict[str, str]:
    """Every export the product makes, through the API (the CLI and the Transparency Database's
    submissions use the same services): statements of reasons (JSON, HTML, each language), the
    Transparency Database's export (JSON, CSV), the transparency report (JSON, CSV, HTML), the
    audit log (``GET /v1/events``) and its verification, over ``period`` (from, to)."""
    within = f"&from={period[0]}&to={period[1]}"
    paths = {
        "transparency/statements.json": f"/v1/transparency/statements?operator={operator}&format=json{within}",
        "transparency/statements.csv": f"/v1/transparency/statements?operator={operator}&format=csv{within}",
        "transparency/report.json": f"/v1/transparency/report?operator={operator}{within}",
        "transparency/report.csv": f"/v1/transparency/report?operator={operator}&format=csv{within}",
        "transparency/report.html": f"/v1/transparency/report?operator={operator}&format=html{within}",
        "events": f"/v1/events?operator={operator}&limit=1000",
        "audit/verify": "/v1/audit/verify",
    }
    for sanction in sanctions:
        for lang in ("en", "fr"):
            paths[f"statement/{sanction}.{lang}.json"] = f"/v1/sanctions/{sanction}/statement?lang={lang}"
            paths[f"statement/{sanction}.{lang}.html"] = f"/v1/sanctions/{sanction}/statement?lang={lang}&format=html"
    found: dict[str, str] = {}
    for name, path in paths.items():
        answer = client.get(path, headers=dict(headers))
        assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
        found[f"export:{name}"] = answer.text
    return found


def text_places(texts: Mapping[str, str], needles: Iterable[str]) -> dict[str, list[str]]:
    """Which of these named texts (exports, outbox bodies, captured logs) hold each needle."""
    return {n: [name for name, text in texts.items() if _contains(text, n)] for n in needles}


def places(db: Database, needles: Iterable[str], *, texts: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Where each needle is: every table, the outbox as it would be sent, and ``texts`` (exports,
    ``{"log": caplog.text + capsys output}``, ...)."""
    wanted = list(needles)
    found = table_places(db, wanted)
    named = {**outbox_bodies(db), **(texts or {})}
    for needle, where in text_places(named, wanted).items():
        found[needle].extend(where)
    return found
