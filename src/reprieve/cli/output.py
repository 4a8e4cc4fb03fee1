"""How the CLI prints: readable tables by default, JSON with --json, errors on one line."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import typer


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value) or "-"
    if isinstance(value, Mapping):
        if set(value) == {"platform", "account"}:
            return f"{value['platform']}/{value['account']}"
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Print ``rows`` under ``columns`` (header, key); keys may be dotted (``subject.account``)."""
    if not rows:
        typer.echo("(none)")
        return
    grid = [[h.upper() for h, _ in columns]]
    for row in rows:
        grid.append([cell(_dig(row, key)) for _, key in columns])
    widths = [max(len(r[i]) for r in grid) for i in range(len(columns))]
    for r in grid:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def record(value: Mapping[str, Any], keys: Sequence[str] | None = None) -> None:
    """Print one object as aligned ``key  value`` lines."""
    keys = list(keys or value.keys())
    width = max(len(k) for k in keys)
    for key in keys:
        typer.echo(f"{key.ljust(width)}  {cell(_dig(value, key))}")


def _dig(row: Mapping[str, Any], key: str) -> Any:
    value: Any = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(code)


_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def duration_text(value: str | None) -> str:
    """An ISO 8601 duration as people write it: ``P2Y`` is "2 years", ``P1DT12H`` "1 day 12 hours"."""
    if not value:
        return "-"
    match = _DURATION.match(value.upper())
    if match is None or not any(match.groupdict().values()):
        return value
    parts = []
    for unit, amount in match.groupdict().items():
        if amount is not None:
            n = int(amount)
            parts.append(f"{n} {unit[:-1] if n == 1 else unit}")
    return " ".join(parts)


def _step_text(step: Mapping[str, Any]) -> str:
    text = str(step.get("kind", "?"))
    if step.get("denies"):
        text += f" of {','.join(step['denies'])}"
    if step.get("duration"):
        text += f" for {duration_text(step['duration'])}"
    return text


_SEVERITIES = ("low", "moderate", "high", "severe")


def ladder_text(ladder: Mapping[str, Any] | None) -> str:
    """A probation's ladder on one line: what a new violation brings, by strike count or severity."""
    if not ladder:
        return "the platform's ladder"
    parts = []
    by_severity = ladder.get("by_severity") or {}
    for severity in sorted(by_severity, key=lambda s: (_SEVERITIES.index(s) if s in _SEVERITIES else 9, s)):
        parts.append(f"{severity}: {_step_text(by_severity[severity])}")
    for step in ladder.get("by_strikes") or []:
        parts.append(f"strike {step.get('strikes', '?')}: {_step_text(step)}")
    return "; ".join(parts) or "the platform's ladder"


def probation_text(probation: Mapping[str, Any] | None) -> str:
    """``probation until 2025-01-25 (since 2023-01-25, after snc_...; a new violation brings low:
    suspension for 1 month; ...)``, or "none"."""
    if not probation:
        return "none"
    details = [f"since {str(probation['since'])[:10]}"] if probation.get("since") else []
    if probation.get("sanction"):
        details.append(f"after {probation['sanction']}")
    details.append(f"a new violation brings {ladder_text(probation.get('ladder'))}")
    return f"until {str(probation.get('until'))[:10]} ({', '.join(details)})"


def confirm(question: str, *, yes: bool) -> None:
    """Before a command acts on many records: go on with ``--yes``; else ask ``question [y/N]`` on a
    terminal; without a terminal (CI, a script), refuse with one line that says to add --yes."""
    if yes:
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        fail(f"{question.rstrip('?')}: no terminal to ask on, add --yes to confirm")
    if not typer.confirm(question, default=False, err=True):
        fail("not confirmed; nothing changed")


def policy_text(policy: Mapping[str, Any] | None) -> str:
    """A platform's policy on one line: its name and its terms in words (--json has the ladders)."""
    if not policy:
        return "none"
    terms = []
    if (policy.get("strikes") or {}).get("expire_after"):
        terms.append(f"strikes expire after {duration_text(policy['strikes']['expire_after'])}")
    if ((policy.get("strikes") or {}).get("first_warning") or {}).get("expire_after"):
        warning = duration_text(policy["strikes"]["first_warning"]["expire_after"])
        terms.append(f"a first warning, not a strike, for {warning}")
    if (policy.get("probation") or {}).get("duration"):
        terms.append(f"probation {duration_text(policy['probation']['duration'])}")
    appeals = policy.get("appeals") or {}
    if appeals.get("complaint_window"):
        terms.append(f"complaints within {duration_text(appeals['complaint_window'])}")
    if appeals.get("decision_target"):
        terms.append(f"appeals answered within {duration_text(appeals['decision_target'])}")
    return f"{policy.get('name') or 'custom'}" + (f" ({'; '.join(terms)})" if terms else "")
