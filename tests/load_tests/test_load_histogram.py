"""The latency histogram against numpy.percentile: every quantile within the promised relative error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from load_tests.histogram import LatencyHistogram

QS = [0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]


def _assert_close(hist: LatencyHistogram, values: np.ndarray) -> None:
    expected = np.percentile(values, [q * 100 for q in QS])
    got = hist.quantiles(QS)
    for q, e, g in zip(QS, expected, got, strict=True):
        assert abs(g - e) <= hist.alpha * e + 1e-12, f"q={q}: {g} vs numpy {e}"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0.002, max_value=60_000, allow_nan=False), min_size=1, max_size=400),
    st.sampled_from([0.001, 0.01]),
)
def test_quantiles_within_relative_error_of_numpy(values: list[float], alpha: float) -> None:
    hist = LatencyHistogram(alpha=alpha)
    hist.record_many(values)
    _assert_close(hist, np.asarray(values))
    assert hist.count == len(values)
    assert hist.min == min(values) and hist.max == max(values)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_large_lognormal_sample_like_real_latencies(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(mean=1.0, sigma=1.2, size=50_000) + 0.01
    hist = LatencyHistogram()
    hist.record_many(values.tolist())
    _assert_close(hist, values)
    assert hist.percentile(99) <= hist.max  # never above the maximum (Locust's rounding can be)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(min_value=0.002, max_value=10_000, allow_nan=False), min_size=1, max_size=200),
    st.lists(st.floats(min_value=0.002, max_value=10_000, allow_nan=False), min_size=1, max_size=200),
)
def test_merge_equals_recording_everything_in_one(a: list[float], b: list[float]) -> None:
    ha, hb, hall = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    ha.record_many(a)
    hb.record_many(b)
    hall.record_many(a + b)
    merged = LatencyHistogram.from_dict(ha.to_dict()).merge(LatencyHistogram.from_dict(hb.to_dict()))
    assert merged.bins == hall.bins and merged.count == hall.count
    assert merged.quantiles(QS) == pytest.approx(hall.quantiles(QS), rel=1e-12)
    _assert_close(merged, np.asarray(a + b))


def test_values_below_resolution_have_absolute_error_only() -> None:
    hist = LatencyHistogram()
    values = [0.0, 0.0004, 0.0009, 5.0]
    hist.record_many(values)
    for q, e in zip(QS, np.percentile(values, [q * 100 for q in QS]), strict=True):
        assert abs(hist.quantile(q) - e) <= hist.min_value + hist.alpha * e


def test_empty_and_invalid() -> None:
    hist = LatencyHistogram()
    assert math.isnan(hist.percentile(50))
    with pytest.raises(ValueError):
        hist.record(-1.0)
    with pytest.raises(ValueError):
        hist.merge(LatencyHistogram(alpha=0.01))
    bad = hist.to_dict() | {"count": 3}
    with pytest.raises(ValueError):
        LatencyHistogram.from_dict(bad)
