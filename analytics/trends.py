"""Recurrence (chronic places) and emerging hot spots over time windows.

Chronic: a report in a cell that arrives within `within_days` after an earlier report in the
same cell was resolved is a *recurrence*: the fix did not hold. A cell with at least
`min_recurrences` recurrences in the period is chronic.

Emerging hot spots: the period is cut into equal windows (oldest first) and Gi* is computed
per window over the same cells. Each cell then gets one trend class by this rule, where "hot"
means Gi_Bin >= +2 (95 % confidence, FDR-corrected within its window) and the trend is a
Mann-Kendall test on the cell's Gi* z-scores across windows at alpha 0.05:

- new:          hot in the last window and in no earlier window;
- intensifying: hot in the last window, hot before, and z rising significantly;
- fading:       hot in the last window, hot before, and z falling significantly; or hot in
                an earlier window but not in the last one;
- persistent:   hot in the last window, hot before, and no significant trend;
- none:         never hot.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import stats

HOT_BIN = 2
TREND_ALPHA = 0.05

NEW = "new"
INTENSIFYING = "intensifying"
PERSISTENT = "persistent"
FADING = "fading"
NONE = "none"


def recurrences(
    cell: np.ndarray, created_at: pd.Series, resolved_at: pd.Series, *, within_days: float
) -> np.ndarray:
    """For each report, whether it came within `within_days` after a resolution in its cell.

    `cell` is any hashable key per report (e.g. an int64 cell key); `resolved_at` is NaT for
    reports not resolved. A report never counts against its own resolution, which comes after
    it was created.
    """
    reports = pd.DataFrame(
        {
            "cell": np.asarray(cell),
            "created_at": pd.to_datetime(created_at, utc=True),
            "row": np.arange(len(cell)),
        }
    )
    fixes = pd.DataFrame(
        {"cell": np.asarray(cell), "resolved_at": pd.to_datetime(resolved_at, utc=True)}
    ).dropna(subset=["resolved_at"])
    if reports.empty or fixes.empty:
        return np.zeros(len(reports), dtype=bool)
    matched = pd.merge_asof(
        reports.sort_values("created_at"),
        fixes.sort_values("resolved_at"),
        left_on="created_at",
        right_on="resolved_at",
        by="cell",
        direction="backward",
        tolerance=pd.Timedelta(days=within_days),
    )
    out = np.zeros(len(reports), dtype=bool)
    out[matched["row"].to_numpy()] = matched["resolved_at"].notna().to_numpy()
    return out


def mann_kendall(series: np.ndarray) -> tuple[float, float]:
    """Mann-Kendall trend test on the rows of `series` (cells x windows).

    Returns (S, two-sided p) per row, with the variance corrected for ties and the usual
    continuity correction. Fewer than three windows give p = 1 (no test possible).
    """
    series = np.atleast_2d(np.asarray(series, dtype=float))
    rows, n = series.shape
    if n < 3:
        return np.zeros(rows), np.ones(rows)
    upper_i, upper_j = np.triu_indices(n, k=1)
    s = np.sign(series[:, upper_j] - series[:, upper_i]).sum(axis=1)
    variance = np.full(rows, n * (n - 1) * (2 * n + 5), dtype=float)
    for r in range(rows):
        _, ties = np.unique(series[r], return_counts=True)
        ties = ties[ties > 1]
        variance[r] -= (ties * (ties - 1) * (2 * ties + 5)).sum()
    variance /= 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = s - np.sign(s)  # continuity correction towards zero
        z = corrected / np.sqrt(variance)
    z = np.nan_to_num(z)
    return s, 2.0 * stats.norm.sf(np.abs(z))


def emerging_classes(bins: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Trend class per cell from Gi_Bin and z arrays shaped (cells, windows), oldest first."""
    bins = np.atleast_2d(bins)
    hot = bins >= HOT_BIN
    hot_now = hot[:, -1]
    hot_before = hot[:, :-1].any(axis=1)
    s, p = mann_kendall(z)
    rising = (s > 0) & (p < TREND_ALPHA)
    falling = (s < 0) & (p < TREND_ALPHA)
    out = np.full(len(bins), NONE, dtype=object)
    out[hot_now & hot_before] = PERSISTENT
    out[hot_now & hot_before & rising] = INTENSIFYING
    out[hot_now & ~hot_before] = NEW
    out[(hot_now & hot_before & falling) | (~hot_now & hot_before)] = FADING
    return out


def window_edges(since: dt.datetime, until: dt.datetime, windows: int) -> list[dt.datetime]:
    """`windows + 1` equally spaced instants from `since` to `until`."""
    step = (until - since) / windows
    return [since + step * k for k in range(windows + 1)]
