"""Case 6: Gi* on the hex grid of every report, and DBSCAN, against esda and scikit-learn.

Both sides of each comparison get the same input and are timed warm (a first run is not
measured): Gi* on the same counts and the same binary distance-band weights, DBSCAN on the
same points in metres with the same eps and minimum size.
"""

from __future__ import annotations

import datetime as dt
import warnings

import esda
import libpysal
import numpy as np
from django.db import connection
from sklearn.cluster import DBSCAN

from analytics import analyses, gistar, hexgrid, selectors
from bench.harness import Results, Row, measure_side_by_side
from geo.crs import METRIC

CELL_M = 250.0
PERMUTATIONS = 99
DBSCAN_EPS_M = 50.0
DBSCAN_MIN_SIZE = 20
# A planner's question: three months of sanitation reports.
DBSCAN_FILTER = selectors.ReportFilter(
    groups=("sanitation",),
    since=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    until=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
)


def _esda(values: np.ndarray, w) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = esda.G_Local(
            values,
            libpysal.weights.WSP(w).to_W(silence_warnings=True),
            transform="B",
            star=True,
            permutations=PERMUTATIONS,
            seed=0,
        )
    return result.Zs


def _points_in_metres(f: selectors.ReportFilter) -> np.ndarray:
    reports, params = selectors._located_sql(f, ["location"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(location, {METRIC}) AS g "
            f"FROM ({reports}) AS r) AS t",
            params,
        )
        return np.array(cursor.fetchall(), dtype=float)


def run(results: Results, *, repeat: int) -> None:
    everything = selectors.ReportFilter(statuses=())
    rows = selectors.report_cells(everything, cell_m=CELL_M)
    counts = rows.groupby(["i", "j"], as_index=False).agg(
        count=("weight", "size"), weight=("weight", "sum")
    )
    cells = analyses._join_counts(analyses._study_cells(everything, CELL_M), counts)
    cx, cy = hexgrid.hex_centres(cells["i"].to_numpy(), cells["j"].to_numpy(), CELL_M)
    w = gistar.distance_band_weights(cx, cy, gistar.hex_neighbour_band(CELL_M))
    values = cells["count"].to_numpy(dtype=float)

    ours_z = gistar.gistar(values, w, permutations=PERMUTATIONS, seed=0)["z"]
    esda_z = _esda(values, w)
    agree = float(np.nanmax(np.abs(ours_z - esda_z)))
    gi = measure_side_by_side(
        {
            "ours": lambda: gistar.gistar(values, w, permutations=PERMUTATIONS, seed=0),
            "esda": lambda: _esda(values, w),
        },
        repeat=repeat,
    )
    ours, ref = gi["ours"], gi["esda"]
    results.add(
        Row(
            case=f"Gi* over {len(cells):,} hex cells of {len(rows):,} reports "
            f"({PERMUTATIONS} permutations)",
            ours=ours.describe(),
            reference=ref.describe(),
            reference_name="esda.G_Local, same weights",
            ratio=ours.median / ref.median,
            target="≤ 1×, same answer",
        )
    )

    points = _points_in_metres(DBSCAN_FILTER)
    clustering = measure_side_by_side(
        {
            "ours": lambda: selectors.report_clusters(
                DBSCAN_FILTER, eps_m=DBSCAN_EPS_M, min_size=DBSCAN_MIN_SIZE
            ),
            "sklearn": lambda: DBSCAN(eps=DBSCAN_EPS_M, min_samples=DBSCAN_MIN_SIZE).fit(points),
        },
        repeat=repeat,
    )
    ours_db, ref_db = clustering["ours"], clustering["sklearn"]
    ours_clusters = len(
        selectors.report_clusters(DBSCAN_FILTER, eps_m=DBSCAN_EPS_M, min_size=DBSCAN_MIN_SIZE)
    )
    labels = DBSCAN(eps=DBSCAN_EPS_M, min_samples=DBSCAN_MIN_SIZE).fit(points).labels_
    ref_clusters = len(set(labels) - {-1})
    results.add(
        Row(
            case=f"DBSCAN, {len(points):,} reports (eps {DBSCAN_EPS_M:g} m, min "
            f"{DBSCAN_MIN_SIZE}), with summaries",
            ours=f"{ours_db.describe()}; {ours_clusters} clusters",
            reference=f"{ref_db.describe()}; {ref_clusters} clusters",
            reference_name="scikit-learn DBSCAN on points already in memory",
            ratio=ours_db.median / ref_db.median,
        )
    )
    results.read(
        "Analytics",
        f"Gi*: both compute the same z-scores (largest difference {agree:.1e}); ours is a "
        "sparse matrix product plus permutations in numpy over blocks of cells small enough "
        "(under a megabyte of draws each) to stay in the CPU's caches, esda loops per cell "
        "for the permutations. Blocks of 160 MB had made ours twice as slow and four times as "
        "variable (0.18–0.66 s in one run). DBSCAN: ours runs ST_ClusterDBSCAN in the "
        "database and returns hulls and per-cluster summaries in the same statement; "
        "scikit-learn's figure excludes fetching the points and summarising, so it is the "
        "in-memory limit of clustering alone.",
    )
