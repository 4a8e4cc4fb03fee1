"""How the CLI prints: readable tables by default, JSON with --json, errors on one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

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


def fail(message: str, code: int = 1) -> None:
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(code)
