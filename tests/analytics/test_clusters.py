"""DBSCAN clusters: planted clusters recovered, and each cluster summarised."""

import numpy as np
import pandas as pd
import pytest
import shapely

from analytics import clusters
from tests.analytics.conftest import uniform_points


@pytest.mark.hanoi
def test_dbscan_recovers_each_planted_cluster_over_a_uniform_hanoi_background(hanoi_outline):
    """3,000 background reports over the city (about one per km²) and five clusters of 40
    reports within 60 m of their centres: DBSCAN(eps 50 m, min 10) finds exactly five
    clusters, each holding all 40 of its reports."""
    rng = np.random.default_rng(21)
    bx, by = uniform_points(hanoi_outline, 3000, rng)
    centres_x, centres_y = uniform_points(hanoi_outline.buffer(-2000), 5, rng)
    angle = rng.uniform(0, 2 * np.pi, (5, 40))
    radius = 60 * np.sqrt(rng.uniform(0, 1, (5, 40)))
    cx = (centres_x[:, None] + radius * np.cos(angle)).ravel()
    cy = (centres_y[:, None] + radius * np.sin(angle)).ravel()
    x = np.concatenate([bx, cx])
    y = np.concatenate([by, cy])
    labels = clusters.dbscan_labels(x, y, eps_m=50, min_size=10)
    planted = labels[len(bx) :].reshape(5, 40)
    assert len(set(labels) - {clusters.NOISE}) == 5
    for row in planted:
        assert (row == row[0]).all() and row[0] != clusters.NOISE
    assert len({row[0] for row in planted}) == 5


def test_cluster_summary_gives_hull_count_dominant_category_dates_and_open_share():
    points = pd.DataFrame(
        {
            "x": [0.0, 10.0, 0.0, 10.0, 5.0, 1000.0, 1001.0, 1002.0],
            "y": [0.0, 0.0, 10.0, 10.0, 5.0, 0.0, 0.0, 0.0],
            "category": ["rac", "rac", "den", "rac", "den", "ho", "ho", "ho"],
            "created_at": pd.to_datetime(
                [
                    "2025-07-01",
                    "2025-07-03",
                    "2025-07-02",
                    "2025-07-05",
                    "2025-07-04",
                    "2025-08-01",
                    "2025-08-02",
                    "2025-08-03",
                ],
                utc=True,
            ),
            "is_open": [True, False, False, True, False, True, True, True],
        }
    )
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    summary = clusters.cluster_summaries(points, labels)
    first = summary.iloc[0]
    assert first["count"] == 5
    assert first["dominant_category"] == "rac"
    assert first["dominant_share"] == pytest.approx(3 / 5)
    assert first["first_report"] == pd.Timestamp("2025-07-01", tz="UTC")
    assert first["last_report"] == pd.Timestamp("2025-07-05", tz="UTC")
    assert first["open_share"] == pytest.approx(2 / 5)
    assert first.geometry.area == pytest.approx(100.0)
    # Three collinear points have no area: the hull is buffered so it can still be drawn.
    second = summary.iloc[1]
    assert second.geometry.geom_type == "Polygon"
    assert second.geometry.contains(shapely.Point(1001, 0))


def test_labels_are_numbered_by_cluster_size_largest_first():
    x = np.array([0, 1, 2, 100, 101, 102, 103, 500.0])
    y = np.zeros(8)
    labels = clusters.dbscan_labels(x, y, eps_m=1.5, min_size=3)
    assert labels.tolist() == [1, 1, 1, 0, 0, 0, 0, -1]
