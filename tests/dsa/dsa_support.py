"""Shared by the DSA tests: the golden sanctions, imposed through the service."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from reprieve.domain.model import AccountRef
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store.db import Database

GOLDEN = Path(__file__).parent / "golden"
ACTOR = "dsa-tests"


def golden_sanctions() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((GOLDEN / "sanctions.json").read_text())
    return data


def impose_golden(db: Database, now: datetime) -> dict[str, str]:
    """Impose every golden sanction; their ids by name."""
    ids = {}
    for name, spec in golden_sanctions().items():
        spec = dict(spec)
        subject = AccountRef.parse(spec.pop("subject"))
        # the golden decisions start long before the tests' clock: backdated (PRODUCT.md section 8)
        spec.setdefault("backdated_reason", "Golden history, entered after the fact.")
        result = impose_sanction(db, ImposeSanction.parse(subject=subject, **spec), caller=Caller(ACTOR, now=now))
        ids[name] = result.id
    return ids


def with_puids(text: str, ids: dict[str, str]) -> str:
    """The golden text with ``<PUID:name>`` replaced by the puid of the sanction ``name``."""
    for name, sanction_id in ids.items():
        text = text.replace(f"<PUID:{name}>", sanction_id)
    return text
