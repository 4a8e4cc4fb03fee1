"""Migration 0028 (``issued_documents.export_fields``) on both backends: it fills the export fields
of the content statements issued before it (kept as they are or packed), leaves the others null
(a sanction's statement, an erased text), and goes down and up again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import sqlalchemy as sa
from alembic import command

from reprieve.domain.content import ContentChange, ContentChangeType, ContentDecision, ContentKind, Item
from reprieve.domain.reason import Automation, Reason
from reprieve.dsa import statement as sor
from reprieve.dsa import tdb
from reprieve.store import issued
from reprieve.store.db import create_engine_for
from reprieve.store.migrate import alembic_config

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _document(decision_id: str) -> str:
    """A content decision's statement as the service issues it."""
    decision = ContentDecision(
        decision_id,
        "google",
        Item("youtube", "1234567890123456789", "channel-1", ("CONTENT_TYPE_VIDEO",), "2024-05-30", "fr"),
        NOW,
        Reason.as_recorded(
            {
                "ground": "incompatible_content",
                "category": "STATEMENT_CATEGORY_VIOLENCE",
                "policy": "Violence",
                "explanation": "Praise of violence",
                "facts": "Reviewed, case 1.",
                "source": "voluntary",
            }
        ),
        Automation.from_dict({"detection": True, "decision": "partially"}),
        None,
        False,
        [ContentChange(ContentChangeType.DECIDED, 10, NOW, ContentKind.REMOVAL, NOW + timedelta(days=30), ("DE",))],
    )
    context = sor.Context(
        platform_names={"youtube": "YouTube"},
        complaint_deadline=NOW + timedelta(days=183),
        appeal_url="https://reprieve.example/appeal",
        appeal_code="",
        now=NOW,
        complaint_window=None,
        decision_seq=10,
    )
    body = sor.build_content_statement(decision, context, sor.Lang.EN)
    body.update(id=f"stm_{decision_id}", decision=10, format_version=1)
    return orjson.dumps(body).decode()


def test_the_migration_fills_the_export_fields_of_content_statements_and_goes_down_cleanly(
    empty_database_url: str,
) -> None:
    engine = create_engine_for(empty_database_url)
    plain, packed = _document("cd_1"), _document("cd_2")
    rows = [  # (id, about, document, packing)
        ("stm_1", "cd_1", plain.encode(), issued.PLAIN),
        ("stm_2", "cd_2", issued._packed(packed), issued.PACKING),
        ("stm_3", "cd_3", None, issued.PLAIN),  # erased
        ("stm_4", "snc_1", plain.encode(), issued.PLAIN),  # a sanction's: not a content decision's layout
    ]
    try:
        command.upgrade(alembic_config(engine), "0027")
        with engine.begin() as conn:
            for doc_id, about, document, packing in rows:
                conn.execute(
                    sa.text(
                        "INSERT INTO issued_documents (id, operator_id, kind, sanction_id, decision_seq, issued_at, "
                        "language, format_version, document, packing, sha256) "
                        "VALUES (:i, 'google', 'statement', :a, 10, 1, 'en', 1, :d, :p, :h)"
                    ),
                    {"i": doc_id, "a": about, "d": document, "p": packing, "h": "0" * 64},
                )
        command.upgrade(alembic_config(engine), "0028")
        with engine.connect() as conn:
            kept = dict(conn.execute(sa.text("SELECT id, export_fields FROM issued_documents")).all())
        assert kept["stm_3"] is None and kept["stm_4"] is None
        assert orjson.loads(bytes(kept["stm_1"])) == tdb.content_export_fields(orjson.loads(plain))
        assert orjson.loads(bytes(kept["stm_2"])) == tdb.content_export_fields(orjson.loads(packed))
        exported = tdb.content_statements_from_issued(
            "cd_1", [(bytes(kept["stm_1"]), None)], start_us=-(2**62), end_us=2**62
        )
        assert exported == tdb.content_statements_from_issued("cd_1", [(None, plain)], start_us=-(2**62), end_us=2**62)
        assert exported["cd_1"]["territorial_scope"] == ["DE"]

        command.downgrade(alembic_config(engine), "0027")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("issued_documents")}
            assert "export_fields" not in columns
            assert conn.execute(sa.text("SELECT count(*) FROM issued_documents")).scalar() == len(rows)
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as conn:
            filled = conn.execute(sa.text("SELECT count(export_fields) FROM issued_documents")).scalar()
        assert filled == 2
    finally:
        engine.dispose()
