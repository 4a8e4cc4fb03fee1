"""The packed form of an account's entry: what goes in comes out, on every path."""

from __future__ import annotations

from reprieve.domain.time import END_OF_TIME
from reprieve.enforcement.entries import HEAD, PackedSpan, pack, pack_one, unpack

SID = "snc_01HZ8HH500FFRAARS94QPWYPQX"
IDENTITY = "idt_01HZ8HH500AE20RK1W344SDX24"


def test_one_span_packs_the_same_on_the_fast_and_the_general_path() -> None:
    span = PackedSpan(10, END_OF_TIME, 0b1011, 2, SID)
    fast = pack_one(IDENTITY, span.start, span.end, span.mask, span.kind, span.sanction_id, 3)
    assert fast == pack(IDENTITY, [span], 3, [])
    entry = unpack(fast)
    assert (entry.spans, entry.identity, entry.strikes, entry.marks) == ((span,), IDENTITY, 3, ())
    assert HEAD.unpack_from(fast) == (1, 10, END_OF_TIME, 0b1011, 2, len(SID))


def test_many_spans_and_marks_round_trip() -> None:
    spans = tuple(PackedSpan(i, i + 5, 1 << (i % 64), 1 + i % 3, f"snc_{i}") for i in range(300))
    marks = ((5, 9), (7, END_OF_TIME))
    entry = unpack(pack("idt_é", spans, 2, marks))
    assert (entry.spans, entry.identity, entry.marks) == (spans, "idt_é", marks)
    assert [entry.strikes_at(t) for t in (4, 5, 8, 9, 10**12)] == [2, 3, 4, 3, 3]


def test_an_account_without_spans_is_long_enough_for_the_fast_path() -> None:
    packed = pack("i", [], 0, [])
    assert len(packed) >= HEAD.size and HEAD.unpack_from(packed)[0] == 0
    assert unpack(packed).identity == "i"


def test_counts_beyond_two_bytes_round_trip() -> None:
    marks = tuple((i, i + 1) for i in range(70_000))
    entry = unpack(pack_one(IDENTITY, 1, 2, 1, 1, SID, 70_000))
    assert entry.strikes == 70_000
    assert unpack(pack(IDENTITY, [], 3, marks)).marks == marks
