"""Recurrence (chronic cells), the Mann-Kendall test and emerging hot-spot classes."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics import trends


def test_a_report_within_n_days_after_a_resolution_in_its_cell_is_a_recurrence():
    cell = np.array([1, 1, 1, 2, 2])
    created = pd.to_datetime(
        ["2025-07-01", "2025-07-20", "2025-09-30", "2025-07-01", "2025-07-05"], utc=True
    )
    resolved = pd.to_datetime(["2025-07-10", None, None, "2025-07-10", None], utc=True)
    flags = trends.recurrences(cell, pd.Series(created), pd.Series(resolved), within_days=30)
    # 07-20 is 10 days after cell 1's fix; 09-30 is 82 days after; cell 2's 07-05 came
    # before its cell's fix; a report is never a recurrence of itself.
    assert flags.tolist() == [False, True, False, False, False]


def test_mann_kendall_s_matches_kendall_tau_against_time_and_detects_a_clear_trend():
    series = np.array([[1.0, 2.0, 3.5, 3.0, 5.0, 6.0], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0]])
    s, p = trends.mann_kendall(series)
    tau = stats.kendalltau(np.arange(6), series[0]).statistic
    assert s[0] == pytest.approx(tau * 6 * 5 / 2)
    assert p[0] < 0.05
    assert s[1] == 0 and p[1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("bins", "z", "expected"),
    [
        ([0, 0, 0, 2], [0.1, 0.3, 0.2, 2.5], trends.NEW),
        ([2, 2, 2, 3, 3, 3], [2.0, 2.2, 2.5, 3.0, 3.5, 4.0], trends.INTENSIFYING),
        ([2, 3, 2, 3], [3.0, 2.8, 3.1, 2.9], trends.PERSISTENT),
        ([3, 3, 3, 3, 2, 2], [5.0, 4.5, 4.0, 3.5, 3.0, 2.5], trends.FADING),
        ([3, 2, 0, 0], [3.5, 2.4, 1.0, 0.2], trends.FADING),
        ([0, 1, 0, 0], [0.2, 1.8, 0.4, 0.1], trends.NONE),
    ],
)
def test_emerging_classes_follow_the_documented_rule(bins, z, expected):
    """With six windows a strictly monotonic z series is significant (Mann-Kendall p ~ 0.009);
    with four it cannot be (p >= 0.089), so trends need at least five windows to show."""
    result = trends.emerging_classes(np.array([bins]), np.array([z]))
    assert result[0] == expected
