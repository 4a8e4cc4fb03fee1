"""What the enforcement benchmarks share: options, the machine, a throw-away database, the catalogue."""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reprieve.services.callers import Caller
from reprieve.services.catalogue import CreateOperator, CreatePlatform, create_operator, create_platform
from reprieve.store.db import Database, normalise_url, open_database

#: The instant the benchmarks pretend it is.
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ACTOR = "bench"
OPERATOR = "meta"
PLATFORMS = ("facebook", "instagram", "threads", "messenger", "whatsapp")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def parser(description: str, count: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    p.add_argument("--count", type=int, default=count, help="sanctions (default %(default)s)")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("REPRIEVE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="the PostgreSQL server to create a throw-away database on "
        "(default: $REPRIEVE_BENCH_POSTGRES_URL or %(default)s)",
    )
    p.add_argument("--seed", type=int, default=2021)
    p.add_argument("--quick", action="store_true", help="a small run on SQLite, for `make bench`")
    return p


def quick(args: argparse.Namespace, **small: object) -> argparse.Namespace:
    """With ``--quick``: SQLite and the small sizes given (``count=20_000``, ...)."""
    if args.quick:
        args.backend = "sqlite"
        for name, value in small.items():
            setattr(args, name, value)
    return args


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM, Python {platform.python_version()}, "
        f"load average {load}"
    )


def say(*parts: object) -> None:
    print(*parts, flush=True)


@contextmanager
def scratch_database(backend: str, postgres_url: str, *, keep: bool = False) -> Iterator[Database]:
    """A new, empty, migrated database, dropped (or deleted) afterwards unless ``keep``."""
    if backend == "sqlite":
        directory = tempfile.mkdtemp(prefix="reprieve-enforcement-bench-")
        url = f"sqlite:///{directory}/bench.db"
        db = open_database(url)
        try:
            yield db
        finally:
            db.dispose()
            if keep:
                say(f"kept: --database-url {url}")
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    name = f"reprieve_bench_enforcement_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(postgres_url)).set(database=name).render_as_string(hide_password=False)
    db = open_database(url)
    try:
        yield db
    finally:
        db.dispose()
        if keep:
            say(f"kept: --database-url {url}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_catalogue(db: Database) -> None:
    create_operator(db, CreateOperator.parse(id=OPERATOR, name="Meta Platforms"), caller=Caller(ACTOR, now=NOW))
    for platform_id in PLATFORMS:
        create_platform(
            db,
            CreatePlatform.parse(id=platform_id, operator=OPERATOR, name=platform_id.title()),
            caller=Caller(ACTOR, now=NOW),
        )


_CATEGORIES = (
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_VIOLENCE",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
)


def reasons(rng: random.Random) -> list[dict[str, object]]:
    """A few hundred distinct reasons, shared between sanctions as moderators' templates are."""
    return [
        {
            "policy": f"community-standards/{i % 12}",
            "ground": "incompatible_content",
            "category": rng.choice(_CATEGORIES),
            "explanation": f"Repeated breaches of the community standards (template {i}).",
            "facts": f"Content reported and reviewed; {rng.randint(1, 40)} items removed.",
            "source": "voluntary",
        }
        for i in range(300)
    ]
