"""Reads from boundaries. "Which areas contain this point?" has its one home here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from boundaries.models import Area, Generation

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


# Every area whose pieces cover the point. A point strictly inside some piece is interior; one
# covered by two or more pieces of the same area without being inside either sits on a
# subdivision cut line, which is interior to the area too.
_COVERING_SQL = """
    SELECT a.id, a.code, l.rank,
           bool_or(ST_Contains(p.geom, pt.g)) OR count(*) > 1 AS interior
    FROM boundaries_areapiece AS p
    JOIN boundaries_area AS a ON a.id = p.area_id
    JOIN boundaries_level AS l ON l.id = a.level_id,
         (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g) AS pt
    WHERE p.geom && pt.g AND ST_Covers(p.geom, pt.g)
      AND a.generation_low_id <= %(generation)s AND a.generation_high_id >= %(generation)s
    GROUP BY a.id, a.code, l.rank
"""

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
    generation = generation or Generation.objects.current()
    if generation is None:
        return AreaLookup(generation=None)
    tolerance = settings.BOUNDARIES_EDGE_TOLERANCE_M if tolerance_m is None else tolerance_m
    params = {"lon": lon, "lat": lat, "generation": generation.id}
    with connection.cursor() as cursor:
        cursor.execute(_COVERING_SQL, params)
        covering = cursor.fetchall()
        if covering:
            return _covered_answer(generation, covering)
        if tolerance <= 0:
            return AreaLookup(generation=generation)
        cos_lat = max(math.cos(math.radians(lat)), 0.01)
        params |= {"tolerance": tolerance, "degrees": tolerance / (_METRES_PER_DEGREE * cos_lat)}
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


def _covered_answer(generation: Generation, rows: list[tuple]) -> AreaLookup:
    by_rank: dict[int, list[tuple[str, int, bool]]] = {}
    for area_id, code, rank, interior in rows:
        by_rank.setdefault(rank, []).append((code, area_id, interior))
    chosen: list[int] = []
    on_boundary = False
    for rank in sorted(by_rank, reverse=True):
        candidates = sorted(by_rank[rank])
        code, area_id, interior = candidates[0]
        chosen.append(area_id)
        if len(candidates) > 1 or not interior:
            on_boundary = True
    return AreaLookup(generation=generation, areas=_load_areas(chosen), on_boundary=on_boundary)


def _load_areas(ids: list[int]) -> list[Area]:
    loaded = Area.objects.select_related("level").defer("geom").in_bulk(ids)
    return [loaded[i] for i in ids]
