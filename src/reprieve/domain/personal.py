"""References to personal data kept outside the chain (issue 21).

An event that used to carry a person's text (an appeal's statement, a reply, a display name...)
now carries ``{"ref": "pd_..."}`` in the same field: the text sits in the ``personal_data`` table,
written in the same transaction, and can be blanked there without touching the chain. Old events
keep their text (a string), so the two shapes cannot be confused: a string is text, an object with
``ref`` is a reference. The chain never holds the text's hash (a short name's hash is guessable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The prefix of a personal-data reference.
PREFIX = "pd"
#: How a reference reads where a field holds an actor or a name as a string (an event's ``actor``
#: and staff fields after ``reprieve audit cut-over``, a review's panel in its projection):
#: ``ref:pd_...``, resolved outside the chain.
REF_TEXT = "ref:"
#: The kind of a review panel's entry (its subject: ``review:<id>``).
PANEL_KIND = "review.panel"
#: The kind of a staff name an old event held, moved by the cut-over (its subject: ``actor:<its id>``).
ACTOR_NAME_KIND = "actor.name"
#: What a resolved name reads as once its text was erased.
ERASED_NAME = "(erased)"


@dataclass(frozen=True, slots=True)
class PersonalRef:
    """The opaque id of one row of ``personal_data``."""

    id: str

    def to_json(self) -> dict[str, str]:
        return {"ref": self.id}


def ref_out(value: Any) -> Any:
    """A field's value as the payload holds it: ``{"ref": id}`` for a reference, else as is."""
    return value.to_json() if type(value) is PersonalRef else value


def ref_in(value: Any) -> Any:
    """A payload's value as the event holds it: a reference for ``{"ref": id}``, else as is."""
    if isinstance(value, Mapping) and set(value) == {"ref"} and isinstance(value["ref"], str):
        return PersonalRef(value["ref"])
    return value


def ref_id(value: Any) -> str | None:
    """The reference's id, or None when the value is text (an old event's) or absent."""
    return value.id if type(value) is PersonalRef else None


def text_of(value: Any) -> str | None:
    """The text an old event carries in the field, or None when it holds a reference."""
    return None if type(value) is PersonalRef else value


def ref_text(value: Any) -> Any:
    """A string field's value: ``ref:<id>`` for a reference, else as is."""
    return REF_TEXT + value.id if type(value) is PersonalRef else value


def ref_text_id(value: object) -> str | None:
    """The reference's id a ``ref:pd_...`` string names, or None for any other value."""
    if isinstance(value, str) and value.startswith(REF_TEXT + PREFIX + "_"):
        return value[len(REF_TEXT) :]
    return None
