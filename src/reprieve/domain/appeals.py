"""Appeals: complaints (DSA art. 20) and reinstatement requests, their decision by a human, and
out-of-court disputes about them (DSA art. 21).

* A ``complaint`` says the decision was wrong. It can be filed while the complaint window is open:
  the platform policy's ``appeals.complaint_window`` (never under six months) after the user
  was told of the latest decision on the sanction — its creation, an amendment, a review
  decision (``store.due_process.latest_decision_told``: a decision that issued a statement of
  reasons from the statement's first delivery receipt, else from its issue; an imported creation
  from the import's ``informed_at``; another decision without a statement from when it took
  effect or, for a later one, when it was recorded if that is later). It cannot be
  filed against a lifted sanction (nothing stands to complain about); it can against one that
  has run out, whose strike still counts.
* A ``reinstatement`` request says circumstances have changed: filed at any time while the
  sanction is active.
* One open appeal per sanction. Only a human (moderator or admin) decides: ``granted`` lifts the
  sanction (and takes its strike away), ``partially_granted`` amends it, ``denied`` leaves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reprieve.domain.errors import ForbiddenError, ValidationError
from reprieve.domain.model import Role, SanctionState, ensure_text, parse_enum
from reprieve.domain.roles import MODERATING
from reprieve.domain.sanctions import Sanction
from reprieve.domain.text import trim
from reprieve.domain.time import Duration, format_instant

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")


class AppealKind(StrEnum):
    COMPLAINT = "complaint"
    REINSTATEMENT = "reinstatement"


class AppealState(StrEnum):
    OPEN = "open"
    GRANTED = "granted"
    PARTIALLY_GRANTED = "partially_granted"
    DENIED = "denied"


class AppealOutcome(StrEnum):
    GRANTED = "granted"
    PARTIALLY_GRANTED = "partially_granted"
    DENIED = "denied"


class Channel(StrEnum):
    WEB = "web"
    LETTER = "letter"
    EMAIL = "email"
    API = "api"


class Relation(StrEnum):
    SUBJECT = "subject"
    REPRESENTATIVE = "representative"
    #: Who notified: a complaint about the decision taken on their notice (DSA art. 20(1)).
    NOTIFIER = "notifier"


class DisputeOutcome(StrEnum):
    """Where an out-of-court dispute settlement body (DSA art. 21) stands."""

    PENDING = "pending"
    IN_FAVOUR_OF_REQUESTER = "in_favour_of_requester"
    IN_FAVOUR_OF_PLATFORM = "in_favour_of_platform"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


#: Roles that may decide an appeal: people, never a machine client.
HUMAN_DECIDERS = MODERATING


@dataclass(frozen=True, slots=True)
class Requester:
    """Who filed: personal data, kept apart from the event log (events carry only a reference)."""

    name: str
    email: str | None
    relation: Relation

    @classmethod
    def parse(cls, data: object) -> Requester:
        if not isinstance(data, dict):
            raise ValidationError("must be an object {name, email?, relation}", field="filed_by")
        unknown = set(data) - {"name", "email", "relation"}
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field="filed_by")
        name = trim(ensure_text(data.get("name"), field="filed_by.name", max_length=200, multiline=False))  # type: ignore[arg-type]
        email = data.get("email")
        if email is not None:
            if not isinstance(email, str) or len(email) > 320 or not _EMAIL.match(email.strip()):
                raise ValidationError("is not an e-mail address", field="filed_by.email")
            email = email.strip()
        relation = parse_enum(Relation, data.get("relation", "subject"), field="filed_by.relation")
        return cls(name, email, relation)


def complaint_deadline(latest_decision: datetime, window: Duration) -> datetime:
    """The last instant a complaint can be received (inclusive)."""
    return window.after(latest_decision)


def ensure_admissible(
    kind: AppealKind,
    sanction: Sanction,
    *,
    received_at: datetime,
    latest_decision: datetime,
    window: Duration,
) -> None:
    """Raise ValidationError if an appeal of ``kind`` cannot be filed at ``received_at``."""
    state = sanction.state_at(received_at)
    when = format_instant(received_at)
    if kind is AppealKind.REINSTATEMENT:
        if state is not SanctionState.ACTIVE:
            raise ValidationError(
                f"a reinstatement request needs an active sanction; sanction {sanction.id} is {state.value} at {when}",
                field="sanction",
            )
        return
    if state is SanctionState.LIFTED:
        raise ValidationError(
            f"sanction {sanction.id} is lifted at {when}: there is no decision left to complain about",
            field="sanction",
        )
    deadline = complaint_deadline(latest_decision, window)
    if received_at > deadline:
        raise ValidationError(
            f"the complaint window closed at {format_instant(deadline)} ({window} after the latest decision "
            f"on sanction {sanction.id}, {format_instant(latest_decision)}); a reinstatement request can "
            "still be filed while the sanction is active",
            field="kind",
        )


def ensure_human_decider(role: Role | None) -> None:
    """``None`` is a person at the command line; a token must be a moderator's or an admin's."""
    if role is not None and role not in HUMAN_DECIDERS:
        raise ForbiddenError(f"an appeal is decided by a person (moderator or admin), not a {role.value!r} token")


def handling_seconds(received_at: datetime, decided_at: datetime) -> int:
    """How long the appeal waited for its decision, in whole seconds (never negative)."""
    return max(0, int((decided_at - received_at).total_seconds()))


def ensure_decision_fits(outcome: AppealOutcome, *, amends: bool, probation: bool) -> None:
    """Raise ValidationError unless the decision's fields fit its outcome: a partial grant says how
    the sanction changes (``amends``) and nothing else amends it; only a grant, which lifts the
    sanction, sets a probation."""
    if outcome is AppealOutcome.PARTIALLY_GRANTED and not amends:
        raise ValidationError("a partial grant says how the sanction changes: ends_at, kind or denies")
    if outcome is not AppealOutcome.PARTIALLY_GRANTED and amends:
        raise ValidationError("only a partial grant amends the sanction (ends_at, kind, denies)")
    if probation and outcome is not AppealOutcome.GRANTED:
        raise ValidationError("only a granted appeal, which lifts the sanction, sets a probation", field="probation")


def grant_lifts_at(outcome: AppealOutcome, sanction: Sanction, effective_at: datetime) -> datetime | None:
    """When deciding ``outcome`` at ``effective_at`` lifts ``sanction``, or None if it lifts nothing.

    A grant lifts a sanction that is active or scheduled then; one granted away before it starts
    is lifted at its start, so it never takes effect. A grant on a sanction that ran out or was
    lifted lifts nothing (it still takes the strike away); the other outcomes never lift.
    """
    if outcome is not AppealOutcome.GRANTED:
        return None
    if sanction.state_at(effective_at) not in (SanctionState.ACTIVE, SanctionState.SCHEDULED):
        return None
    return max(effective_at, sanction.starts_at)
