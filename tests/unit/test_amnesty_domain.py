"""The amnesty's rules without a database: what a filter accepts, and how progress is estimated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reprieve.domain.amnesty import AmnestyFilter, make_filter, progress
from reprieve.domain.errors import ValidationError
from reprieve.domain.model import SanctionKind, SanctionState


def test_a_filter_is_checked_and_survives_its_recorded_form() -> None:
    f = make_filter(
        "x-corp",
        platforms=["twitter", "twitter"],
        kinds=["suspension", "termination"],
        started_before="2022-11-01",
        exclude_categories=["STATEMENT_CATEGORY_VIOLENCE"],
        exclude_policies=["Platform manipulation and spam"],
    )
    assert f.platforms == ("twitter",)  # repeated names count once
    assert f.kinds == (SanctionKind.SUSPENSION, SanctionKind.TERMINATION)
    assert f.states == (SanctionState.ACTIVE,)
    assert f.started_before == datetime(2022, 11, 1, tzinfo=UTC)
    assert AmnestyFilter.from_dict(f.to_dict()) == f


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kinds": ["ban"]}, "filter.kinds"),
        ({"states": ["sleeping"]}, "filter.states"),
        ({"states": ["lifted"]}, "filter.states"),  # a lifted sanction cannot be lifted again
        ({"started_before": "soon"}, "filter.started_before"),
        ({"exclude_categories": ["SPAM"]}, "filter.exclude_categories"),
        ({"exclude_policies": [""]}, "filter.exclude_policies"),
        ({"platforms": ["Not A Slug"]}, "platforms"),
        ({"kinds": "suspension"}, "filter.kinds"),  # a list, not a string
        ({"platforms": [f"p{i}" for i in range(101)]}, "platforms"),
    ],
)
def test_a_bad_filter_names_its_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        make_filter("x-corp", **fields)  # type: ignore[arg-type]
    assert error.value.field == field


def test_progress_gives_a_rate_and_the_time_left() -> None:
    second = 1_000_000
    half = progress(500, 1000, started_us=0, now_us=10 * second, finished=False)
    assert (half.rate, half.eta_seconds) == (50.0, 10.0)
    done = progress(1000, 1000, started_us=0, now_us=20 * second, finished=True)
    assert (done.rate, done.eta_seconds) == (50.0, 0.0)
    assert progress(0, 1000, started_us=0, now_us=second, finished=False).eta_seconds is None
