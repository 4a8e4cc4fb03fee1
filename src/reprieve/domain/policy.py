"""Platform policies: strike ladders, strike expiry, severity overrides, probation, appeal and
review defaults. Built from plain data (a parsed YAML file or an API body) and validated here,
each error naming the key at fault (``ladder.by_strikes[2].duration``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from reprieve.domain.errors import ValidationError
from reprieve.domain.model import APPEAL, Platform, SanctionKind, parse_enum
from reprieve.domain.reason import AutomatedDecision
from reprieve.domain.time import Duration, parse_duration

#: DSA art. 20(1): a complaint can be filed for at least six months.
MINIMUM_COMPLAINT_WINDOW = parse_duration("P6M")
_RANGE = re.compile(r"^(\d+)(?:-(\d+)|(\+))?$")


class Severity(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    SEVERE = "severe"


@dataclass(frozen=True, slots=True)
class Step:
    """What a ladder imposes: a kind, for how long (None: indefinite), and a restriction's denials."""

    kind: SanctionKind
    duration: Duration | None = None
    denies: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "duration": str(self.duration) if self.duration else None,
            "denies": list(self.denies),
        }


@dataclass(frozen=True, slots=True)
class Rung:
    """A step that applies from ``low`` strikes up to ``high`` (None: and beyond)."""

    low: int
    high: int | None
    step: Step

    def holds(self, strikes: int) -> bool:
        return self.low <= strikes and (self.high is None or strikes <= self.high)


@dataclass(frozen=True, slots=True)
class Ladder:
    """Turns a strike count (and a violation's severity) into the sanction to impose, if any."""

    rungs: tuple[Rung, ...] = ()
    by_severity: dict[Severity, Step] = field(default_factory=dict)

    def step_for(self, strikes: int, severity: Severity) -> Step | None:
        """A severity override wins; otherwise the rung holding the count; None: nothing to impose."""
        if severity in self.by_severity:
            return self.by_severity[severity]
        for rung in self.rungs:
            if rung.holds(strikes):
                return rung.step
        return None

    @property
    def is_empty(self) -> bool:
        return not self.rungs and not self.by_severity


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    description: str = ""
    ladder: Ladder = field(default_factory=Ladder)
    strike_expiry: Duration | None = None
    #: ``strikes.first_warning.expire_after``: how long the first warning, which is not a strike,
    #: stays in force (YouTube's); None: the policy has no such warning, every violation is a strike.
    first_warning: Duration | None = None
    probation_duration: Duration | None = None
    probation_ladder: Ladder | None = None
    complaint_window: Duration = MINIMUM_COMPLAINT_WINDOW
    review_quorum: str | int = "majority"
    review_after: Duration | None = None
    appeal_target: Duration = field(default_factory=lambda: parse_duration("P14D"))
    automated_detection: bool = False
    automated_decision: AutomatedDecision = AutomatedDecision.NOT_AUTOMATED

    @property
    def first_warning_step(self) -> Step | None:
        """The first warning as a ladder step: a warning that lasts as long as it stays in force."""
        return None if self.first_warning is None else Step(SanctionKind.WARNING, self.first_warning)


_TOP = {"name", "description", "strikes", "ladder", "probation", "appeals", "reviews", "automated"}


def policy_from_data(data: Any, *, capabilities: tuple[str, ...] | None = None) -> Policy:
    """Validate plain data as a policy; ``capabilities`` (when known) bounds restriction denials."""
    obj = _mapping(data, "", _TOP)
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("a policy needs a name", field="name")
    strikes = _mapping(obj.get("strikes", {}), "strikes", {"expire_after", "first_warning"})
    probation = _mapping(obj.get("probation", {}), "probation", {"duration", "ladder"})
    appeals = _mapping(obj.get("appeals", {}), "appeals", {"complaint_window", "decision_target"})
    reviews = _mapping(obj.get("reviews", {}), "reviews", {"quorum", "after"})
    automated = _mapping(obj.get("automated", {}), "automated", {"detection", "decision"})

    window = _duration(appeals.get("complaint_window"), "appeals.complaint_window") or MINIMUM_COMPLAINT_WINDOW
    if window.months + 12 * window.years < 6 and window.exact.days < 184:
        raise ValidationError("must be at least six months (DSA art. 20)", field="appeals.complaint_window")
    quorum = reviews.get("quorum", "majority")
    if quorum != "majority" and not (isinstance(quorum, int) and not isinstance(quorum, bool) and quorum >= 1):
        raise ValidationError("must be 'majority' or a number of reviewers", field="reviews.quorum")
    detection = automated.get("detection", False)
    if not isinstance(detection, bool):
        raise ValidationError("must be true or false", field="automated.detection")
    return Policy(
        name=name.strip(),
        description=str(obj.get("description", "")),
        ladder=_ladder(obj.get("ladder", {}), "ladder", capabilities),
        strike_expiry=_duration(strikes.get("expire_after"), "strikes.expire_after"),
        first_warning=_first_warning(strikes),
        probation_duration=_duration(probation.get("duration"), "probation.duration"),
        probation_ladder=_ladder(probation["ladder"], "probation.ladder", capabilities)
        if "ladder" in probation
        else None,
        complaint_window=window,
        review_quorum=quorum,
        review_after=_duration(reviews.get("after"), "reviews.after"),
        appeal_target=_duration(appeals.get("decision_target"), "appeals.decision_target") or parse_duration("P14D"),
        automated_detection=detection,
        automated_decision=parse_enum(
            AutomatedDecision, automated.get("decision", "not_automated"), field="automated.decision"
        ),
    )


def ladder_from_data(data: Any, *, path: str = "ladder", capabilities: tuple[str, ...] | None = None) -> Ladder:
    """Validate plain data as a ladder (``by_strikes``, ``by_severity``); errors name keys under ``path``."""
    return _ladder(data, path, capabilities)


def _first_warning(strikes: dict[str, Any]) -> Duration | None:
    """``strikes.first_warning``: a mapping with a required ``expire_after`` (none: no first warning)."""
    if "first_warning" not in strikes:
        return None
    path = "strikes.first_warning"
    if not isinstance(strikes["first_warning"], dict):
        raise ValidationError("must be a mapping such as {expire_after: P90D}", field=path)
    warning = _mapping(strikes["first_warning"], path, {"expire_after"})
    expiry = _duration(warning.get("expire_after"), f"{path}.expire_after")
    if expiry is None:
        raise ValidationError(
            "is required: how long the first warning, which is not a strike, stays in force",
            field=f"{path}.expire_after",
        )
    return expiry


def _mapping(value: Any, path: str, allowed: set[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError("must be a mapping of keys to values", field=path or "policy")
    for key in value:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise ValidationError(f"unknown key; expected one of: {', '.join(sorted(allowed))}", field=where)
    return value


def _duration(value: Any, path: str) -> Duration | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("must be an ISO 8601 duration such as P30D", field=path)
    return parse_duration(value, field=path)


def _ladder(value: Any, path: str, capabilities: tuple[str, ...] | None) -> Ladder:
    obj = _mapping(value, path, {"by_strikes", "by_severity"})
    rungs: list[Rung] = []
    steps = obj.get("by_strikes", []) or []
    if not isinstance(steps, list):
        raise ValidationError("must be a list of steps", field=f"{path}.by_strikes")
    for i, raw in enumerate(steps):
        where = f"{path}.by_strikes[{i}]"
        item = _mapping(raw, where, {"strikes", "kind", "duration", "denies"})
        low, high = _strike_range(item.get("strikes"), f"{where}.strikes")
        if rungs and (rungs[-1].high is None or low <= rungs[-1].high):
            raise ValidationError(
                "overlaps the step before it; list steps in increasing order", field=f"{where}.strikes"
            )
        rungs.append(Rung(low, high, _step(item, where, capabilities)))
    by_severity: dict[Severity, Step] = {}
    severities = _mapping(obj.get("by_severity", {}), f"{path}.by_severity", {s.value for s in Severity})
    for key, raw in severities.items():
        where = f"{path}.by_severity.{key}"
        item = _mapping(raw, where, {"kind", "duration", "denies"})
        by_severity[Severity(key)] = _step(item, where, capabilities)
    return Ladder(tuple(rungs), by_severity)


def _strike_range(value: Any, path: str) -> tuple[int, int | None]:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    match = _RANGE.match(text.strip())
    if not match:
        raise ValidationError(f"{value!r} is not a strike count such as 3, 2-6 or 10+", field=path)
    low = int(match.group(1))
    high: int | None = int(match.group(2)) if match.group(2) else (None if match.group(3) else low)
    if low < 1 or (high is not None and high < low):
        raise ValidationError(f"{value!r} is not a range of strike counts from 1", field=path)
    return low, high


def _step(item: dict[str, Any], path: str, capabilities: tuple[str, ...] | None) -> Step:
    kind = parse_enum(SanctionKind, item.get("kind"), field=f"{path}.kind")
    duration = _duration(item.get("duration"), f"{path}.duration")
    denies_raw = item.get("denies", []) or []
    if not isinstance(denies_raw, list) or not all(isinstance(d, str) for d in denies_raw):
        raise ValidationError("must be a list of capabilities", field=f"{path}.denies")
    denies = tuple(denies_raw)
    if kind is SanctionKind.TERMINATION and duration is not None:
        raise ValidationError("a termination is permanent: give no duration", field=f"{path}.duration")
    if kind is SanctionKind.RESTRICTION and not denies:
        raise ValidationError("a restriction must list what it denies", field=f"{path}.denies")
    if kind is not SanctionKind.RESTRICTION and denies:
        raise ValidationError("only a restriction lists what it denies", field=f"{path}.denies")
    for capability in denies:
        if capability == APPEAL:
            raise ValidationError("appeal can never be denied", field=f"{path}.denies")
        if capabilities is not None and capability not in capabilities:
            raise ValidationError(f"{capability!r} is not a capability of the platform", field=f"{path}.denies")
    return Step(kind, duration, denies)


def policy_of(platform: Platform) -> Policy:
    """The platform's policy, parsed once per distinct policy (an empty one imposes nothing)."""
    return _parsed(json.dumps(platform.policy, sort_keys=True))


@lru_cache(maxsize=256)
def _parsed(text: str) -> Policy:
    # Not checked against the platform's capabilities here: a shipped policy is stored as it is,
    # and a ladder step that denies what a platform lacks is refused when it would be imposed.
    data = json.loads(text) or {"name": "none"}
    return policy_from_data(data)
