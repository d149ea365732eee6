"""A latency histogram in the HDR style: fixed memory, O(1) record, bounded relative error.

Keeping every latency of a long run would cost memory in the process that generates
the load; an average hides the tail. Log-linear buckets keep both: values below
``sub_bucket_count`` are counted exactly, and above it each power-of-two range is cut
into ``sub_bucket_count / 2`` equal buckets, so a bucket is never wider than
``10 ** -significant_figures`` of the values it holds. A percentile is therefore
within that relative error of the exact one, at any scale from microseconds to hours.

Values are integers (the load generator records microseconds). Count, min, max and
mean are exact; only percentiles go through the buckets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


class HistogramMismatchError(ValueError):
    """Two histograms with different precision or range cannot be merged."""


class LatencyHistogram:
    """Counts of integer values in log-linear buckets; see the module docstring."""

    def __init__(self, *, highest_value: int = 3_600_000_000, significant_figures: int = 3):
        """``highest_value``: larger values are counted as this one (max stays exact).

        Raises:
            ValueError: ``significant_figures`` outside 1..5, or ``highest_value`` < 1.
        """
        if not 1 <= significant_figures <= 5:
            raise ValueError(f"significant_figures must be 1..5, not {significant_figures}")
        if highest_value < 1:
            raise ValueError(f"highest_value must be at least 1, not {highest_value}")
        self.highest_value = highest_value
        self.significant_figures = significant_figures
        # the smallest power of two with sub-buckets no wider than 10**-sf of their values
        self._sub_bits = math.ceil(math.log2(2 * 10**significant_figures))
        self._sub_count = 1 << self._sub_bits
        self._counts = [0] * (self._index(highest_value) + 1)
        self.count = 0
        self.min = 0
        self.max = 0
        self._total = 0

    @property
    def relative_error(self) -> float:
        """The most a percentile may differ from the exact one, relative to it."""
        return 10.0**-self.significant_figures

    @property
    def mean(self) -> float:
        return self._total / self.count if self.count else 0.0

    def record(self, value: int) -> None:
        """Count one value: a few integer operations, no allocation.

        Raises:
            ValueError: a negative value (a latency never is; a clock went backwards).
        """
        if value < 0:
            raise ValueError(f"cannot record a negative value: {value}")
        self._counts[self._index(min(value, self.highest_value))] += 1
        if self.count == 0 or value < self.min:
            self.min = value
        self.max = max(self.max, value)
        self.count += 1
        self._total += value

    def record_all(self, values: Iterable[int]) -> None:
        for value in values:
            self.record(value)

    def merge(self, other: LatencyHistogram) -> None:
        """Add ``other``'s counts to this one, as if its values were recorded here.

        Raises:
            HistogramMismatchError: different ``significant_figures`` or ``highest_value``.
        """
        if (other.significant_figures, other.highest_value) != (
            self.significant_figures,
            self.highest_value,
        ):
            raise HistogramMismatchError("histograms differ in precision or highest value")
        if other.count == 0:
            return
        self._counts = [
            mine + theirs for mine, theirs in zip(self._counts, other._counts, strict=True)
        ]
        self.min = other.min if self.count == 0 else min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.count += other.count
        self._total += other._total

    def percentile(self, percent: float) -> int:
        """The value at or below which ``percent`` % of the recorded values lie.

        Nearest rank: the smallest recorded value with at least ``percent`` % of the
        values at or below it, as ``sorted(values)[ceil(p / 100 * n) - 1]`` would give,
        within ``relative_error`` of it. 0 for an empty histogram.

        Raises:
            ValueError: ``percent`` outside 0..100.
        """
        return self.percentiles([percent])[0]

    def percentiles(self, percents: Iterable[float]) -> list[int]:
        """Several percentiles in one walk over the buckets, in the order asked."""
        wanted = list(percents)
        if any(not 0.0 <= percent <= 100.0 for percent in wanted):
            raise ValueError(f"percentiles must be within 0..100: {wanted}")
        if self.count == 0:
            return [0] * len(wanted)
        ranks = [max(1, math.ceil(percent / 100.0 * self.count)) for percent in wanted]
        order = sorted(range(len(wanted)), key=lambda position: ranks[position])
        answers = [0] * len(wanted)
        seen = 0
        next_answer = 0
        for index, bucket_count in enumerate(self._counts):
            seen += bucket_count
            while next_answer < len(order) and ranks[order[next_answer]] <= seen:
                answers[order[next_answer]] = self._representative(index)
                next_answer += 1
            if next_answer == len(order):
                break
        return answers

    def _representative(self, index: int) -> int:
        """The middle of bucket ``index``, kept within the exact min and max."""
        low, high = self._bounds(index)
        return min(max((low + high) // 2, self.min), self.max)

    def _index(self, value: int) -> int:
        """The bucket of ``value``: itself below ``sub_count``, else log-linear."""
        if value < self._sub_count:
            return value
        shift = value.bit_length() - self._sub_bits
        half = self._sub_count // 2
        return self._sub_count + (shift - 1) * half + ((value >> shift) - half)

    def _bounds(self, index: int) -> tuple[int, int]:
        """The lowest and highest value that land in bucket ``index``."""
        if index < self._sub_count:
            return index, index
        half = self._sub_count // 2
        shift, offset = divmod(index - self._sub_count, half)
        shift += 1
        low = (half + offset) << shift
        return low, low + (1 << shift) - 1
