"""An order from a judicial or administrative authority to act against illegal content (DSA art. 9)
that a decision gives effect to (PRODUCT.md sections 8 and 10).

Such a decision issues no statement of reasons (art. 17(5)): the user is given the information of
art. 9(5) instead (which authority, the order's reference, the effect given, its territorial
scope, the redress open). ``Order`` is the value a sanction records at its creation, carried by
its ``sanction.imposed`` event: an authority's short name, a country code, a reference and an
instant, none of them a person's data. The notices issue will keep orders in a table of their own
(``POST /v1/orders``); a decision will then name one by its id, and this value is what that row
holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.errors import ValidationError
from reprieve.domain.time import format_instant, parse_instant

#: The Member States of the EU and the other EEA states (ISO 3166-1 alpha-2; Greece as the EU
#: writes it, EL, and as ISO does, GR).
MEMBER_STATES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GR", "HR", "HU", "IE"),
        *("IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO"),
    }
)
#: An authority's short name ("Arcom", "Bundesnetzagentur", "Tribunal judiciaire de Paris"):
#: letters of any script, digits, spaces and a little punctuation, on one line.
AUTHORITY = re.compile(r"[^\W_][\w .,'()&/-]{0,119}")
#: The order's reference as its authority wrote it ("2024/118-AB", "RG 24/01234").
REFERENCE = re.compile(r"[\w][\w .,:;/#()+-]{0,99}")
FIELDS = frozenset({"authority", "member_state", "reference", "received_at", "territorial_scope"})


@dataclass(frozen=True, slots=True)
class Order:
    """An authority's order a decision gives effect to: who issued it (``authority`` of
    ``member_state``), its ``reference``, when the platform received it, and the territories it
    is limited to (``territorial_scope``: member-state codes; empty: not limited by the order)."""

    authority: str
    member_state: str
    reference: str
    received_at: datetime
    territorial_scope: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: object, *, field: str = "order") -> Order:
        """From an edge's values (``{authority, member_state, reference, received_at,
        territorial_scope?}``): ValidationError naming the field."""
        if not isinstance(data, Mapping):
            raise ValidationError("must be an object {authority, member_state, reference, received_at}", field=field)
        unknown = set(data) - FIELDS
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field=field)
        authority = data.get("authority")
        if not isinstance(authority, str) or AUTHORITY.fullmatch(authority.strip()) is None:
            raise ValidationError(
                "must be the authority's short name (a public body, never a person): up to 120 letters, digits, "
                "spaces and . , ' ( ) & / -",
                field=f"{field}.authority",
            )
        member_state = _member_state(data.get("member_state"), field=f"{field}.member_state")
        reference = data.get("reference")
        if not isinstance(reference, str) or REFERENCE.fullmatch(reference.strip()) is None:
            raise ValidationError(
                "must be the order's reference: up to 100 letters, digits, spaces and . , : ; / # ( ) + -",
                field=f"{field}.reference",
            )
        received = data.get("received_at")
        if received is None:
            raise ValidationError("is required", field=f"{field}.received_at")
        received_at = parse_instant(received, field=f"{field}.received_at")
        scope = data.get("territorial_scope") or []
        if not isinstance(scope, list) or len(scope) > len(MEMBER_STATES):
            raise ValidationError("must be a list of member-state codes", field=f"{field}.territorial_scope")
        territories = tuple(dict.fromkeys(_member_state(code, field=f"{field}.territorial_scope") for code in scope))
        return cls(authority.strip(), member_state, reference.strip(), received_at, territories)

    def ensure_received(self, now: datetime) -> None:
        """The order was received by now (an instant reported from outside: never in the future)."""
        if self.received_at > now:
            raise ValidationError("lies in the future", field="order.received_at")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "authority": self.authority,
            "member_state": self.member_state,
            "reference": self.reference,
            "received_at": format_instant(self.received_at),
        }
        if self.territorial_scope:
            data["territorial_scope"] = list(self.territorial_scope)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Order:
        return cls(
            data["authority"],
            data["member_state"],
            data["reference"],
            parse_instant(data["received_at"]),
            tuple(data.get("territorial_scope") or ()),
        )


def _member_state(value: object, *, field: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else None
    if code is None or code not in MEMBER_STATES:
        raise ValidationError("must be the code of an EU or EEA state (FR, DE, IE, NO...)", field=field)
    return code
