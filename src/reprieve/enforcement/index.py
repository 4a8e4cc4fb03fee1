"""The in-memory enforcement index: standing and checks from memory, as the database answers them.

Per platform, a dict from account name to a packed entry (``entries``) and a one-bit-per-slot
filter of the accounts that have any span, so that a check on an account in good standing
(the common case on a platform) touches a few kilobytes instead of a 1,000,000-entry dict.

The index answers for any instant from its ``horizon`` (the instant it was built for) on; it
drops what cannot matter from then on. For an earlier instant it raises ``InstantNotCovered``
and the caller asks the database (``reprieve.services.standing``).

Reads need no lock: the follower replaces whole entries, and a dict assignment is atomic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from reprieve.domain.checks import MAX_CHECKS, AccountStanding, Check, RowError, refused_row, standing_view
from reprieve.domain.errors import NotFoundError, ReprieveError, ValidationError
from reprieve.domain.item_checks import ItemCheck
from reprieve.domain.model import APPEAL, AccountRef, Platform, ensure_slug
from reprieve.domain.policy import policy_of
from reprieve.domain.sanctions import Sanction, held_past_its_end
from reprieve.domain.standing import ResolvedSpan, run_ends_after, standing_at
from reprieve.domain.strikes import Probation, probation_at
from reprieve.domain.time import END_OF_TIME, Duration, format_instant, from_micros
from reprieve.enforcement.entries import HEAD, KIND_OF_CODE, STATUS_OF_CODE, PackedSpan, unpack
from reprieve.enforcement.items import ItemTable, decide_items, item_row, item_views, visibility
from reprieve.store.db import Database

#: ``(allowed, status, until µs or None, sanction id or None)``: the answer to one check.
Decision = tuple[bool, str, int | None, str | None]

GOOD: Decision = (True, "good", None, None)
#: The answer when the only span's kind does not deny the capability, by kind code.
_ALLOWED_AS: tuple[Decision, ...] = tuple((True, status, None, None) for status in STATUS_OF_CODE)
#: Where the first span's sanction id lies, by its length: it follows the fixed head.
_SID_AT = tuple(slice(HEAD.size, HEAD.size + length) for length in range(256))
_SlotState = tuple[dict[str, int], "Callable[[str], bytes | None]", int, bytearray]
_MIN_FILTER_BITS = 1 << 16
_UNTIL_CACHE_SIZE = 100_000


class InstantNotCovered(LookupError):
    """Raised when asked about an instant before the index's horizon: ask the database."""


class PlatformSlot:
    """What the index holds for one platform: its capabilities as bits, its accounts, its filter."""

    __slots__ = (
        "_masks",
        "accounts",
        "all_mask",
        "bits",
        "filter",
        "filtered",
        "items",
        "names",
        "platform",
        "strike_expiry",
    )

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.bits = {name: bit for bit, name in enumerate(platform.capabilities)}
        self.names = platform.capabilities
        self.all_mask = sum(1 << bit for name, bit in self.bits.items() if name != APPEAL)
        self.strike_expiry: Duration | None = policy_of(platform).strike_expiry
        self.accounts: dict[str, bytes] = {}
        #: (mask, bits): bit ``hash(account) & mask`` is set for every account with spans.
        #: One attribute, so that a reader never pairs a mask with a table of another size.
        self.filter: tuple[int, bytearray] = (_MIN_FILTER_BITS - 1, bytearray(_MIN_FILTER_BITS >> 3))
        self.filtered = 0  #: accounts marked in the filter since it was sized
        self.items = ItemTable()  #: the items recorded on the platform (``enforcement.items``)
        self._masks: dict[str, int] = {}

    def mask_of(self, denies_json: str | None) -> int:
        """The bitmask of a span's ``denies`` column (a JSON list of capability names); None
        for a suspension or a termination, which deny everything but ``appeal``."""
        if denies_json is None:
            return self.all_mask
        mask = self._masks.get(denies_json)
        if mask is None:
            mask = 0
            for name in json.loads(denies_json):
                bit = self.bits.get(name)
                if bit is not None and name != APPEAL:
                    mask |= 1 << bit
            self._masks[denies_json] = mask
        return mask

    def denies_of(self, mask: int) -> frozenset[str]:
        return frozenset(name for bit, name in enumerate(self.names) if mask >> bit & 1)

    def put(self, account: str, entry: bytes) -> None:
        """Replace the entry of ``account`` (accounts are never deleted); one writer at a time."""
        self.accounts[account] = entry
        if entry[0]:  # has spans: marked after it is in the dict, so a marked account is found
            mask, table = self.filter
            h = hash(account) & mask
            table[h >> 3] |= 1 << (h & 7)
            self.filtered += 1
            if self.filtered * 16 > mask:
                self.resize_filter()

    def resize_filter(self) -> None:
        """Size the filter at 16 bits per account with spans (about 6 % false positives)."""
        with_spans = [a for a, e in self.accounts.items() if e[0]]
        bits = _MIN_FILTER_BITS
        while bits < 16 * len(with_spans):
            bits <<= 1
        mask = bits - 1
        table = bytearray(bits >> 3)
        for account in with_spans:
            h = hash(account) & mask
            table[h >> 3] |= 1 << (h & 7)
        self.filter = (mask, table)
        self.filtered = len(with_spans)


class EnforcementIndex:
    """Standing and checks for every instant from ``horizon`` on; ``seq`` is the last event in it."""

    def __init__(self, *, horizon: int, seq: int, platforms: Iterable[Platform] = ()) -> None:
        self.horizon = horizon
        self.seq = seq
        self.slots: dict[str, PlatformSlot] = {}
        #: (platform, account) -> the probations not over by the horizon; few accounts have any.
        self.probations: dict[tuple[str, str], tuple[Probation, ...]] = {}
        #: Sanction id -> the sanctions with a term held until its review (few): a standing
        #: whose ``until`` is null asks them whether it is past its end (``pending_review``).
        self.held: dict[str, Sanction] = {}
        self._until_text: dict[int, str | None] = {}
        for platform in platforms:
            self.add_platform(platform)

    @classmethod
    def build(cls, db: Database, *, now: datetime) -> EnforcementIndex:
        """Build from the projections of ``db``, for instants from ``now`` on."""
        from reprieve.enforcement.loader import build_index  # the loader builds on this module

        return build_index(db, now=now)

    # --- what the follower and the loader use --------------------------------------------

    def add_platform(self, platform: Platform) -> PlatformSlot:
        slot = self.slots.get(platform.id)
        if slot is None:
            slot = self.slots[platform.id] = PlatformSlot(platform)
        return slot

    def covers(self, at_us: int) -> bool:
        """Whether the index can answer for ``at_us``; before its horizon, ask the database."""
        return at_us >= self.horizon

    def __len__(self) -> int:
        return sum(len(slot.accounts) for slot in self.slots.values())

    def item_count(self) -> int:
        return sum(len(slot.items.entries) for slot in self.slots.values())

    # --- reads -----------------------------------------------------------------------------

    def standing(
        self, platform: str, account: str, at_us: int, *, operators: Collection[str] | None = None
    ) -> dict[str, Any]:
        """The same answer as ``services.standing.get_standing`` for ``at_us >= horizon``."""
        self._ensure_covered(at_us)
        slot = self._visible(platform, operators)
        ref = AccountRef(platform, account)
        packed = slot.accounts.get(account)
        if packed is None:
            result = AccountStanding(ref, None, standing_at([], at_us), 0)
        else:
            entry = unpack(packed)
            spans = [
                ResolvedSpan(s.sanction_id, s.start, s.end, KIND_OF_CODE[s.kind], slot.denies_of(s.mask))
                for s in entry.spans
            ]
            probation = probation_at(self.probations.get((platform, account), ()), at_us)
            standing = standing_at(spans, at_us)
            pending = bool(self.held) and held_past_its_end(
                [self.held[i] for i in standing.sanctions if i in self.held], standing.sanctions, from_micros(at_us)
            )
            result = AccountStanding(ref, entry.identity, standing, entry.strikes_at(at_us), probation, pending)
        return standing_view(result, from_micros(at_us))

    def check(
        self,
        platform: str,
        account: str,
        capability: str,
        at_us: int,
        *,
        operators: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """One check, answered as ``services.standing.run_checks`` answers it."""
        decision = self.decide_many([(platform, account, capability)], at_us, operators=operators)[0]
        assert not isinstance(decision, RowError)  # without ``refused``, the error is raised
        return self._check_view(platform, account, capability, decision)

    def check_many(
        self,
        checks: Sequence[Check],
        at_us: int,
        *,
        operators: Collection[str] | None = None,
        refused: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        """A batch of checks, answered as ``services.standing.run_checks`` answers it (``refused``
        too: the positions of the rows answered with their error)."""
        if len(checks) > MAX_CHECKS:
            raise ValidationError(f"at most {MAX_CHECKS} checks per request", field="checks")
        triples = [(c.ref.platform, c.ref.account, c.capability) for c in checks]
        if refused is None:
            return self.views(triples, self.decide_many(triples, at_us, operators=operators))
        decisions = self.decide_many(triples, at_us, operators=operators, refused=refused)
        return self.views(triples, decisions, refused)

    def views(
        self,
        checks: Sequence[tuple[str, str, str]],
        decisions: Sequence[Decision | RowError],
        refused: Collection[int] = (),
    ) -> list[dict[str, Any]]:
        """The API's results for ``checks`` and their ``decisions`` (as ``check_many`` makes them);
        ``refused``: the positions of the ``RowError`` among them."""
        until = self._format_until
        if refused:
            return [
                refused_row(*check, decision) if isinstance(decision, RowError) else self._check_view(*check, decision)
                for check, decision in zip(checks, decisions, strict=True)
            ]
        return [  # type: ignore[misc]  # no RowError: every decision unpacks
            {
                "platform": platform,
                "account": account,
                "capability": capability,
                "allowed": allowed,
                "status": status,
                "until": end if end is None else until(end),
                "sanction": sid,
            }
            for (platform, account, capability), (allowed, status, end, sid) in zip(checks, decisions, strict=True)
        ]

    def decide_many(
        self,
        checks: Iterable[tuple[str, str, str]],
        at_us: int,
        *,
        operators: Collection[str] | None = None,
        refused: list[int] | None = None,
    ) -> list[Decision | RowError]:
        """``(allowed, status, until_us, sanction)`` for each ``(platform, account, capability)``.

        The hot path: no size limit, instants as integers, nothing formatted. A check that cannot
        be answered raises its error (as ``run_checks``); or, given a ``refused`` list, is
        answered with a ``RowError`` in its place, its position added to ``refused``.
        """
        self._ensure_covered(at_us)
        out: list[Decision | RowError] = []
        append = out.append
        good = GOOD
        allowed_as = _ALLOWED_AS
        status_of = STATUS_OF_CODE
        head = HEAD.unpack_from
        sid_at = _SID_AT
        end_of_time = END_OF_TIME
        states: dict[str, _SlotState] = {}
        current: str | None = None
        bits: dict[str, int] = {}
        get: Callable[[str], bytes | None] = states.get  # type: ignore[assignment]  # set below
        mask, table = 0, bytearray(1)
        rows = iter(checks)
        while True:  # once, and once more after each row refused (the loop goes on from the next)
            try:
                for platform, account, capability in rows:
                    if platform != current:
                        state = states.get(platform)
                        if state is None:
                            state = states[platform] = self._state(platform, capability, operators)
                        bits, get, mask, table = state
                        current = platform
                    bit = bits[capability]  # KeyError: not a capability of the platform
                    h = hash(account) & mask
                    if not table[h >> 3] >> (h & 7) & 1:
                        append(good)  # not in the filter: no span at all
                        continue
                    packed = get(account)
                    if packed is None:
                        append(good)
                        continue
                    count, start, end, denies, kind, length = head(packed)
                    if count != 1:
                        append(good if count == 0 else _decide_spans(packed, bit, at_us))
                    elif at_us < start or at_us >= end:
                        append(good)
                    elif denies >> bit & 1:
                        append(
                            (
                                False,
                                status_of[kind],
                                end if end < end_of_time else None,
                                packed[sid_at[length]].decode(),
                            )
                        )
                    else:
                        append(allowed_as[kind])
            except KeyError:  # not a capability of the platform
                error = self._rejection(platform, capability, operators)
            except (NotFoundError, ValidationError) as exc:  # from ``_state``: not a platform it may see
                error = exc
            else:
                return out
            if refused is None:
                raise error
            refused.append(len(out))
            append(RowError.of(error))

    def _state(self, platform: str, capability: str, operators: Collection[str] | None) -> _SlotState:
        """What the hot loop needs of a platform, looked up once per batch."""
        slot = self.slots.get(platform)
        if slot is None or (operators is not None and slot.platform.operator not in operators):
            raise self._rejection(platform, capability, operators)
        mask, table = slot.filter
        return slot.bits, slot.accounts.get, mask, table

    # --- items ---------------------------------------------------------------------------------

    def item_check_many(
        self,
        checks: Sequence[ItemCheck],
        at_us: int,
        *,
        operators: Collection[str] | None = None,
        refused: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Item checks, answered as ``services.item_checks.run_item_checks`` answers them (``refused``
        too: the positions of the rows answered with their error)."""
        if len(checks) > MAX_CHECKS:
            raise ValidationError(f"at most {MAX_CHECKS} checks per request", field="checks")
        answers = decide_items(self, [item_row(c) for c in checks], at_us, operators=operators, refused=refused)
        return item_views(checks, answers)

    def decide_items(
        self,
        rows: Iterable[tuple[str, str, str, str | None, str | None]],
        at_us: int,
        *,
        operators: Collection[str] | None = None,
        refused: list[int] | None = None,
    ) -> list[Any]:
        """The hot path of item checks (``enforcement.items.decide_items``)."""
        return decide_items(self, rows, at_us, operators=operators, refused=refused)

    def visibility(
        self, platform: str, item: str, at_us: int, country: str | None, *, operators: Collection[str] | None = None
    ) -> dict[str, Any]:
        """The same answer as ``services.item_checks.item_visibility`` for ``at_us >= horizon``."""
        self._ensure_covered(at_us)
        return visibility(self._visible(platform, operators), item, at_us, country)

    # --- helpers ---------------------------------------------------------------------------

    def ensure_covered(self, at_us: int) -> None:
        """Raise ``InstantNotCovered`` for an instant before the horizon."""
        self._ensure_covered(at_us)

    def _ensure_covered(self, at_us: int) -> None:
        if at_us < self.horizon:
            raise InstantNotCovered(f"the index answers from {format_instant(from_micros(self.horizon))} on")

    def _visible(self, platform: str, operators: Collection[str] | None) -> PlatformSlot:
        slot = self.slots.get(platform)
        if slot is None or (operators is not None and slot.platform.operator not in operators):
            raise NotFoundError(f"no platform {platform!r}")
        return slot

    def _rejection(self, platform: str, capability: str, operators: Collection[str] | None) -> ReprieveError:
        """The error ``run_checks`` raises for this check, in the order it checks."""
        try:
            ensure_slug(capability, field="capability")
            slot = self._visible(platform, operators)
        except ReprieveError as error:
            return error
        return ValidationError(
            f"{capability!r} is not a capability of platform {slot.platform.id!r}", field="capability"
        )

    def _check_view(self, platform: str, account: str, capability: str, d: Decision) -> dict[str, Any]:
        return {
            "platform": platform,
            "account": account,
            "capability": capability,
            "allowed": d[0],
            "status": d[1],
            "until": None if d[2] is None else self._format_until(d[2]),
            "sanction": d[3],
        }

    def _format_until(self, us: int) -> str | None:
        text = self._until_text.get(us)
        if text is None:
            if len(self._until_text) >= _UNTIL_CACHE_SIZE:
                self._until_text.clear()
            text = self._until_text[us] = format_instant(from_micros(us))
        return text


def _decide_spans(packed: bytes, bit: int, t: int) -> Decision:
    """A check on an account with several spans: the same rules as ``domain.standing``; the
    sanction named is the worst active one that denies this capability (ties: smallest id)."""
    entry = unpack(packed)
    worst = 0
    denier: tuple[int, str] | None = None
    for span in entry.spans:
        if span.start <= t < span.end:
            worst = max(worst, span.kind)
            if span.mask >> bit & 1:
                key = (-span.kind, span.sanction_id)
                if denier is None or key < denier:
                    denier = key
    if denier is None:
        return (True, STATUS_OF_CODE[worst], None, None)
    return (False, STATUS_OF_CODE[worst], _denial_ends_after(entry.spans, t), denier[1])


def _denial_ends_after(spans: Iterable[PackedSpan], t: int) -> int | None:
    """``domain.standing.denial_ends_after`` on packed spans."""
    return run_ends_after(((s.start, s.end) for s in spans if s.mask), t)
