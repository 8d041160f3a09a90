"""Axis ticks of the report's SVG charts span the data, so no line is drawn outside its frame."""

import math

from hypothesis import given
from hypothesis import strategies as st

from load_tests.svg import nice_ticks

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(a=finite, b=finite)
def test_ticks_cover_the_range_in_equal_steps(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    ticks = nice_ticks(lo, hi)
    assert len(ticks) >= 2
    assert ticks[0] <= lo + 1e-9
    assert ticks[-1] >= (hi if hi > lo else lo + 1.0) - 1e-9 * max(1.0, abs(hi))
    steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert all(math.isclose(s, steps[0], rel_tol=1e-6, abs_tol=1e-9) for s in steps)
    assert len(ticks) <= 12


def test_the_case_seen_in_a_report() -> None:
    # 14 s of data used to end the axis at 10 s and draw the last 4 s past the frame.
    assert nice_ticks(-0.4, 14.2)[-1] >= 14.2
