"""The latency histogram against exact percentiles of known data."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twisted_wsgi_lab.bench.histogram import HistogramMismatchError, LatencyHistogram


def exact_percentile(values: list[int], percent: float) -> int:
    """Nearest rank, the definition the histogram promises to approximate."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def within_precision(histogram: LatencyHistogram, got: int, exact: int) -> bool:
    return abs(got - exact) <= exact * histogram.relative_error


def test_small_values_are_counted_exactly() -> None:
    histogram = LatencyHistogram()
    histogram.record_all(range(1, 101))
    assert histogram.percentile(50) == 50
    assert histogram.percentile(99) == 99
    assert histogram.percentile(100) == 100
    assert (histogram.count, histogram.min, histogram.max, histogram.mean) == (100, 1, 100, 50.5)


def test_a_slow_tail_shows_in_p99_but_not_in_p50() -> None:
    histogram = LatencyHistogram()
    histogram.record_all([1_000] * 98 + [250_000] * 2)
    assert histogram.percentile(50) == 1_000
    assert within_precision(histogram, histogram.percentile(99), 250_000)
    assert histogram.max == 250_000


def test_large_values_stay_within_three_significant_figures() -> None:
    histogram = LatencyHistogram(significant_figures=3)
    values = [123_456_789, 987_654, 55_555_555]
    histogram.record_all(values)
    for percent in (1, 50, 100):
        exact = exact_percentile(values, percent)
        assert within_precision(histogram, histogram.percentile(percent), exact)


def test_an_empty_histogram_answers_zero() -> None:
    histogram = LatencyHistogram()
    assert histogram.percentiles([50, 99]) == [0, 0]
    assert (histogram.count, histogram.mean) == (0, 0.0)


def test_values_beyond_the_highest_are_clamped_but_the_max_is_exact() -> None:
    histogram = LatencyHistogram(highest_value=1_000)
    histogram.record(5_000)
    assert histogram.max == 5_000
    assert histogram.percentile(100) <= 5_000


@pytest.mark.parametrize("bad", [-1.0, 100.5])
def test_a_percentile_outside_0_to_100_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        LatencyHistogram().percentile(bad)


def test_a_negative_value_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        LatencyHistogram().record(-1)


def test_histograms_of_different_precision_do_not_merge() -> None:
    with pytest.raises(HistogramMismatchError):
        LatencyHistogram(significant_figures=2).merge(LatencyHistogram(significant_figures=3))


values_strategy = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=300)
percent_strategy = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(values=values_strategy, percent=percent_strategy, figures=st.integers(1, 4))
def test_any_percentile_is_within_the_stated_precision(
    values: list[int], percent: float, figures: int
) -> None:
    histogram = LatencyHistogram(highest_value=10**9, significant_figures=figures)
    histogram.record_all(values)
    exact = exact_percentile(values, percent)
    assert within_precision(histogram, histogram.percentile(percent), exact)
    assert histogram.count == len(values)
    assert (histogram.min, histogram.max) == (min(values), max(values))


@given(first=values_strategy, second=values_strategy, percent=percent_strategy)
def test_a_merge_answers_as_one_histogram_of_both_data_sets(
    first: list[int], second: list[int], percent: float
) -> None:
    merged = LatencyHistogram(highest_value=10**9)
    merged.record_all(first)
    other = LatencyHistogram(highest_value=10**9)
    other.record_all(second)
    merged.merge(other)
    together = LatencyHistogram(highest_value=10**9)
    together.record_all(first + second)
    assert merged.percentile(percent) == together.percentile(percent)
    assert (merged.count, merged.min, merged.max) == (together.count, together.min, together.max)
    assert merged.mean == pytest.approx(together.mean)


@given(values=values_strategy)
def test_percentiles_never_decrease_with_the_percent(values: list[int]) -> None:
    histogram = LatencyHistogram(highest_value=10**9)
    histogram.record_all(values)
    answers = histogram.percentiles([0, 25, 50, 75, 90, 99, 99.9, 100])
    assert answers == sorted(answers)
