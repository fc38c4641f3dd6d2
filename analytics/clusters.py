"""Density-based clusters of reports (DBSCAN) and what each cluster holds.

DBSCAN groups points that have at least `min_size` points (themselves included) within `eps`
metres, chained together; everything else is noise. Coordinates are metric (EPSG:32648), so
`eps` is in metres. scikit-learn's implementation is used after measuring it against PostGIS's
ST_ClusterDBSCAN (numbers in analytics/selectors.py).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sklearn.cluster import DBSCAN

from geo.crs import METRIC

NOISE = -1

# What each cluster is summarised by, here and in the SQL path (analytics.selectors).
SUMMARY_COLUMNS = (
    "count",
    "dominant_category",
    "dominant_share",
    "first_report",
    "last_report",
    "open_share",
)

# A hull around fewer than three distinct points is a point or a line; buffer it by this many
# metres so every cluster has an area to draw and click.
MIN_HULL_BUFFER_M = 5.0


def dbscan_labels(x: np.ndarray, y: np.ndarray, *, eps_m: float, min_size: int) -> np.ndarray:
    """Cluster label per point (0, 1, ...), or -1 for noise. Labels are renumbered so the
    largest cluster is 0 and ties go to the cluster found first, making output stable."""
    coords = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    if len(coords) == 0:
        return np.empty(0, dtype=np.int64)
    raw = DBSCAN(eps=eps_m, min_samples=min_size, algorithm="kd_tree").fit_predict(coords)
    return _relabel_by_size(raw)


def _relabel_by_size(raw: np.ndarray) -> np.ndarray:
    clustered = raw[raw != NOISE]
    if clustered.size == 0:
        return raw.astype(np.int64)
    ids, first_seen, sizes = np.unique(clustered, return_index=True, return_counts=True)
    order = np.lexsort((first_seen, -sizes))
    mapping = np.full(ids.max() + 1, NOISE, dtype=np.int64)
    mapping[ids[order]] = np.arange(len(ids))
    out = np.full(len(raw), NOISE, dtype=np.int64)
    out[raw != NOISE] = mapping[clustered]
    return out


def cluster_summaries(points: pd.DataFrame, labels: np.ndarray) -> gpd.GeoDataFrame:
    """One row per cluster: hull polygon, count, dominant category, first and last report,
    share still open.

    `points` has columns x, y (metres), category (code), created_at and is_open (bool). The
    dominant category is the most frequent one (ties: alphabetical), with its share. The hull
    is the convex hull of the cluster's points, buffered by a few metres when degenerate.
    """
    columns = ["cluster", *SUMMARY_COLUMNS]
    frame = points.assign(cluster=np.asarray(labels))
    frame = frame[frame["cluster"] != NOISE]
    if frame.empty:
        return gpd.GeoDataFrame(columns=columns, geometry=gpd.GeoSeries([], crs=METRIC))
    rows = []
    hulls = []
    for cluster, group in frame.groupby("cluster", sort=True):
        counts = group["category"].value_counts()
        top = counts[counts == counts.max()].index.sort_values()[0]
        rows.append(
            {
                "cluster": int(cluster),
                "count": len(group),
                "dominant_category": top,
                "dominant_share": counts[top] / len(group),
                "first_report": group["created_at"].min(),
                "last_report": group["created_at"].max(),
                "open_share": float(group["is_open"].mean()),
            }
        )
        hull = shapely.convex_hull(shapely.multipoints(group[["x", "y"]].to_numpy()))
        if hull.geom_type != "Polygon":
            hull = hull.buffer(MIN_HULL_BUFFER_M)
        hulls.append(hull)
    return gpd.GeoDataFrame(rows, columns=columns, geometry=hulls, crs=METRIC)
