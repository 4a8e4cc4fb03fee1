"""How long the console's pages take to answer, with the demo story and N synthetic sanctions.

    python bench/console_pages.py [--quick] [--synthetic N] [--repeat R]

The script loads the demo (``reprieve demo``'s story plus N synthetic sanctions; default
100,000, ``--quick`` 3,000) into a new SQLite file, signs in as the demo's Meta moderator and
asks for each page R times in process (Starlette's TestClient: no network, one thread), printing
the median and 95th percentile per page. The baseline, in the same run, is the API's own list of
50 sanctions (``GET /v1/sanctions``) with a moderator's token: each page's ratio to it says what
rendering and the page's extra reads cost on top of the service call they share.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.demo import DEMO_PASSWORD, load_demo
from reprieve.services.callers import Caller
from reprieve.services.tokens import CreateToken, create_token
from reprieve.store.db import open_database

PAGES = (
    "/console",
    "/console?at=2022-06-01T00:00",
    "/console/sanctions?state=active",
    "/console/accounts/facebook/DonaldTrump",
    "/console/queues/reviews",
    "/console/queues/appeals",
)
#: The audit page, read by the demo's Meta auditor: the newest events, each filter, and filters
#: that match few events (the page walks the log until it has found a page of them).
AUDIT_PAGES = (
    "/console/audit",
    "/console/audit?order=oldest",
    "/console/audit?type=sanction.lifted",
    "/console/audit?type=review.decided",
    "/console/audit?actor=trust-and-safety",
    "/console/audit?subject=facebook/DonaldTrump",
    "/console/audit?subject=snc_01EVES7000ASS68P566MN6DMYE",
    "/console/audit?from=2021-01-01&to=2021-12-31",
)


def timed(client: TestClient, path: str, repeat: int, headers: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 synthetic sanctions, 10 requests a page")
    parser.add_argument("--synthetic", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args()
    synthetic = args.synthetic if args.synthetic is not None else (3_000 if args.quick else 100_000)
    repeat = args.repeat or (10 if args.quick else 50)
    with tempfile.TemporaryDirectory() as directory:
        db = open_database(f"sqlite:///{Path(directory) / 'reprieve.db'}")
        started = time.perf_counter()
        load_demo(db, synthetic=synthetic)
        print(f"demo + {synthetic:,} synthetic sanctions loaded in {time.perf_counter() - started:.1f} s")
        token = create_token(
            db,
            CreateToken.parse(name="bench", role="moderator", operator="meta"),
            caller=Caller("bench", now=datetime.now(UTC)),
        ).secret
        app = create_app(db)
        client = signed_in(TestClient(app), "moderator@meta.example")
        auditor = signed_in(TestClient(app), "auditor@meta.example")
        api = timed(client, "/v1/sanctions?limit=50&state=active", repeat, {"Authorization": f"Bearer {token}"})
        base = statistics.median(api)
        print(f"{'page':48} {'median ms':>10} {'p95 ms':>8} {'x API':>6}")
        print(f"{'GET /v1/sanctions?limit=50 (baseline)':48} {base:10.1f} {_p95(api):8.1f} {1:6.1f}")
        for path in PAGES:
            times = timed(client, path, repeat)
            median = statistics.median(times)
            print(f"{path:48} {median:10.1f} {_p95(times):8.1f} {median / base:6.1f}")
        for path in AUDIT_PAGES:
            times = timed(auditor, path, repeat)
            median = statistics.median(times)
            print(f"{path:48} {median:10.1f} {_p95(times):8.1f} {median / base:6.1f}")
        db.dispose()


def signed_in(client: TestClient, email: str) -> TestClient:
    form = client.get("/console/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    client.post("/console/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf.group(1)})
    return client


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


if __name__ == "__main__":
    main()
