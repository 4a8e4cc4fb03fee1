"""docs/content.md's table of kinds says what ``domain.content`` does: each kind, what it
restricts (``RESTRICTS``) and the item's status (``STATUS_OF_KIND``)."""

from __future__ import annotations

import re
from pathlib import Path

from reprieve.domain.content import ITEM_CAPABILITIES, RESTRICTS, STATUS_OF_KIND, ContentKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "content.md"


def test_the_documented_kinds_are_the_domains() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \| `([a-z_]+)` \|$", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    documented = {kind: (restricts, status) for kind, restricts, status in rows}
    assert set(documented) == {k.value for k in ContentKind}
    for kind in ContentKind:
        restricts, status = documented[kind.value]
        named = {c for c in ITEM_CAPABILITIES if re.search(rf"\b{c}\b", restricts)}
        assert named == set(RESTRICTS[kind]), kind
        assert status == STATUS_OF_KIND[kind]
