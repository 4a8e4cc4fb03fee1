"""Near misses: what a mistyped name was probably meant to be ("did you mean facebook?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(value: str, choices: Iterable[str], *, prefix: str = "") -> str | None:
    """The choice ``value`` most likely meant, or None if none is close.

    Compared without case and without the common ``prefix`` of the choices (``SCAMS`` is close to
    ``STATEMENT_CATEGORY_SCAMS_AND_FRAUD``); a choice that starts with (or holds) what was typed
    counts as close, as ``x`` for ``x-corp``.
    """
    wanted = value.strip().upper().removeprefix(prefix.upper())
    if not wanted:
        return None
    short = {c.upper().removeprefix(prefix.upper()): c for c in choices}
    starting = sorted(s for s in short if s.startswith(wanted))
    if len(starting) == 1:
        return short[starting[0]]
    holding = sorted(s for s in short if len(wanted) >= 3 and wanted in s)
    if len(holding) == 1:
        return short[holding[0]]
    near = difflib.get_close_matches(wanted, list(short), n=1, cutoff=0.6)
    return short[near[0]] if near else None


def did_you_mean(value: object, choices: Iterable[str], *, prefix: str = "", listed: bool = True) -> str:
    """``" (did you mean X?)"``, or (``listed``) ``" (one of: A, B, C)"`` when nothing is close."""
    options = sorted(choices)
    guess = closest(value, options, prefix=prefix) if isinstance(value, str) else None
    if guess is not None:
        return f" (did you mean {guess}?)"
    if listed and options:
        return f" (one of: {', '.join(options)})"
    return ""
