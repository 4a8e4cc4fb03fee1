"""Alembic environment: the engine comes from Reprieve, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from reprieve.store.db import create_engine_for
from reprieve.store.tables import metadata

config = context.config
engine: Engine | None = config.attributes.get("engine")
if engine is None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from reprieve.config import load_settings

        url = load_settings().database_url
    engine = create_engine_for(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
