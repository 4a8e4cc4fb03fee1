"""The notices list and the case page with 1,000,000 open notices, in-process with the app.

    python bench/notices_pages.py [--backend sqlite|postgresql] [--count N | --quick] [--keep FILE]
                                  [--repeat R] [--explain] [--rebuild]

Target (issue 26): ``GET /v1/notices`` and ``GET /v1/cases/{id}`` <= 100 ms with 1,000,000 open
notices. The notices are seeded through the service's own batch (``receive_notices_within``, the
group commit's: events, projections, notifiers' rows and personal data, 2,000 notices a
transaction; not timed), so the log holds them and a rebuild gives the same rows (``--rebuild``
checks it). The mix: five platforms of one operator (facebook half of them), eleven categories
(hate speech and scams a third), 10 % about accounts, about three notices per case, and one item
(``hot-1``) with 1 % of them: a case of 10,000 notices at 1,000,000. ``--keep FILE`` (SQLite)
seeds the file once and reuses it when it holds notices already.

Timed (each ``--repeat`` times, median and p95, with a moderator's token: the console's user, who
sees the notifiers' names in a case): the list's first page; a page deep in it (by its cursor,
after 90 % of the notices, as a client paging through gets it); filtered by category, by platform,
by state open and by state decided; a typical case (three notices) and the 10,000 notices' case;
and, if the build has them, the console's notices list and case page (signed in as a moderator).
``--explain`` prints the query plans of the list's and the case's queries.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from harness import NOW, OPERATOR, PLATFORMS, create_catalogue, header, parse, parser, say, scratch_database
from sqlalchemy import func, select, text

from reprieve.api.app import create_app
from reprieve.domain.appeals import Channel
from reprieve.domain.model import Role
from reprieve.domain.notices import About, Notifier
from reprieve.services import members, notices, tokens
from reprieve.services.audit import rebuild_projections
from reprieve.services.callers import Caller
from reprieve.services.committing import ALONE
from reprieve.store import tables
from reprieve.store.db import Database, open_database
from reprieve.store.uow import UnitOfWork

TARGET_MS = 100.0
CONSOLE_PASSWORD = "a bench moderator's password"
CHUNK = 2_000
ACTOR = "platform:bench"
HOT = "hot-1"
#: Categories and their weights.
CATEGORIES = (
    ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", 20),
    ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", 14),
    ("STATEMENT_CATEGORY_VIOLENCE", 12),
    ("STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", 10),
    ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", 8),
    ("STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", 8),
    ("STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT", 7),
    ("STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", 6),
    ("STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", 5),
    ("STATEMENT_CATEGORY_SELF_HARM", 5),
    ("STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", 5),
)
#: Platforms and their weights (PLATFORMS of the harness, in order).
PLATFORM_WEIGHTS = (50, 25, 12, 8, 5)


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="open notices")
    p.add_argument("--keep", help="SQLite: seed this file once and reuse it")
    p.add_argument("--repeat", type=int, default=30, help="requests of each kind (default 30)")
    p.add_argument("--explain", action="store_true", help="print the query plans")
    p.add_argument("--rebuild", action="store_true", help="rebuild the projections from the log and compare")
    p.add_argument("--seed-only", action="store_true", help="seed (--keep FILE) and stop")
    args = parse(p)
    header(args, f"{args.count:,} open notices; {args.repeat} requests of each kind")
    say(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with database(args) as db:
        if _notices(db) == 0:
            started = time.perf_counter()
            seed(db, args.count, args.seed)
            say(f"seeded {_notices(db):,} notices in {time.perf_counter() - started:.0f} s")
            if db.engine.dialect.name == "postgresql":  # as autovacuum would (off on the benchmarks' server)
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
        else:
            say(f"reusing {_notices(db):,} notices in {args.keep}")
        if args.rebuild:
            check_rebuild(db)
        if not args.seed_only:
            measure(db, args)
    say(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


@contextmanager
def database(args: Any) -> Iterator[Database]:
    if args.keep:
        if args.backend != "sqlite":
            raise SystemExit("--keep is for SQLite")
        db = open_database(f"sqlite:///{os.path.abspath(args.keep)}")
        try:
            yield db
        finally:
            db.dispose()
        return
    with scratch_database(args.backend, args.postgres_url) as db:
        yield db


def _notices(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.notices)).scalar_one())


def subjects(count: int, seed: int) -> Iterator[tuple[str, dict[str, str], str, bool]]:
    """Each notice's platform, subject, category and whether it alleges illegal content."""
    rng = random.Random(seed)
    categories = [c for c, w in CATEGORIES for _ in range(w)]
    platforms = [p for p, w in zip(PLATFORMS, PLATFORM_WEIGHTS, strict=True) for _ in range(w)]
    cases = max(1, count // 3)
    for n in range(count):
        if n % 100 == 50:
            yield PLATFORMS[0], {"item": HOT}, categories[0], True
            continue
        number = rng.randrange(cases)
        about = {"account": f"acct-{number}"} if number % 10 == 0 else {"item": f"{10**18 + number * 7919}"}
        yield platforms[number % len(platforms)], about, rng.choice(categories), rng.random() < 0.6


def seed(db: Database, count: int, seed: int) -> None:
    """``count`` open notices, received through the service's batch, 2,000 a transaction."""
    create_catalogue(db, now=NOW)
    start = NOW + timedelta(seconds=1)
    batch: list[notices.PendingNotice] = []
    done = 0

    def flush() -> None:
        nonlocal done
        with UnitOfWork(db, actor=ACTOR, now=batch[-1].caller.instant) as uow:
            answers = notices.receive_notices_within(uow, batch)
        assert not any(a is ALONE for a in answers)
        done += len(batch)
        batch.clear()
        if done % 100_000 == 0 or done == count:
            say(f"  {done:,} notices seeded")

    for n, (platform, about, category, illegal) in enumerate(subjects(count, seed)):
        command = notices.ReceiveNotice(
            platform=platform,
            about=About.parse(about),
            location=f"https://{platform}.example/p/{n}",
            explanation="This post calls for violence against a named person, with their address.",
            category=category,
            illegal=illegal,
            legal_ground="A member state's criminal code" if illegal else None,
            notifier=Notifier.parse({"kind": "individual", "name": f"Notifier {n}", "email": f"n{n}@x.example"}),
            channel=Channel.API,
        )
        at = start + timedelta(milliseconds=50 * n)
        batch.append(notices.PendingNotice(command, Caller(ACTOR, now=at, operators=(OPERATOR,))))
        if len(batch) == CHUNK:
            flush()
    if batch:
        flush()


def check_rebuild(db: Database) -> None:
    def rows() -> list[int]:
        with db.read() as conn:
            return [
                int(conn.execute(select(func.count()).select_from(tables.notices)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(tables.notice_cases)).scalar_one()),
                int(conn.execute(select(func.sum(tables.notice_cases.c.notices))).scalar_one()),
            ]

    before = rows()
    started = time.perf_counter()
    rebuild_projections(db)
    after = rows()
    say(f"rebuild: {time.perf_counter() - started:.0f} s; notices, cases, notices in cases {before} -> {after}")
    if before != after:
        raise SystemExit("the rebuild does not agree")


def measure(db: Database, args: Any) -> None:
    now = NOW + timedelta(days=365)
    token = tokens.create_token(
        db,
        tokens.CreateToken.parse(name=f"bench-{time.time_ns()}", role=Role.MODERATOR.value, operator=OPERATOR),
        caller=Caller("bench", now=now),
    ).to_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(db, clock=lambda: now)
    with db.read() as conn:
        c = tables.notice_cases.c
        hot = conn.execute(select(c.id).where(c.about_id == HOT)).scalar_one()
        typical = conn.execute(select(c.id).where(c.notices == 3).order_by(c.id).limit(1)).scalar_one()
        n = tables.notices.c
        deep = conn.execute(
            select(n.received_at, n.created_seq)
            .order_by(n.received_at, n.created_seq)
            .offset(int(args.count * 0.9))
            .limit(1)
        ).one()
    from reprieve.store.queries import encode_cursor

    cursor = encode_cursor(f"{deep.received_at}.{deep.created_seq}")
    requests = [
        ("list: first page", "/v1/notices"),
        ("list: a deep page (cursor at 90 %)", f"/v1/notices?cursor={cursor}"),
        ("list: category", "/v1/notices?category=STATEMENT_CATEGORY_SELF_HARM"),
        ("list: platform", f"/v1/notices?platform={PLATFORMS[4]}"),
        ("list: state open", "/v1/notices?state=open"),
        ("list: state decided", "/v1/notices?state=decided"),
        ("list: platform and category", f"/v1/notices?platform={PLATFORMS[3]}&category=STATEMENT_CATEGORY_SELF_HARM"),
        ("case: typical", f"/v1/cases/{typical}"),
        ("case: 10,000 notices", f"/v1/cases/{hot}"),
    ]
    if args.explain:
        explain(db, hot)
    failures = 0
    with TestClient(app) as client:
        console = console_pages(db, client, now, typical, hot, cursor)
        if not console:
            say("console: no notices pages in this build (/console/notices answers 404)")
        for label, url in requests + console:
            client.get(url, headers=headers)  # warm: the token, the statements' caches
            wall: list[float] = []
            cpu: list[float] = []
            size = 0
            for _ in range(args.repeat):
                c0, t0 = time.process_time(), time.perf_counter()
                answer = client.get(url, headers=headers)
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"{label}: {answer.status_code} {answer.text[:300]}")
                size = len(answer.content)
            if answer.headers["content-type"].startswith("application/json"):
                body = answer.json()
                shown = len(body.get("items", body.get("notices", [])))
            else:  # a console page: its rows
                shown = answer.text.count("<tr") - 1
            p95 = statistics.quantiles(wall, n=20)[-1] if len(wall) > 1 else wall[0]
            met = statistics.median(wall) <= TARGET_MS
            failures += not met
            say(
                f"{label:40s} median {statistics.median(wall):7.1f} ms  p95 {p95:7.1f} ms"
                f"  CPU median {statistics.median(cpu):7.1f} ms  ({shown} notices, {size:,} bytes)"
                f"  {'met' if met else 'NOT met'}"
            )
    say(f"target <= {TARGET_MS:.0f} ms (median): {'met' if not failures else f'NOT met for {failures}'}")


def console_pages(
    db: Database, client: TestClient, now: datetime, typical: str, hot: str, cursor: str
) -> list[tuple[str, str]]:
    """The console's notices list and case page, signed in as a moderator (the client keeps the
    session's cookie), if this build has them."""
    email = f"bench-{time.time_ns()}@example.org"
    members.create_member(
        db,
        members.CreateMember.parse(
            email=email, name="Bench Moderator", role="moderator", operator=OPERATOR, password=CONSOLE_PASSWORD
        ),
        caller=Caller("bench", now=now),
    )
    form = client.get("/console/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    client.post("/console/sign-in", data={"email": email, "password": CONSOLE_PASSWORD, "csrf_token": csrf.group(1)})
    if client.get("/console/notices").status_code == 404:
        return []
    return [
        ("console: notices list", "/console/notices"),
        ("console: notices list, a deep page", f"/console/notices?cursor={cursor}"),
        ("console: notices list, category", "/console/notices?category=STATEMENT_CATEGORY_SELF_HARM"),
        ("console: case, typical", f"/console/cases/{typical}"),
        ("console: case, 10,000 notices", f"/console/cases/{hot}"),
    ]


def explain(db: Database, hot: str) -> None:
    """The plans of the queries the pages make, as the database's planner chooses them."""
    from reprieve.store import notices as store

    sqlite = db.engine.dialect.name == "sqlite"
    queries = [
        ("list", store.NoticeFilter(operators=(OPERATOR,))),
        ("list, category", store.NoticeFilter(operators=(OPERATOR,), category="STATEMENT_CATEGORY_SELF_HARM")),
        ("list, platform", store.NoticeFilter(operators=(OPERATOR,), platform=PLATFORMS[4])),
        ("list, state", store.NoticeFilter(operators=(OPERATOR,), state="decided")),
    ]
    with db.read() as conn:
        for label, f in queries:
            query = store.notice_list_query(f, limit=50, cursor=None)
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = conn.execute(text(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql)).all()
            say(f"plan, {label}:")
            for row in plan:
                say(f"    {row[-1]}")
        query = store.case_notices_query(hot, limit=50, cursor=None)
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        say("plan, case's notices:")
        for row in conn.execute(text(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql)).all():
            say(f"    {row[-1]}")


if __name__ == "__main__":
    main()
