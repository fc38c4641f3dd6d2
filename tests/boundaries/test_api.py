"""The boundaries API on a small synthetic city: parameters, answers, errors and the schema."""

from __future__ import annotations

import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from boundaries import filters, views
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup"
AREAS = "/api/v1/areas"


@pytest.fixture
def city():
    """A district 001 holding wards 00001 (west) and 00002 (east), in current generation 2025."""
    generation = GenerationFactory(name="2025", active=True)
    ward = LevelFactory(code="ward", rank=2)
    district = LevelFactory(code="district", name="Quận", name_en="District", rank=1)
    parent = AreaFactory(
        code="001",
        name="Quận Thử",
        name_en="Quan Thu",
        level=district,
        generation_low=generation,
        geom=geos(
            "MULTIPOLYGON(((105.80 21.00, 105.82 21.00, 105.82 21.01, 105.80 21.01, 105.80 21.00)))"
        ),
    )
    west = AreaFactory(
        code="00001",
        name="Phường Tây",
        name_en="Tay Ward",
        level=ward,
        parent=parent,
        generation_low=generation,
        geom=square(105.80, 21.00),
    )
    east = AreaFactory(
        code="00002",
        name="Phường Đông",
        name_en="Dong Ward",
        level=ward,
        parent=parent,
        generation_low=generation,
        geom=square(105.81, 21.00),
    )
    return {"generation": generation, "district": parent, "west": west, "east": east}


def geos(wkt: str) -> GEOSGeometry:
    return GEOSGeometry(wkt, srid=4326)


def test_lookup_answers_the_ward_then_its_district(city, api_client):
    response = api_client.get(LOOKUP, {"lat": "21.005", "lon": "105.805"})
    assert response.status_code == 200
    assert response.json() == {
        "areas": [
            {
                "code": "00001",
                "name": "Phường Tây",
                "name_en": "Tay Ward",
                "level": "ward",
                "generation": "2025",
            },
            {
                "code": "001",
                "name": "Quận Thử",
                "name_en": "Quan Thu",
                "level": "district",
                "generation": "2025",
            },
        ],
        "snapped": False,
        "distance_m": 0.0,
        "on_boundary": False,
    }


def test_a_lookup_in_the_current_generation_is_one_statement(
    city, api_client, django_assert_num_queries
):
    # The statement that finds the areas finds the current generation too (the filing's
    # routing reads it the same way); a named generation is looked up first.
    with django_assert_num_queries(1):
        body = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.805}).json()
    assert [a["generation"] for a in body["areas"]] == ["2025", "2025"]
    with django_assert_num_queries(2):
        named = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.805, "generation": "2025"})
    assert named.json() == body


def test_lookup_on_a_shared_edge_says_so(city, api_client):
    body = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.81}).json()
    assert body["areas"][0]["code"] == "00001"
    assert body["on_boundary"] is True


def test_lookup_just_outside_snaps_with_the_distance_in_metres(city, api_client):
    # 0.0005 degrees of longitude west of the city at 21 N: about 52 m.
    body = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.7995}).json()
    assert body["snapped"] is True
    assert body["areas"][0]["code"] == "00001"
    assert body["distance_m"] == pytest.approx(52, rel=0.02)


def test_a_point_outside_every_area_is_a_404_that_says_so(city, api_client):
    response = api_client.get(LOOKUP, {"lat": 21.2, "lon": 105.6})
    assert response.status_code == 404
    assert "no area of generation '2025' covers lat=21.2, lon=105.6" in response.json()["detail"]


BAD_COORDINATES = {
    "lat missing": ({"lon": "105.8"}, "'lat'", filters.PARAM_MISSING),
    "lon missing": ({"lat": "21"}, "'lon'", filters.PARAM_MISSING),
    "lat empty": ({"lat": "", "lon": "105.8"}, "'lat'", filters.PARAM_MISSING),
    "lat abc": ({"lat": "abc", "lon": "105.8"}, "'lat'", filters.PARAM_NOT_NUMBER),
    "lon nan": ({"lat": "21", "lon": "nan"}, "'lon'", filters.PARAM_NOT_FINITE),
    "lat inf": ({"lat": "inf", "lon": "105.8"}, "'lat'", filters.PARAM_NOT_FINITE),
    "lon -inf": ({"lat": "21", "lon": "-Infinity"}, "'lon'", filters.PARAM_NOT_FINITE),
    "lat 91": ({"lat": "91", "lon": "105.8"}, "'lat'", filters.PARAM_OUT_OF_RANGE),
    "lon -181": ({"lat": "21", "lon": "-181"}, "'lon'", filters.PARAM_OUT_OF_RANGE),
    "lat 1e308": ({"lat": "1e308", "lon": "105.8"}, "'lat'", filters.PARAM_OUT_OF_RANGE),
    "lon 1e309": ({"lat": "21", "lon": "1e309"}, "'lon'", filters.PARAM_NOT_FINITE),
    "nothing at all": ({}, "'lat'", filters.PARAM_MISSING),
}


@pytest.mark.parametrize("case", BAD_COORDINATES, ids=list(BAD_COORDINATES))
def test_bad_coordinates_are_a_400_naming_the_parameter(city, api_client, case):
    params, name, template = BAD_COORDINATES[case]
    response = api_client.get(LOOKUP, params)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert name in detail
    assert detail.startswith(template.split("{")[0])


def test_an_unknown_generation_is_a_404_naming_it(city, api_client):
    response = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.805, "generation": "1999"})
    assert response.status_code == 404
    assert response.json()["detail"] == filters.GENERATION_UNKNOWN.format(value="1999")


def test_without_an_active_generation_lookup_is_a_404_saying_so(api_client):
    response = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.805})
    assert response.status_code == 404
    assert response.json()["detail"] == filters.NO_CURRENT_GENERATION


def test_a_named_staged_generation_answers_before_it_is_current(city, api_client):
    staged = GenerationFactory(name="2026")
    AreaFactory(
        code="00009", level=city["west"].level, generation_low=staged, geom=square(105.80, 21.00)
    )
    named = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.805, "generation": "2026"}).json()
    current = api_client.get(LOOKUP, {"lat": 21.005, "lon": 105.805}).json()
    assert [a["code"] for a in named["areas"]] == ["00009"]
    assert named["areas"][0]["generation"] == "2026"
    assert current["areas"][0]["code"] == "00001"


def test_areas_is_one_geojson_collection_built_in_a_single_query(city, api_client):
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(AREAS)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["generation"] == "2025"
    assert [f["properties"]["code"] for f in body["features"]] == ["001", "00001", "00002"]
    west = body["features"][1]
    assert west["properties"] == {
        "code": "00001",
        "name": "Phường Tây",
        "name_en": "Tay Ward",
        "level": "ward",
        "parent": "001",
        "area_m2": round(city["west"].area_m2),
        "population": None,
    }
    assert shapely.geometry.shape(west["geometry"]).equals_exact(
        shapely.from_wkt(city["west"].geom.wkt), 1e-6
    )
    # One query for the generation, one for the whole collection.
    assert len(queries) == 2


def test_areas_filters_by_level_and_bounding_box(city, api_client):
    wards = api_client.get(AREAS, {"level": "ward"}).json()
    assert [f["properties"]["code"] for f in wards["features"]] == ["00001", "00002"]
    east_only = api_client.get(
        AREAS, {"level": "ward", "in_bbox": "105.815,21.001,105.816,21.002"}
    ).json()
    assert [f["properties"]["code"] for f in east_only["features"]] == ["00002"]
    nowhere = api_client.get(AREAS, {"in_bbox": "100,10,100.1,10.1"}).json()
    assert nowhere["features"] == []


def test_areas_simplifies_by_a_tolerance_in_metres(city, api_client):
    """A 2,000-vertex circle keeps far fewer vertices at 50 m, and stays within 50 m of itself."""
    circle = geos("POINT(105.9 21.1)").buffer(0.01, quadsegs=500)
    AreaFactory(
        code="00003",
        level=city["west"].level,
        generation_low=city["generation"],
        geom=MultiPolygon(circle, srid=4326),
    )
    exact = api_client.get(AREAS, {"level": "ward", "in_bbox": "105.88,21.08,105.92,21.12"}).json()
    simple = api_client.get(
        AREAS, {"level": "ward", "in_bbox": "105.88,21.08,105.92,21.12", "simplify_m": "50"}
    ).json()
    exact_shape = shapely.geometry.shape(exact["features"][0]["geometry"])
    simple_shape = shapely.geometry.shape(simple["features"][0]["geometry"])
    assert shapely.get_num_coordinates(exact_shape) > 1900
    assert shapely.get_num_coordinates(simple_shape) < 200
    assert simple_shape.is_valid
    assert simple["features"][0]["geometry"]["type"] == "MultiPolygon"
    # 50 m is under 0.0005 degrees here.
    assert shapely.hausdorff_distance(exact_shape, simple_shape) < 0.0005


BAD_AREA_PARAMS = {
    "bbox with three numbers": ({"in_bbox": "105,21,106"}, 400, "'in_bbox'"),
    "bbox with words": ({"in_bbox": "a,b,c,d"}, 400, "'in_bbox'"),
    "bbox inverted": ({"in_bbox": "106,21,105,22"}, 400, "min < max"),
    "bbox with nan": ({"in_bbox": "105,21,nan,22"}, 400, "'in_bbox'"),
    "bbox off the globe": ({"in_bbox": "105,21,200,22"}, 400, "longitudes in -180..180"),
    "simplify negative": ({"simplify_m": "-1"}, 400, "'simplify_m'"),
    "simplify too large": ({"simplify_m": "10001"}, 400, "'simplify_m'"),
    "simplify not a number": ({"simplify_m": "much"}, 400, "'simplify_m'"),
    "simplify infinite": ({"simplify_m": "inf"}, 400, "'simplify_m'"),
    "unknown level": ({"level": "hamlet"}, 400, "unknown level 'hamlet'"),
    "unknown generation": ({"generation": "1999"}, 404, "unknown generation '1999'"),
}


@pytest.mark.parametrize("case", BAD_AREA_PARAMS, ids=list(BAD_AREA_PARAMS))
def test_bad_area_parameters_are_refused_naming_the_parameter(city, api_client, case):
    params, status, fragment = BAD_AREA_PARAMS[case]
    response = api_client.get(AREAS, params)
    assert response.status_code == status
    assert fragment in response.json()["detail"]


def test_one_area_comes_with_its_parent_and_children(city, api_client):
    district = api_client.get(f"{AREAS}/001").json()
    assert district["type"] == "Feature"
    assert district["geometry"]["type"] == "MultiPolygon"
    assert district["properties"]["parent"] is None
    assert district["properties"]["children"] == [
        {"code": "00001", "name": "Phường Tây", "name_en": "Tay Ward", "level": "ward"},
        {"code": "00002", "name": "Phường Đông", "name_en": "Dong Ward", "level": "ward"},
    ]
    ward = api_client.get(f"{AREAS}/00002").json()
    assert ward["properties"]["parent"] == {
        "code": "001",
        "name": "Quận Thử",
        "name_en": "Quan Thu",
        "level": "district",
    }
    assert ward["properties"]["children"] == []
    assert ward["properties"]["generation"] == "2025"


def test_an_unknown_area_code_is_a_404(city, api_client):
    response = api_client.get(f"{AREAS}/99999")
    assert response.status_code == 404
    assert response.json()["detail"] == views.AREA_UNKNOWN.format(code="99999", generation="2025")


def test_a_code_used_at_two_levels_asks_for_the_level(city, api_client):
    AreaFactory(
        code="001",
        level=city["west"].level,
        generation_low=city["generation"],
        geom=square(105.9, 21.1),
    )
    response = api_client.get(f"{AREAS}/001")
    assert response.status_code == 400
    assert "'level'" in response.json()["detail"]
    ward = api_client.get(f"{AREAS}/001", {"level": "ward"}).json()
    assert ward["properties"]["level"] == "ward"


def test_the_schema_documents_the_boundaries_endpoints_and_validates():
    generator = SchemaGenerator(patterns=[path("api/v1/", include("boundaries.urls"))])
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    lookup = schema["paths"]["/api/v1/lookup"]["get"]
    assert {p["name"] for p in lookup["parameters"]} == {"lat", "lon", "generation"}
    areas = schema["paths"]["/api/v1/areas"]["get"]
    assert {p["name"] for p in areas["parameters"]} == {
        "level",
        "generation",
        "in_bbox",
        "simplify_m",
    }
    assert "/api/v1/areas/{code}" in schema["paths"]


def test_the_project_schema_endpoint_serves_the_boundaries_paths(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/lookup" in response.json()["paths"]
