"""Export of decisions on content to CSV in the Transparency Database's daily-dump layout.

    python bench/content_export.py --backend sqlite|postgresql [--count N | --quick] [--sanctions N] [--keep FILE]

Target (issue 24): 1,000,000 content decisions exported (mapped to v2 statements, validated,
written as CSV) in <= 30 s, streaming. The decisions are seeded by bulk inserts into the
projections (``items``, ``content_decisions``) and ``issued_documents``, not through the service
(not timed): each decision's statement is the one the service issues, rendered by
``dsa.statement.build_content_statement`` from the decision, and kept with its export fields
(``dsa.tdb.content_export_fields``) as the service keeps them, so that the export reads real
rows. The mix: kinds removal 40 %, label 15 %, disabling 12 %, demotion 10 %, demonetization
8 %, age restriction 6 %, interaction restriction 6 %, other 3 %; 10 % in some countries only;
30 % with an end; 10 % amended once (a second statement, a second exported decision); 2 % whose
statement's text was erased (exported from the decision's columns); item ids of 19 digits or of
35 characters; languages en, fr, de, pt or none.

Compared in the same run with the export of ``--sanctions`` sanctions (default: as many as
``--count``) of another operator, imported through the bulk path of bench/ledger_import.py, and
with a baseline: reading the content export's rows and doing nothing with them (and, for
comparison with the earlier rounds, every decision's rows in full, as the export read them before
it wrote most lines from the kept export fields). ``--keep FILE``
(SQLite) seeds a file once and reuses it when it holds decisions already (as seeded with the same
``--count``, ``--sanctions`` and ``--seed``).
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import orjson
from harness import (
    NOW,
    create_catalogue,
    header,
    max_rss_mib,
    parse,
    parser,
    populate,
    progress_printer,
    say,
    scratch_database,
)

from reprieve.domain.content import ContentChange, ContentChangeType, ContentDecision, ContentKind, Item
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.time import format_instant, to_micros
from reprieve.dsa import statement as sor
from reprieve.dsa import tdb
from reprieve.services import transparency
from reprieve.services.callers import Caller
from reprieve.services.catalogue import CreateOperator, CreatePlatform, create_operator, create_platform
from reprieve.services.content_statements import appeal_url
from reprieve.store import content as content_store
from reprieve.store import issued, queries, tables
from reprieve.store.bulk import insert_rows
from reprieve.store.db import Database, open_database
from reprieve.store.transparency import (
    content_decision_rows_with_issued,
    content_decisions_with_issued,
    content_export_chunks,
)

TARGET_SECONDS_PER_MILLION = 30.0
OPERATOR, PLATFORM = "google", "youtube"
KINDS = (
    ("removal", 40),
    ("label", 15),
    ("disabling", 12),
    ("demotion", 10),
    ("demonetization", 8),
    ("age_restriction", 6),
    ("interaction_restriction", 6),
    ("other", 3),
)
_KIND_CHOICES = [k for k, weight in KINDS for _ in range(weight)]
_REASONS = (
    ("STATEMENT_CATEGORY_VIOLENCE", "KEYWORD_INCITEMENT_VIOLENCE_HATRED", "Violent criminal organisations"),
    ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "KEYWORD_HATE_SPEECH", "Hate speech"),
    ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "KEYWORD_PHISHING", "Spam, deceptive practices and scams"),
    ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS", "Child safety"),
    ("STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "KEYWORD_COPYRIGHT_INFRINGEMENT", "Copyright"),
)
_TYPES = (
    ("CONTENT_TYPE_VIDEO",),
    ("CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT"),
    ("CONTENT_TYPE_TEXT",),
    ("CONTENT_TYPE_IMAGE",),
)
_LANGUAGES = ("en", "en", "en", "fr", "de", "pt", None)
_COUNTRIES = (("DE",), ("FR", "BE"), ("AT", "DE", "NL"))
_DOC_COLUMNS = (
    "id", "operator_id", "kind", "sanction_id", "decision_seq", "issued_at", "language", "format_version", "document",
    "packing", "sha256", "export_fields",
)  # fmt: skip
BATCH = 5_000


def _decisions(count: int, seed: int) -> Iterator[tuple[ContentDecision, int]]:
    """``count`` decisions on distinct items, and the seq of their first event (seqs are made up:
    the export reads no event)."""
    rng = random.Random(seed)
    seq = 1_000
    for n in range(count):
        kind = ContentKind(rng.choice(_KIND_CHOICES))
        category, keyword, policy = rng.choice(_REASONS)
        starts = NOW - timedelta(days=rng.randrange(1, 700), seconds=rng.randrange(86_400))
        ends = starts + timedelta(days=rng.choice((7, 30, 90))) if rng.random() < 0.3 else None
        scope = rng.choice(_COUNTRIES) if rng.random() < 0.1 else ()
        numeric = rng.random() < 0.5
        item_id = f"{rng.randrange(10**18, 10**19)}" if numeric else f"Ugk{rng.getrandbits(160):040x}"[:35]
        item = Item(
            PLATFORM,
            item_id,
            f"channel-{rng.randrange(10**9)}",
            rng.choice(_TYPES),
            "2024-05-30",
            rng.choice(_LANGUAGES),
        )
        reason = Reason.as_recorded(
            {"ground": "incompatible_content", "category": category, "keywords": [keyword], "policy": policy,
             "explanation": f"The item breaks our policy on {policy.lower()}.",
             "facts": f"Reviewed after an automated flag; case {n}.",
             "source": "voluntary" if rng.random() < 0.8 else "article_16"}
        )  # fmt: skip
        automated = Automation.from_dict(
            {"detection": rng.random() < 0.7, "decision": rng.choice(("not_automated", "partially"))}
        )
        changes = [ContentChange(ContentChangeType.DECIDED, seq, starts, kind, ends, scope)]
        if rng.random() < 0.1:  # amended once, a day later: removed everywhere, indefinitely
            changes.append(
                ContentChange(
                    ContentChangeType.AMENDED, seq + 2, starts + timedelta(days=1), ContentKind.REMOVAL, None, ()
                )
            )
        other = "Hidden from recommendations" if kind is ContentKind.OTHER else None
        yield ContentDecision(f"cd_{n:020d}", OPERATOR, item, starts, reason, automated, other, False, changes), seq
        seq += 4


def seed(db: Database, count: int, seed: int) -> float:
    """Insert ``count`` decisions with their items and statements; seconds taken."""
    started = time.perf_counter()
    names = {PLATFORM: "YouTube"}
    window = None
    ids = iter(range(10**12))
    batch_decisions: list[tuple[object, ...]] = []
    batch_items: list[tuple[object, ...]] = []
    batch_docs: list[tuple[object, ...]] = []

    def flush() -> None:
        with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
            insert_rows(conn, tables.items, content_store.ITEM_COLUMNS, batch_items)
            insert_rows(conn, tables.content_decisions, content_store.DECISION_COLUMNS, batch_decisions)
            insert_rows(conn, tables.issued_documents, _DOC_COLUMNS, batch_docs)
        batch_decisions.clear(), batch_items.clear(), batch_docs.clear()

    progress = progress_printer(count, "decisions seeded")
    for n, (decision, seq) in enumerate(_decisions(count, seed), 1):
        item, latest = decision.item, decision.changes[-1]
        batch_items.append(
            (
                PLATFORM,
                item.item,
                OPERATOR,
                item.account,
                orjson.dumps(list(item.content_type)).decode(),
                item.content_date,
                item.language,
                seq,
            )
        )
        batch_decisions.append(
            (decision.id, OPERATOR, PLATFORM, item.item, item.account, latest.kind.value if latest.kind else "",
             decision.kind_other, orjson.dumps(list(latest.territorial_scope)).decode(),
             to_micros(decision.starts_at),
             None if latest.ends_at is None else to_micros(latest.ends_at), None, decision.reason.category,
             orjson.dumps(decision.reason.to_dict()).decode(), orjson.dumps(decision.automated.to_dict()).decode(),
             False,
             orjson.dumps([c.to_stored() for c in decision.changes]).decode(), seq, decision.changes[-1].seq)
        )  # fmt: skip
        for change in decision.changes:
            issued_at = max(change.effective_at, decision.starts_at)
            context = sor.Context(
                platform_names=names,
                complaint_deadline=issued_at + timedelta(days=183),
                appeal_url=appeal_url(decision.id, "https://reprieve.example"),
                appeal_code="",
                now=issued_at,
                complaint_window=window,
                decision_seq=change.seq,
            )
            body = sor.build_content_statement(decision, context, sor.Lang.EN)
            statement_id = f"stm_{next(ids):022d}"
            body.update(id=statement_id, decision=change.seq, format_version=1)
            text = orjson.dumps(body).decode()
            erased = n % 50 == 0  # its text erased: exported from the decision's columns
            batch_docs.append(
                (statement_id, OPERATOR, "statement", decision.id, change.seq, to_micros(issued_at), "en", 1,
                 None if erased else text.encode(), issued.PLAIN, issued.sha256_of(text),
                 None if erased else orjson.dumps(tdb.content_export_fields(body)))
            )  # fmt: skip
        if len(batch_decisions) >= BATCH:
            flush()
            progress(n)
    flush()
    progress(count)
    return time.perf_counter() - started


def export(db: Database, operator: str) -> tuple[float, float, transparency.ExportTally, int, str]:
    """Seconds (wall, CPU), the tally, the bytes and the SHA-256 (hex; computed after the timing) of
    the CSV export of ``operator``'s statements."""
    tally = transparency.ExportTally()
    with tempfile.TemporaryDirectory(prefix="reprieve-dsa-") as directory:
        path = os.path.join(directory, "sor.csv")
        started, cpu_started = time.perf_counter(), time.process_time()
        with open(path, "w", encoding="utf-8", newline="") as out:
            write = out.write
            for line in transparency.export_csv(
                db, operator=operator, within=transparency.period(None, None), tally=tally
            ):
                write(line)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        digest = hashlib.sha256()
        with open(path, "rb") as written:
            while block := written.read(1 << 20):
                digest.update(block)
        return seconds, cpu, tally, os.path.getsize(path), digest.hexdigest()


def read_as_the_export_does(db: Database) -> tuple[int, int]:
    """The content export's reads and nothing else: each chunk of decisions with their kept export
    fields, and in full those the export cannot write from their fields alone (erased, or with a
    statement whose fields are not kept: ``services.transparency._content_csv``). The decisions
    read, and how many in full."""
    scanned = in_full = 0
    with db.read() as conn:
        for chunk in content_export_chunks(conn, OPERATOR, -(2**62), 2**62):
            scanned += len(chunk)
            others = [
                decision_id
                for decision_id, _, unchanged, fields, _, _, statements in chunk
                if (fields is None if unchanged else not statements or None in statements)
            ]
            in_full += sum(1 for _ in content_decisions_with_issued(conn, others))
    return scanned, in_full


@contextmanager
def kept_database(path: str) -> Iterator[Database]:
    """A SQLite file seeded once and kept, for repeated runs of the export."""
    db = open_database(f"sqlite:///{path}")
    try:
        yield db
    finally:
        db.dispose()


def populate_all(db: Database, count: int, sanctions: int, seed_: int) -> None:
    """The operators, ``count`` content decisions and ``sanctions`` sanctions (not timed)."""
    create_catalogue(db)
    caller = Caller("bench", now=NOW)
    create_operator(db, CreateOperator.parse(id=OPERATOR, name="Google"), caller=caller)
    create_platform(db, CreatePlatform.parse(id=PLATFORM, operator=OPERATOR, name="YouTube"), caller=caller)
    seconds = seed(db, count, seed_)
    say(f"seeded: {count:,} content decisions with their statements in {seconds:.1f} s (bulk inserts; not timed)")
    if sanctions:
        imported = populate(db, sanctions, seed_, progress=progress_printer(sanctions, "sanctions imported"))
        say(f"seeded: {imported.sanctions:,} sanctions in {imported.seconds:.1f} s (import_sanctions; not timed)")


def main() -> None:
    p = parser(__doc__.splitlines()[0], count_help="content decisions to export")
    p.add_argument("--sanctions", type=int, default=None, help="sanctions exported for comparison (default: --count)")
    p.add_argument("--keep", metavar="FILE", help="SQLite file to seed once and keep (reused when it exists)")
    args = parse(p)
    sanctions = args.count if args.sanctions is None else args.sanctions
    header(args, f"content decisions: {args.count:,}; sanctions for comparison: {sanctions:,}")
    database = kept_database(args.keep) if args.keep else scratch_database(args.backend, args.postgres_url)
    with database as db:
        with db.read() as conn:
            seeded = queries.count_rows(conn, tables.content_decisions)
        if seeded:
            say(f"reusing {args.keep}: {seeded:,} content decisions (seeded before; not timed)")
        else:
            populate_all(db, args.count, sanctions, args.seed)

        started, cpu_started = time.perf_counter(), time.process_time()
        with db.read() as conn:
            scanned = sum(1 for _ in content_decision_rows_with_issued(conn, OPERATOR, -(2**62), 2**62))
        say(
            f"the rows in full (as the export read them before its short path): {scanned:,} decisions with their "
            f"statements in {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu_started:.1f} s CPU"
        )
        started, cpu_started = time.perf_counter(), time.process_time()
        scanned, in_full = read_as_the_export_does(db)
        scan_seconds, scan_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        say(
            f"baseline (read the content export's rows, nothing else): {scanned:,} decisions, {in_full:,} of them "
            f"read in full, in {scan_seconds:.1f} s wall, {scan_cpu:.1f} s CPU"
        )

        seconds, cpu, tally, size, sha256 = export(db, OPERATOR)
        per_million = seconds / args.count * 1_000_000
        cpu_per_million = cpu / args.count * 1_000_000
        verdict = "met" if cpu_per_million <= TARGET_SECONDS_PER_MILLION else "NOT met"
        say(
            f"content: {tally.exported:,} statements ({tally.invalid_count:,} refused by the validator), "
            f"{size / 2**20:,.0f} MiB of CSV in {seconds:.1f} s wall, {cpu:.1f} s CPU: {per_million:.1f} s wall and "
            f"{cpu_per_million:.1f} s CPU per million decisions; target <= {TARGET_SECONDS_PER_MILLION:.0f} s "
            f"(CPU of the process, a core of its own): {verdict}"
        )
        say(f"content CSV: {size:,} bytes, SHA-256 {sha256} (the same bytes whatever the code's path)")
        say(
            f"ratio to the baseline: {seconds / scan_seconds:.1f}x the time of reading the rows, "
            f"{cpu / scan_cpu:.1f}x their CPU"
        )
        if tally.invalid:
            first = tally.invalid[0]["problems"][0]
            say(f"first refusal: {first['field']}: {first['message']}")
        if sanctions:
            s_seconds, s_cpu, s_tally, s_size, _ = export(db, "meta")
            s_per_million = s_seconds / sanctions * 1_000_000
            say(
                f"sanctions: {s_tally.exported:,} statements ({s_tally.warnings:,} warnings left out), "
                f"{s_size / 2**20:,.0f} MiB of CSV in {s_seconds:.1f} s wall, {s_cpu:.1f} s CPU: "
                f"{s_per_million:.1f} s per million sanctions"
            )
            s_cpu_per_million = s_cpu / sanctions * 1_000_000
            say(
                f"content / sanctions, per decision: {per_million / s_per_million:.2f}x wall, "
                f"{cpu_per_million / s_cpu_per_million:.2f}x CPU"
            )
        say(
            f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
            "(other work shares the machine)"
        )
        say(f"peak resident memory of the whole run: {max_rss_mib():,.0f} MiB")
        say(f"generated at {format_instant(NOW)}")


if __name__ == "__main__":
    main()
