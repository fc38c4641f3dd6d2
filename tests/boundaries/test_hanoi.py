"""The real Hanoi boundaries: 30 districts (2019) and the 126 wards of 1 July 2025.

The two files are imported once for the module, the way an operator would: districts first,
which as the first generation becomes current, then the wards into a staged generation that
is activated by command. The module's imports run inside one transaction that is rolled back
afterwards (as Django's TestCase.setUpTestData does), so nothing is committed and no other
app's listeners leave rows behind; each test runs in a savepoint on top of it.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from django.db import transaction

from boundaries.models import Area, AreaPiece, Generation
from boundaries.selectors import area_lookup
from tests.boundaries.conftest import count, to_metric, to_wgs84
from tests.conftest import hanoi_file

pytestmark = [pytest.mark.django_db, pytest.mark.hanoi]

LOOKUP = "/api/v1/lookup"
HOAN_KIEM_LAKE = (105.8522, 21.0287)


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


class _RollBack(Exception):
    """Raised to leave the module's transaction without committing it."""


@pytest.fixture(scope="module")
def hanoi(django_db_setup, django_db_blocker):
    """Import both real files once; returns what the commands printed."""
    wards = hanoi_file("wards_2025.geojson")
    districts = hanoi_file("districts_pre2025.geojson")
    with django_db_blocker.unblock(), contextlib.suppress(_RollBack), transaction.atomic():
        # Rows other modules may have committed must not make these generations second.
        AreaPiece.objects.all().delete()
        Area.objects.all().delete()
        Generation.objects.all().delete()
        printed = {
            "districts": _call(
                "import_boundaries", str(districts), "--level", "district",
                "--level-rank", "1", "--level-name", "Quận/Huyện",
                "--code-field", "level2_id", "--generation", "2019", "--commit",
            ),
            "wards_dry_run": _call(
                "import_boundaries", str(wards), "--level", "ward", "--level-rank", "2",
                "--name-field", "fullName", "--name-en-field", "fullNameEn",
                "--generation", "2025-07",
            ),
            "wards": _call(
                "import_boundaries", str(wards), "--level", "ward", "--level-rank", "2",
                "--level-name", "Phường/Xã", "--name-field", "fullName",
                "--name-en-field", "fullNameEn", "--generation", "2025-07", "--commit",
            ),
            "staged": Generation.objects.current().name,
        }  # fmt: skip
        printed["activate"] = _call("activate_generation", "2025-07")
        printed["wards_again"] = _call(
            "import_boundaries", str(wards), "--level", "ward", "--name-field", "fullName",
            "--name-en-field", "fullNameEn", "--generation", "2025-07", "--commit",
        )  # fmt: skip
        yield printed
        raise _RollBack


def test_the_real_files_import_with_their_counts(hanoi):
    assert count(hanoi["districts"], "new") == 30
    assert count(hanoi["wards_dry_run"], "new") == 126
    assert count(hanoi["wards"], "new") == 126
    # The README measured no overlap above 1 m² and no hole in the wards' union.
    assert count(hanoi["wards"], "overlaps above 1 m² between neighbours") == 0
    assert count(hanoi["wards"], "gaps above 1 m²") == 0
    assert Area.objects.filter(level__code="ward").count() == 126
    assert Area.objects.filter(level__code="district").count() == 30


def test_the_ward_generation_was_staged_until_activated(hanoi):
    assert hanoi["staged"] == "2019"
    assert "now the current generation" in hanoi["activate"]
    assert Generation.objects.current().name == "2025-07"


def test_importing_the_wards_again_finds_every_one_unchanged(hanoi):
    output = hanoi["wards_again"]
    assert (count(output, "new"), count(output, "changed"), count(output, "unchanged")) == (
        0,
        0,
        126,
    )
    assert Area.objects.filter(level__code="ward").count() == 126


def test_measured_areas_match_the_published_ones(hanoi):
    """The sum of the 126 wards in UTM 48N is the README's 3,356.95 km² union."""
    total = sum(Area.objects.filter(level__code="ward").values_list("area_m2", flat=True))
    assert total / 1e6 == pytest.approx(3356.95, rel=1e-3)


def test_every_ward_answers_lookup_for_a_point_inside_it(hanoi, ward_features, api_client):
    for code, name, geom in ward_features:
        point = geom.representative_point()
        response = api_client.get(LOOKUP, {"lat": point.y, "lon": point.x})
        assert response.status_code == 200, (code, response.content)
        body = response.json()
        assert body["areas"][0]["code"] == code
        assert body["areas"][0]["name"] == name
        assert body["areas"][0]["level"] == "ward"
        assert body["areas"][0]["generation"] == "2025-07"
        assert body["snapped"] is False
        assert len(body["areas"]) == 1  # two-tier since 2025: no district above the ward


def test_the_old_generation_still_answers_by_name(hanoi, api_client):
    lon, lat = HOAN_KIEM_LAKE
    old = api_client.get(LOOKUP, {"lat": lat, "lon": lon, "generation": "2019"}).json()
    new = api_client.get(LOOKUP, {"lat": lat, "lon": lon, "generation": "2025-07"}).json()
    assert [(a["code"], a["name"]) for a in old["areas"]] == [("002", "Quận Hoàn Kiếm")]
    assert old["areas"][0]["generation"] == "2019"
    assert [(a["code"], a["name"]) for a in new["areas"]] == [("00070", "Phường Hoàn Kiếm")]


def test_a_point_20_km_outside_hanoi_is_not_found(hanoi, ward_features, api_client):
    union = to_metric(shapely.union_all([g for _, _, g in ward_features]))
    _, miny, maxx, maxy = union.bounds
    lon, lat = to_wgs84(maxx + 20_000, (miny + maxy) / 2)
    response = api_client.get(LOOKUP, {"lat": lat, "lon": lon})
    assert response.status_code == 404
    assert "no area of generation '2025-07' covers" in response.json()["detail"]


def test_a_vertex_shared_by_two_wards_goes_to_the_smaller_code_on_the_boundary(
    hanoi, ward_features
):
    by_code = {code: geom for code, _, geom in ward_features}
    corners = {code: {tuple(c) for c in shapely.get_coordinates(g)} for code, g in by_code.items()}
    # The first neighbour of Ba Đình (00004) it shares vertices with.
    a = "00004"
    b = next(code for code in sorted(by_code) if code != a and corners[a] & corners[code])
    shared = sorted(corners[a] & corners[b])
    lon, lat = shared[len(shared) // 2]
    holders = [code for code, geom in by_code.items() if geom.covers(shapely.Point(lon, lat))]
    result = area_lookup(lon=lon, lat=lat)
    assert result.on_boundary is True
    assert result.lowest.code == min(holders)


def outside_point(ward_features, metres: float) -> tuple[float, float, str]:
    """A point `metres` outside Hanoi's outer edge, and the ward nearest to it."""
    metric = [(code, to_metric(geom)) for code, _, geom in ward_features]
    union = shapely.union_all([g for _, g in metric])
    centre = union.centroid
    for x, y in shapely.get_coordinates(union.exterior)[::50]:
        dx, dy = x - centre.x, y - centre.y
        scale = metres / np.hypot(dx, dy)
        candidate = shapely.Point(x + dx * scale, y + dy * scale)
        if abs(union.distance(candidate) - metres) < metres * 0.05:
            nearest = min(metric, key=lambda item: item[1].distance(candidate))[0]
            return (*to_wgs84(candidate.x, candidate.y), nearest)
    raise AssertionError("no outer vertex gives a clean outside point")


def test_a_point_just_outside_the_city_snaps_to_the_nearest_ward(hanoi, ward_features, api_client):
    lon, lat, nearest = outside_point(ward_features, 50)
    body = api_client.get(LOOKUP, {"lat": lat, "lon": lon}).json()
    assert body["snapped"] is True
    assert body["areas"][0]["code"] == nearest
    assert body["distance_m"] == pytest.approx(50, abs=2)


def test_a_point_beyond_the_tolerance_is_not_snapped(hanoi, ward_features, api_client):
    lon, lat, _ = outside_point(ward_features, 300)
    response = api_client.get(LOOKUP, {"lat": lat, "lon": lon})
    assert response.status_code == 404


def test_the_areas_collection_holds_all_126_wards_with_simplified_geometry(hanoi, api_client):
    exact = api_client.get("/api/v1/areas", {"level": "ward"}).json()
    simple = api_client.get("/api/v1/areas", {"level": "ward", "simplify_m": 50}).json()
    assert len(exact["features"]) == len(simple["features"]) == 126

    def vertices(collection):
        return sum(
            len(shapely.get_coordinates(shapely.geometry.shape(f["geometry"])))
            for f in collection["features"]
        )

    assert vertices(simple) < vertices(exact) / 3
    first = simple["features"][0]
    assert first["properties"]["code"] == "00004"
    assert shapely.geometry.shape(first["geometry"]).is_valid


def test_the_areas_collection_filters_by_bounding_box(hanoi, api_client):
    lon, lat = HOAN_KIEM_LAKE
    bbox = f"{lon - 0.002},{lat - 0.002},{lon + 0.002},{lat + 0.002}"
    body = api_client.get("/api/v1/areas", {"in_bbox": bbox}).json()
    assert [f["properties"]["code"] for f in body["features"]] == ["00070"]


def test_one_area_comes_back_as_a_feature_in_either_generation(hanoi, api_client):
    ward = api_client.get("/api/v1/areas/00070").json()
    assert ward["type"] == "Feature"
    assert ward["properties"]["name"] == "Phường Hoàn Kiếm"
    assert ward["properties"]["generation"] == "2025-07"
    assert ward["properties"]["parent"] is None
    district = api_client.get("/api/v1/areas/002", {"generation": "2019"}).json()
    assert district["properties"]["name"] == "Quận Hoàn Kiếm"
    assert api_client.get("/api/v1/areas/002").status_code == 404
