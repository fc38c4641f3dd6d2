"""Reads for analytics: pull only what each computation needs from PostGIS, aggregated in SQL.

Choices, measured on this machine (PostgreSQL 15, PostGIS 3.3, 2 cores) with 100,000 points
in Hanoi, half uniform and half in 200 blobs (bench table, best of two runs):

- Hex counts: `ST_HexagonGrid(250, point)` per point, kept where ST_Intersects: 486 ms.
  H3 at resolution 9 (fetch lon/lat, h3.latlng_to_cell in Python): 273 ms, but H3 has fixed
  resolutions (res 9 edges ~174 m, res 8 ~461 m) and cannot give a 250 m or any other chosen
  cell, and its cells are not in the metric CRS. ST_HexagonGrid is used; the gap is 0.2 s per
  100k reports and results are cached. (Without the ST_Intersects filter it is 328 ms, but a
  point's bounding box also returns neighbouring hexagons, so the filter is required.)
- DBSCAN: `ST_ClusterDBSCAN(geom_32648, 50, 10) OVER ()` returning labels: 357 ms. Fetching
  x/y to Python (308 ms) and running scikit-learn's DBSCAN (kd-tree, 485 ms): 686 ms.
  ST_ClusterDBSCAN is used, and the per-cluster summary (hull, counts, dates) is aggregated in
  the same statement, so no point leaves the database. The pure function in clusters.py (same
  algorithm, scikit-learn) serves GeoDataFrames that never were in the database.
- Heatmap bins: square bins of floor(x / cell), floor(y / cell) in SQL: 213 ms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from django.db import connection
from django.db.models import Case, Count, F, Max, OuterRef, QuerySet, Subquery, Value, When

from analytics.clusters import MIN_HULL_BUFFER_M, SUMMARY_COLUMNS
from boundaries.models import Area, Generation
from geo.crs import METRIC
from reports.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    EventKind,
    Rating,
    Report,
    ReportEvent,
    Status,
)

# What analytics count by default: duplicates repeat a report already counted, and rejected
# reports were not a problem the city accepted.
DEFAULT_STATUSES = tuple(s for s in Status.values if s not in (Status.DUPLICATE, Status.REJECTED))


@dataclass(frozen=True)
class ReportFilter:
    """Which reports an analysis covers. Empty tuples mean "no restriction".

    `since` and `until` bound created_at as [since, until). `area` restricts to reports
    routed to an area with that code (in whatever generation they were routed).
    """

    categories: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    agency: str | None = None
    area: str | None = None


def report_filtered(f: ReportFilter) -> QuerySet[Report]:
    """The public reports matching `f`."""
    lookups = _category_lookups(f, prefix="")
    if f.statuses:
        lookups["status__in"] = f.statuses
    if f.agency:
        lookups["agency__code"] = f.agency
    if f.area:
        lookups["area__code"] = f.area
    return Report.objects.public().filter(**lookups, **_period_lookups(f))


def _category_lookups(f: ReportFilter, *, prefix: str) -> dict:
    """ORM lookups for the category filters, on reports (`prefix=""`) or through a relation
    to them (`prefix="report__"`)."""
    lookups = {}
    if f.categories:
        lookups[f"{prefix}category__code__in"] = f.categories
    if f.groups:
        lookups[f"{prefix}category__group__in"] = f.groups
    return lookups


def _period_lookups(f: ReportFilter) -> dict:
    """[since, until) on the queried model's own created_at."""
    lookups = {}
    if f.since is not None:
        lookups["created_at__gte"] = f.since
    if f.until is not None:
        lookups["created_at__lt"] = f.until
    return lookups


def report_data_version() -> str:
    """Changes whenever a report is added, edited or deleted: the cache key's data part.

    count() catches deletions, max(updated_at) catches edits and additions; the active
    generation catches a boundary change, which changes every study area.
    """
    agg = Report.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    generation = Generation.objects.current()
    last = agg["last"].isoformat() if agg["last"] else "-"
    return f"{agg['n']}:{last}:{generation.pk if generation else '-'}"


def _located_sql(f: ReportFilter, columns: list[str]) -> tuple[str, tuple]:
    """SQL (and parameters) for the located reports matching `f`, selecting `columns` of
    reports_report; used as a sub-select by the set-based statements below."""
    qs = report_filtered(f).filter(location__isnull=False).values(*columns).order_by()
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def study_areas(*, area_code: str | None = None) -> gpd.GeoDataFrame:
    """The study area: polygons of the lowest level of the current generation (the wards),
    or just the current area with `area_code`, in the metric CRS, with population.

    Returns an empty frame when no generation is active.
    """
    generation = Generation.objects.current()
    if generation is None:
        return gpd.GeoDataFrame({"code": [], "population": []}, geometry=[], crs=METRIC)
    areas = Area.objects.in_generation(generation)
    if area_code:
        areas = areas.filter(code=area_code)
    else:
        lowest = areas.order_by("-level__rank").values_list("level__rank", flat=True).first()
        areas = areas.filter(level__rank=lowest)
    rows = list(areas.values_list("code", "population", "geom"))
    geoms = [shapely.from_wkb(bytes(geom.transform(METRIC, clone=True).wkb)) for *_, geom in rows]
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "population": [np.nan if r[1] is None else float(r[1]) for r in rows],
        },
        geometry=geoms,
        crs=METRIC,
    )


# Each located report's hexagon. ST_HexagonGrid over a point returns every hexagon whose
# bounding box covers it, so ST_Intersects keeps the one it lies in (two only for a point
# exactly on an edge; DISTINCT ON gives such a point to the lower (i, j), so totals stay
# exact). Raw SQL because the ORM cannot join a set-returning function laterally.
_REPORT_HEXAGONS_SQL = """
    SELECT DISTINCT ON (r.id) h.i, h.j, r.w, r.created_at, r.resolved_at
    FROM (SELECT id, ST_Transform(location, {metric}) AS g, {weight} AS w,
                 {times}
          FROM ({reports}) AS r) AS r
    CROSS JOIN LATERAL ST_HexagonGrid(%s, r.g) AS h
    WHERE ST_Intersects(h.geom, r.g)
    ORDER BY r.id, h.i, h.j
"""


def _report_hexagons_sql(
    f: ReportFilter, *, cell_m: float, weight_field: str | None, times: bool
) -> tuple[str, tuple]:
    """SQL (and parameters) giving (i, j, w, created_at, resolved_at) per located report;
    times as epoch microseconds (see _PERFORMANCE_SQL) when `times`, else null."""
    columns = ["id", "location", "created_at", "resolved_at"]
    if weight_field:
        columns.append(weight_field)
    reports, params = _located_sql(f, columns)
    weight = f"r.{connection.ops.quote_name(weight_field)}" if weight_field else "1"
    epochs = (
        "(extract(epoch FROM created_at) * 1e6)::bigint AS created_at, "
        "(extract(epoch FROM resolved_at) * 1e6)::bigint AS resolved_at"
        if times
        else "NULL::bigint AS created_at, NULL::bigint AS resolved_at"
    )
    sql = _REPORT_HEXAGONS_SQL.format(reports=reports, metric=METRIC, weight=weight, times=epochs)
    return sql, (*params, cell_m)


_HEX_COUNTS_SQL = "SELECT i, j, count(*), sum(w) FROM ({inner}) AS p GROUP BY i, j"


def hex_counts(f: ReportFilter, *, cell_m: float, weight_field: str | None = None) -> pd.DataFrame:
    """Reports (and their summed weight) per hexagon (i, j) of side `cell_m` metres in
    EPSG:32648: one row per non-empty cell, counted in the database."""
    inner, params = _report_hexagons_sql(f, cell_m=cell_m, weight_field=weight_field, times=False)
    with connection.cursor() as cursor:
        cursor.execute(_HEX_COUNTS_SQL.format(inner=inner), params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(rows, columns=["i", "j", "count", "weight"])
    frame["weight"] = frame["weight"].astype(float)
    return frame


_SQUARE_BINS_SQL = """
    WITH r AS ({reports}),
    p AS (SELECT ST_Transform(location, {metric}) AS g, {weight} AS w FROM r)
    SELECT floor(ST_X(g) / %s)::bigint, floor(ST_Y(g) / %s)::bigint, count(*), sum(w)
    FROM p GROUP BY 1, 2
"""


def square_bins(f: ReportFilter, *, cell_m: float, weight_field: str | None = None) -> pd.DataFrame:
    """Reports and summed weight per square bin (col, row) of `cell_m` metres in EPSG:32648.
    One row per non-empty bin, never one per report: the heatmap's input."""
    columns = ["id", "location", *([weight_field] if weight_field else [])]
    reports, params = _located_sql(f, columns)
    weight = connection.ops.quote_name(weight_field) if weight_field else "1"
    sql = _SQUARE_BINS_SQL.format(reports=reports, metric=METRIC, weight=weight)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, cell_m, cell_m))
        rows = cursor.fetchall()
    frame = pd.DataFrame(rows, columns=["col", "row", "count", "weight"])
    frame["weight"] = frame["weight"].astype(float)
    return frame


def report_cells(
    f: ReportFilter, *, cell_m: float, weight_field: str | None = None
) -> pd.DataFrame:
    """Per located report: its hexagon (i, j), weight, created_at and resolved_at, and
    nothing else.

    Recurrence needs each report's times, so this is one narrow row per report in the
    filtered period (no identifiers, no personal data); Gi* takes its counts and its trend
    windows from the same rows rather than asking the database three times.
    """
    sql, params = _report_hexagons_sql(f, cell_m=cell_m, weight_field=weight_field, times=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(rows, columns=["i", "j", "weight", "created_at", "resolved_at"])
    frame["weight"] = frame["weight"].astype(float)
    return _with_timestamps(frame, ("created_at", "resolved_at"))


def _with_timestamps(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Turn epoch-microsecond columns (see _PERFORMANCE_SQL for why) into UTC timestamps."""
    for column in columns:
        frame[column] = pd.to_datetime(frame[column].astype(float), unit="us", utc=True)
    return frame


# One row per DBSCAN cluster, summarised in the database (see the module docstring for why
# ST_ClusterDBSCAN): the hull in WGS 84, the size, the most frequent category (ties go to the
# alphabetically first code, as in analytics.clusters) and its share, first and last report,
# and the share still open. Every step is one grouped pass over the labelled points.
_CLUSTERS_SQL = """
    WITH r AS ({reports}),
    labelled AS (
        SELECT ST_ClusterDBSCAN(p.g, %s, %s) OVER () AS cluster, p.*
        FROM (SELECT ST_Transform(r.location, {metric}) AS g, c.code AS category,
                     r.created_at, r.status = ANY(%s) AS is_open
              FROM r JOIN reports_category AS c ON c.id = r.category_id) AS p
    ),
    dominant AS (
        SELECT DISTINCT ON (cluster) cluster, category, count(*) AS n
        FROM labelled WHERE cluster IS NOT NULL
        GROUP BY cluster, category
        ORDER BY cluster, count(*) DESC, category
    ),
    summary AS (
        SELECT cluster, count(*) AS n,
               min(created_at) AS first_report, max(created_at) AS last_report,
               avg(is_open::int)::float AS open_share,
               ST_ConvexHull(ST_Collect(g)) AS hull
        FROM labelled WHERE cluster IS NOT NULL GROUP BY cluster
    )
    SELECT s.n, d.category, d.n::float / s.n,
           s.first_report, s.last_report, s.open_share,
           ST_AsGeoJSON(ST_Transform(
               CASE WHEN GeometryType(s.hull) = 'POLYGON' THEN s.hull
                    ELSE ST_Buffer(s.hull, %s) END, 4326), 6)
    FROM summary AS s JOIN dominant AS d USING (cluster)
    ORDER BY s.n DESC, s.first_report, s.cluster
"""


def report_clusters(f: ReportFilter, *, eps_m: float, min_size: int) -> list[dict]:
    """DBSCAN clusters of the located reports matching `f`, largest first, each with hull
    (GeoJSON text, WGS 84), count, dominant category and its share, first and last report
    time, and the share still open."""
    reports, params = _located_sql(f, ["id", "location", "category_id", "created_at", "status"])
    sql = _CLUSTERS_SQL.format(reports=reports, metric=METRIC)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, eps_m, min_size, list(OPEN_STATUSES), MIN_HULL_BUFFER_M))
        rows = cursor.fetchall()
    keys = (*SUMMARY_COLUMNS, "hull")
    return [dict(zip(keys, row, strict=True)) for row in rows]


_TIMES = ("created_at", "due_at", "resolved_at")

# Times leave the database as integer epoch microseconds (exact, and exact in a float64 too):
# psycopg builds a time-zone-aware datetime per value, which took 2.3 s for 100k reports x 3
# columns against 0.44 s for numbers.
_PERFORMANCE_SQL = """
    SELECT r.unit, r.unit_name, r.unit_extra, r.kind, r.status,
           (extract(epoch FROM r.created_at) * 1e6)::bigint,
           (extract(epoch FROM r.due_at) * 1e6)::bigint,
           (extract(epoch FROM r.resolved_at) * 1e6)::bigint,
           r.rating
    FROM ({reports}) AS r
"""


# A report's rating: its reporter's verdict when they gave one, else the first follower's
# (reports app: a confirmation closes the report, so there is rarely more than one).
_report_rating = (
    Rating.objects.filter(report=OuterRef("pk"))
    .annotate(
        by_reporter=Case(When(user_id=OuterRef("reporter_id"), then=Value(0)), default=Value(1))
    )
    .order_by("by_reporter", "created_at", "id")
    .values("stars")[:1]
)


def performance_reports(f: ReportFilter, *, by: str) -> pd.DataFrame:
    """One narrow row per report received in the period, for unit performance by agency
    (`by="agency"`) or by the area each report was routed to (`by="area"`).

    Duplicates are left out (they are folded into the report they repeat); rejected reports
    count as received. Grouping by area uses the area of the report's own routing, whatever
    generation that was in, and names the generation: figures never move when boundaries
    change, and old areas are not mapped onto new ones.
    """
    qs = report_filtered(
        ReportFilter(
            categories=f.categories,
            groups=f.groups,
            statuses=tuple(s for s in Status.values if s != Status.DUPLICATE),
            since=f.since,
            until=f.until,
            agency=f.agency,
            area=f.area,
        )
    )
    if by == "agency":
        unit_fields = ("agency__code", "agency__name", "agency__name_en")
    else:
        unit_fields = ("area__code", "area__name", "generation__name")
    narrow = (
        qs.order_by()
        .annotate(
            unit=F(unit_fields[0]),
            unit_name=F(unit_fields[1]),
            unit_extra=F(unit_fields[2]),
            kind=F("category__kind"),
            rating=Subquery(_report_rating),
        )
        .values("unit", "unit_name", "unit_extra", "kind", "status", *_TIMES, "rating")
    )
    sql, params = narrow.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_PERFORMANCE_SQL.format(reports=sql), params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(
        rows, columns=["unit", "unit_name", "unit_extra", "kind", "status", *_TIMES, "rating"]
    )
    frame["rating"] = pd.to_numeric(frame["rating"], errors="coerce").astype(float)
    frame = _with_timestamps(frame, _TIMES)
    if by == "area":
        # The same ward code in two generations is two units: key on (code, generation).
        frame["unit"] = frame["unit"].fillna("-") + "@" + frame["unit_extra"].fillna("-")
    frame["unit"] = frame["unit"].fillna("(unassigned)")
    frame["unit_name"] = frame["unit_name"].fillna("(unassigned)")
    return frame.drop(columns=["unit_extra"])


def performance_transfers(f: ReportFilter, *, by: str) -> dict[str, int]:
    """Transfer events in the period per unit: by agency, the agency that passed the report
    on (from_agency); by area, the area of the transferred report."""
    events = ReportEvent.objects.filter(
        kind=EventKind.TRANSFER, **_period_lookups(f), **_category_lookups(f, prefix="report__")
    )
    if by == "agency":
        if f.agency:
            events = events.filter(from_agency__code=f.agency)
        if f.area:
            events = events.filter(report__area__code=f.area)
        counts = events.values_list("from_agency__code").annotate(n=Count("id")).order_by()
        return {code or "(unassigned)": n for code, n in counts}
    if f.agency:
        events = events.filter(report__agency__code=f.agency)
    if f.area:
        events = events.filter(report__area__code=f.area)
    counts = (
        events.values_list("report__area__code", "report__generation__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {f"{code or '-'}@{gen or '-'}": n for code, gen, n in counts}


def open_and_done_statuses() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reports app's open and done statuses, as plain strings for the pure layer."""
    return tuple(str(s) for s in OPEN_STATUSES), tuple(str(s) for s in DONE_STATUSES)
