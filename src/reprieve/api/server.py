"""``reprieve serve``: the API under uvicorn, in one process or several."""

from __future__ import annotations

import os
import sys

import uvicorn

from reprieve.api.app import create_app
from reprieve.api.enforcement import attach_index
from reprieve.api.observability.logs import LogFormat, logging_config
from reprieve.api.transport import CoalescingHttpToolsProtocol
from reprieve.config import load_settings
from reprieve.domain.errors import ValidationError
from reprieve.store.db import open_database

#: How worker processes learn the database URL (read by ``reprieve.config``).
DATABASE_URL_ENV = "REPRIEVE_DATABASE_URL"
FACTORY = "reprieve.api.app:create_app_from_settings"
#: How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). The
#: group-commit writer lets go of the GIL at each SQLite statement and must then wait for the
#: event loop to hand it back: at 5 ms a wait, a busy loop starves the writer. At 1 ms the
#: writer alone beside a busy thread records twice as many violations a second.
SWITCH_INTERVAL = 0.001


def serve(
    database_url: str, host: str, port: int, workers: int, log_format: str = LogFormat.JSON,
    *, access_log: bool = True,
) -> None:
    """Serve the API until interrupted; the database is migrated once, before any worker starts.

    Logs are one JSON object per line (``log_format="text"``: for a terminal): a line per
    request on stdout (unless ``access_log`` is False), the rest on stderr. The request
    middleware writes the access lines, so uvicorn's own are off.
    """
    if workers < 1:
        raise ValidationError("must be at least 1", field="workers")
    if log_format not in tuple(LogFormat):
        raise ValidationError(f"must be one of {', '.join(LogFormat)}", field="log-format")
    log_config = logging_config(log_format, access_log=access_log)
    db = open_database(database_url)
    sys.setswitchinterval(SWITCH_INTERVAL)
    if workers == 1:
        try:
            settings = load_settings()
            app = attach_index(
                create_app(db, group_commit=settings.group_commit, opentelemetry=settings.opentelemetry), db
            )
            uvicorn.run(
                app, host=host, port=port, proxy_headers=False, log_config=log_config, access_log=False,
                http=CoalescingHttpToolsProtocol,
            )
        finally:
            db.dispose()
        return
    db.dispose()
    # Each worker is a fresh process that builds its own app (and engine) from the factory.
    os.environ[DATABASE_URL_ENV] = database_url
    uvicorn.run(
        FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=False,
        log_config=log_config, access_log=False, http=CoalescingHttpToolsProtocol,
    )
