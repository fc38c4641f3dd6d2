"""The analyses behind the API and the `hotspots` command: selectors feed the pure functions.

Each function takes validated parameters, reads what it needs through analytics.selectors,
computes with the pure modules (hexgrid, gistar, clusters, trends, heatmap, performance) and
returns a GeoDataFrame in the metric CRS (or rows, for performance) plus a `meta` dict that
says how the figures were made. Results are cached by their parameters and the data version
(analytics.caching), since a city-wide Gi* with permutations takes seconds.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from django.utils import timezone

from analytics import clusters, gistar, heatmap, hexgrid, performance, selectors, trends
from analytics.selectors import ReportFilter
from geo.crs import METRIC

# The most cells one analysis may cover; beyond it the answer is too large to send and to
# hold. At the default 250 m the whole of Hanoi is ~21,000 cells.
MAX_STUDY_CELLS = 60_000

NO_STUDY_AREA = "no active boundary generation: there is no study area to analyse"
TOO_MANY_CELLS = (
    "cell_m={cell_m:g} makes about {cells:,} cells over the study area; the most is {limit:,}. "
    "Choose a larger cell or a smaller area."
)
TREND_NEEDS_SINCE = "trend windows need a start date: give since"
TREND_SINCE_NOT_BEFORE_UNTIL = "must be before until (or before now, when until is not given)"
RATINGS_NOTE = (
    "satisfied_share is the share of rated reports whose reporter (or, failing them, a "
    "follower) confirmed the resolution with 4 or 5 stars; null for a unit with no rating."
)
GROUPING_NOTES = {
    "agency": "Grouped by the agency handling each report now (after any transfers).",
    "area": (
        "Grouped by the area each report was routed to, in the boundary generation of its "
        "routing (unit = code@generation): figures survive a boundary change and old areas "
        "are not mapped onto new ones. transfers_out counts transfers of the area's reports."
    ),
}


class AnalysisError(ValueError):
    """A request that cannot be analysed as asked; `parameter` names the culprit."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass
class Result:
    """Cells or clusters in the metric CRS, and how they were made."""

    frame: gpd.GeoDataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def _study_cells(f: ReportFilter, cell_m: float) -> gpd.GeoDataFrame:
    areas = selectors.study_areas(area_code=f.area)
    if areas.empty:
        raise AnalysisError("area" if f.area else "generation", NO_STUDY_AREA)
    estimate = int(shapely.area(areas.geometry.values).sum() / hexgrid.hex_area_m2(cell_m))
    if estimate > MAX_STUDY_CELLS:
        raise AnalysisError(
            "cell_m", TOO_MANY_CELLS.format(cell_m=cell_m, cells=estimate, limit=MAX_STUDY_CELLS)
        )
    return hexgrid.study_cells(areas, cell_m)


def _join_counts(cells: gpd.GeoDataFrame, counts: pd.DataFrame) -> gpd.GeoDataFrame:
    merged = cells.merge(counts[["i", "j", "count", "weight"]], on=["i", "j"], how="left")
    merged["count"] = merged["count"].fillna(0).astype(np.int64)
    merged["weight"] = merged["weight"].fillna(0.0)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=cells.crs)


def hexbins(f: ReportFilter, *, cell_m: float, weight_field: str | None = None) -> Result:
    """Counts per hexagon over the study area, with rates per km² and per 1,000 residents."""
    cells = _study_cells(f, cell_m)
    counts = selectors.hex_counts(f, cell_m=cell_m, weight_field=weight_field)
    cells = hexgrid.add_rates(_join_counts(cells, counts))
    meta = {
        "study_cells": len(cells),
        "cell_area_km2": round(hexgrid.hex_area_m2(cell_m) / 1e6, 6),
        "reports_in_study_area": int(cells["count"].sum()),
        "population_method": (
            "area weighting: each ward's population spread evenly over its surface; null "
            "where a cell overlaps a ward of unknown population"
        ),
        "crs_of_analysis": f"EPSG:{METRIC}",
    }
    return Result(cells, meta)


def gistar_hotspots(
    f: ReportFilter,
    *,
    cell_m: float,
    band_m: float | None = None,
    permutations: int = 99,
    fdr: bool = True,
    windows: int = 0,
    recurrence_days: float = 30.0,
    min_recurrences: int = 2,
    weight_field: str | None = None,
    seed: int | None = 0,
) -> Result:
    """Gi* over every study cell (zero-count cells included), with Gi_Bin, optional trend
    classes over `windows` equal time windows, and recurrence (chronic places)."""
    band = band_m or gistar.hex_neighbour_band(cell_m)
    # One narrow row per report serves the counts, the trend windows and the recurrences.
    rows = selectors.report_cells(f, cell_m=cell_m, weight_field=weight_field)
    counts = rows.groupby(["i", "j"], as_index=False).agg(
        count=("weight", "size"), weight=("weight", "sum")
    )
    cells = _join_counts(_study_cells(f, cell_m), counts)
    cx, cy = hexgrid.hex_centres(cells["i"].to_numpy(), cells["j"].to_numpy(), cell_m)
    w = gistar.distance_band_weights(cx, cy, band)
    values = cells["weight" if weight_field else "count"].to_numpy(dtype=float)
    stats = gistar.gistar(values, w, permutations=permutations, fdr=fdr, seed=seed)
    cells["gi_z"] = stats["z"]
    cells["gi_p"] = stats["p"]
    cells["gi_p_sim"] = stats["p_sim"]
    cells["gi_bin"] = stats["bin"]
    meta: dict[str, Any] = {
        "study_cells": len(cells),
        "weights": f"binary distance band of {band:.1f} m between cell centres, self included",
        "neighbours_median": float(np.median(np.diff(w.indptr))) if len(cells) else 0.0,
        "significance": (
            "two-sided p from the Gi* z-score; Gi_Bin +-3/2/1 at 99/95/90 % confidence"
            + (", Benjamini-Hochberg FDR applied per level" if fdr else ", no FDR correction")
            + "; gi_p_sim is the folded permutation pseudo p-value"
        ),
    }
    index = pd.MultiIndex.from_arrays([cells["i"], cells["j"]])
    if windows >= 2:
        cells["trend"] = _trend_classes(
            f, rows, index, w, windows=windows, fdr=fdr, weighted=bool(weight_field)
        )
        meta["trend_rule"] = trends.__doc__.split("Emerging hot spots: ", 1)[1].strip()
    recurring = _recurrences(rows, index, within_days=recurrence_days)
    cells["recurrences"] = recurring
    cells["chronic"] = recurring >= min_recurrences
    meta["recurrence_rule"] = (
        f"a report within {recurrence_days:g} days after a resolution in the same cell is a "
        f"recurrence; a cell with at least {min_recurrences} is chronic"
    )
    return Result(cells, meta)


def _trend_classes(
    f: ReportFilter,
    rows: pd.DataFrame,
    index: pd.MultiIndex,
    w,
    *,
    windows: int,
    fdr: bool,
    weighted: bool,
) -> np.ndarray:
    until = f.until or timezone.now()
    since = f.since
    if since is None:
        raise AnalysisError("since", TREND_NEEDS_SINCE)
    if since >= until:
        raise AnalysisError("since", TREND_SINCE_NOT_BEFORE_UNTIL)
    edges = pd.DatetimeIndex(trends.window_edges(since, until, windows)).tz_convert("UTC")
    bucket = np.searchsorted(edges.to_numpy(), rows["created_at"].to_numpy(), side="right") - 1
    z = np.zeros((len(index), windows))
    bins = np.zeros((len(index), windows), dtype=np.int64)
    for k in range(windows):
        window = rows[bucket == k].groupby(["i", "j"])["weight"]
        per_cell = window.sum() if weighted else window.size()
        y = per_cell.reindex(index, fill_value=0).to_numpy(dtype=float)
        z[:, k] = gistar.gistar_z(y, w)
        bins[:, k] = gistar.gi_bins(z[:, k], fdr=fdr)
    return trends.emerging_classes(bins, z)


def _recurrences(rows: pd.DataFrame, index: pd.MultiIndex, *, within_days: float) -> np.ndarray:
    if rows.empty:
        return np.zeros(len(index), dtype=np.int64)
    key = hexgrid.cell_key(rows["i"].to_numpy(), rows["j"].to_numpy())
    flags = trends.recurrences(
        key, rows["created_at"], rows["resolved_at"], within_days=within_days
    )
    per_cell = rows.assign(flag=flags).groupby(["i", "j"])["flag"].sum()
    return per_cell.reindex(index, fill_value=0).to_numpy(dtype=np.int64)


def dbscan_clusters(f: ReportFilter, *, eps_m: float, min_size: int) -> Result:
    """DBSCAN clusters of reports (computed in PostGIS), one row per cluster."""
    rows = selectors.report_clusters(f, eps_m=eps_m, min_size=min_size)
    geoms = [shapely.from_geojson(r.pop("hull")) for r in rows]
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326").to_crs(METRIC)
    if frame.empty:
        frame = gpd.GeoDataFrame(
            {c: [] for c in clusters.SUMMARY_COLUMNS},
            geometry=gpd.GeoSeries([], crs=METRIC),
        )
    frame.insert(0, "cluster", np.arange(len(frame)))
    meta = {
        "clusters": len(frame),
        "method": (
            f"DBSCAN (ST_ClusterDBSCAN in EPSG:{METRIC}): at least {min_size} reports within "
            f"{eps_m:g} m, chained; hull = convex hull of the cluster's reports"
        ),
    }
    return Result(frame, meta)


def density(
    f: ReportFilter, *, cell_m: float, bandwidth_m: float, weight_field: str | None = None
) -> Result:
    """Gaussian kernel density of reports per km² on square cells (see analytics.heatmap)."""
    bins = selectors.square_bins(f, cell_m=cell_m, weight_field=weight_field)
    grid = heatmap.kernel_density(
        bins["col"].to_numpy(),
        bins["row"].to_numpy(),
        bins["weight"].to_numpy(),
        cell_m=cell_m,
        bandwidth_m=bandwidth_m,
    )
    x0 = grid.cols * grid.cell_m
    y0 = grid.rows * grid.cell_m
    boxes = shapely.box(x0, y0, x0 + grid.cell_m, y0 + grid.cell_m)
    frame = gpd.GeoDataFrame({"density": grid.density}, geometry=boxes, crs=METRIC)
    meta = {
        "reports": int(bins["count"].sum()),
        "cell_m_used": grid.cell_m,
        "coarsened": grid.cell_m != cell_m,
        "units": "reports (or weight) per km², Gaussian kernel, binned estimate",
        "dropped_below_share_of_peak": heatmap.MIN_SHARE_OF_PEAK,
    }
    return Result(frame, meta)


def unit_performance(
    f: ReportFilter, *, by: str, min_sample: int, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Unit performance rows (see analytics.performance) with the rules that made them."""
    now = now or timezone.now()
    frame = selectors.performance_reports(f, by=by)
    transfers = selectors.performance_transfers(f, by=by)
    open_statuses, done_statuses = selectors.open_and_done_statuses()
    rows = performance.unit_performance(
        frame,
        now=now,
        transfers_out=transfers,
        min_sample=min_sample,
        open_statuses=open_statuses,
        done_statuses=done_statuses,
    )
    return {
        "units": rows,
        "meta": {
            "by": by,
            "as_of": now.isoformat(),
            "grouping": GROUPING_NOTES[by],
            "ranking": (
                f"ranked by on-time rate among units with at least {min_sample} reports "
                "received; smaller units have rank null"
            ),
            "definitions": performance.DEFINITIONS,
            "satisfied_share": RATINGS_NOTE,
        },
    }


def finite_or_none(value: Any) -> Any:
    """JSON has no NaN or infinity: send null instead."""
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return value
