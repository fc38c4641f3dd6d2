"""The tile layers: one class per layer, each turning a validated request into one SQL statement.

A layer knows its name, its attribute fields, its zoom range, how to validate its query
parameters, which data version keys its cache, and the single SQL statement that renders a
tile. That statement returns two columns: the MVT bytes (ST_AsMVT) and the earliest moment the
tile's content changes by itself (a deadline passing turns a report overdue), or NULL.

Raw SQL, because ST_AsMVT/ST_AsMVTGeom and grid aggregation cannot be said through the ORM.
Which *reports* a tile shows is still decided by the ORM (`Report.objects.public()` and the
filters), whose SQL is embedded as a subquery so the privacy rules keep their one home. Every
value is a query parameter; only SQL fragments built here (never user input) are formatted in.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict

from boundaries.models import Generation
from tiles.params import (
    PARAM_AGENCY_WITHOUT_SCOPE,
    PARAM_BAD_SCOPE,
    PARAM_UNKNOWN_GENERATION,
    LayerQuery,
    TileParamError,
    member_agencies,
    refuse,
    report_filters,
    single_value,
)
from tiles.tilemath import (
    BUFFER,
    EXTENT,
    MARGIN,
    WGS84_SEMI_MAJOR_M,
    WORLD_HALF_M,
    TileAddress,
    tile_width_m,
    zoom_band,
)


def _filtered_reports(values: dict[str, Any]) -> QuerySet:
    """Public reports (or an agency's, for private tiles) matching the validated filters."""
    from reports.models import Report

    reports = Report.objects.public()
    agency_ids = values.get("agency_ids")
    if agency_ids:
        reports = functools.reduce(operator.or_, (reports.for_agency(a) for a in agency_ids))
    if "category_ids" in values:
        reports = reports.filter(category_id__in=values["category_ids"])
    if "statuses" in values:
        reports = reports.filter(status__in=values["statuses"])
    if "since" in values:
        reports = reports.filter(created_at__gte=values["since"])
    if "until" in values:
        reports = reports.filter(created_at__lt=values["until"])
    return reports.order_by()


def _in_tile(model: type, column: str, tile: TileAddress, margin: float) -> RawSQL:
    """`column && <tile envelope>`, as an ORM filter that the GiST index on `column` serves.

    The envelope is built in 3857 (ST_TileEnvelope) and transformed to the column's 4326, so
    `&&` compares like with like and the index is used. It is clipped to the world square
    first: past the antimeridian ST_Transform wraps longitudes and the box would turn inside out.
    """
    quote = connection.ops.quote_name
    target = f"{quote(model._meta.db_table)}.{quote(column)}"
    # S611: the only formatted-in text is the quoted table and column name from model meta.
    return RawSQL(  # noqa: S611
        f"{target} && ST_Transform(ST_ClipByBox2D("
        "ST_TileEnvelope(%s, %s, %s, margin => %s), ST_TileEnvelope(0, 0, 0)), 4326)",
        (tile.z, tile.x, tile.y, margin),
        output_field=BooleanField(),
    )


def _open_statuses() -> list[str]:
    from reports.models import OPEN_STATUSES

    return [str(status) for status in OPEN_STATUSES]


# ---------------------------------------------------------------------------------------------
# Layers.


class Layer:
    """Base class of a tile layer: subclasses set the class attributes and implement the
    methods that raise NotImplementedError."""

    name: str = ""
    title: str = ""
    description: str = ""
    minzoom: int = 0
    maxzoom: int = 18
    # How long the server may keep a rendered tile when nothing bumps its data version:
    # a safety net for writes that bypass the version signals (bulk SQL updates).
    cache_timeout: int = 3600

    @property
    def max_age(self) -> int:
        """Seconds a browser or proxy may reuse a tile (Cache-Control max-age)."""
        raise NotImplementedError

    def vector_layers(self, query: LayerQuery) -> list[dict[str, Any]]:
        """TileJSON `vector_layers`: the MVT layers in this layer's tiles, with their fields."""
        raise NotImplementedError

    def parse(self, params: QueryDict, user: Any) -> LayerQuery:
        """Validate query parameters; raise TileParamError (400) or TileForbidden (403)."""
        raise NotImplementedError

    def data_sources(self, query: LayerQuery) -> tuple[str, ...]:
        """Names of the TileVersion rows whose tokens key this layer's cache."""
        raise NotImplementedError

    def extra_version(self, query: LayerQuery) -> str:
        """More cache-key material beyond the TileVersion tokens (e.g. the generation)."""
        return ""

    def sql(self, tile: TileAddress, query: LayerQuery, now: dt.datetime) -> tuple[str, list]:
        """The one statement that renders `tile`: returns (mvt bytea, next change or NULL)."""
        raise NotImplementedError


# Points are drawn from this zoom up; below it, reports are counted in a grid of
# REPORT_CELLS_PER_TILE × REPORT_CELLS_PER_TILE cells per tile (8 px cells on a 256 px tile).
# Chosen by measurement: synthetic reports spread around central Hanoi (σ ≈ 5 km), the tile
# holding Hoàn Kiếm lake (the densest) at each zoom, rendered by this SQL on PostgreSQL 15 /
# PostGIS 3.3 on the development machine, uncached, median of three renders:
#                   254,693 reports                 1,038,449 reports
#   z13 cells       51 KB, 1,024 cells, 0.2 s       62 KB, 1,024 cells, 0.6 s
#   z14 points     342 KB, 8,621 points, 0.2 s      (cells: 53 KB, 0.2 s)
#   z15 points      92 KB, 2,200 points, 0.1 s      (cells: 33 KB, 0.05 s)
#   z16 points      26 KB,   587 points, 8 ms       98 KB, 2,284 points, 48 ms
#   z17 points                                      25 KB,   540 points, 9 ms
# From z16 a raw-point tile stays under ~100 KB for a city with a million reports; at z15 it
# would already be ~360 KB. A cell tile never exceeds ~65 KB (at most 1,024 cells), and the
# z10 tile with the whole city is 26 KB.
# Cost: counting every report under a cell tile took 2.8 s at z10 with a million reports, so
# cell tiles read the pre-aggregate tiles.models.ReportCell instead. Measured at 1,000,000
# reports (bench database, 2-core machine, jit and parallel workers off as the app's sessions
# run it), mean over the 3 × 3 tiles around Hoàn Kiếm, counted → stored: z10 172 → 14 ms,
# z12 182 → 25 ms, z14 90 → 19 ms, z15 72 → 18 ms (z16 points: 24 ms, 272 KB).
REPORT_POINTS_MINZOOM = 16
REPORT_CELLS_PER_TILE = 32
# Cells of the zooms from here to REPORT_POINTS_MINZOOM - 1 are stored in ReportCell (its
# migration spells the zooms out; they must agree). Rows per zoom at a million reports grow
# from 18 k (z8) to 820 k (z15); coarser tiles add up z8's cells (z0–z7 read at most a few
# thousand rows), and every stored zoom is a row that all filings in its cell update, so
# z0–z7 rows would be shared by every filing of a category, city-wide.
REPORT_CELLS_FIRST_STORED_ZOOM = 8

# Hexagons keep a constant size on screen: 32 circumradii per tile side, i.e. a hexagon is
# 16 px across on a 256 px tile, whatever the zoom.
HEXAGONS_PER_TILE = 32

_REPORT_POINT_FIELDS = {
    "tracking_code": "String: the report's public tracking code",
    "category": "String: category code",
    "status": "String: received, in_progress, resolved, closed, rejected or duplicate",
    "created": "Number: when the report was filed, seconds since 1970-01-01 UTC",
    "overdue": "Boolean: open and past its deadline",
}
_REPORT_PRIVATE_FIELDS = {
    "agency": "String: code of the agency handling the report (scope=agency only)",
    "due": "Number: deadline, seconds since 1970-01-01 UTC (scope=agency only)",
}


def _count_fields(noun: str) -> dict[str, str]:
    from reports.models import Category

    fields = {
        "count": f"Number: reports in the {noun}",
        "open_count": f"Number: open reports (received or in progress) in the {noun}",
        "overdue_count": f"Number: open reports past their deadline in the {noun}",
    }
    for code in Category.objects.order_by("code").values_list("code", flat=True):
        fields[f"n_{code}"] = f"Number: reports of category {code} (absent when none)"
    return fields


class ReportsLayer(Layer):
    name = "reports"
    title = "Citizen reports"
    description = (
        f"Reports as points from z{REPORT_POINTS_MINZOOM}; "
        "below that, counts per grid cell (layer report_cells)."
    )
    minzoom = 0
    maxzoom = 18
    points_layer = "reports"
    cells_layer = "report_cells"

    @property
    def max_age(self) -> int:
        return settings.TILES_REPORTS_MAX_AGE

    def vector_layers(self, query: LayerQuery) -> list[dict[str, Any]]:
        point_fields = dict(_REPORT_POINT_FIELDS)
        if query.private:
            point_fields |= _REPORT_PRIVATE_FIELDS
        return [
            {
                "id": self.points_layer,
                "description": "One point per report (public attributes only).",
                "minzoom": REPORT_POINTS_MINZOOM,
                "maxzoom": self.maxzoom,
                "fields": point_fields,
            },
            {
                "id": self.cells_layer,
                "description": "Reports counted per grid cell, drawn at the cell's mean position.",
                "minzoom": self.minzoom,
                "maxzoom": REPORT_POINTS_MINZOOM - 1,
                "fields": _count_fields("cell"),
            },
        ]

    def parse(self, params: QueryDict, user: Any) -> LayerQuery:
        canonical, values = report_filters(params)
        scope = single_value(params, "scope") or "public"
        if scope not in ("public", "agency"):
            raise TileParamError("scope", PARAM_BAD_SCOPE.format(value=scope))
        agency_code = single_value(params, "agency")
        if scope == "public":
            if agency_code is not None:
                raise TileParamError("agency", PARAM_AGENCY_WITHOUT_SCOPE)
            return LayerQuery(canonical=tuple(canonical), values=values)
        agency_ids = member_agencies(user, agency_code)
        canonical.append(("scope", "agency"))
        if agency_code:
            canonical.append(("agency", agency_code))
        values["agency_ids"] = agency_ids
        return LayerQuery(
            canonical=tuple(canonical),
            private_key="agency:" + ",".join(str(i) for i in agency_ids),
            values=values,
        )

    def data_sources(self, query: LayerQuery) -> tuple[str, ...]:
        return ("reports",)

    def sql(self, tile: TileAddress, query: LayerQuery, now: dt.datetime) -> tuple[str, list]:
        if tile.z >= REPORT_POINTS_MINZOOM:
            return self._points_sql(tile, query, now)
        if _stored_cells_answer(query.values):
            return self.stored_cells_sql(tile, query, now)
        return self.counted_cells_sql(tile, query, now)

    def _points_sql(
        self, tile: TileAddress, query: LayerQuery, now: dt.datetime
    ) -> tuple[str, list]:
        from reports.models import Report

        columns = {"category_code": F("category__code")}
        if query.private:
            columns["agency_code"] = F("agency__code")
        reports = (
            _filtered_reports(query.values)
            .filter(_in_tile(Report, "location", tile, MARGIN))
            .values("tracking_code", "status", "created_at", "due_at", "location", **columns)
        )
        inner, inner_params = reports.query.sql_with_params()
        private = (
            "r.agency_code AS agency, extract(epoch FROM r.due_at)::bigint AS due,"
            if query.private
            else ""
        )
        opened = _open_statuses()
        sql = f"""
            SELECT ST_AsMVT(f, %s, {EXTENT}, 'geom') AS tile,
                   min(r.due_at) FILTER (WHERE r.status = ANY(%s) AND r.due_at >= %s)
            FROM ({inner}) AS r
            CROSS JOIN LATERAL (
                SELECT r.tracking_code, r.category_code AS category, r.status,
                       extract(epoch FROM r.created_at)::bigint AS created,
                       (r.status = ANY(%s) AND r.due_at < %s) AS overdue,
                       {private}
                       ST_AsMVTGeom(ST_Transform(r.location, 3857),
                                    ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true) AS geom
            ) AS f
        """  # noqa: S608 (fragments built here; values are parameters)
        params = [
            self.points_layer,
            opened,
            now,
            *inner_params,
            opened,
            now,
            tile.z,
            tile.x,
            tile.y,
        ]
        return sql, params

    def counted_cells_sql(
        self, tile: TileAddress, query: LayerQuery, now: dt.datetime
    ) -> tuple[str, list]:
        """The cell tile counted from the reports under it: any filter, cost grows with them."""
        from reports.models import Report

        # Cells are aligned on the world's top-left corner and divide the tile exactly, so a
        # cell never straddles two tiles and needs no margin.
        reports = (
            _filtered_reports(query.values)
            .filter(_in_tile(Report, "location", tile, 0.0))
            .values("status", "due_at", "location", "category_id")
        )
        inner, inner_params = reports.query.sql_with_params()
        cell = tile_width_m(tile.z) / REPORT_CELLS_PER_TILE
        sql = f"""
            WITH {_MERCATOR_CTE.format(inner=inner, radius=WGS84_SEMI_MAJOR_M)},
            pts AS (
                SELECT floor((px + {WORLD_HALF_M!r}) / %s)::bigint AS cx,
                       floor(({WORLD_HALF_M!r} - py) / %s)::bigint AS cy,
                       px, py, category_id, is_open, is_overdue, next_due
                FROM mercator
            ),
            {_COUNT_CTES.format(keys="cx, cy")}
            {_CELL_TILE_SELECT}
        """  # noqa: S608 (fragments built here; values are parameters)
        params = [
            *_mercator_params(inner_params, now),
            cell,
            cell,
            *self._cell_tile_params(tile),
        ]
        return sql, params

    def stored_cells_sql(
        self, tile: TileAddress, query: LayerQuery, now: dt.datetime
    ) -> tuple[str, list]:
        """The same cell tile read from the pre-aggregate (tiles.models.ReportCell).

        Only for requests `_stored_cells_answer` accepts. The stored rows give every count
        but the overdue one, which depends on `now`: it is the open count less the open
        reports not yet due, found by deadline in tiles.models.ReportDeadline.
        """
        values = query.values
        # Tiles coarser than the first stored zoom add up its cells: a cell at zoom z is
        # the square of 2^shift × 2^shift stored cells whose numbers shifted right agree.
        stored_zoom = max(tile.z, REPORT_CELLS_FIRST_STORED_ZOOM)
        shift = stored_zoom - tile.z
        span = 1 << shift
        filters, filter_params = "", []
        if "category_ids" in values:
            filters += " AND {t}.category_id = ANY(%s)"
            filter_params.append(values["category_ids"])
        if "statuses" in values:
            filters += " AND {t}.status = ANY(%s)"
            filter_params.append(values["statuses"])
        cell = tile_width_m(tile.z) / REPORT_CELLS_PER_TILE
        xmin, ymin, xmax, ymax = tile.bounds_3857()
        half = repr(WORLD_HALF_M)
        # `waiting` computes cells as the counting SQL does; its box is a metre wider than
        # the tile (the cell range keeps only the tile's own cells). `per_category` adds the
        # stored counts and the reports not yet due up in one pass: a join would be planned
        # from the row estimates of index ranges, which are poor. (No SQL comments: the
        # bench joins the statement onto one line for pgbench.)
        sql = f"""
            WITH stored AS (
                SELECT s.cell_x >> %s AS cx, s.cell_y >> %s AS cy, s.category_id,
                       s.reports AS n, s.sum_x AS sx, s.sum_y AS sy,
                       CASE WHEN s.status = ANY(%s) THEN s.reports ELSE 0 END AS open_n,
                       0 AS waiting_n, NULL::timestamptz AS next_due
                FROM tiles_reportcell AS s
                WHERE s.zoom = %s AND s.tile_x BETWEEN %s AND %s
                  AND s.tile_y BETWEEN %s AND %s AND s.reports > 0{filters.format(t="s")}
            ),
            waiting AS (
                SELECT floor((d.x + {half}) / %s)::integer AS cx,
                       floor(({half} - d.y) / %s)::integer AS cy, d.category_id,
                       0 AS n, 0::float8 AS sx, 0::float8 AS sy, 0 AS open_n,
                       1 AS waiting_n, d.due_at AS next_due
                FROM tiles_reportdeadline AS d
                WHERE d.due_at >= %s AND d.x BETWEEN %s AND %s
                  AND d.y BETWEEN %s AND %s{filters.format(t="d")}
            ),
            per_category AS (
                SELECT cx, cy, category_id, sum(n) AS n, sum(sx) AS sx, sum(sy) AS sy,
                       sum(open_n) AS open_n, sum(open_n) - sum(waiting_n) AS overdue_n,
                       min(next_due) AS next_change
                FROM (SELECT * FROM stored UNION ALL SELECT * FROM waiting) AS parts
                GROUP BY cx, cy, category_id
                HAVING sum(n) > 0
            ),
            {_CELLS_CTE.format(keys="cx, cy")}
            {_CELL_TILE_SELECT}
        """  # noqa: S608 (fragments built here; values are parameters)
        x, y = tile.x * span, tile.y * span
        params = [
            shift,
            shift,
            _open_statuses(),
            stored_zoom,
            x,
            x + span - 1,
            y,
            y + span - 1,
            *filter_params,
            cell,
            cell,
            now,
            xmin - 1,
            xmax + 1,
            ymin - 1,
            ymax + 1,
            *filter_params,
            *self._cell_tile_params(tile),
        ]
        return sql, params

    def _cell_tile_params(self, tile: TileAddress) -> list:
        """Parameters of _CELL_TILE_SELECT: the layer name, the tile's cell range, the tile."""
        first_x, first_y = tile.x * REPORT_CELLS_PER_TILE, tile.y * REPORT_CELLS_PER_TILE
        return [
            self.cells_layer,
            first_x,
            first_x + REPORT_CELLS_PER_TILE,
            first_y,
            first_y + REPORT_CELLS_PER_TILE,
            tile.z,
            tile.x,
            tile.y,
        ]


def _stored_cells_answer(values: dict[str, Any]) -> bool:
    """Whether the pre-aggregate holds the answer: it counts every report by category and
    status, so a time window or an agency scope must be counted, and so must everything if
    `public()` ever stops being every report."""
    from reports.models import Report

    return not (values.keys() & {"since", "until", "agency_ids"}) and not (
        Report.objects.public().query.has_filters()
    )


# The tile of cells, whichever way they were counted: each cell drawn at its reports' mean
# position, with the earliest future deadline of the tile as the second column.
_CELL_TILE_SELECT = f"""
    SELECT ST_AsMVT(f, %s, {EXTENT}, 'geom'), min(c.next_change)
    FROM (
        SELECT count, open_count, overdue_count, categories, next_change,
               ST_SetSRID(ST_MakePoint(sx / count, sy / count), 3857) AS centre
        FROM cells
        WHERE cx >= %s AND cx < %s AND cy >= %s AND cy < %s
    ) AS c
    CROSS JOIN LATERAL (
        SELECT c.count, c.open_count, c.overdue_count, c.categories,
               ST_AsMVTGeom(c.centre, ST_TileEnvelope(%s, %s, %s),
                            {EXTENT}, {BUFFER}, true) AS geom
    ) AS f
"""  # noqa: S608 (constants formatted in; values are parameters)


# The filtered reports in Web Mercator metres. EPSG:3857 is the spherical Mercator formula on
# the WGS 84 semi-major axis, so it is computed here with plain arithmetic, which is several
# times faster than ST_Transform's PROJ call per point when a low-zoom tile counts the whole
# city (tests check it against ST_Transform). MATERIALIZED computes it once per report: inlined,
# the planner copies the expression into every use (and pushes cell filters into the index
# scan), multiplying the per-row cost and making PostgreSQL spend seconds JIT-compiling.
_MERCATOR_CTE = """
    mercator AS MATERIALIZED (
        SELECT radians(ST_X(r.location)) * {radius!r} AS px,
               ln(tan(pi() / 4 + radians(ST_Y(r.location)) / 2)) * {radius!r} AS py,
               r.category_id,
               r.status = ANY(%s) AS is_open,
               r.status = ANY(%s) AND r.due_at < %s AS is_overdue,
               CASE WHEN r.status = ANY(%s) AND r.due_at >= %s THEN r.due_at END AS next_due
        FROM ({inner}) AS r
    )
"""


def _mercator_params(inner_params: tuple | list, now: dt.datetime) -> list:
    opened = _open_statuses()
    return [opened, opened, now, opened, now, *inner_params]


# Counting reports per cell, shared by the grid and the hexagons: first per cell and category,
# then per cell, with the categories folded into a jsonb object that ST_AsMVT spreads into one
# attribute per category (n_<code>). Categories are grouped by id and named only per cell, so
# the per-report work never joins. `sx`/`sy` sum positions so a cell can be drawn at its
# reports' mean position.
_CELLS_CTE = """
    cells AS (
        SELECT {keys}, sum(n)::integer AS count, sum(open_n)::integer AS open_count,
               sum(overdue_n)::integer AS overdue_count, sum(sx) AS sx, sum(sy) AS sy,
               jsonb_object_agg('n_' || category.code, n) AS categories,
               min(next_change) AS next_change
        FROM per_category JOIN reports_category AS category ON category.id = category_id
        GROUP BY {keys}
    )
"""
_COUNT_CTES = (
    """
    per_category AS (
        SELECT {keys}, category_id, count(*) AS n, sum(px) AS sx, sum(py) AS sy,
               count(*) FILTER (WHERE is_open) AS open_n,
               count(*) FILTER (WHERE is_overdue) AS overdue_n,
               min(next_due) AS next_change
        FROM pts
        GROUP BY {keys}, category_id
    ),
"""  # noqa: S608 (a template of fragments; values are parameters)
    + _CELLS_CTE
)


class HexbinsLayer(Layer):
    name = "hexbins"
    title = "Report hexagons"
    description = "Reports counted per hexagon, per category, within an optional time window."
    minzoom = 0
    maxzoom = 18

    @property
    def max_age(self) -> int:
        return settings.TILES_REPORTS_MAX_AGE

    def vector_layers(self, query: LayerQuery) -> list[dict[str, Any]]:
        return [
            {
                "id": self.name,
                "description": "Hexagons (16 px across on a 256 px tile) with report counts.",
                "minzoom": self.minzoom,
                "maxzoom": self.maxzoom,
                "fields": _count_fields("hexagon"),
            }
        ]

    def parse(self, params: QueryDict, user: Any) -> LayerQuery:
        refuse(params, self.name, "scope", "agency")
        canonical, values = report_filters(params)
        return LayerQuery(canonical=tuple(canonical), values=values)

    def data_sources(self, query: LayerQuery) -> tuple[str, ...]:
        return ("reports",)

    def sql(self, tile: TileAddress, query: LayerQuery, now: dt.datetime) -> tuple[str, list]:
        from reports.models import Report

        size = tile_width_m(tile.z) / HEXAGONS_PER_TILE
        # A hexagon near the edge also counts reports in the next tile: widen the filter by
        # one hexagon width (two circumradii) beyond the tile.
        margin = 2 * size / tile_width_m(tile.z)
        reports = (
            _filtered_reports(query.values)
            .filter(_in_tile(Report, "location", tile, margin))
            .values("status", "due_at", "location", "category_id")
        )
        inner, inner_params = reports.query.sql_with_params()
        # The hexagon holding a point is the one whose centre is nearest. ST_Hexagon(s, i, j)
        # centres column i at x = 1.5·s·i and row j at y = √3·s·(j + ½ if i is odd): a point
        # lies in column i0 = floor(x / 1.5s) or i0 + 1, and within a column the nearest
        # centre is the rounded row. Two candidates, pick the nearer: arithmetic per report
        # instead of intersecting every report with every hexagon of a generated grid.
        sql = f"""
            WITH {_MERCATOR_CTE.format(inner=inner, radius=WGS84_SEMI_MAJOR_M)},
            grid AS (SELECT %s::float8 AS s, sqrt(3.0) * %s::float8 AS h),
            pts AS (
                SELECT CASE WHEN k.da <= k.db THEN k.ia ELSE k.ib END AS i,
                       CASE WHEN k.da <= k.db THEN k.ja ELSE k.jb END AS j,
                       m.mx AS px, m.my AS py,
                       m.category_id, m.is_open, m.is_overdue, m.next_due
                FROM grid
                CROSS JOIN LATERAL (
                    SELECT px AS mx, py AS my, floor(px / (1.5::float8 * grid.s))::bigint AS i0,
                           category_id, is_open, is_overdue, next_due
                    FROM mercator
                ) AS m
                CROSS JOIN LATERAL (
                    SELECT m.i0 AS ia, m.i0 + 1 AS ib,
                           0.5::float8 * (m.i0 & 1) AS oa, 0.5::float8 * ((m.i0 + 1) & 1) AS ob
                ) AS o
                CROSS JOIN LATERAL (
                    SELECT o.ia, o.ib, o.oa, o.ob,
                           round(m.my / grid.h - o.oa)::bigint AS ja,
                           round(m.my / grid.h - o.ob)::bigint AS jb
                ) AS c
                CROSS JOIN LATERAL (
                    SELECT c.ia, c.ib, c.ja, c.jb,
                           (m.mx - 1.5::float8 * grid.s * c.ia) ^ 2
                             + (m.my - grid.h * (c.ja + c.oa)) ^ 2 AS da,
                           (m.mx - 1.5::float8 * grid.s * c.ib) ^ 2
                             + (m.my - grid.h * (c.jb + c.ob)) ^ 2 AS db
                ) AS k
            ),
            {_COUNT_CTES.format(keys="i, j")}
            SELECT ST_AsMVT(f, %s, {EXTENT}, 'geom'), min(c.next_change)
            FROM cells AS c
            CROSS JOIN grid
            CROSS JOIN LATERAL (
                SELECT c.count, c.open_count, c.overdue_count, c.categories,
                       ST_AsMVTGeom(
                           ST_Hexagon(grid.s, c.i::integer, c.j::integer,
                                      ST_SetSRID(ST_MakePoint(0, 0), 3857)),
                           ST_TileEnvelope(%s, %s, %s), {EXTENT}, {BUFFER}, true) AS geom
            ) AS f
        """  # noqa: S608 (fragments built here; values are parameters)
        params = [
            *_mercator_params(inner_params, now),
            size,
            size,
            self.name,
            tile.z,
            tile.x,
            tile.y,
        ]
        return sql, params


class AreasLayer(Layer):
    name = "areas"
    title = "Administrative boundaries"
    description = "Areas of the current boundary generation (or ?generation=NAME)."
    minzoom = 0
    maxzoom = 18
    cache_timeout = 86400

    @property
    def max_age(self) -> int:
        return settings.TILES_AREAS_MAX_AGE

    def vector_layers(self, query: LayerQuery) -> list[dict[str, Any]]:
        return [
            {
                "id": self.name,
                "description": "One polygon per area, simplified per zoom band.",
                "minzoom": self.minzoom,
                "maxzoom": self.maxzoom,
                "fields": {
                    "code": "String: official area code",
                    "name": "String: Vietnamese name",
                    "name_en": "String: ASCII or English name",
                    "level": "String: level code (e.g. ward, district)",
                    "level_rank": "Number: 0 for the top level, larger for lower levels",
                },
            }
        ]

    def parse(self, params: QueryDict, user: Any) -> LayerQuery:
        refuse(params, self.name, "scope", "agency", "category", "status", "since", "until")
        name = single_value(params, "generation")
        if name is None:
            generation = Generation.objects.current()
            canonical: tuple[tuple[str, str], ...] = ()
        else:
            generation = Generation.objects.filter(name=name).first()
            if generation is None:
                raise TileParamError("generation", PARAM_UNKNOWN_GENERATION.format(value=name))
            canonical = (("generation", name),)
        return LayerQuery(canonical=canonical, values={"generation": generation})

    def data_sources(self, query: LayerQuery) -> tuple[str, ...]:
        return ("areas",)

    def extra_version(self, query: LayerQuery) -> str:
        generation = query.values["generation"]
        if generation is None:
            return "no-generation"
        activated = generation.activated_at.isoformat() if generation.activated_at else "-"
        return f"generation:{generation.id}:{activated}"

    def sql(self, tile: TileAddress, query: LayerQuery, now: dt.datetime) -> tuple[str, list]:
        generation = query.values["generation"]
        generation_id = generation.id if generation else None
        band = zoom_band(tile.z)
        # Simplified copies where they exist; for areas without one (not built yet), the
        # subdivided pieces, dissolved per area so outlines show no subdivision cut lines.
        sql = f"""
            WITH env AS (
                SELECT ST_TileEnvelope(%s, %s, %s) AS tile,
                       ST_TileEnvelope(%s, %s, %s, margin => %s) AS wide,
                       ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(%s, %s, %s, margin => %s),
                                                   ST_TileEnvelope(0, 0, 0)), 4326) AS wide4326
            ),
            areas AS (
                SELECT a.id, a.code, a.name, a.name_en, l.code AS level, l.rank AS level_rank
                FROM boundaries_area AS a JOIN boundaries_level AS l ON l.id = a.level_id
                WHERE a.generation_low_id <= %s AND a.generation_high_id >= %s
            ),
            simplified AS (
                SELECT a.code, a.name, a.name_en, a.level, a.level_rank,
                       ST_AsMVTGeom(s.geom, env.tile, {EXTENT}, {BUFFER}, true) AS geom
                FROM tiles_areasimplified AS s JOIN areas AS a ON a.id = s.area_id, env
                WHERE s.zoom_band = %s AND s.geom && env.wide
            ),
            fallback AS (
                SELECT a.code, a.name, a.name_en, a.level, a.level_rank,
                       ST_AsMVTGeom(ST_Union(ST_Transform(p.geom, 3857)),
                                    (SELECT tile FROM env), {EXTENT}, {BUFFER}, true) AS geom
                FROM boundaries_areapiece AS p JOIN areas AS a ON a.id = p.area_id, env
                WHERE p.geom && env.wide4326
                  AND NOT EXISTS (SELECT 1 FROM tiles_areasimplified AS s
                                  WHERE s.area_id = a.id AND s.zoom_band = %s)
                GROUP BY a.id, a.code, a.name, a.name_en, a.level, a.level_rank
            )
            SELECT ST_AsMVT(f, %s, {EXTENT}, 'geom'), NULL::timestamptz
            FROM (SELECT * FROM simplified UNION ALL SELECT * FROM fallback) AS f
        """  # noqa: S608 (fragments built here; values are parameters)
        z, x, y = tile.z, tile.x, tile.y
        params = [
            z, x, y,
            z, x, y, MARGIN,
            z, x, y, MARGIN,
            generation_id, generation_id,
            band,
            band,
            self.name,
        ]  # fmt: skip
        return sql, params


LAYERS: dict[str, Layer] = {
    layer.name: layer for layer in (ReportsLayer(), HexbinsLayer(), AreasLayer())
}


def layer_get(name: str) -> Layer | None:
    """The layer called `name`, or None."""
    return LAYERS.get(name)
