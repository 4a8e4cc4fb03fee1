"""What issuing a statement of reasons costs a decision (issue 23): time and storage.

    python bench/issued_statements.py [--backend sqlite|postgresql] [--count N | --quick]

N sanctions of the harness's mix (``bench/harness``: a quarter warnings, which issue nothing; the
rest restrictions, suspensions and terminations, three in ten on two platforms) are imposed one by
one through ``services.sanctions.impose_sanction``, each its own unit of work as through
``POST /v1/sanctions``, at instants one second apart. Then, for the same sanctions as they now are:

- **issuing in process**: ``services.statements.issue_document`` (the statement's JSON built and
  hashed), timed per statement, beside the time per decision of the whole ``impose_sanction`` (the
  share issuing takes of a decision); and what compressing the JSON would cost (it is kept as it
  is: ``store.issued``);
- **a page, the first time it is asked for**: ``services.statements.rendered_statement`` (rendered
  from the stored JSON, compressed and kept), then read again (kept: no rendering);
- **storage**: per issued statement, the JSON's UTF-8 bytes, the stored (compressed) bytes, and on
  SQLite the pages ``issued_documents`` and its index take (``dbstat``) divided by its rows; the
  same for a page once made (``issued_renderings``).

Target (issue 23): issuing costs about 0.1-1 ms and 2-3 KB per decision. Violations through the
API (>= 2,000/s) are measured by ``bench/violations_api.py``; the instructions a violation and an
import batch cost before and after by ``bench/compare_revisions.py --only callgrind``.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from datetime import timedelta

from harness import ACTOR, NOW, commands, create_catalogue, header, parse, parser, say, scratch_database
from sqlalchemy import func, select, text

from reprieve.services import statements
from reprieve.services.callers import Caller
from reprieve.services.sanctions import impose_sanction
from reprieve.store import issued, queries, tables

TARGET_MS = (0.1, 1.0)
TARGET_BYTES = (2_000, 3_000)
PAGES = 500  #: statements whose page is asked for


def main() -> None:
    p = parser(__doc__ or "", count_help="sanctions imposed")
    p.set_defaults(count=5_000)
    args = parse(p)
    count = args.count
    header(args, f"issuing statements of reasons: {count:,} sanctions imposed one by one")
    with scratch_database(args.backend, args.postgres_url) as db:
        start = NOW + timedelta(days=1)
        create_catalogue(db, now=start)
        imposed: list[str] = []
        started = time.perf_counter()
        for n, command in enumerate(commands(count, args.seed)):
            command = dataclasses.replace(command, starts_at=None)  # decided now: not backdated
            caller = Caller(ACTOR, now=start + timedelta(seconds=1 + n))
            imposed.append(impose_sanction(db, command, caller=caller).id)
        impose_ms = (time.perf_counter() - started) * 1e3 / count

        with db.read() as conn:
            rows = conn.execute(select(func.count()).select_from(tables.issued_documents)).scalar_one()
            sanctions = [queries.load_sanction(conn, sanction_id) for sanction_id in imposed]
            docs = [d for s in sanctions if s is not None for d in issued.of_sanction(conn, s.id)]
            render_ms: list[float] = []
            pack_ms: list[float] = []
            for doc in docs:
                sanction = next(s for s in sanctions if s is not None and s.id == doc.sanction_id)
                clock = time.perf_counter()
                again = statements.issue_document(
                    db, conn, sanction, statement_id=doc.id, decision_seq=doc.decision_seq, now=doc.issued_at
                )
                between = time.perf_counter()
                assert again.document is not None and again.document == doc.document
                issued._packed(again.document)
                render_ms.append((between - clock) * 1e3)
                pack_ms.append((time.perf_counter() - between) * 1e3)
            T = tables.issued_documents.c
            text_bytes = sum(len((d.document or "").encode()) for d in docs)
            stored = conn.execute(select(func.sum(func.length(T.document)))).scalar_one()
        first_ms: list[float] = []
        again_ms: list[float] = []
        page_bytes = 0
        reader = Caller(ACTOR, now=start + timedelta(days=1))
        for doc in docs[:PAGES]:
            clock = time.perf_counter()
            made = statements.rendered_statement(db, doc.id, caller=reader)
            between = time.perf_counter()
            kept = statements.rendered_statement(db, doc.id, caller=reader)
            again_ms.append((time.perf_counter() - between) * 1e3)
            first_ms.append((between - clock) * 1e3)
            assert made.page is not None and kept.page == made.page
            page_bytes += len(made.page.encode())
        with db.read() as conn:
            R = tables.issued_renderings.c
            pages_stored = conn.execute(select(func.sum(func.length(R.page)))).scalar_one()
            made_count = conn.execute(select(func.count()).select_from(tables.issued_renderings)).scalar_one()
            on_disk: dict[str, int] = {}
            if db.engine.dialect.name == "sqlite":
                for table, names in (
                    (
                        "documents",
                        "'issued_documents', 'ix_issued_documents_sanction', 'sqlite_autoindex_issued_documents_1'",
                    ),
                    ("renderings", "'issued_renderings', 'sqlite_autoindex_issued_renderings_1'"),
                ):
                    on_disk[table] = conn.execute(
                        text(f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({names})")
                    ).scalar_one()

    issuing = render_ms
    say(f"decisions: {count:,} sanctions imposed, {rows:,} statements issued (warnings issue none)")
    say(f"impose_sanction, whole unit of work:     {impose_ms:7.3f} ms a decision (statement included when issued)")
    say(
        f"issuing, JSON built + hashed:           p50 {statistics.median(render_ms):.3f} ms, "
        f"mean {statistics.fmean(render_ms):.3f} ms"
    )
    say(f"(compressing the JSON, not done:         p50 {statistics.median(pack_ms):.3f} ms)")
    mean_issue = statistics.fmean(issuing)
    say(
        f"issuing in all:                          p50 {statistics.median(issuing):.3f} ms, mean {mean_issue:.3f} ms "
        f"a statement ({mean_issue / impose_ms:.0%} of a decision's unit of work)"
    )
    say(f"JSON as issued:                          {text_bytes / rows:7,.0f} bytes a statement")
    say(f"stored (as it is):                       {stored / rows:7,.0f} bytes a statement")
    if "documents" in on_disk:
        say(f"table and indexes on disk (SQLite):      {on_disk['documents'] / rows:7,.0f} bytes a statement")
    say(
        f"a page, first asked for ({made_count:,} made): p50 {statistics.median(first_ms):.3f} ms to render and keep; "
        f"read again p50 {statistics.median(again_ms):.3f} ms"
    )
    say(
        f"a page as made: {page_bytes / made_count:,.0f} bytes, stored {pages_stored / made_count:,.0f}"
        + (f", on disk {on_disk['renderings'] / made_count:,.0f}" if "renderings" in on_disk else "")
    )
    per_decision = on_disk.get("documents", stored) / rows
    low, high = TARGET_MS
    say(
        f"target: issuing {low}-{high} ms and {TARGET_BYTES[0]:,}-{TARGET_BYTES[1]:,} bytes a decision: "
        f"{'met' if statistics.median(issuing) <= high and per_decision <= TARGET_BYTES[1] else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
