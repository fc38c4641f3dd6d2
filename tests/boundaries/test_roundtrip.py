"""Hanoi's wards through VN-2000 files: a GeoPackage in EPSG:5897, a Shapefile with no .prj.

Government files come in VN-2000 (Hanoi's TM-3 zone, EPSG:5897), whose datum sits about 200 m
from WGS 84. After the round trip every ward must route the same points and measure the same
area: a datum shift ignored anywhere on the way would move boundaries by hundreds of metres.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from boundaries.models import Area, Generation
from boundaries.selectors import area_lookup
from geo.crs import VN2000_HANOI_TM3
from tests.boundaries.conftest import count, run_import, to_metric
from tests.conftest import hanoi_file

pytestmark = [pytest.mark.django_db, pytest.mark.hanoi]

WARD_OPTIONS = (
    "--level", "ward", "--level-rank", "2", "--name-field", "fullName",
    "--name-en-field", "fullNameEn", "--commit",
)  # fmt: skip


@pytest.fixture(scope="module")
def wards_tm3():
    """The real wards reprojected to VN-2000 TM-3 by geopandas, as a ministry would ship them."""
    wards = gpd.read_file(hanoi_file("wards_2025.geojson"))
    # Only the fields the import needs, all within the Shapefile limit of 10 characters.
    return wards[["code", "fullName", "fullNameEn", "geometry"]].to_crs(VN2000_HANOI_TM3)


def assert_same_wards(ward_features, generation_name: str) -> None:
    generation = Generation.objects.get(name=generation_name)
    stored = {a.code: a for a in Area.objects.in_generation(generation)}
    assert len(stored) == 126
    for code, _, geom in ward_features:
        point = geom.representative_point()
        found = area_lookup(lon=point.x, lat=point.y, generation=generation)
        assert found.lowest.code == code
        original = to_metric(geom)
        assert stored[code].area_m2 == pytest.approx(original.area, rel=1e-5)
        # The ward sits within 5 cm of where it was (an ignored datum shift would be ~200 m).
        back = to_metric(shapely.from_wkb(bytes(stored[code].geom.wkb)))
        assert back.centroid.distance(original.centroid) < 0.05, code


def test_a_geopackage_in_vn2000_tm3_routes_the_same_points_to_the_same_wards(
    tmp_path, wards_tm3, ward_features
):
    path = tmp_path / "wards_tm3.gpkg"
    wards_tm3.to_file(path)
    output = run_import(path, "--generation", "gpkg", *WARD_OPTIONS)
    assert count(output, "new") == 126
    assert_same_wards(ward_features, "gpkg")


def test_a_shapefile_without_prj_is_read_with_source_srid(tmp_path, wards_tm3, ward_features):
    path = tmp_path / "wards_tm3.shp"
    wards_tm3.to_file(path)
    path.with_suffix(".prj").unlink()
    output = run_import(
        path, "--generation", "shp", "--source-srid", str(VN2000_HANOI_TM3), *WARD_OPTIONS
    )
    assert count(output, "new") == 126
    assert_same_wards(ward_features, "shp")


def test_a_round_trip_after_the_original_finds_every_ward_unchanged(
    tmp_path, wards_tm3, ward_features
):
    """Carry-over compares within a centimetre, so a faithful round trip changes nothing."""
    run_import(hanoi_file("wards_2025.geojson"), "--generation", "original", *WARD_OPTIONS)
    path = tmp_path / "wards_tm3.gpkg"
    wards_tm3.to_file(path)
    output = run_import(path, "--generation", "from-gpkg", *WARD_OPTIONS)
    assert count(output, "unchanged") == 126
    assert Area.objects.count() == 126
