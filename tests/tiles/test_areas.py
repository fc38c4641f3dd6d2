"""The areas layer: current (or chosen) generation, simplified copies, pieces as fallback."""

import math

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.core.management import CommandError, call_command
from django.http import QueryDict
from django.utils import timezone

from boundaries import services as boundary_services
from boundaries.models import Area, AreaPiece
from boundaries.signals import areas_imported
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square
from tests.plans import plan_without_seqscan
from tests.tiles.conftest import features, tile_url
from tiles.layers import layer_get
from tiles.models import AreaSimplified
from tiles.params import PARAM_NOT_SUPPORTED, PARAM_UNKNOWN_GENERATION
from tiles.tilemath import ZOOM_BANDS, tile_for_lonlat

pytestmark = pytest.mark.django_db

# A 0.01° square ward whose south-west corner is at (105.80, 21.00); its centre:
CENTRE = (105.805, 21.005)


def ring_wkt(lon: float, lat: float, radius: float, vertices: int) -> str:
    """WKT of a many-sided polygon (a near-circle), so ST_Subdivide cuts it into pieces."""
    points = [
        f"{lon + radius * math.cos(2 * math.pi * k / vertices):.7f} "
        f"{lat + radius * math.sin(2 * math.pi * k / vertices):.7f}"
        for k in range(vertices)
    ]
    return f"MULTIPOLYGON((({', '.join([*points, points[0]])})))"


@pytest.fixture
def ward():
    generation = GenerationFactory(name="2025-07", active=True)
    return AreaFactory(
        code="00004",
        name="Phường Ba Đình",
        name_en="Ba Dinh",
        level=LevelFactory(code="ward", rank=2),
        generation_low=generation,
        geom=square(105.80, 21.00),
    )


def test_an_area_tile_carries_code_names_and_level(client, ward):
    response = client.get(tile_url("areas", *CENTRE, 14))
    [feature] = features(response, "areas")
    assert feature["properties"] == {
        "code": "00004",
        "name": "Phường Ba Đình",
        "name_en": "Ba Dinh",
        "level": "ward",
        "level_rank": 2,
    }
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_a_tile_with_no_area_is_an_empty_204(client, ward):
    response = client.get(tile_url("areas", 106.5, 21.5, 14))
    assert response.status_code == 204
    assert response.content == b""
    assert "ETag" in response


def test_an_area_without_simplified_copy_is_drawn_once_from_its_dissolved_pieces(client):
    generation = GenerationFactory(active=True)
    geom = GEOSGeometry(ring_wkt(*CENTRE, 0.02, 1200), srid=4326)
    area = AreaFactory(code="99999", generation_low=generation, geom=geom)
    assert AreaPiece.objects.filter(area=area).count() > 1
    assert not AreaSimplified.objects.exists()
    response = client.get(tile_url("areas", *CENTRE, 12))
    drawn = [f for f in features(response, "areas") if f["properties"]["code"] == "99999"]
    assert len(drawn) == 1, "pieces must be dissolved into one feature per area"


def test_build_area_tiles_writes_one_simplified_copy_per_zoom_band(client, ward):
    detailed = AreaFactory(
        code="88888",
        generation_low=ward.generation_low,
        geom=GEOSGeometry(ring_wkt(105.9, 21.1, 0.05, 2000), srid=4326),
    )
    call_command("build_area_tiles")
    assert AreaSimplified.objects.count() == 2 * len(ZOOM_BANDS)
    coarse = AreaSimplified.objects.get(area=detailed, zoom_band=0)
    fine = AreaSimplified.objects.get(area=detailed, zoom_band=len(ZOOM_BANDS) - 1)
    assert coarse.geom.num_points < fine.geom.num_points <= 2001
    assert coarse.geom.valid and fine.geom.valid
    [feature] = features(client.get(tile_url("areas", *CENTRE, 14)), "areas")
    assert feature["properties"]["code"] == "00004"


def test_the_generation_parameter_draws_that_generation_and_unknown_names_are_a_400(client):
    old = GenerationFactory(name="2019")
    new = GenerationFactory(name="2025-07", active=True)
    AreaFactory(code="OLD", generation_low=old, generation_high=old, geom=square(105.80, 21.00))
    AreaFactory(code="NEW", generation_low=new, generation_high=new, geom=square(105.80, 21.00))
    current = features(client.get(tile_url("areas", *CENTRE, 14)), "areas")
    chosen = features(client.get(tile_url("areas", *CENTRE, 14, "generation=2019")), "areas")
    assert [f["properties"]["code"] for f in current] == ["NEW"]
    assert [f["properties"]["code"] for f in chosen] == ["OLD"]
    response = client.get(tile_url("areas", *CENTRE, 14, "generation=1066"))
    assert response.status_code == 400
    assert response.json() == {
        "detail": PARAM_UNKNOWN_GENERATION.format(value="1066"),
        "parameter": "generation",
    }


def test_report_filters_are_refused_by_the_areas_layer(client, ward):
    response = client.get(tile_url("areas", *CENTRE, 14, "category=ngap-ung"))
    assert response.status_code == 400
    assert response.json()["parameter"] == "category"
    assert response.json()["detail"] == PARAM_NOT_SUPPORTED.format(layer="areas")


def test_activating_a_generation_builds_its_copies_and_redraws_cached_tiles(
    client, ward, django_capture_on_commit_callbacks
):
    url = tile_url("areas", *CENTRE, 14)
    assert [f["properties"]["code"] for f in features(client.get(url), "areas")] == ["00004"]
    staged = boundary_services.generation_create(name="2026-01")
    moved = AreaFactory(
        code="00005", generation_low=staged, generation_high=staged, geom=square(105.80, 21.00)
    )
    with django_capture_on_commit_callbacks(execute=True):
        boundary_services.generation_activate(generation=staged)
    assert AreaSimplified.objects.filter(area=moved).count() == len(ZOOM_BANDS)
    assert [f["properties"]["code"] for f in features(client.get(url), "areas")] == ["00005"]


def test_saving_an_area_rebuilds_its_copies_after_the_commit(
    ward, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ward.geom = square(105.80, 21.00, size=0.02)
        ward.save()
    copy = AreaSimplified.objects.get(area=ward, zoom_band=len(ZOOM_BANDS) - 1)
    # 0.02° wide in Web Mercator metres: 0.02 × 20037508.34 / 180.
    assert copy.geom.extent[2] - copy.geom.extent[0] == pytest.approx(2226.4, abs=0.5)


def test_the_areas_statement_uses_the_spatial_indexes_of_copies_and_pieces(ward):
    """Both sources are filtered with `&&` their GiST indexes can answer: the copies in 3857,
    the pieces against the tile envelope transformed to 4326."""
    layer = layer_get("areas")
    query = layer.parse(QueryDict(""), None)
    sql, params = layer.sql(tile_for_lonlat(*CENTRE, 14), query, timezone.now())
    plan = plan_without_seqscan(sql, params)
    # "Index Scan using <index>" or "Bitmap Index Scan on <index>", depending on statistics.
    assert "Seq Scan on tiles_areasimplified" not in plan
    assert "Seq Scan on boundaries_areapiece" not in plan
    assert "tiles_areasimplified_geom" in plan, plan
    assert "boundaries_areapiece_geom" in plan, plan


def test_build_area_tiles_refuses_an_unknown_generation():
    with pytest.raises(CommandError, match="no boundary generation named 'nope'"):
        call_command("build_area_tiles", generation="nope")


def test_a_bulk_import_builds_copies_of_the_areas_it_wrote(django_capture_on_commit_callbacks):
    """Imports write with bulk_create (no post_save) and announce it with areas_imported."""
    generation = GenerationFactory(active=True)
    written = AreaFactory(generation_low=generation, geom=square(105.80, 21.00))
    carried = AreaFactory(generation_low=generation, geom=square(105.81, 21.00))
    with django_capture_on_commit_callbacks(execute=True):
        areas_imported.send(
            sender=Area,
            generation=generation,
            level=written.level,
            area_ids=[written.id],
            extended_ids=[carried.id],
        )
    assert AreaSimplified.objects.filter(area=written).count() == len(ZOOM_BANDS)
    assert not AreaSimplified.objects.filter(area=carried).exists()
