"""CRS helpers: metric and VN-2000 transforms use real datum shifts, not relabelling."""

import math

import pytest

from geo import crs

HOAN_KIEM_LAKE = (105.8522, 21.0287)


def test_every_known_srid_is_known_to_proj():
    for srid in crs.KNOWN_SRIDS:
        assert crs.crs_from_srid(srid).to_epsg() == srid


def test_unknown_srid_raises_a_named_error():
    with pytest.raises(crs.UnknownCRSError, match="EPSG:999999"):
        crs.crs_from_srid(999999)


@pytest.mark.parametrize("target", sorted(crs.VN2000_SRIDS))
def test_vn2000_uses_the_published_datum_transformation(target):
    assert not crs.is_ballpark(crs.WGS84, target)
    assert "VN-2000 to WGS 84" in crs.transformer(crs.WGS84, target).description


def test_vn2000_datum_shift_is_a_few_hundred_metres_not_zero():
    """WGS 84 and VN-2000 coordinates of the same place differ by roughly 200 m at Hanoi."""
    lon, lat = crs.transform_xy(*HOAN_KIEM_LAKE, source=crs.WGS84, target=crs.VN2000_GEOGRAPHIC)
    shift_m = math.hypot(
        (lon - HOAN_KIEM_LAKE[0]) * 111_320 * math.cos(math.radians(lat)),
        (lat - HOAN_KIEM_LAKE[1]) * 110_574,
    )
    assert 100 < shift_m < 500


def test_hanoi_tm3_zone_round_trips_to_the_millimetre():
    x, y = crs.transform_xy(*HOAN_KIEM_LAKE, source=crs.WGS84, target=crs.VN2000_HANOI_TM3)
    # Central meridian 105 degrees, false easting 500 km: the lake is ~88 km east of it.
    assert 585_000 < x < 592_000
    lon, lat = crs.transform_xy(x, y, source=crs.VN2000_HANOI_TM3, target=crs.WGS84)
    assert lon == pytest.approx(HOAN_KIEM_LAKE[0], abs=1e-8)
    assert lat == pytest.approx(HOAN_KIEM_LAKE[1], abs=1e-8)


def test_utm48n_measures_a_known_distance_in_metres():
    """0.01 degree of latitude at Hanoi is about 1,106 m."""
    x1, y1 = crs.transform_xy(105.85, 21.02, source=crs.WGS84, target=crs.METRIC)
    x2, y2 = crs.transform_xy(105.85, 21.03, source=crs.WGS84, target=crs.METRIC)
    assert math.hypot(x2 - x1, y2 - y1) == pytest.approx(1106, abs=3)
