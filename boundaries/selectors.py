"""Reads from boundaries. "Which areas contain this point?" has its one home here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from boundaries.models import Area, Generation, Level
from geo.crs import METRIC, WGS84

# Metres per degree of latitude; a degree of longitude is this times cos(latitude).
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class AreaLookup:
    """The answer to a point lookup.

    `areas` holds one area per level, lowest level (e.g. the ward) first. A point on a shared
    edge is given to the area with the smallest code at each level, so the answer never
    depends on query plans, and `on_boundary` says so. A point just outside every area but
    within the edge tolerance is `snapped` to the nearest area, `distance_m` away.
    """

    generation: Generation | None
    areas: list[Area] = field(default_factory=list)
    on_boundary: bool = False
    snapped: bool = False
    distance_m: float = 0.0

    @property
    def covered(self) -> bool:
        return bool(self.areas)

    @property
    def lowest(self) -> Area | None:
        return self.areas[0] if self.areas else None


# The columns a lookup answer carries: every Area column but the geometry (deferred; loaded
# only if a caller touches it) and its Level. Selected with the covering test itself, so a
# routed point costs one round trip instead of a second query to load the matched areas.
_AREA_FIELDS = [f for f in Area._meta.concrete_fields if f.name != "geom"]
_LEVEL_FIELDS = list(Level._meta.concrete_fields)
_ROW_COLUMNS = ", ".join(
    [f"a.{f.column}" for f in _AREA_FIELDS] + [f"l.{f.column}" for f in _LEVEL_FIELDS]
)

# Every area whose pieces cover the point. A point strictly inside some piece is interior; one
# covered by two or more pieces of the same area without being inside either sits on a
# subdivision cut line, which is interior to the area too. Grouping by the two primary keys
# lets PostgreSQL return their other columns.
_COVERING_SQL = f"""
    SELECT {_ROW_COLUMNS},
           bool_or(ST_Contains(p.geom, pt.g)) OR count(*) > 1 AS interior
    FROM boundaries_areapiece AS p
    JOIN boundaries_area AS a ON a.id = p.area_id
    JOIN boundaries_level AS l ON l.id = a.level_id,
         (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g) AS pt
    WHERE p.geom && pt.g AND ST_Covers(p.geom, pt.g)
      AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
    GROUP BY a.id, l.id
"""  # noqa: S608 (column names from model meta; values are parameters)


# The same for the current generation, which comes with the answer: one row per covering
# area, each carrying the generation's columns first; a single row of the generation with
# NULL areas when nothing covers the point; no row before any generation is active. Every
# new report asks this, so the generation costs no round trip of its own.
_GENERATION_FIELDS = list(Generation._meta.concrete_fields)
CURRENT_COVERING_SQL = f"""
    SELECT {", ".join(f"g.{f.column}" for f in _GENERATION_FIELDS)}, c.*
    FROM (SELECT * FROM boundaries_generation WHERE active ORDER BY id LIMIT 1) AS g
    LEFT JOIN LATERAL ({_COVERING_SQL.replace("%(generation)s", "g.id")}) AS c ON TRUE
"""  # noqa: S608 (column names from model meta; values are parameters)


# Areas within the tolerance of a point outside them all. The `&&` box is only an index
# prefilter, widened by a longitude degree's (shorter) length so it never cuts too tight;
# the distance itself is measured on the spheroid in metres.
_NEAREST_SQL = """
    SELECT a.id, a.code, l.rank,
           min(ST_Distance(p.geom::geography, pt.g::geography)) AS distance_m
    FROM boundaries_areapiece AS p
    JOIN boundaries_area AS a ON a.id = p.area_id
    JOIN boundaries_level AS l ON l.id = a.level_id,
         (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g) AS pt
    WHERE p.geom && ST_Expand(pt.g, %(degrees)s)
      AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
    GROUP BY a.id, a.code, l.rank
    HAVING min(ST_Distance(p.geom::geography, pt.g::geography)) <= %(tolerance)s
"""


# For callers that run CURRENT_COVERING_SQL inside a statement of their own (reports.routing
# adds the routing choices to it): how many columns it has, and where the area's id is.
CURRENT_COVERING_WIDTH = len(_GENERATION_FIELDS) + len(_AREA_FIELDS) + len(_LEVEL_FIELDS) + 1
CURRENT_COVERING_AREA_ID = len(_GENERATION_FIELDS) + [f.name for f in _AREA_FIELDS].index("id")


def current_covering_column(model: str, field: str) -> int:
    """Where CURRENT_COVERING_SQL's row holds `field` ("id", "code", ...) of its generation,
    area or level (`model`): its columns are not named apart (the three each have an id)."""
    offset = 0
    for name, fields in (
        ("generation", _GENERATION_FIELDS),
        ("area", _AREA_FIELDS),
        ("level", _LEVEL_FIELDS),
    ):
        if name == model:
            return offset + [f.name for f in fields].index(field)
        offset += len(fields)
    raise ValueError(f"CURRENT_COVERING_SQL has no {model} columns.")


def area_lookup(
    *,
    lon: float,
    lat: float,
    generation: Generation | None = None,
    tolerance_m: float | None = None,
) -> AreaLookup:
    """Which areas contain (lon, lat) in `generation` (default: the current one)?

    Callers validate coordinates first; this function trusts finite WGS 84 degrees.
    """
    if generation is None:
        with connection.cursor() as cursor:
            cursor.execute(CURRENT_COVERING_SQL, {"lon": lon, "lat": lat})
            rows = cursor.fetchall()
        return area_lookup_current(rows, lon=lon, lat=lat, tolerance_m=tolerance_m)
    with connection.cursor() as cursor:
        cursor.execute(_COVERING_SQL, {"lon": lon, "lat": lat, "generation": generation.id})
        covering = cursor.fetchall()
    return _answer(generation, covering, lon=lon, lat=lat, tolerance_m=tolerance_m)


def area_lookup_current(
    rows: list[tuple], *, lon: float, lat: float, tolerance_m: float | None = None
) -> AreaLookup:
    """`area_lookup` in the current generation, from the rows of CURRENT_COVERING_SQL for
    (lon, lat) that the caller read (a point outside every area is looked for nearby)."""
    if not rows:
        return AreaLookup(generation=None)
    split = len(_GENERATION_FIELDS)
    names = [f.attname for f in _GENERATION_FIELDS]
    generation = Generation.from_db(connection.alias, names, rows[0][:split])
    covering = [row[split:] for row in rows if row[split] is not None]
    return _answer(generation, covering, lon=lon, lat=lat, tolerance_m=tolerance_m)


def _answer(
    generation: Generation,
    covering: list[tuple],
    *,
    lon: float,
    lat: float,
    tolerance_m: float | None,
) -> AreaLookup:
    """The lookup's answer from the covering rows, or from the areas nearby when none."""
    if covering:
        return _covered_answer(generation, covering)
    tolerance = settings.BOUNDARIES_EDGE_TOLERANCE_M if tolerance_m is None else tolerance_m
    if tolerance <= 0:
        return AreaLookup(generation=generation)
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    params = {
        "lon": lon,
        "lat": lat,
        "generation": generation.id,
        "tolerance": tolerance,
        "degrees": tolerance / (_METRES_PER_DEGREE * cos_lat),
    }
    with connection.cursor() as cursor:
        cursor.execute(_NEAREST_SQL, params)
        nearby = cursor.fetchall()
    if not nearby:
        return AreaLookup(generation=generation)
    # The nearest area at each level; ties go to the smaller code.
    best: dict[int, tuple[float, str, int]] = {}
    for area_id, code, rank, distance in nearby:
        if rank not in best or (distance, code) < best[rank][:2]:
            best[rank] = (distance, code, area_id)
    ranks = sorted(best, reverse=True)
    areas = _load_areas([best[rank][2] for rank in ranks])
    return AreaLookup(
        generation=generation,
        areas=areas,
        snapped=True,
        distance_m=round(best[ranks[0]][0], 2),
    )


def _area_from_row(row: tuple) -> Area:
    """An Area (geometry deferred) with its Level, from a _COVERING_SQL row."""
    split = len(_AREA_FIELDS)
    db = connection.alias
    area = Area.from_db(db, [f.attname for f in _AREA_FIELDS], row[:split])
    area.level = Level.from_db(db, [f.attname for f in _LEVEL_FIELDS], row[split:-1])
    return area


def _covered_answer(generation: Generation, rows: list[tuple]) -> AreaLookup:
    by_rank: dict[int, list[tuple[str, bool, Area]]] = {}
    for row in rows:
        area = _area_from_row(row)
        by_rank.setdefault(area.level.rank, []).append((area.code, row[-1], area))
    chosen: list[Area] = []
    on_boundary = False
    for rank in sorted(by_rank, reverse=True):
        candidates = sorted(by_rank[rank], key=lambda c: c[0])
        _code, interior, area = candidates[0]
        chosen.append(area)
        if len(candidates) > 1 or not interior:
            on_boundary = True
    return AreaLookup(generation=generation, areas=chosen, on_boundary=on_boundary)


def _load_areas(ids: list[int]) -> list[Area]:
    loaded = Area.objects.select_related("level").defer("geom").in_bulk(ids)
    return [loaded[i] for i in ids]


def generation_by_name(*, name: str | None) -> Generation | None:
    """The generation called `name`, or the current one when no name is given."""
    if name is None:
        return Generation.objects.current()
    return Generation.objects.filter(name=name).first()


def level_by_code(*, code: str) -> Level | None:
    """The level with this code, or None."""
    return Level.objects.filter(code=code).first()


# The whole FeatureCollection is assembled by PostgreSQL: serialising 600 wards with their
# vertices in Python costs seconds, json_agg costs milliseconds. Simplification runs in UTM 48N
# so the tolerance is in metres; ST_SimplifyPreserveTopology keeps every polygon valid (though
# neighbours are simplified independently, so shared edges may part by up to the tolerance),
# and ST_Multi keeps the type MultiPolygon, as it is unsimplified, when a single part remains.
# The optional filters are fixed SQL fragments chosen in Python; every value is a parameter.
_AREAS_GEOJSON_SQL = """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'generation', %(generation_name)s::text,
        'features', COALESCE(json_agg(json_build_object(
            'type', 'Feature',
            'id', a.code,
            'geometry', ST_AsGeoJSON(
                CASE WHEN %(tolerance)s::float8 > 0
                     THEN ST_Multi(ST_Transform(
                              ST_SimplifyPreserveTopology(
                                  ST_Transform(a.geom, %(metric)s::int), %(tolerance)s::float8),
                              %(wgs84)s::int))
                     ELSE a.geom END,
                %(digits)s::int)::json,
            'properties', json_build_object(
                'code', a.code,
                'name', a.name,
                'name_en', a.name_en,
                'level', l.code,
                'parent', parent.code,
                'area_m2', round(a.area_m2::numeric),
                'population', a.population)
        ) ORDER BY l.rank, a.code), '[]'::json)
    )::text
    FROM boundaries_area AS a
    JOIN boundaries_level AS l ON l.id = a.level_id
    LEFT JOIN boundaries_area AS parent ON parent.id = a.parent_id
    WHERE a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
"""
_AREAS_LEVEL_SQL = " AND a.level_id = %(level)s"
_AREAS_BBOX_SQL = """
    AND a.geom && ST_MakeEnvelope(%(minlon)s, %(minlat)s, %(maxlon)s, %(maxlat)s, %(wgs84)s)
    AND ST_Intersects(a.geom, ST_MakeEnvelope(%(minlon)s, %(minlat)s, %(maxlon)s, %(maxlat)s,
                                             %(wgs84)s))
"""
# Six decimals of a degree are about 11 cm: finer than any boundary survey.
GEOJSON_DIGITS = 6


def areas_geojson(
    *,
    generation: Generation,
    level: Level | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    simplify_m: float = 0.0,
) -> str:
    """The areas of `generation` as a GeoJSON FeatureCollection (text), built in the database.

    `bbox` is (min lon, min lat, max lon, max lat); `simplify_m` is a tolerance in metres.
    """
    sql = _AREAS_GEOJSON_SQL
    params: dict[str, object] = {
        "generation": generation.id,
        "generation_name": generation.name,
        "tolerance": float(simplify_m),
        "metric": METRIC,
        "wgs84": WGS84,
        "digits": GEOJSON_DIGITS,
    }
    if level is not None:
        sql += _AREAS_LEVEL_SQL
        params["level"] = level.id
    if bbox is not None:
        sql += _AREAS_BBOX_SQL
        params |= dict(zip(("minlon", "minlat", "maxlon", "maxlat"), bbox, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def areas_by_code(*, code: str, generation: Generation, level: Level | None = None) -> QuerySet:
    """Areas of `generation` with this official code (more than one only across levels)."""
    areas = Area.objects.in_generation(generation).filter(code=code).select_related("level")
    return areas.filter(level=level) if level is not None else areas


def area_parent(*, area: Area, generation: Generation) -> Area | None:
    """`area`'s parent as it stands in `generation`.

    A carried-over area's row is shared by several generations, so its parent is found again
    by code and level in the generation asked about, falling back to the stored row.
    """
    if area.parent_id is None:
        return None
    stored = Area.objects.select_related("level").defer("geom").get(pk=area.parent_id)
    same = (
        Area.objects.in_generation(generation)
        .filter(code=stored.code, level_id=stored.level_id)
        .select_related("level")
        .defer("geom")
        .first()
    )
    return same or stored


def area_children(*, area: Area, generation: Generation) -> QuerySet:
    """Areas of `generation` whose parent has `area`'s code and level."""
    return (
        Area.objects.in_generation(generation)
        .filter(parent__code=area.code, parent__level_id=area.level_id)
        .select_related("level")
        .defer("geom")
    )


def edge_tolerance_m() -> float:
    """How far outside every area a point may be and still snap to the nearest, in metres."""
    return settings.BOUNDARIES_EDGE_TOLERANCE_M
