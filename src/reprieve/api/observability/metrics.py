"""A small metrics registry and its rendering in the Prometheus text exposition format (0.0.4).

Written by hand rather than taken from ``prometheus_client``: the API needs two counters, one
histogram and a few gauges read when scraped, and the hot path (one observation per request)
must cost well under a microsecond. Counters and histograms are per process.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Content type of the text exposition format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Upper bounds (seconds) of request latency buckets: a check answers in well under a
#: millisecond, an amnesty's dry run in a second or two.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """One line of a gauge family read at scrape time: its label values and its value."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class GaugeFamily:
    """A gauge whose samples are computed when ``/metrics`` is read (lag, depth, progress)."""

    name: str
    help: str
    samples: Sequence[Sample]


class Counter:
    """A monotonically increasing count per label values. Safe to increment from any thread."""

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help
        self.labelnames = tuple(labelnames)
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, labels: Labels = ()) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, labels: Labels = ()) -> float:
        return self._values.get(labels, 0.0)

    def render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {_escape_help(self.help)}")
        out.append(f"# TYPE {self.name} counter")
        with self._lock:
            items = sorted(self._values.items())
        if not items and not self.labelnames:
            items = [((), 0.0)]
        for labels, value in items:
            out.append(f"{self.name}{_labels(self.labelnames, labels)} {_number(value)}")


@dataclass(slots=True)
class _Series:
    counts: list[int]  # per bucket, NOT cumulative (made cumulative when rendered); last: +Inf
    total: float = 0.0
    count: int = 0


@dataclass(slots=True)
class Histogram:
    """Observations per label values, counted in buckets of fixed upper bounds.

    ``observe`` is meant for the event loop (the request middleware): it takes no lock, and a
    histogram observed from several threads would need one.
    """

    name: str
    help: str
    labelnames: tuple[str, ...]
    buckets: tuple[float, ...] = LATENCY_BUCKETS
    _series: dict[Labels, _Series] = field(default_factory=dict)

    def observe(self, value: float, labels: Labels = ()) -> None:
        series = self._series.get(labels)
        if series is None:
            series = self._series[labels] = _Series([0] * (len(self.buckets) + 1))
        # bisect_left: a value equal to a bound belongs to that bucket (le = "less or equal").
        series.counts[bisect_left(self.buckets, value)] += 1
        series.total += value
        series.count += 1

    def count(self, labels: Labels) -> int:
        series = self._series.get(labels)
        return 0 if series is None else series.count

    def render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {_escape_help(self.help)}")
        out.append(f"# TYPE {self.name} histogram")
        bounds = [*(_number(b) for b in self.buckets), "+Inf"]
        for labels, series in sorted(self._series.items()):
            cumulative = 0
            for bound, n in zip(bounds, series.counts, strict=True):
                cumulative += n
                with_le = _labels((*self.labelnames, "le"), (*labels, bound))
                out.append(f"{self.name}_bucket{with_le} {cumulative}")
            plain = _labels(self.labelnames, labels)
            out.append(f"{self.name}_sum{plain} {_number(series.total)}")
            out.append(f"{self.name}_count{plain} {series.count}")


class Registry:
    """The metrics of one process: counters and histograms it keeps, gauges it reads when scraped."""

    def __init__(self) -> None:
        self.started_at = time.time()
        self.http_duration = Histogram(
            "reprieve_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status class",
            ("method", "route", "status"),
        )
        self.checks = Counter("reprieve_checks_answered_total", "Checks answered (each check of a batch counts)")

    def render(self, families: Iterable[GaugeFamily] = ()) -> str:
        """The text exposition of every metric, followed by ``families`` (gauges read just now).

        Call it on the event loop, where the request middleware observes: no observation is
        then half-made while the histogram is read.
        """
        out: list[str] = []
        self.http_duration.render(out)
        self.checks.render(out)
        render_gauge(
            out,
            GaugeFamily(
                "reprieve_process_start_time_seconds",
                "When this process started, in seconds since the epoch",
                [Sample({}, self.started_at)],
            ),
        )
        for family in families:
            render_gauge(out, family)
        return "\n".join(out) + "\n"


def render_gauge(out: list[str], family: GaugeFamily) -> None:
    out.append(f"# HELP {family.name} {_escape_help(family.help)}")
    out.append(f"# TYPE {family.name} gauge")
    for sample in family.samples:
        names = tuple(sample.labels)
        out.append(f"{family.name}{_labels(names, tuple(sample.labels.values()))} {_number(sample.value)}")


def _labels(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    inner = ",".join(f'{n}="{_escape_value(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + inner + "}"


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


#: The registry of this process (as ``prometheus_client.REGISTRY`` is): what ``/metrics`` shows.
METRICS = Registry()


def record_checks(n: int) -> None:
    """Count ``n`` checks answered (called by the checks route, once per batch)."""
    METRICS.checks.inc(n)
