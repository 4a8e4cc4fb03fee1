"""What use cases return: frozen view dataclasses, each with ``to_json()``, the one place that
says how it looks on the wire (API JSON and CLI ``--json`` alike). The API returns ``to_json()``,
the console renders the view's attributes, the CLI prints ``to_json()`` or the attributes.

A view holds domain types (instants as ``datetime``, kinds as enums, references as
``AccountRef``); ``to_json()`` formats them. Nested views nest: ``to_json()`` calls theirs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar


class View(Protocol):
    def to_json(self) -> dict[str, Any]: ...


V = TypeVar("V", bound=View)


@dataclass(frozen=True, slots=True)
class Page(Generic[V]):
    """One page of a list: its items, and the cursor of the next page (None at the end)."""

    items: tuple[V, ...]
    next_cursor: str | int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"items": [item.to_json() for item in self.items], "next_cursor": self.next_cursor}


def json_list(views: Iterable[View]) -> list[dict[str, Any]]:
    """``to_json()`` of each view, in order."""
    return [view.to_json() for view in views]
