"""Tile arithmetic agrees with the slippy-map formula and with PostGIS itself."""

import math

import pytest
from django.db import connection

from tiles.tilemath import (
    COORDINATE_OUT_OF_RANGE,
    ZOOM_BANDS,
    ZOOM_OUT_OF_RANGE,
    TileAddress,
    TileAddressError,
    band_tolerance_m,
    lonlat_to_mercator,
    tile_address,
    tile_for_lonlat,
    zoom_band,
)

HOAN_KIEM_LAKE = (105.8523, 21.0288)


def slippy_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The OpenStreetMap wiki's formula, written independently of tiles.tilemath."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return x, y


@pytest.mark.parametrize("z", [0, 1, 5, 10, 14, 16, 18, 22])
def test_the_tile_of_a_position_follows_the_slippy_map_formula(z):
    tile = tile_for_lonlat(*HOAN_KIEM_LAKE, z)
    assert (tile.x, tile.y) == slippy_tile(*HOAN_KIEM_LAKE, z)


def test_hoan_kiem_lake_lies_in_tile_14_13009_7212():
    assert tile_for_lonlat(*HOAN_KIEM_LAKE, 14) == TileAddress(14, 13009, 7212)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address", [(0, 0, 0), (5, 25, 14), (14, 13009, 7212), (18, 208150, 115392)]
)
def test_tile_bounds_equal_st_tileenvelope(address):
    tile = TileAddress(*address)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM ST_TileEnvelope(%s, %s, %s) AS e",
            list(address),
        )
        expected = cursor.fetchone()
    assert tile.bounds_3857() == pytest.approx(expected, abs=1e-6)


@pytest.mark.django_db
@pytest.mark.parametrize("lonlat", [HOAN_KIEM_LAKE, (105.3, 20.6), (-122.4, 37.8), (0.0, 0.0)])
def test_mercator_formula_equals_st_transform_to_3857(lonlat):
    """The layers compute Web Mercator with arithmetic; it must equal PostGIS's transform."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(g), ST_Y(g) "
            "FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857) AS g",
            list(lonlat),
        )
        expected = cursor.fetchone()
    assert lonlat_to_mercator(*lonlat) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("z", "x", "y", "parameter", "message"),
    [
        (-1, 0, 0, "z", ZOOM_OUT_OF_RANGE.format(low=0, high=18, value=-1)),
        (19, 0, 0, "z", ZOOM_OUT_OF_RANGE.format(low=0, high=18, value=19)),
        (3, 8, 0, "x", COORDINATE_OUT_OF_RANGE.format(name="x", high=7, z=3, value=8)),
        (3, -1, 0, "x", COORDINATE_OUT_OF_RANGE.format(name="x", high=7, z=3, value=-1)),
        (3, 0, 8, "y", COORDINATE_OUT_OF_RANGE.format(name="y", high=7, z=3, value=8)),
        (0, 0, 1, "y", COORDINATE_OUT_OF_RANGE.format(name="y", high=0, z=0, value=1)),
    ],
)
def test_addresses_outside_the_pyramid_are_refused_naming_the_coordinate(
    z, x, y, parameter, message
):
    with pytest.raises(TileAddressError) as caught:
        tile_address(z, x, y, maxzoom=18)
    assert caught.value.parameter == parameter
    assert caught.value.message == message


def test_every_zoom_falls_in_exactly_one_band_and_tolerances_shrink_with_zoom():
    bands = [zoom_band(z) for z in range(23)]
    assert bands == sorted(bands)
    assert set(bands) == set(range(len(ZOOM_BANDS)))
    tolerances = [band_tolerance_m(band) for band in range(len(ZOOM_BANDS))]
    assert tolerances == sorted(tolerances, reverse=True)
    # One tile-grid unit at z6 (the first band's last zoom): 40,075 km / 2^6 / 4096.
    assert tolerances[0] == pytest.approx(152.87, abs=0.01)
