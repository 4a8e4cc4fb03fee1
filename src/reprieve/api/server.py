"""``reprieve serve``: the API under uvicorn, in one process or several."""

from __future__ import annotations

import os

import uvicorn

from reprieve.api.app import create_app
from reprieve.api.enforcement import attach_index
from reprieve.config import load_settings
from reprieve.domain.errors import ValidationError
from reprieve.store.db import open_database

#: How worker processes learn the database URL (read by ``reprieve.config``).
DATABASE_URL_ENV = "REPRIEVE_DATABASE_URL"
FACTORY = "reprieve.api.app:create_app_from_settings"


def serve(database_url: str, host: str, port: int, workers: int) -> None:
    """Serve the API until interrupted; the database is migrated once, before any worker starts."""
    if workers < 1:
        raise ValidationError("must be at least 1", field="workers")
    db = open_database(database_url)
    if workers == 1:
        try:
            app = attach_index(create_app(db, group_commit=load_settings().group_commit), db)
            uvicorn.run(app, host=host, port=port, proxy_headers=False)
        finally:
            db.dispose()
        return
    db.dispose()
    # Each worker is a fresh process that builds its own app (and engine) from the factory.
    os.environ[DATABASE_URL_ENV] = database_url
    uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=False)
