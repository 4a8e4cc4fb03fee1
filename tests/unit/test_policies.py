"""The shipped policies, walked step by step, and policy files that are wrong in every way."""

from __future__ import annotations

import re

import pytest

from reprieve.domain.errors import ValidationError
from reprieve.domain.model import SanctionKind
from reprieve.domain.policy import Severity, Step
from reprieve.domain.strikes import LadderName, Probation, evaluate_ladder
from reprieve.policies import SHIPPED, load_policy, shipped_policy, shipped_policy_text

W, R, S, T = SanctionKind.WARNING, SanctionKind.RESTRICTION, SanctionKind.SUSPENSION, SanctionKind.TERMINATION
CONTENT = ("post", "comment", "message", "react", "live", "advertise", "monetize")


def walk(name: str, strikes: int, severity: Severity = Severity.MODERATE) -> tuple[object, ...] | None:
    step = shipped_policy(name).ladder.step_for(strikes, severity)
    return None if step is None else (step.kind, str(step.duration) if step.duration else None, step.denies)


def test_meta_since_2023() -> None:
    assert walk("meta", 1) == (W, None, ())
    for strikes in range(2, 7):
        assert walk("meta", strikes) == (R, "P1D", ("live", "advertise", "monetize"))
    assert walk("meta", 7) == (R, "P1D", CONTENT)
    assert walk("meta", 8) == (R, "P3D", CONTENT)
    assert walk("meta", 9) == (R, "P7D", CONTENT)
    for strikes in (10, 11, 50):
        assert walk("meta", strikes) == (R, "P30D", CONTENT)
    assert walk("meta", 1, Severity.SEVERE) == (T, None, ())
    policy = shipped_policy("meta")
    assert str(policy.strike_expiry) == "P1Y"


def test_meta_probation_is_one_month_to_two_years_by_severity() -> None:
    policy = shipped_policy("meta")
    assert policy.probation_ladder is not None and str(policy.probation_duration) == "P2Y"
    steps = [policy.probation_ladder.step_for(1, severity) for severity in Severity]
    assert [(s.kind, str(s.duration)) for s in steps if s is not None] == [
        (S, "P1M"),
        (S, "P6M"),
        (S, "P1Y"),
        (S, "P2Y"),
    ]


def test_youtube_first_warning_is_no_strike_then_two_freezes_then_termination_at_three() -> None:
    # The first warning is not on the ladder: it comes before the first strike (domain.strikes).
    policy = shipped_policy("youtube")
    assert policy.first_warning_step == Step(W, policy.first_warning)
    assert str(policy.first_warning) == "P90D"
    assert walk("youtube", 1) == (R, "P7D", ("post", "live"))
    assert walk("youtube", 2) == (R, "P14D", ("post", "live"))
    assert walk("youtube", 3) == (T, None, ())
    assert walk("youtube", 9) == (T, None, ())
    assert walk("youtube", 1, Severity.SEVERE) == (T, None, ())
    assert str(policy.strike_expiry) == "P90D"


def test_no_other_shipped_policy_has_a_first_warning() -> None:
    assert [name for name in SHIPPED if shipped_policy(name).first_warning is not None] == ["youtube"]
    assert shipped_policy("meta").first_warning_step is None


def test_the_first_warning_is_given_only_with_no_strike_no_warning_no_probation_no_override() -> None:
    policy = shipped_policy("youtube")
    warning = policy.first_warning_step
    assert warning is not None

    def result(
        strikes_before: int = 0,
        severity: Severity = Severity.MODERATE,
        *,
        warned: bool = False,
        probation: Probation | None = None,
    ) -> tuple[object, ...]:
        r = evaluate_ladder(
            policy.ladder,
            strikes_before=strikes_before,
            severity=severity,
            probation=probation,
            first_warning=warning,
            warned=warned,
        )
        return r.strikes, r.ladder, r.step.kind if r.step else None

    assert result() == (0, LadderName.FIRST_WARNING, W)
    assert result(severity=Severity.HIGH) == (0, LadderName.FIRST_WARNING, W)
    assert result(warned=True) == (1, LadderName.STANDARD, R)
    assert result(strikes_before=1) == (2, LadderName.STANDARD, R)
    assert result(severity=Severity.SEVERE) == (1, LadderName.STANDARD, T)
    on_probation = Probation("prb_1", 0, 10, policy.ladder, {})
    assert result(probation=on_probation) == (1, LadderName.PROBATION, R)
    # Without a first warning in the policy, the first violation is strike 1.
    plain = evaluate_ladder(policy.ladder, strikes_before=0, severity=Severity.MODERATE)
    assert (plain.strikes, plain.ladder) == (1, LadderName.STANDARD)


def test_truth_social_doubles_from_48_hours_then_indefinite() -> None:
    assert [walk("truth-social", n) for n in range(1, 8)] == [
        (S, "PT48H", ()),
        (S, "PT96H", ()),
        (S, "PT192H", ()),
        (S, "PT384H", ()),
        (S, "PT768H", ()),
        (S, None, ()),
        (S, None, ()),
    ]


def test_parler_imposes_nothing() -> None:
    policy = shipped_policy("parler")
    assert policy.ladder.is_empty
    assert all(walk("parler", n, s) is None for n in (1, 5, 100) for s in Severity)


def test_every_shipped_policy_keeps_the_dsa_complaint_window() -> None:
    for name in SHIPPED:
        assert str(shipped_policy(name).complaint_window) == "P6M"


BAD = {
    "unknown top-level key": ("name: x\nladdr: {}\n", 2, "laddr"),
    "bad duration": (
        "name: x\nladder:\n  by_strikes:\n    - strikes: 1\n      kind: suspension\n      duration: 2d\n",
        6,
        "ladder.by_strikes[0].duration",
    ),
    "bad kind": (
        "name: x\nladder:\n  by_strikes:\n    - strikes: 1\n      kind: ban\n",
        5,
        "ladder.by_strikes[0].kind",
    ),
    "overlapping steps": (
        "name: x\nladder:\n  by_strikes:\n    - strikes: 1-3\n      kind: warning\n"
        "    - strikes: 2\n      kind: warning\n",
        6,
        "ladder.by_strikes[1].strikes",
    ),
    "restriction without denials": (
        "name: x\nladder:\n  by_strikes:\n    - strikes: 1\n      kind: restriction\n",
        4,
        "ladder.by_strikes[0].denies",
    ),
    "appeal denied": (
        "name: x\nladder:\n  by_severity:\n    low:\n      kind: restriction\n      denies: [appeal]\n",
        6,
        "ladder.by_severity.low.denies",
    ),
    "short complaint window": ("name: x\nappeals:\n  complaint_window: P30D\n", 3, "appeals.complaint_window"),
    "terminating for a while": (
        "name: x\nladder:\n  by_severity:\n    severe:\n      kind: termination\n      duration: P1D\n",
        6,
        "ladder.by_severity.severe.duration",
    ),
    "unknown severity": (
        "name: x\nladder:\n  by_severity:\n    extreme:\n      kind: termination\n",
        4,
        "ladder.by_severity.extreme",
    ),
    "no name": ("description: nameless\n", 1, "name"),
    "first warning not a mapping": ("name: x\nstrikes:\n  first_warning: P90D\n", 3, "strikes.first_warning"),
    "first warning without expiry": (
        "name: x\nstrikes:\n  expire_after: P90D\n  first_warning: {}\n",
        4,
        "strikes.first_warning.expire_after",
    ),
    "first warning with an unknown key": (
        "name: x\nstrikes:\n  first_warning:\n    expires: P90D\n",
        4,
        "strikes.first_warning.expires",
    ),
    "first warning with a bad duration": (
        "name: x\nstrikes:\n  first_warning:\n    expire_after: 90 days\n",
        4,
        "strikes.first_warning.expire_after",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_policy_file_names_the_key_and_the_line(case: str) -> None:
    text, line, key = BAD[case]
    with pytest.raises(ValidationError) as caught:
        load_policy(text, source="bad.yaml")
    message = str(caught.value)
    assert message.startswith(f"bad.yaml, line {line}: {key}"), message


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(ValidationError, match=r"bad.yaml, line 3: not valid YAML"):
        load_policy("name: x\nladder: [1\n", source="bad.yaml")


def test_denials_are_checked_against_the_platform_when_known() -> None:
    text = "name: x\nladder:\n  by_strikes:\n    - strikes: 1\n      kind: restriction\n      denies: [teleport]\n"
    with pytest.raises(ValidationError, match=r"line 6: ladder\.by_strikes\[0\]\.denies: 'teleport'"):
        load_policy(text, source="bad.yaml", capabilities=("post", "appeal"))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_policy_cites_its_public_source_at_its_top(name: str) -> None:
    head = shipped_policy_text(name).split("\nname:", 1)[0]
    assert all(line.startswith("#") for line in head.splitlines()), name
    assert "https://" in head and re.search(r"read \d{4}-\d{2}-\d{2}", head), name
    # Where the platform publishes no ladder, the file says it is an approximation.
    assert ("documented approximation" in head) == (name in ("truth-social", "parler")), name
