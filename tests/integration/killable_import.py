"""Imports sanctions until it is killed: run by test_crash_consistency.py, never collected.

    python killable_import.py DATABASE_URL COUNT BATCH_SIZE

Prints the number of sanctions imposed after each committed batch: what has been acknowledged.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from reprieve.domain.model import AccountRef
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, import_sanctions
from reprieve.store.db import open_database

REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Spam and inauthentic behaviour",
    "explanation": "Coordinated spam",
}


def commands(count: int) -> Iterator[ImposeSanction]:
    kinds = ("suspension", "restriction", "warning", "termination")
    for i in range(count):
        kind = kinds[i % len(kinds)]
        yield ImposeSanction.parse(
            subject=AccountRef("facebook", f"spammer{i}"),
            kind=kind,
            scope=["facebook", "instagram"] if i % 3 == 0 else None,
            denies=["post", "live"] if kind == "restriction" else (),
            duration=None if kind in ("termination", "warning") else f"P{1 + i % 90}D",
            reason=REASON,
        )


def main() -> None:
    url, count, batch_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    db = open_database(url)
    now = datetime(2024, 6, 1, 12, tzinfo=UTC)

    def acknowledge(total: int) -> None:
        print(total, flush=True)

    import_sanctions(
        db, commands(count), caller=Caller("importer", now=now), batch_size=batch_size, on_batch=acknowledge
    )
    print("done", flush=True)


if __name__ == "__main__":
    main()
