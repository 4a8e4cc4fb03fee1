"""Migration 0038 (``ix_issued_documents_export``) on both backends: on SQLite it indexes the
statements there are with their kept export fields, so that the export reads them from the index
alone; on PostgreSQL the index is empty (its condition); it goes down and up again cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from reprieve.store import issued
from reprieve.store.db import create_engine_for
from reprieve.store.migrate import alembic_config


def _indexes(conn: sa.Connection) -> set[str]:
    return {index["name"] for index in sa.inspect(conn).get_indexes("issued_documents") if index["name"]}


def test_the_migration_indexes_the_statements_kept_fields_and_goes_down_cleanly(empty_database_url: str) -> None:
    engine = create_engine_for(empty_database_url)
    rows = [  # (id, about, seq, document, fields)
        ("stm_1", "cd_1", 10, b"{}", b'["decided",10]'),
        ("stm_2", "cd_1", 12, b"{}", b'["amended",12]'),
        ("stm_3", "cd_2", 11, None, None),  # erased
        ("stm_4", "snc_1", 13, b"{}", None),  # a sanction's
    ]
    try:
        command.upgrade(alembic_config(engine), "0035")
        with engine.begin() as conn:
            for doc_id, about, seq, document, fields in rows:
                conn.execute(
                    sa.text(
                        "INSERT INTO issued_documents (id, operator_id, kind, sanction_id, decision_seq, issued_at, "
                        "language, format_version, document, packing, sha256, export_fields) "
                        "VALUES (:i, 'google', 'statement', :a, :s, 1, 'en', 1, :d, :p, :h, :f)"
                    ),
                    {"i": doc_id, "a": about, "s": seq, "d": document, "p": issued.PLAIN, "h": "0" * 64, "f": fields},
                )
            assert "ix_issued_documents_export" not in _indexes(conn)
        command.upgrade(alembic_config(engine), "0038")
        with engine.connect() as conn:
            assert "ix_issued_documents_export" in _indexes(conn)
            if conn.dialect.name == "sqlite":  # read from the index alone: every statement, with its fields
                query = (
                    "SELECT sanction_id, decision_seq, export_fields FROM issued_documents "
                    "INDEXED BY ix_issued_documents_export WHERE sanction_id >= '' AND kind = 'statement' "
                    "ORDER BY sanction_id, kind, decision_seq"
                )
                plan = " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
                assert "COVERING INDEX ix_issued_documents_export" in plan, plan
                found = [(a, s, None if f is None else bytes(f)) for a, s, f in conn.exec_driver_sql(query)]
                assert found == sorted((a, s, f) for _, a, s, _, f in rows)
        command.downgrade(alembic_config(engine), "0035")
        with engine.connect() as conn:
            assert "ix_issued_documents_export" not in _indexes(conn)
            assert conn.execute(sa.text("SELECT count(*) FROM issued_documents")).scalar() == len(rows)
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as conn:
            assert "ix_issued_documents_export" in _indexes(conn)
    finally:
        engine.dispose()
