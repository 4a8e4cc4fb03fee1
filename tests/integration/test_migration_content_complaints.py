"""Migration 0032 on both backends: a violation keeps its strike's own expiry (``strike_expiry``,
filled from ``strike_expires_at``), an appeal names exactly one of a sanction and a content
decision (the check refuses one about neither), and it goes down and up again cleanly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from reprieve.store.db import create_engine_for
from reprieve.store.migrate import alembic_config

_VIOLATION = (
    "INSERT INTO violations (id, operator_id, platform_id, external_id, account_id, identity_id, policy, severity, "
    "category, occurred_at, strike_expires_at, strike_count, ladder, answer, created_seq) "
    "VALUES (:i, 'meta', 'facebook', :i, 'a', 'idt_1', 'p', 'low', 'c', 1, :e, 1, 'standard', '{}', 1)"
)
_APPEAL = (
    "INSERT INTO appeals (id, operator_id, sanction_id, content_decision_id, kind, state, requester, relation, "
    "channel, meeting_requested, statement, received_at, created_seq, updated_seq) "
    "VALUES (:i, 'meta', :s, :c, 'complaint', 'open', 'rqr_1', 'subject', 'web', 0, '', 1, 1, 1)"
)


def test_the_migration_keeps_the_strikes_expiry_and_one_target_per_appeal(empty_database_url: str) -> None:
    engine = create_engine_for(empty_database_url)
    try:
        command.upgrade(alembic_config(engine), "0031")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO operators (id, name, created_seq) VALUES ('meta', 'Meta', 1)"))
            conn.execute(
                sa.text(
                    "INSERT INTO platforms (id, operator_id, name, kind, capabilities, policy, created_seq) "
                    "VALUES ('facebook', 'meta', 'Facebook', 'social', '[]', '{}', 1)"
                )
            )
            conn.execute(sa.text(_VIOLATION), [{"i": "vio_1", "e": 5}, {"i": "vio_2", "e": None}])
        command.upgrade(alembic_config(engine), "0032")
        with engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT id, strike_expiry, strike_ended_seq FROM violations ORDER BY id")).all()
        assert [tuple(r) for r in kept] == [("vio_1", 5, None), ("vio_2", None, None)]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # about nothing: the check refuses it
            conn.execute(sa.text(_APPEAL), {"i": "apl_bad", "s": None, "c": None})
        command.downgrade(alembic_config(engine), "0031")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("violations")}
            assert not {"strike_expiry", "strike_ended_seq"} & columns
            assert "content_decision_id" not in {c["name"] for c in sa.inspect(conn).get_columns("appeals")}
        command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()
