"""A generated demo city, so a fresh checkout shows real lookups with no outside files.

The city is an irregular outline around central Hanoi (Hoan Kiem Lake is near its centre),
cut into districts and each district into wards by Voronoi cells of seeded points, clipped to
their parent. That gives a true tessellation: no gaps, no overlaps, every ward inside exactly
one district. The seed is fixed, so every run builds the same polygons and a second run finds
every area unchanged. The codes (99, 9xx, 9xxxx) lie outside Vietnam's official code ranges so
they can never be mistaken for a real area.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

from boundaries import importer
from boundaries.models import Area, Generation, Level
from boundaries.services import level_create
from geo.crs import METRIC, WGS84, shapes_transform, transformer

DEMO_GENERATION = "demo-2025"
CENTRE = (105.85, 21.03)
SEED = 2025

# (code, rank, Vietnamese name, English name): a three-tier city.
LEVELS = [
    ("city", 0, "Thành phố", "City"),
    ("district", 1, "Quận/Huyện", "District"),
    ("ward", 2, "Phường/Xã", "Ward/Commune"),
]
CITY = ("99", "Thành phố Demo Hà Nội")
DISTRICTS = ["Quận Hồ Gươm", "Quận Sông Hồng", "Quận Tây Hồ Mới", "Quận Đống Đa Mới"]
WARD_NAMES = [
    "Phường Bình Minh",
    "Phường Hòa Bình",
    "Phường Thành Công",
    "Phường Thống Nhất",
    "Phường Độc Lập",
    "Phường Hạnh Phúc",
    "Phường Quang Trung",
    "Phường Trúc Bạch",
    "Phường Văn Miếu",
    "Phường Đồng Xuân",
    "Phường Hàng Đào",
    "Phường Kim Liên",
    "Phường Ngọc Hà",
    "Phường Phúc Tân",
    "Phường Yên Phụ",
    "Phường Láng Thượng",
    "Phường Thanh Nhàn",
    "Phường Bạch Mai",
    "Phường Cửa Nam",
    "Phường Nghĩa Đô",
    "Phường Mai Dịch",
    "Phường Tương Mai",
    "Phường Long Biên",
    "Phường Bồ Đề",
]
WARDS_PER_DISTRICT = 6
# Outline radius in metres, and how much it wobbles, so the city is not a circle.
RADIUS_M = 9_000
WOBBLE = 0.18


def load_demo_city() -> str:
    """Create (or confirm) the demo city in generation "demo-2025"; returns a one-line summary.

    Idempotent: a second run re-imports the same polygons and the importer finds every area
    unchanged. The generation is activated only when no generation is active, so the demo never
    displaces real boundaries.
    """
    generation = Generation.objects.filter(name=DEMO_GENERATION).first()
    newest = Generation.objects.order_by("-id").first()
    if generation is not None and generation != newest:
        count = Area.objects.in_generation(generation).count()
        return f"generation {DEMO_GENERATION!r} already loaded ({count} areas); left as it is"
    for code, rank, name, name_en in LEVELS:
        if not Level.objects.filter(code=code).exists():
            level_create(code=code, name=name, name_en=name_en, rank=rank)
    city, districts, wards = _demo_frames()
    plans = [
        _import(city, "city", parent=False),
        _import(districts, "district", parent=True),
        _import(wards, "ward", parent=True),
    ]
    written = sum(len(p.new) + len(p.changed) for p in plans)
    unchanged = sum(len(p.unchanged) for p in plans)
    current = Generation.objects.current()
    return (
        f"demo city in generation {DEMO_GENERATION!r}: {len(wards)} wards in "
        f"{len(districts)} districts, {written} areas written, {unchanged} unchanged; "
        f"current generation: {current.name if current else 'none'}"
    )


def _import(frame: gpd.GeoDataFrame, level: str, *, parent: bool) -> importer.ImportPlan:
    options = importer.ImportOptions(
        level=level,
        generation=DEMO_GENERATION,
        name_en_field="name_en",
        parent_field="parent" if parent else None,
        population_field="population",
    )
    return importer.boundaries_import_frame(
        frame=frame, source=f"demo {level}s", options=options, commit=True
    )


def _demo_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """City, districts and wards as GeoDataFrames in WGS 84.

    The cells are cut in longitude/latitude, the CRS they are stored in: a ward clipped to its
    district then shares the district's edge exactly. (Cut in UTM and reprojected, the edge's
    straight segments would bend differently for the wards on each side, leaving slivers.)
    """
    rng = np.random.default_rng(SEED)
    lon0, lat0 = CENTRE
    # Degrees per metre east and north at the centre; only for sizing, nothing is measured here.
    per_m_lon = 1 / (111_320 * math.cos(math.radians(lat0)))
    per_m_lat = 1 / 110_574
    angles = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    wobble = 1 + WOBBLE * np.sin(3 * angles + 0.7) + 0.08 * np.cos(5 * angles)
    outline = shapely.Polygon(
        np.column_stack(
            [
                lon0 + RADIUS_M * per_m_lon * wobble * np.cos(angles),
                lat0 + 0.8 * RADIUS_M * per_m_lat * wobble * np.sin(angles),
            ]
        )
    )
    district_cells = _tessellate(outline, _seeds(outline, len(DISTRICTS), rng))
    ward_cells: list[tuple[int, shapely.Geometry]] = []
    for d, cell in enumerate(district_cells):
        for ward in _tessellate(cell, _seeds(cell, WARDS_PER_DISTRICT, rng)):
            ward_cells.append((d, ward))
    to_metric = transformer(WGS84, METRIC)

    def km2(geom: shapely.Geometry) -> float:
        return shapes_transform(geom, to_metric).area / 1e6

    def frame(rows: list[dict]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=f"EPSG:{WGS84}")

    city = frame(
        [
            {
                "code": CITY[0],
                "name": CITY[1],
                "name_en": importer.ascii_name(CITY[1]),
                "parent": None,
                "population": None,
                "geometry": outline,
            }
        ]
    )
    districts = frame(
        [
            {
                "code": f"9{d + 1:02d}",
                "name": name,
                "name_en": importer.ascii_name(name),
                "parent": CITY[0],
                "population": None,
                "geometry": cell,
            }
            for d, (name, cell) in enumerate(zip(DISTRICTS, district_cells, strict=True))
        ]
    )
    wards = frame(
        [
            {
                "code": f"9{w + 1:04d}",
                "name": WARD_NAMES[w % len(WARD_NAMES)],
                "name_en": importer.ascii_name(WARD_NAMES[w % len(WARD_NAMES)]),
                "parent": f"9{d + 1:02d}",
                # About 12,000 people per km², Hanoi's inner-district density.
                "population": int(km2(cell) * 12_000),
                "geometry": cell,
            }
            for w, (d, cell) in enumerate(ward_cells)
        ]
    )
    return city, districts, wards


def _seeds(region: shapely.Geometry, count: int, rng: np.random.Generator) -> list[shapely.Point]:
    """`count` random points inside `region`, kept apart so no cell is a sliver."""
    minx, miny, maxx, maxy = region.bounds
    spacing = math.sqrt(region.area / count) * 0.5
    seeds: list[shapely.Point] = []
    while len(seeds) < count:
        point = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if region.contains(point) and all(point.distance(s) > spacing for s in seeds):
            seeds.append(point)
    return seeds


def _tessellate(region: shapely.Geometry, seeds: list[shapely.Point]) -> list[shapely.Geometry]:
    """Voronoi cells of `seeds` clipped to `region`, in the seeds' order.

    A convex cell clipped to a wobbly outline may come out in several parts; all are kept, so
    the cells still cover the region exactly.
    """
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=region)
    return [next(c for c in cells.geoms if c.contains(s)).intersection(region) for s in seeds]
