"""``reprieve serve``: the API under uvicorn, in one process or several."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

import uvicorn

from reprieve.api.app import app_from_settings
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
#: How long uvicorn's supervisor waits for a worker to answer its ping before killing it as hung.
#: Its default, 5 s, is shorter than a spawned worker's start on a busy machine (the interpreter,
#: the imports, the app): the workers were killed and respawned in a loop and the server never
#: answered. A hung worker is still replaced, a minute later.
WORKER_HEALTHCHECK_SECONDS = 60
_CPU_LIST = re.compile(r"\d+(-\d+)?(,\d+(-\d+)?)*")


def parse_cpus(text: str) -> tuple[int, ...]:
    """CPUs written as Linux lists them (``1``, ``0,2``, ``2-5``); ValidationError otherwise."""
    spec = text.replace(" ", "")
    if not _CPU_LIST.fullmatch(spec):
        raise ValidationError(f"{text!r} is not a list of CPUs such as 1, 0,2 or 2-5", field="cpus")
    cpus: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low:
            raise ValidationError(f"{part!r} is an empty range", field="cpus")
        cpus.extend(range(low, high + 1))
    count = os.cpu_count() or 1
    beyond = [cpu for cpu in cpus if cpu >= count]
    if beyond:
        raise ValidationError(f"there is no CPU {beyond[0]}: this machine has CPUs 0 to {count - 1}", field="cpus")
    return tuple(sorted(set(cpus)))


def run_on(cpus: Sequence[int]) -> None:
    """Let this process (and the processes it starts) run only on ``cpus``; ValidationError if
    the system does not allow it (CPUs outside the process's cpuset, or no such call)."""
    if not hasattr(os, "sched_setaffinity"):
        raise ValidationError("this system does not let a process choose its CPUs", field="cpus")
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as exc:
        raise ValidationError(f"the system refuses CPUs {_cpu_list(cpus)}: {exc.strerror}", field="cpus") from None


def _cpu_list(cpus: Sequence[int]) -> str:
    return ",".join(str(cpu) for cpu in cpus)


def serve(
    database_url: str,
    host: str,
    port: int,
    workers: int,
    log_format: str = LogFormat.JSON,
    *,
    access_log: bool = True,
    cpus: Sequence[int] | None = None,
) -> None:
    """Serve the API until interrupted; the database is migrated once, before any worker starts.

    Logs are one JSON object per line (``log_format="text"``: for a terminal): a line per
    request on stdout (unless ``access_log`` is False), the rest on stderr. The request
    middleware writes the access lines, so uvicorn's own are off.

    ``cpus`` (``parse_cpus``): the only CPUs the server's processes run on, workers included.
    The threads of one process (the event loop, the group-commit writer, the index's catch-up)
    take turns under the GIL; left to the kernel, each turn may start on another CPU, away from
    the caches the last one filled. On one CPU a process of the violations benchmark spends a
    fifth less CPU per violation (docs/benchmarks.md).
    """
    if workers < 1:
        raise ValidationError("must be at least 1", field="workers")
    if log_format not in tuple(LogFormat):
        raise ValidationError(f"must be one of {', '.join(LogFormat)}", field="log-format")
    log_config = logging_config(log_format, access_log=access_log)
    settings = load_settings()  # a bad REPRIEVE_* setting is refused before anything is opened
    if cpus:
        run_on(cpus)  # inherited by the worker processes
    db = open_database(database_url)
    sys.setswitchinterval(SWITCH_INTERVAL)
    if workers == 1:
        try:
            app = attach_index(app_from_settings(db, settings), db)
            uvicorn.run(
                app,
                host=host,
                port=port,
                proxy_headers=False,
                log_config=log_config,
                access_log=False,
                http=CoalescingHttpToolsProtocol,
            )
        finally:
            db.dispose()
        return
    db.dispose()
    # Each worker is a fresh process that builds its own app (and engine) from the factory.
    os.environ[DATABASE_URL_ENV] = database_url
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        proxy_headers=False,
        log_config=log_config,
        access_log=False,
        http=CoalescingHttpToolsProtocol,
    )
