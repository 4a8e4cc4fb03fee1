"""Evidence of a content decision (PRODUCT.md section 9): a reference to the platform's own
snapshot of the item and the snapshot's SHA-256, never the content itself.

Kept beside the hash-chained log (``content_evidence``), never in an event: a reference may be a
URL that names someone, and evidence is forgotten once no complaint or dispute is possible.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reprieve.domain.errors import ValidationError

#: The longest reference: an id or a URL of the platform's snapshot store.
REFERENCE_MAX = 500
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Evidence:
    """The platform's reference of its snapshot of the item, and the snapshot's SHA-256."""

    reference: str
    sha256: str

    @classmethod
    def parse(cls, data: object, *, field: str = "evidence") -> Evidence:
        """From a command's ``evidence`` object: ValidationError naming the field at fault."""
        if not isinstance(data, Mapping):
            raise ValidationError("must be an object {reference, sha256}", field=field)
        unknown = set(data) - {"reference", "sha256"}
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field=field)
        reference = data.get("reference")
        if not isinstance(reference, str) or not _is_reference(reference):
            raise ValidationError(
                f"must be the platform's reference of its snapshot (an id or a URL, no spaces, 1 to "
                f"{REFERENCE_MAX} characters), never the content itself",
                field=f"{field}.reference",
            )
        sha256 = data.get("sha256")
        if not isinstance(sha256, str) or _SHA256.match(sha256) is None:
            raise ValidationError(
                "must be the snapshot's SHA-256: 64 lower-case hexadecimal digits", field=f"{field}.sha256"
            )
        return cls(reference, sha256)

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "sha256": self.sha256}


def _is_reference(value: str) -> bool:
    """1 to ``REFERENCE_MAX`` characters, none a space or a control or format character."""
    if not 1 <= len(value) <= REFERENCE_MAX:
        return False
    return not any(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in value)
