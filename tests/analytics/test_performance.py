"""Unit performance arithmetic over a known mix of on-time, late, open and overdue reports."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics import performance

NOW = dt.datetime(2025, 7, 10, 12, 0, tzinfo=dt.UTC)


def _mix(with_ratings: bool = False) -> pd.DataFrame:
    rows = [
        # unit, kind, status, created, due, resolved, rating
        ("a", "on_site", "resolved", "2025-07-01 00:00", "2025-07-05 00:00", "2025-07-03 00:00", 5),
        ("a", "on_site", "closed", "2025-07-01 00:00", "2025-07-05 00:00", "2025-07-07 00:00", 3),
        ("a", "administrative", "resolved", "2025-07-02 00:00", None, "2025-07-02 12:00", None),
        ("a", "on_site", "in_progress", "2025-07-03 00:00", "2025-07-08 00:00", None, None),
        ("a", "on_site", "received", "2025-07-09 00:00", "2025-07-15 00:00", None, None),
        ("a", "on_site", "rejected", "2025-07-04 00:00", "2025-07-09 00:00", None, 4),
        (
            "b",
            "on_site",
            "resolved",
            "2025-07-01 00:00",
            "2025-07-05 00:00",
            "2025-07-02 00:00",
            None,
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["unit", "kind", "status", "created_at", "due_at", "resolved_at", "rating"],
    )
    frame["unit_name"] = frame["unit"].map({"a": "Phường A", "b": "Phường B"})
    frame["rating"] = frame["rating"].astype(float)
    return frame if with_ratings else frame.drop(columns="rating")


def test_every_figure_of_a_known_mix_is_exact_and_small_units_are_not_ranked():
    rows = performance.unit_performance(_mix(), now=NOW, transfers_out={"a": 2}, min_sample=5)
    a, b = rows
    assert a == {
        "unit": "a",
        "name": "Phường A",
        "received": 6,
        "on_site": 5,
        "administrative": 1,
        "resolved": 3,
        "resolved_on_time": 2,  # the 48 h one, and the one without a deadline
        "resolved_late": 1,
        "on_time_rate": pytest.approx(2 / 3),
        "open": 2,
        "overdue": 1,  # in progress, due 07-08, now 07-10
        "median_hours_to_resolve": 48.0,  # of 48, 144 and 12 hours
        "rated": None,
        "satisfied_share": None,  # no ratings column: null, never a made-up number
        "transfers_out": 2,
        "rank": 1,
    }
    assert b["received"] == 1 and b["rank"] is None and b["transfers_out"] == 0
    assert b["on_time_rate"] == 1.0 and b["median_hours_to_resolve"] == 24.0


def test_with_ratings_the_satisfied_share_counts_ratings_of_four_and_five():
    rows = performance.unit_performance(_mix(with_ratings=True), now=NOW, min_sample=1)
    a = next(r for r in rows if r["unit"] == "a")
    assert a["rated"] == 3
    assert a["satisfied_share"] == pytest.approx(2 / 3)


def test_ranking_orders_by_on_time_rate_then_received():
    frame = pd.concat([_mix(), _mix().assign(unit="c", unit_name="Phường C")])
    frame.loc[(frame["unit"] == "c") & (frame["status"] == "closed"), "resolved_at"] = (
        "2025-07-04 00:00"
    )
    rows = performance.unit_performance(frame, now=NOW, min_sample=1)
    # c and b both resolved everything on time; c received more, so it ranks first.
    assert [(r["unit"], r["rank"]) for r in rows] == [("c", 1), ("b", 2), ("a", 3)]


def test_a_unit_that_resolved_nothing_has_no_rate_and_no_median():
    frame = _mix()
    frame = frame[frame["status"].isin(["received", "in_progress"])]
    a = performance.unit_performance(frame, now=NOW, min_sample=1)[0]
    assert a["on_time_rate"] is None
    assert a["median_hours_to_resolve"] is None
    assert not np.isnan(a["open"])
