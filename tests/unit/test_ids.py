"""Ids: time-ordered, in increasing order within a run, and deterministic from a SequentialIds."""

from __future__ import annotations

from datetime import UTC, datetime

from reprieve.domain.ids import RandomIds, SequentialIds

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_sequential_ids_count_on_from_run_to_run() -> None:
    ids = SequentialIds()
    first = ids.new_ids("snc", NOW, 3)
    assert first == sorted(first) and len(set(first)) == 3
    assert ids.new_id("snc", NOW) > first[-1]
    assert SequentialIds().new_ids("snc", NOW, 4)[:3] == first


def test_random_ids_differ_and_sort_by_time() -> None:
    ids = RandomIds()
    assert ids.new_id("vio", NOW) != ids.new_id("vio", NOW)
    later = ids.new_id("vio", NOW.replace(second=1))
    assert later > ids.new_id("vio", NOW)
    assert later.startswith("vio_") and len(later) == len("vio_") + 26
