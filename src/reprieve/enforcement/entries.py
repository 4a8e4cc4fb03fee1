"""The packed form of what the index knows about one account on one platform.

An entry is one ``bytes`` object, so that an account costs a dict slot, its name and this:

    B        number of spans (255: more, count in the following I)
    per span qqQBB + sanction id: active_from, active_until (µs), denied capabilities as a
             bitmask over the platform's capabilities, kind (1 restriction, 2 suspension,
             3 termination), length of the sanction id, then its UTF-8 bytes
    B + id   the account's identity
    HH       strikes: sanctions counted for every instant from the horizon on, and the number
             of time-dependent strike marks that follow (both 0xFFFF: the counts follow as II)
    per mark qq: starts_at, lifted_at (END_OF_TIME if never)

Warnings deny nothing and never make a status, so their spans are left out (they still count
as strikes); so are spans and strike marks that cannot matter at or after the horizon. A
sanction started by the horizon and never lifted counts at every instant from then on: it is
only counted; one lifted by the horizon never counts again: it is left out.
The first span is at a fixed offset: one ``unpack_from`` answers the common case of an
account with a single span.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from reprieve.domain.model import SanctionKind

#: Kind codes: the severity of the kind, so that the worst kind is the greatest code.
KIND_CODE = {
    SanctionKind.RESTRICTION: 1,
    SanctionKind.SUSPENSION: 2,
    SanctionKind.TERMINATION: 3,
}
KIND_OF_CODE = {code: kind for kind, code in KIND_CODE.items()}
STATUS_OF_CODE = ("good", "restricted", "suspended", "terminated")

#: The count byte and the first span, without its sanction id: what the fast path reads.
HEAD = struct.Struct("<BqqQBB")
_SPAN = struct.Struct("<qqQBB")
_COUNT = struct.Struct("<I")
_STRIKES = struct.Struct("<HH")
_BIG_STRIKES = struct.Struct("<II")  # after HH = (0xFFFF, 0xFFFF), for counts that need it
_BIG = 0xFFFF
_MARK = struct.Struct("<qq")
_MANY = 255
#: Layouts of a one-span entry without strike marks, by lengths of sanction id and identity.
_ONE_SPAN: dict[tuple[int, int], struct.Struct] = {}


class PackedSpan(NamedTuple):
    """A span as the index keeps it: kinds as codes, denials as a bitmask. A named tuple: a
    refresh of the index makes one per live span, and a tuple is made several times faster."""

    start: int
    end: int
    mask: int
    kind: int
    sanction_id: str


@dataclass(frozen=True, slots=True)
class Entry:
    """The unpacked form of an entry, for the slow paths (standing, several spans)."""

    spans: tuple[PackedSpan, ...]
    identity: str
    strikes: int
    marks: tuple[tuple[int, int], ...]

    def strikes_at(self, t: int) -> int:
        return self.strikes + sum(1 for start, lifted in self.marks if start <= t < lifted)


def pack(
    identity: str,
    spans: Sequence[PackedSpan],
    strikes: int,
    marks: Sequence[tuple[int, int]],
) -> bytes:
    """The bytes of an entry; spans in the order given, strike marks as (starts_at, lifted_at)."""
    if len(spans) == 1 and not marks and strikes < _BIG:
        span = spans[0]
        return pack_one(identity, span.start, span.end, span.mask, span.kind, span.sanction_id, strikes)
    parts: list[bytes] = []
    if len(spans) < _MANY:
        parts.append(bytes((len(spans),)))
    else:
        parts.append(bytes((_MANY,)) + _COUNT.pack(len(spans)))
    for span in spans:
        sid = span.sanction_id.encode()
        parts.append(_SPAN.pack(span.start, span.end, span.mask, span.kind, len(sid)) + sid)
    ident = identity.encode()
    parts.append(bytes((len(ident),)) + ident)
    if strikes < _BIG and len(marks) < _BIG:
        parts.append(_STRIKES.pack(strikes, len(marks)))
    else:
        parts.append(_STRIKES.pack(_BIG, _BIG) + _BIG_STRIKES.pack(strikes, len(marks)))
    parts.extend(_MARK.pack(start, lifted) for start, lifted in marks)
    packed = b"".join(parts)
    if len(packed) < HEAD.size:  # the fast path always reads HEAD.size bytes
        packed += bytes(HEAD.size - len(packed))
    return packed


def pack_one(identity: str, start: int, end: int, mask: int, kind: int, sanction_id: str, strikes: int) -> bytes:
    """``pack`` of one span and no time-dependent strike mark (the common case), in one call."""
    if strikes >= _BIG:
        return pack(identity, [PackedSpan(start, end, mask, kind, sanction_id)], strikes, ())
    sid = sanction_id.encode()
    ident = identity.encode()
    layout = _ONE_SPAN.get((len(sid), len(ident)))
    if layout is None:
        layout = _ONE_SPAN[len(sid), len(ident)] = struct.Struct(f"<BqqQBB{len(sid)}sB{len(ident)}sHH")
    return layout.pack(1, start, end, mask, kind, len(sid), sid, len(ident), ident, strikes, 0)


def unpack(packed: bytes) -> Entry:
    count = packed[0]
    offset = 1
    if count == _MANY:
        (count,) = _COUNT.unpack_from(packed, offset)
        offset += _COUNT.size
    spans = []
    for _ in range(count):
        start, end, mask, kind, length = _SPAN.unpack_from(packed, offset)
        offset += _SPAN.size
        sid = packed[offset : offset + length].decode()
        offset += length
        spans.append(PackedSpan(start, end, mask, kind, sid))
    length = packed[offset]
    identity = packed[offset + 1 : offset + 1 + length].decode()
    offset += 1 + length
    strikes, count = _STRIKES.unpack_from(packed, offset)
    offset += _STRIKES.size
    if strikes == count == _BIG:
        strikes, count = _BIG_STRIKES.unpack_from(packed, offset)
        offset += _BIG_STRIKES.size
    marks = tuple(_MARK.unpack_from(packed, offset + i * _MARK.size) for i in range(count))
    return Entry(tuple(spans), identity, strikes, marks)
