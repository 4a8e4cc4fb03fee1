"""HTML pages of the statement of reasons and of the printable report: Jinja2, no JavaScript.

This package's own environment (``PackageLoader("reprieve.dsa")``): the console links to these
pages and keeps its templates apart. Autoescape is on: every value is text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from reprieve.dsa.report import bars
from reprieve.dsa.statement import labels_for


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reprieve.dsa", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # package files: a statement is rendered per decision, without a stat() each
    )
    env.globals["bars"] = bars
    env.globals["duration"] = human_duration
    return env


def render_statement(statement: dict[str, Any]) -> str:
    return environment().get_template("statement.html").render(s=statement, l=labels_for(statement["lang"]))


def render_report(report: dict[str, Any]) -> str:
    return environment().get_template("report.html").render(r=report)


def human_duration(seconds: float | None) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``40 s``; a dash when there is nothing to say."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"
