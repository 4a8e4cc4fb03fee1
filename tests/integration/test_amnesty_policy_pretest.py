"""Excluding policies: the text pre-test on ``reason`` (store/amnesty.py ``_policy_not_in``) never
changes what an amnesty selects, whether the policy named needs escaping in JSON or not, and
whether or not its text appears elsewhere in the reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from reprieve.domain.amnesty import make_filter
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty
from reprieve.services.callers import Caller
from reprieve.store.db import Database

POLICIES = (
    "spam",
    "spam-lite",  # holds "spam" as text: the pre-test finds it, the parse keeps it
    'the "quoted" rule',  # escaped in JSON: no pre-test at all
    "Gewalt/über",  # non-ASCII: escaped too (ensure_ascii)
    "other",
)


def valid_reason(*, policy: str, explanation: str) -> dict[str, Any]:
    return {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "policy": policy,
        "explanation": explanation,
    }


@pytest.fixture
def sanctions(meta: str, now: datetime, impose: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """One sanction per policy, plus one whose policy is "other" but whose explanation says "spam"."""
    made = {}
    for i, policy in enumerate(POLICIES):
        reason = valid_reason(policy=policy, explanation=f"case {i}")
        made[policy] = impose(f"facebook/u{i}", "termination", reason=reason, starts_at=now - timedelta(days=1))["id"]
    decoy = valid_reason(policy="other", explanation='spam and the "quoted" rule and Gewalt/über')
    made["decoy"] = impose("facebook/decoy", "termination", reason=decoy, starts_at=now - timedelta(days=1))["id"]
    return made


@pytest.mark.parametrize(
    "excluded",
    [
        ["spam"],
        ["spam", "other"],
        ['the "quoted" rule'],
        ["Gewalt/über", "spam"],
        ["nobody's policy"],
    ],
)
def test_excluding_policies_selects_exactly_the_others(
    db: Database, sanctions: dict[str, str], now: datetime, excluded: list[str]
) -> None:
    expected = {sid for key, sid in sanctions.items() if (key if key != "decoy" else "other") not in excluded}
    preview = amnesty.preview(db, make_filter("meta", exclude_policies=excluded), caller=Caller("test", now=now))
    assert preview.matched == len(expected)
    assert {s.id for s in preview.sample} == expected
    started = amnesty.start(db, make_filter("meta", exclude_policies=excluded), reason="r", caller=Caller("m").at(now))
    done = amnesty_runner.run(db, started.id, now=now)
    assert done.lifted == len(expected)
