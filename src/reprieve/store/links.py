"""Identity links in both clocks (PRODUCT.md section 8): which accounts were one identity at an
instant, as the events recorded by another knew it.

A link merges identities in place: the rows of the merged identities are given the survivor's
id, which answers the present. ``identity_links`` keeps each move (an account taken from one
identity to another by a link, and when that took effect); an account's identity at ``at``
known ``as_of`` is the one its last move in force put it in (in force: effective by ``at`` and
recorded by ``as_of``), or, before its first, the one its first move took it from. The accounts
linked with an account then are those whose identity then is its own: the connected component of
the links in force. Every account starts in an identity of its own, so that is exact.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from reprieve.domain.model import AccountRef
from reprieve.store import tables

L = tables.identity_links.c
A = tables.accounts.c


@dataclass(frozen=True, slots=True)
class Move:
    """One account moved by one link (the event ``seq``), effective from ``effective_at`` (µs)."""

    seq: int
    ref: AccountRef
    from_identity: str
    to_identity: str
    effective_at: int


@dataclass(frozen=True, slots=True)
class LinkHistory:
    """The moves of the accounts that are in one identity now, in log order."""

    identity: str
    moves: tuple[Move, ...]

    def seqs(self) -> set[int]:
        return {m.seq for m in self.moves}

    def in_force(self, at_us: int, recorded: Collection[int] | None) -> list[Move]:
        """The moves in force at ``at_us`` among those ``recorded`` (None: every one)."""
        return [m for m in self.moves if m.effective_at <= at_us and (recorded is None or m.seq in recorded)]

    def all_in_force(self, at_us: int, recorded: Collection[int] | None) -> bool:
        return len(self.in_force(at_us, recorded)) == len(self.moves)

    def identities_then(
        self, refs: Iterable[AccountRef], at_us: int, recorded: Collection[int] | None
    ) -> dict[AccountRef, str]:
        """Each of ``refs`` (accounts in ``identity`` now) with the identity it was in then."""
        last: dict[AccountRef, str] = {}
        first: dict[AccountRef, str] = {}
        in_force = {id(m) for m in self.in_force(at_us, recorded)}
        for move in self.moves:
            first.setdefault(move.ref, move.from_identity)
            if id(move) in in_force:
                last[move.ref] = move.to_identity
        return {ref: last.get(ref, first.get(ref, self.identity)) for ref in refs}


def link_history(conn: Connection, identity: str) -> LinkHistory:
    """The moves of the accounts in ``identity`` now (one indexed read; none for most)."""
    rows = conn.execute(
        select(L.seq, L.platform_id, L.account_id, L.from_identity, L.to_identity, L.effective_at)
        .where(L.identity_id == identity)
        .order_by(L.seq, L.platform_id, L.account_id)
    )
    return LinkHistory(identity, tuple(Move(r[0], AccountRef(r[1], r[2]), r[3], r[4], r[5]) for r in rows))


def identity_now(conn: Connection, identity: str) -> str | None:
    """The identity ``identity`` is part of now: itself, or the one a link merged it into."""
    if conn.execute(select(tables.identities.c.id).where(tables.identities.c.id == identity)).first() is not None:
        return identity
    return conn.execute(select(L.identity_id).where(L.from_identity == identity).limit(1)).scalar_one_or_none()
