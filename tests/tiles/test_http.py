"""The tile URLs: addressing errors, unknown layers, and TileJSON."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories.boundaries import AreaFactory, GenerationFactory, square
from tiles.layers import REPORT_POINTS_MINZOOM
from tiles.params import PARAM_CONTROL_CHARACTER
from tiles.tilemath import COORDINATE_OUT_OF_RANGE, ZOOM_OUT_OF_RANGE
from tiles.views import UNKNOWN_LAYER

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "parameter", "detail"),
    [
        ("/tiles/reports/19/0/0.mvt", "z", ZOOM_OUT_OF_RANGE.format(low=0, high=18, value=19)),
        ("/tiles/areas/-1/0/0.mvt", "z", ZOOM_OUT_OF_RANGE.format(low=0, high=18, value=-1)),
        (
            "/tiles/hexbins/2/4/0.mvt",
            "x",
            COORDINATE_OUT_OF_RANGE.format(name="x", high=3, z=2, value=4),
        ),
        (
            "/tiles/reports/2/0/-1.mvt",
            "y",
            COORDINATE_OUT_OF_RANGE.format(name="y", high=3, z=2, value=-1),
        ),
        (
            "/tiles/areas/10/0/99999999999.mvt",
            "y",
            COORDINATE_OUT_OF_RANGE.format(name="y", high=1023, z=10, value=99999999999),
        ),
    ],
)
def test_coordinates_outside_the_pyramid_are_a_400_naming_the_coordinate(
    client, url, parameter, detail
):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "parameter": parameter}


def test_an_unknown_layer_is_a_404(client):
    response = client.get("/tiles/parcels/0/0/0.mvt")
    assert response.status_code == 404
    assert response.json()["detail"] == UNKNOWN_LAYER.format(
        name="parcels", known="areas, hexbins, reports"
    )
    assert client.get("/tiles/parcels.json").status_code == 404


def test_a_non_numeric_address_is_not_a_tile_url(client):
    assert client.get("/tiles/reports/a/b/c.mvt").status_code == 404


def test_tiles_are_read_only(client):
    assert client.post("/tiles/reports/0/0/0.mvt").status_code == 405


def test_an_empty_tile_is_a_204_with_caching_headers(client):
    response = client.get("/tiles/reports/0/0/0.mvt")
    assert response.status_code == 204
    assert response.content == b""
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["ETag"]


def test_tilejson_describes_the_reports_layer_with_an_absolute_template(client):
    generation = GenerationFactory(active=True)
    AreaFactory(generation_low=generation, geom=square(105.80, 21.00))
    response = client.get("/tiles/reports.json?category=ngap-ung&status=received")
    assert response.status_code == 200
    document = response.json()
    assert document["tilejson"] == "3.0.0"
    assert document["scheme"] == "xyz"
    assert document["tiles"] == [
        "http://testserver/tiles/reports/{z}/{x}/{y}.mvt?category=ngap-ung&status=received"
    ]
    assert (document["minzoom"], document["maxzoom"]) == (0, 18)
    assert document["bounds"] == pytest.approx([105.80, 21.00, 105.81, 21.01], abs=1e-6)
    west, south, east, north = document["bounds"]
    assert west <= document["center"][0] <= east and south <= document["center"][1] <= north
    layers = {layer["id"]: layer for layer in document["vector_layers"]}
    assert set(layers) == {"reports", "report_cells"}
    assert layers["reports"]["minzoom"] == REPORT_POINTS_MINZOOM
    assert layers["report_cells"]["maxzoom"] == REPORT_POINTS_MINZOOM - 1
    assert set(layers["reports"]["fields"]) == {
        "tracking_code",
        "category",
        "status",
        "created",
        "overdue",
    }
    assert {"count", "open_count", "overdue_count", "n_ngap-ung"} <= set(
        layers["report_cells"]["fields"]
    )
    assert all(isinstance(text, str) for text in layers["reports"]["fields"].values())


def test_tilejson_of_areas_and_hexbins_lists_their_fields(client):
    areas = client.get("/tiles/areas.json").json()
    assert areas["tiles"] == ["http://testserver/tiles/areas/{z}/{x}/{y}.mvt"]
    [layer] = areas["vector_layers"]
    assert set(layer["fields"]) == {"code", "name", "name_en", "level", "level_rank"}
    hexbins = client.get("/tiles/hexbins.json?since=2025-01-01").json()
    assert hexbins["tiles"][0].startswith("http://testserver/tiles/hexbins/{z}/{x}/{y}.mvt?since=")
    assert hexbins["vector_layers"][0]["id"] == "hexbins"


def test_tilejson_validates_its_parameters_like_the_tiles(client):
    response = client.get("/tiles/reports.json?status=lost")
    assert response.status_code == 400
    assert response.json()["parameter"] == "status"
    assert client.get("/tiles/reports.json?scope=agency").status_code == 403


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    layer=st.sampled_from(["reports", "hexbins", "areas"]),
    name=st.sampled_from(
        ["category", "status", "since", "until", "scope", "agency", "generation", "other"]
    ),
    value=st.text(max_size=40),
)
def test_no_query_parameter_value_makes_a_server_error(client, layer, name, value):
    """Whatever text arrives in a parameter, the answer is a tile, an empty tile or a 4xx."""
    response = client.get(f"/tiles/{layer}/3/6/3.mvt", {name: value})
    assert response.status_code in (200, 204, 400, 403)


@pytest.mark.parametrize(
    ("layer", "query", "parameter"),
    [
        ("reports", "category=%00", "category"),
        ("reports", "status=a%00b", "status"),
        ("hexbins", "since=2025%0A", "since"),
        ("reports", "scope=agency&agency=%00", "agency"),
        ("areas", "generation=2019%00", "generation"),
    ],
)
def test_control_characters_are_a_400_naming_the_parameter(client, layer, query, parameter):
    """PostgreSQL cannot even compare text holding NUL: refuse it before any query."""
    response = client.get(f"/tiles/{layer}/3/6/3.mvt?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": PARAM_CONTROL_CHARACTER, "parameter": parameter}
