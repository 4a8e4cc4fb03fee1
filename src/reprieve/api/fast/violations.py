"""``FastViolations``: ``POST /v1/violations`` taken before FastAPI's machinery, as the route would.

It reads the body with orjson, admits it only if ``ViolationCreate`` certainly would (its
limits, shared with ``api.due_process_schemas``, and its text rule, ``domain.text``),
authenticates and admits roles as the route does, and submits it to the group commit.
Whenever it is not sure, it hands the request, body included, to the full application, so
every refusal of a request is the route's own.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from reprieve.api.due_process_schemas import (
    EXTERNAL_ID_MAX_LENGTH,
    POLICY_MAX_LENGTH,
    VIOLATION_CODE_LISTS,
    ViolationCreate,
)
from reprieve.api.fast.common import ACCOUNT, SLUG, text_ok
from reprieve.api.fast.writes import FastWrite, Unsure, loads
from reprieve.api.routes.violations import PATH, REPORTER_ROLES
from reprieve.api.schemas import CATEGORY_MAX_LENGTH, FACTS_MAX_LENGTH, INSTANT_MAX_LENGTH
from reprieve.domain.policy import Severity
from reprieve.domain.roles import admitted
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import violations
from reprieve.services.callers import Caller
from reprieve.services.committing import Answer

_FIELDS = frozenset(ViolationCreate.model_fields)
#: Roles ``Reporter`` admits.
_REPORTERS = admitted(*REPORTER_ROLES)
# Stricter than the schema's pattern (printable ASCII only), so that whatever passes here the
# schema accepts too; anything else is for the route to judge.
_EXTERNAL_ID = re.compile(f"[\\x21-\\x7e](?:[\\x20-\\x7e]{{0,{EXTERNAL_ID_MAX_LENGTH - 2}}}[\\x21-\\x7e])?")
_SEVERITIES = frozenset(s.value for s in Severity)
#: ``ContentDate``, in ASCII digits only (the schema's ``\d`` takes other digits too: the route's to judge).
_CONTENT_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class FastViolations(FastWrite):
    """``POST /v1/violations`` without FastAPI's dependency solving and pydantic parsing; every
    other request, and every violation it is not sure of, goes to ``app`` unchanged."""

    path = PATH
    roles = _REPORTERS

    def parse(self, body: bytes) -> violations.RecordViolation:
        return _report(body)

    def submit(self, committer: GroupCommitter, command: Any, caller: Caller, answer: Answer) -> None:
        # A report the service refuses before the writer (a category, an instant) is refused
        # by the route with the same error: it is handed over, not answered here.
        violations.submit_violation(committer, command, caller=caller, answer=answer)

    def respond(self, result: violations.ViolationAnswer) -> tuple[int, bytes]:
        # The body is the service's view in the documented shape (the tests hold it to the
        # route's, which ViolationOut validates), so it is serialised directly.
        return 201 if result.created else 200, orjson.dumps(result.body)


def _report(body: bytes) -> violations.RecordViolation:
    """The report of a body ``ViolationCreate`` certainly accepts; else ``Unsure``."""
    data = loads(body)
    if not _FIELDS.issuperset(data) or data.get("automated") is not None:
        raise Unsure
    if "item" in data or "kind" in data:  # a content decision too: the route's
        raise Unsure
    try:
        id_, platform, account, policy, severity, category = (
            data["id"],
            data["platform"],
            data["account"],
            data["policy"],
            data["severity"],
            data["category"],
        )
    except KeyError:
        raise Unsure from None
    facts = data.get("facts", "")
    occurred_at = data.get("occurred_at")
    if not (
        type(id_) is str
        and _EXTERNAL_ID.fullmatch(id_)
        and text_ok(id_, required=True, multiline=False)
        and type(platform) is str
        and SLUG.fullmatch(platform)
        and type(account) is str
        and ACCOUNT.fullmatch(account)
        and type(policy) is str
        and 0 < len(policy) <= POLICY_MAX_LENGTH
        and text_ok(policy, required=True)
        and type(severity) is str
        and severity in _SEVERITIES
        and type(category) is str
        and len(category) <= CATEGORY_MAX_LENGTH
        and type(facts) is str
        and len(facts) <= FACTS_MAX_LENGTH
        and text_ok(facts, required=False)
        and (
            occurred_at is None
            or (type(occurred_at) is str and 0 < len(occurred_at) <= INSTANT_MAX_LENGTH and "\x00" not in occurred_at)
        )
    ):
        raise Unsure
    lists = [_codes(data.get(field), most, longest) for field, most, longest in VIOLATION_CODE_LISTS]
    content_date = data.get("content_date")
    if content_date is not None and not (type(content_date) is str and _CONTENT_DATE.fullmatch(content_date)):
        raise Unsure
    # The route's schema would accept it: what it parses, the service's own parsing checks alike
    # (a refusal is handed over to the route, which refuses it with the same error).
    return violations.RecordViolation.parse(
        id=id_,
        platform=platform,
        account=account,
        policy=policy,
        severity=severity,
        category=category,
        facts=facts,
        occurred_at=occurred_at,
        content_type=lists[0],
        content_date=content_date,
        keywords=lists[1],
        territorial_scope=lists[2],
    )


def _codes(value: Any, most: int, longest: int) -> list[str] | None:
    """A list of codes as the schema certainly accepts it (the service judges the codes); else ``Unsure``."""
    if value is None:
        return None
    if type(value) is not list or len(value) > most:
        raise Unsure
    for item in value:
        if type(item) is not str or len(item) > longest or "\x00" in item:
            raise Unsure
    return value
