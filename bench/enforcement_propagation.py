"""Propagation: a sanction written by process A, first seen by a check in process B.

    python bench/enforcement_propagation.py --backend postgresql|sqlite [--count N]

Process A (a child) imposes N suspensions one by one, a few milliseconds apart, and prints the
instant each commit returned. Process B (this one) holds an index kept current by its
follower (polling every 100 ms; on PostgreSQL also woken by NOTIFY) and checks each account
in turn until it is denied. Target: p99 delay <= 1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time

from enforcement_common import NOW, create_catalogue, machine, parser, quick, say, scratch_database

from reprieve.domain.time import to_micros
from reprieve.enforcement import EnforcementIndex, IndexFollower

WRITER = """
import random, sys, time
from datetime import datetime
from reprieve.domain.model import AccountRef
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store.db import open_database
db = open_database(sys.argv[1], migrate=False)
now = datetime.fromisoformat(sys.argv[3])
reason = {"ground": "incompatible_content", "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
          "policy": "spam", "explanation": "Propagation benchmark", "facts": "none"}
for i in range(int(sys.argv[2])):
    impose_sanction(db, ImposeSanction.parse(subject=AccountRef("facebook", f"p{i}"), kind="suspension",
                    duration="P7D", reason=reason), actor="writer", now=now)
    print(i, time.time(), flush=True)
    time.sleep(random.uniform(0.002, 0.05))
"""


def main() -> None:
    p = parser(__doc__.splitlines()[0], 300)
    p.add_argument("--interval", type=float, default=0.1, help="the follower's polling interval, s")
    args = quick(p.parse_args(), count=50)
    say(f"machine: {machine()}")
    with scratch_database(args.backend, args.postgres_url) as db:
        create_catalogue(db)
        index = EnforcementIndex.build(db, now=NOW)
        committed: dict[int, float] = {}
        url = db.engine.url.render_as_string(hide_password=False)
        with IndexFollower(index, db, interval=args.interval) as follower:
            writer = subprocess.Popen(
                [sys.executable, "-c", WRITER, url, str(args.count), NOW.isoformat()],
                stdout=subprocess.PIPE,
                text=True,
            )

            def read() -> None:
                assert writer.stdout is not None
                for line in writer.stdout:
                    i, at = line.split()
                    committed[int(i)] = float(at)

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            seen: dict[int, float] = {}
            at_us = to_micros(NOW)
            for i in range(args.count):
                account = f"p{i}"
                while index.check("facebook", account, "post", at_us)["allowed"]:
                    time.sleep(0.0005)
                seen[i] = time.time()
            writer.wait()
            reader.join()
            say(
                f"backend: {db.dialect}; follower interval {args.interval * 1000:.0f} ms, "
                f"LISTEN/NOTIFY {'on' if follower.listen else 'off'}"
            )
        delays = sorted(max(0.0, seen[i] - committed[i]) * 1000 for i in range(args.count))
        q = statistics.quantiles(delays, n=100)
        say(f"propagation over {args.count} writes: p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, max {delays[-1]:.1f} ms")


if __name__ == "__main__":
    main()
