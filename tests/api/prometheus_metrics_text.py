"""A strict reader of the Prometheus text exposition format (0.0.4), for the tests of /metrics.

Strict where a scraper is: every sample belongs to a family declared by ``# TYPE`` before it,
names and label names are valid, label values are quoted and escaped, a value is a float,
each series appears once, and a histogram's buckets are cumulative and end with ``+Inf`` equal
to its ``_count``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
VALUE = r"[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN"
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? ({VALUE})$")
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")

Key = tuple[str, frozenset[tuple[str, str]]]


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    samples: dict[Key, float] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get((name, frozenset(labels.items())))

    def series(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        return {labels: value for (n, labels), value in self.samples.items() if n == name}


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse(text: str) -> Exposition:
    assert text.endswith("\n"), "the exposition ends with a line feed"
    result = Exposition()
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            assert HELP.match(line), f"line {number}: bad HELP: {line!r}"
            continue
        if line.startswith("#"):
            match = TYPE.match(line)
            assert match, f"line {number}: bad comment: {line!r}"
            assert match.group(1) not in result.types, f"line {number}: {match.group(1)} declared twice"
            result.types[match.group(1)] = match.group(2)
            continue
        match = SAMPLE.match(line)
        assert match, f"line {number}: not a sample: {line!r}"
        name, labels_text, value_text = match.groups()
        family = name
        if family not in result.types:
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            assert result.types.get(family) == "histogram", f"line {number}: {name} has no TYPE"
        labels = frozenset((k, _unescape(v)) for k, v in LABEL_PAIR.findall(labels_text or ""))
        key = (name, labels)
        assert key not in result.samples, f"line {number}: series repeated: {line!r}"
        result.samples[key] = float(value_text)
    for family, kind in result.types.items():
        if kind == "histogram":
            _check_histogram(result, family)
    return result


def _check_histogram(result: Exposition, family: str) -> None:
    buckets: dict[frozenset[tuple[str, str]], list[tuple[float, float]]] = {}
    for labels, value in result.series(f"{family}_bucket").items():
        le = dict(labels)["le"]
        rest = frozenset(item for item in labels if item[0] != "le")
        buckets.setdefault(rest, []).append((math.inf if le == "+Inf" else float(le), value))
    for labels, pairs in buckets.items():
        pairs.sort()
        counts = [count for _, count in pairs]
        assert counts == sorted(counts), f"{family}{dict(labels)}: buckets are not cumulative: {pairs}"
        assert pairs[-1][0] == math.inf, f"{family}{dict(labels)}: no +Inf bucket"
        assert result.samples[(f"{family}_count", labels)] == counts[-1], f"{family}: +Inf != _count"
        assert (f"{family}_sum", labels) in result.samples, f"{family}: no _sum"
