"""The hexbins layer: every report counted in the hexagon that contains it."""

import datetime as dt
import math

import pytest
from django.db import connection
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import shape

from reports.models import Category
from tests.factories.reports import ReportFactory, UserFactory
from tests.tiles.conftest import features, grid_position, tile_url
from tiles.layers import HEXAGONS_PER_TILE, layer_get
from tiles.params import PARAM_NOT_SUPPORTED, LayerQuery
from tiles.tilemath import WGS84_SEMI_MAJOR_M, tile_for_lonlat, tile_width_m

pytestmark = pytest.mark.django_db

Z = 14
HOAN_KIEM = (105.8523, 21.0288)


def lonlat(mx: float, my: float) -> tuple[float, float]:
    """Inverse spherical Mercator (EPSG:3857 metres to WGS 84 degrees)."""
    lon = math.degrees(mx / WGS84_SEMI_MAJOR_M)
    lat = math.degrees(2 * math.atan(math.exp(my / WGS84_SEMI_MAJOR_M)) - math.pi / 2)
    return lon, lat


def hexagon_centre(i: int, j: int, z: int) -> tuple[float, float]:
    """Centre of ST_Hexagon(size, i, j) for this layer's size at zoom z, as lon/lat."""
    size = tile_width_m(z) / HEXAGONS_PER_TILE
    mx = 1.5 * size * i
    my = math.sqrt(3) * size * (j + (0.5 if i % 2 else 0.0))
    return lonlat(mx, my)


def near_hoan_kiem_hexagon() -> tuple[float, float]:
    """The centre of a hexagon close to Hoàn Kiếm lake at zoom Z."""
    size = tile_width_m(Z) / HEXAGONS_PER_TILE
    mx = math.radians(HOAN_KIEM[0]) * WGS84_SEMI_MAJOR_M
    my = math.log(math.tan(math.pi / 4 + math.radians(HOAN_KIEM[1]) / 2)) * WGS84_SEMI_MAJOR_M
    i = round(mx / (1.5 * size))
    j = round(my / (math.sqrt(3) * size) - (0.5 if i % 2 else 0.0))
    return hexagon_centre(i, j, Z)


def test_reports_in_one_hexagon_are_counted_together_by_category(client):
    lon, lat = near_hoan_kiem_hexagon()
    flooding = Category.objects.get(code="ngap-ung")
    potholes = Category.objects.get(code="o-ga-mat-duong")
    for d_lon, d_lat, category in [(0, 0, flooding), (0.0001, 0, flooding), (0, 0.0001, potholes)]:
        ReportFactory(
            location=f"SRID=4326;POINT({lon + d_lon} {lat + d_lat})",
            category=category,
        )
    response = client.get(tile_url("hexbins", lon, lat, Z))
    [hexagon] = features(response, "hexbins")
    assert hexagon["properties"] == {
        "count": 3,
        "open_count": 3,
        "overdue_count": 0,
        "n_ngap-ung": 2,
        "n_o-ga-mat-duong": 1,
    }
    assert hexagon["geometry"]["type"] == "Polygon"
    assert len(hexagon["geometry"]["coordinates"][0]) == 7  # six corners, closed


def test_every_report_is_counted_in_the_hexagon_drawn_around_it(client):
    """300 seeded random reports across one tile: each hexagon counts the reports inside its
    drawn polygon, and every report is counted once. (The exact rule, nearest centre equals
    ST_Hexagon containment, is checked against PostGIS in the next test.)"""
    tile = tile_for_lonlat(*HOAN_KIEM, Z)
    xmin, ymin, xmax, ymax = tile.bounds_3857()
    west, south = lonlat(xmin, ymin)
    east, north = lonlat(xmax, ymax)
    reporter = UserFactory()
    category = Category.objects.get(code="thu-gom-rac")
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO reports_report (tracking_code, category_id, description, location,
                reporter_id, status, created_at, updated_at, due_at, transfers_count)
            SELECT 'H' || g, %s, 'bulk',
                   ST_SetSRID(ST_MakePoint(%s + random() * %s, %s + random() * %s), 4326),
                   %s, 'received', now(), now(), now() + interval '3 days', 0
            FROM generate_series(1, 300) AS g
            """,
            [category.id, west, east - west, south, north - south, reporter.id],
        )
        cursor.execute("SELECT ST_X(location), ST_Y(location) FROM reports_report")
        positions = [grid_position(lon, lat, Z) for lon, lat in cursor.fetchall()]
    hexagons = features(client.get(f"/tiles/hexbins/{tile.z}/{tile.x}/{tile.y}.mvt"), "hexbins")
    assert sum(h["properties"]["count"] for h in hexagons) == 300
    # Drawn corners are snapped to the 4096 grid, so a report within a grid unit or so of an
    # edge may land on the wrong side of the *drawn* edge; allow that margin and no more.
    for hexagon in hexagons:
        polygon = shape(hexagon["geometry"])
        surely_inside = sum(polygon.buffer(-1.5).contains(ShapelyPoint(p)) for p in positions)
        possibly_inside = sum(polygon.buffer(1.5).contains(ShapelyPoint(p)) for p in positions)
        assert surely_inside <= hexagon["properties"]["count"] <= possibly_inside


def test_the_time_window_limits_what_is_counted(client):
    lon, lat = near_hoan_kiem_hexagon()
    for day in (1, 10, 20):
        ReportFactory(
            location=f"SRID=4326;POINT({lon} {lat})",
            created_at=dt.datetime(2025, 7, day, 12, tzinfo=dt.UTC),
            due_at=dt.datetime(2025, 7, day + 3, 12, tzinfo=dt.UTC),
        )
    [hexagon] = features(
        client.get(tile_url("hexbins", lon, lat, Z, "since=2025-07-05&until=2025-07-15")),
        "hexbins",
    )
    assert hexagon["properties"]["count"] == 1
    assert hexagon["properties"]["overdue_count"] == 1


def test_private_scope_is_refused_by_the_hexbins_layer(client):
    response = client.get(tile_url("hexbins", *HOAN_KIEM, Z, "scope=agency"))
    assert response.status_code == 400
    assert response.json() == {
        "detail": PARAM_NOT_SUPPORTED.format(layer="hexbins"),
        "parameter": "scope",
    }


def test_an_empty_hexbin_tile_is_a_204(client):
    assert client.get(tile_url("hexbins", *HOAN_KIEM, Z)).status_code == 204


def test_the_nearest_centre_rule_matches_st_hexagon_containment():
    """The layer's arithmetic picks, for 5,000 random points, the ST_Hexagon that contains it."""
    layer = layer_get("hexbins")
    tile = tile_for_lonlat(*HOAN_KIEM, Z)
    sql, _ = layer.sql(tile, LayerQuery(), dt.datetime.now(dt.UTC))
    # The statement's own `pts` CTE, fed with random points instead of reports.
    start = sql.index("grid AS (")
    end = sql.index("per_category AS (")
    ctes = sql[start:end].rstrip().rstrip(",")
    size = tile_width_m(Z) / HEXAGONS_PER_TILE
    xmin, ymin, _, _ = tile.bounds_3857()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.7)")
        cursor.execute(
            f"""
            WITH mercator AS (
                SELECT %s + random() * 2000 AS px, %s + random() * 2000 AS py,
                       0 AS category_id, true AS is_open, false AS is_overdue,
                       NULL::timestamptz AS next_due
                FROM generate_series(1, 5000)
            ),
            {ctes}
            SELECT count(*) FILTER (WHERE NOT ST_Intersects(
                       ST_Hexagon(%s, i::integer, j::integer), ST_MakePoint(px, py))),
                   count(*)
            FROM pts
            """,
            [xmin, ymin, size, size, size],
        )
        wrong, total = cursor.fetchone()
    assert (wrong, total) == (0, 5000)
