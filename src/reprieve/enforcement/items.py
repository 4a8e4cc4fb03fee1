"""Items in the enforcement index: "may this item be viewed, interacted with, monetized?" from memory.

Per platform, a dict from item id to a packed entry (every item the database records: its
author is part of the answer) and a one-bit-per-slot filter of those items, so that a check on
an item never decided (the common case) touches a few kilobytes. An entry is one ``bytes``:

    B        number of spans (255: more, count in the following I)
    per span qqBIB + decision id: active_from, active_until (µs), kind (its severity, 1..8),
             the countries it applies in as a bitmask over ``EEA`` (0: everywhere), length of
             the decision id, then its UTF-8 bytes
    H + id   the item's recorded author (UTF-8)

Spans that end at or before the horizon are left out: they cannot matter from then on. The
first span is at a fixed offset: one ``unpack_from`` answers an item with one decision. Anything
else is answered by ``domain.item_checks`` on the unpacked spans (one implementation of the rule;
the tests pin the fast path to it).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

from reprieve.domain.checks import RowError
from reprieve.domain.content import (
    ITEM_CAPABILITIES,
    RESTRICTS,
    SEVERITY,
    STATUS_OF_KIND,
    VISIBLE,
    ContentKind,
    ContentSpan,
    parse_country,
)
from reprieve.domain.errors import NotFoundError, ReprieveError
from reprieve.domain.item_checks import (
    Author,
    ItemCheck,
    ItemDecision,
    author_view,
    ensure_item_capability,
    item_check_view,
    refused_item_row,
    visibility_view,
)
from reprieve.domain.reason import EEA_COUNTRIES
from reprieve.domain.time import END_OF_TIME
from reprieve.enforcement.entries import HEAD, STATUS_OF_CODE, unpack

if TYPE_CHECKING:
    from reprieve.enforcement.index import EnforcementIndex, PlatformSlot

#: The EEA countries in bit order: bit ``i`` of a span's mask is ``EEA[i]``.
EEA: tuple[str, ...] = tuple(sorted(EEA_COUNTRIES))
COUNTRY_BIT = {country: 1 << i for i, country in enumerate(EEA)}
KIND_CODE = {kind: SEVERITY[kind] for kind in ContentKind}
KIND_OF_CODE = {code: kind for kind, code in KIND_CODE.items()}
_KIND_CODE_OF_VALUE = {kind.value: code for kind, code in KIND_CODE.items()}
#: By kind code: the item's status, and what it denies as bits (view 1, interact 2, monetize 4).
CAPABILITY_BIT = {capability: 1 << i for i, capability in enumerate(ITEM_CAPABILITIES)}
_STATUS = tuple(STATUS_OF_KIND[KIND_OF_CODE[code]] if code else VISIBLE for code in range(len(KIND_CODE) + 1))
_DENIES = tuple(
    sum(CAPABILITY_BIT[c] for c in RESTRICTS[KIND_OF_CODE[code]]) if code else 0 for code in range(len(KIND_CODE) + 1)
)

ITEM_HEAD = struct.Struct("<BqqBIB")
_SPAN = struct.Struct("<qqBIB")
_COUNT = struct.Struct("<I")
_AUTHOR = struct.Struct("<H")
_MANY = 255
_ONE_SPAN: dict[tuple[int, int], struct.Struct] = {}
_MIN_FILTER_BITS = 1 << 16

#: An answer without a decision: the item visible, nothing restricted anywhere.
NOTHING: ItemDecision = (True, VISIBLE, None, None, ())
#: A row's answer in the hot path: the decision, the author (None: unknown) and its status.
ItemAnswer = tuple[ItemDecision, str | None, str | None]
#: A row in the hot path: (platform, item, capability, country or None, stated author or None).
ItemRow = tuple[str, str, str, str | None, str | None]


class ItemSpan(NamedTuple):
    start: int
    end: int
    kind: int
    countries: int
    decision_id: str


_COUNTRIES: dict[int, tuple[str, ...]] = {0: ()}


def countries_of(mask: int) -> tuple[str, ...]:
    """The countries of a mask, sorted (as ``parse_countries`` sorts a territorial scope)."""
    found = _COUNTRIES.get(mask)
    if found is None:
        found = _COUNTRIES[mask] = tuple(c for c in EEA if mask & COUNTRY_BIT[c])
    return found


_MASKS: dict[str, int] = {"": 0}


def mask_of(countries: str) -> int:
    """The mask of a span's ``countries`` column (EEA codes joined by spaces; empty: everywhere)."""
    mask = _MASKS.get(countries)
    if mask is None:
        mask = 0
        for code in countries.split():
            mask |= COUNTRY_BIT[code]
        _MASKS[countries] = mask
    return mask


def kind_code(kind: str) -> int:
    return _KIND_CODE_OF_VALUE[kind]


def pack_item(author: str, spans: Sequence[ItemSpan]) -> bytes:
    """The bytes of an item's entry; spans in the order given."""
    name = author.encode()
    if len(spans) == 1:
        s = spans[0]
        did = s.decision_id.encode()
        layout = _ONE_SPAN.get((len(did), len(name)))
        if layout is None:
            layout = _ONE_SPAN[len(did), len(name)] = struct.Struct(f"<BqqBIB{len(did)}sH{len(name)}s")
        return layout.pack(1, s.start, s.end, s.kind, s.countries, len(did), did, len(name), name)
    parts = [bytes((len(spans),)) if len(spans) < _MANY else bytes((_MANY,)) + _COUNT.pack(len(spans))]
    for s in spans:
        did = s.decision_id.encode()
        parts.append(_SPAN.pack(s.start, s.end, s.kind, s.countries, len(did)) + did)
    parts.append(_AUTHOR.pack(len(name)) + name)
    return b"".join(parts)


def unpack_item(packed: bytes) -> tuple[list[ItemSpan], str]:
    count = packed[0]
    offset = 1
    if count == _MANY:
        (count,) = _COUNT.unpack_from(packed, offset)
        offset += _COUNT.size
    spans = []
    for _ in range(count):
        start, end, kind, countries, length = _SPAN.unpack_from(packed, offset)
        offset += _SPAN.size
        spans.append(ItemSpan(start, end, kind, countries, packed[offset : offset + length].decode()))
        offset += length
    (length,) = _AUTHOR.unpack_from(packed, offset)
    return spans, packed[offset + 2 : offset + 2 + length].decode()


def content_spans_of(spans: Iterable[ItemSpan]) -> list[ContentSpan]:
    """The domain's spans of packed ones (for the rules of ``domain.content``)."""
    return [ContentSpan(s.decision_id, s.start, s.end, KIND_OF_CODE[s.kind], countries_of(s.countries)) for s in spans]


class ItemTable:
    """One platform's items: the dict of entries and its filter (one attribute: (mask, bits))."""

    __slots__ = ("entries", "filter", "filtered")

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.filter: tuple[int, bytearray] = (_MIN_FILTER_BITS - 1, bytearray(_MIN_FILTER_BITS >> 3))
        self.filtered = 0

    def put(self, item: str, entry: bytes) -> None:
        """Replace the entry of ``item`` (items are never deleted); one writer at a time."""
        known = item in self.entries
        self.entries[item] = entry  # in the dict before it is marked: a marked item is found
        if not known:
            mask, table = self.filter
            h = hash(item) & mask
            table[h >> 3] |= 1 << (h & 7)
            self.filtered += 1
            if self.filtered * 16 > mask:
                self.resize_filter()

    def resize_filter(self) -> None:
        """Sized at 16 bits per item (about 6 % false positives)."""
        bits = _MIN_FILTER_BITS
        while bits < 16 * len(self.entries):
            bits <<= 1
        mask = bits - 1
        table = bytearray(bits >> 3)
        for item in self.entries:
            h = hash(item) & mask
            table[h >> 3] |= 1 << (h & 7)
        self.filter = (mask, table)
        self.filtered = len(self.entries)


def account_status(slot: PlatformSlot, account: str, t: int) -> str:
    """An account's status at ``t`` (``standing_at``'s: the worst kind in force), from the index."""
    mask, table = slot.filter
    h = hash(account) & mask
    if not table[h >> 3] >> (h & 7) & 1:
        return "good"
    packed = slot.accounts.get(account)
    if packed is None:
        return "good"
    count, start, end, _, kind, _ = HEAD.unpack_from(packed)
    if count == 1:
        return STATUS_OF_CODE[kind] if start <= t < end else "good"
    if count == 0:
        return "good"
    return STATUS_OF_CODE[max((s.kind for s in unpack(packed).spans if s.start <= t < s.end), default=0)]


_SlotState = tuple["Callable[[str], bytes | None]", int, bytearray, "PlatformSlot", dict[str, str], int, bytearray]
_SID_AT = tuple(slice(ITEM_HEAD.size, ITEM_HEAD.size + length) for length in range(256))


def decide_items(
    index: EnforcementIndex,
    rows: Iterable[ItemRow],
    t: int,
    *,
    operators: Collection[str] | None = None,
    refused: list[int] | None = None,
) -> list[ItemAnswer | RowError]:
    """Each row's ``(decision, author, author status)``: the hot path (instants as integers,
    nothing formatted). A row that cannot be answered raises its error; or, given ``refused``,
    is answered with a ``RowError`` in its place, its position added to ``refused``."""
    index.ensure_covered(t)
    out: list[ItemAnswer | RowError] = []
    append = out.append
    head = ITEM_HEAD.unpack_from
    head_size = ITEM_HEAD.size
    sid_at = _SID_AT
    status_of, denies_of, capability_bit = _STATUS, _DENIES, CAPABILITY_BIT
    country_bits: dict[str | None, int] = {c: b for c, b in COUNTRY_BIT.items()}
    country_bits[None] = 0
    end_of_time = END_OF_TIME
    nothing = NOTHING
    unknown: ItemAnswer = (NOTHING, None, None)  # never decided, no author named
    states: dict[str, _SlotState] = {}
    current: str | None = None
    get: Callable[[str], bytes | None] = states.get  # type: ignore[assignment]  # set below
    mask, table = 0, bytearray(1)
    amask, atable = 0, bytearray(1)  # the filter of the platform's accounts with spans
    slot: PlatformSlot | None = None
    authors: dict[str, str] = {}  # the platform's sanctioned authors seen in this batch -> their status
    pending = iter(rows)
    while True:  # once, and once more after each row refused or country learned (from the next row)
        try:
            for row in pending:
                platform, item, capability, country, account = row
                if platform != current:
                    state = states.get(platform)
                    if state is None:
                        state = states[platform] = _state(index, platform, operators)
                    get, mask, table, slot, authors, amask, atable = state
                    current = platform
                bit = capability_bit[capability]  # KeyError: not asked of an item
                cbit = country_bits[country]  # KeyError: outside the EEA, or not a country
                h = hash(item) & mask
                if not table[h >> 3] >> (h & 7) & 1 or (packed := get(item)) is None:
                    if account is None:
                        append(unknown)
                        continue
                    decided, author = nothing, account
                elif packed[0] == 1:
                    _, start, end, kind, countries, length = head(packed)
                    at = head_size + length
                    author = packed[at + 2 : at + 2 + (packed[at] | packed[at + 1] << 8)].decode()
                    if start <= t < end:
                        if not countries:
                            if denies_of[kind] & bit:
                                until = end if end < end_of_time else None
                                decided = (False, status_of[kind], until, packed[sid_at[length]].decode(), ())
                            else:
                                decided = (True, status_of[kind], None, None, ())
                        elif not cbit & countries:
                            decided = (True, VISIBLE, None, None, countries_of(countries))
                        elif denies_of[kind] & bit:
                            until = end if end < end_of_time else None
                            denier = packed[sid_at[length]].decode()
                            decided = (False, status_of[kind], until, denier, countries_of(countries))
                        else:
                            decided = (True, status_of[kind], None, None, countries_of(countries))
                    else:
                        decided = nothing
                else:
                    spans, author = unpack_item(packed)
                    decided = _decide_spans(spans, t, cbit, bit) if spans else nothing
                h = hash(author) & amask
                if not atable[h >> 3] >> (h & 7) & 1:
                    append((decided, author, "good"))  # never sanctioned: not in the accounts' filter
                    continue
                status = authors.get(author)
                if status is None:
                    assert slot is not None
                    status = authors[author] = account_status(slot, author, t)
                append((decided, author, status))
        except (KeyError, ReprieveError) as exc:
            error = exc if isinstance(exc, ReprieveError) else _rejection(index, row, operators)
            if error is None:  # a valid country outside the EEA: only unscoped decisions apply there
                if row[3] in country_bits:
                    raise  # not a row's fault: a bug
                country_bits[row[3]] = 0
                pending = chain((row,), pending)
                continue
            if refused is None:
                raise error from None
            refused.append(len(out))
            append(RowError.of(error))
        else:
            return out


def _rejection(index: EnforcementIndex, row: ItemRow, operators: Collection[str] | None) -> ReprieveError | None:
    """The error of a row the hot loop could not answer, in the order the database path checks
    (platform, capability, country); None if the row is fine (a country outside the EEA)."""
    try:
        _state(index, row[0], operators)
        ensure_item_capability(row[2])
        if row[3] is not None:
            parse_country(row[3])
    except ReprieveError as error:
        return error
    return None


def _decide_spans(spans: Sequence[ItemSpan], t: int, cbit: int, bit: int) -> ItemDecision:
    """An item with several spans: ``domain.item_checks.decide_item`` on packed spans (the tests
    pin the two), without building the domain's objects."""
    worst = 0
    denier: tuple[int, str] | None = None
    where = 0
    applying: list[ItemSpan] = []
    for s in spans:
        if s.start <= t < s.end:
            where |= s.countries
            if not s.countries or cbit & s.countries:
                worst = max(worst, s.kind)
                if _DENIES[s.kind] & bit:
                    key = (-s.kind, s.decision_id)
                    if denier is None or key < denier:
                        denier = key
    restricted_in = countries_of(where)
    if denier is None:
        return (True, _STATUS[worst], None, None, restricted_in)
    # The end of the run of spans that deny anything and apply here, from t.
    applying = [s for s in spans if _DENIES[s.kind] and (not s.countries or cbit & s.countries)]
    end = t
    moved = True
    while moved:
        moved = False
        for s in applying:
            if s.start <= end < s.end:
                end, moved = s.end, True
    return (False, _STATUS[worst], None if end >= END_OF_TIME else end, denier[1], restricted_in)


def _state(index: EnforcementIndex, platform: str, operators: Collection[str] | None) -> _SlotState:
    """What the hot loop needs of a platform, looked up once per batch."""
    slot = index.slots.get(platform)
    if slot is None or (operators is not None and slot.platform.operator not in operators):
        raise NotFoundError(f"no platform {platform!r}")
    mask, table = slot.items.filter
    accounts_mask, accounts_table = slot.filter
    return slot.items.entries.get, mask, table, slot, {}, accounts_mask, accounts_table


def item_views(
    checks: Sequence[ItemCheck], answers: Sequence[ItemAnswer | RowError], refused: Collection[int] = ()
) -> list[dict[str, Any]]:
    """The API's results of ``checks`` and their ``answers`` (as ``decide_items`` makes them)."""
    views = []
    for check, answer in zip(checks, answers, strict=True):
        if isinstance(answer, RowError):
            views.append(refused_item_row(check, answer))
        else:
            decided, author, status = answer
            views.append(item_check_view(check, decided, author_view(author, status)))
    return views


def item_row(check: ItemCheck) -> ItemRow:
    return (check.platform, check.item, check.capability, check.country, check.account)


def visibility(slot: PlatformSlot, item: str, t: int, country: str | None) -> dict[str, Any]:
    """The item's visibility at ``t`` from the index (``domain.item_checks.visibility_view``)."""
    packed = slot.items.entries.get(item)
    author: Author = None
    spans: list[ContentSpan] = []
    if packed is not None:
        packed_spans, name = unpack_item(packed)
        spans = content_spans_of(packed_spans)
        author = author_view(name, account_status(slot, name, t))
    return visibility_view(slot.platform.id, item, spans, t, country, author)
