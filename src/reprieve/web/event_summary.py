"""One line in words per event of the log, for the audit page: "Sanction imposed on
facebook/DonaldTrump: suspension until 2023-01-07 by cli:root".

Each event type has its sentence in the locales (``audit.summary.<type>``); the sentence names
what it needs among the parameters ``summary_params`` gathers from the event's data, every one
of them always present (empty when the event has no such field). A type without a sentence reads
``audit.summary.other``: its type and its actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reprieve.services.audit import EventView
from reprieve.web.i18n import Translate, catalog


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _subject(data: Mapping[str, Any]) -> str:
    """``platform/account`` of the event's subject or account, if it names one."""
    subject = data.get("subject")
    if isinstance(subject, dict):
        return f"{_text(subject.get('platform'))}/{_text(subject.get('account'))}"
    if data.get("account") is not None and data.get("platform") is not None:
        return f"{data['platform']}/{data['account']}"
    return ""


def summary_params(t: Translate, event: EventView) -> dict[str, str]:
    """The words a sentence may use, from ``event``."""
    data = event.data
    kind = _text(data.get("kind"))
    ends = _text(data.get("ends_at"))
    outcome = _text(data.get("outcome"))
    outcome_key = ("review_outcome." if event.type.startswith("review.") else "appeal_outcome.") + outcome
    kind_key = ("appeal_kind." if event.type.startswith("appeal.") else "kind.") + kind
    accounts = data.get("accounts")
    return {
        "actor": _text(event.actor_name or event.actor),
        "type": _text(event.type),
        "id": _text(data.get("id")),
        "name": _text(data.get("name")),
        "sanction": _text(data.get("sanction")),
        "review": _text(data.get("review")),
        "subject": _subject(data),
        "kind": t(kind_key) if kind else "",
        "term": (t("audit.summary.until", day=ends[:10]) if ends else t("audit.summary.no_end")) if kind else "",
        "outcome": t(outcome_key) if outcome else "",
        "channel": t("channel." + _text(data.get("channel"))) if data.get("channel") else "",
        "risk": t("risk." + _text(data.get("risk"))) if data.get("risk") else "",
        "role": t("role." + _text(data.get("role"))) if data.get("role") else "",
        "accounts": ", ".join(f"{a.get('platform')}/{a.get('account')}" for a in accounts if isinstance(a, dict))
        if isinstance(accounts, list)
        else "",
        "count": _text(data.get("lifted", data.get("matched", ""))),
    }


def summarize(t: Translate, event: EventView) -> str:
    """The event in one sentence of ``t``'s language."""
    key = "audit.summary." + event.type
    if key not in catalog("en"):
        key = "audit.summary.other"
    return t(key, **summary_params(t, event))
