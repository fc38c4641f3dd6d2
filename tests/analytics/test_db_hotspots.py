"""The DB path: planted hot spots stored in PostGIS over the real Hanoi wards, analysed through
the selectors (ST_HexagonGrid, ST_ClusterDBSCAN) and the API."""

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

from analytics import analyses, gistar, hexgrid
from analytics.selectors import ReportFilter
from boundaries import services as boundary_services
from boundaries.models import Area, Generation, Level
from geo.crs import WGS84
from reports.models import Report
from tests.analytics.conftest import CELL_M, plant_hotspots
from tests.analytics.db import metric_to_lonlat, reports_bulk_create, user_with_roles

pytestmark = [pytest.mark.hanoi, pytest.mark.django_db]


@pytest.fixture(scope="module")
def hanoi_db(django_db_setup, django_db_blocker, hanoi_wards, hanoi_outline):
    """The 126 real wards as the active generation (population: 1,000 per km²) and the
    planted reports, committed once for this module and removed after it."""
    planted = plant_hotspots(hanoi_wards, hanoi_outline, size=CELL_M)
    with django_db_blocker.unblock():
        generation = Generation.objects.create(name="analytics-test-2025", active=True)
        level, _ = Level.objects.get_or_create(code="ward", defaults={"name": "Phường", "rank": 2})
        wgs = hanoi_wards.to_crs(WGS84)
        areas = []
        for n, geom in enumerate(wgs.geometry.values):
            multi = GEOSGeometry(geom.wkt, srid=WGS84)
            if multi.geom_type == "Polygon":
                multi = MultiPolygon(multi, srid=WGS84)
            areas.append(
                Area(
                    code=f"t{n:03d}",
                    name=f"Phường {n}",
                    level=level,
                    generation_low=generation,
                    generation_high=generation,
                    geom=multi,
                    area_m2=hanoi_wards.geometry.values[n].area,
                    population=int(hanoi_wards.geometry.values[n].area / 1000),
                )
            )
        Area.objects.bulk_create(areas)
        area_ids = list(Area.objects.filter(generation_low=generation).values_list("id", flat=True))
        boundary_services.area_pieces_rebuild(area_ids=area_ids)
        reporter = user_with_roles("citizen")
        lon, lat = metric_to_lonlat(planted.x, planted.y)
        reports_bulk_create(reporter=reporter, lon=lon, lat=lat)
        yield planted
        Report.objects.filter(reporter=reporter).delete()
        reporter.delete()
        Area.objects.filter(id__in=area_ids).delete()
        generation.delete()


def test_hex_counts_from_st_hexagongrid_equal_the_pure_grid_cell_for_cell(hanoi_db):
    """Same layout in SQL and numpy: every study cell has the same count both ways."""
    result = analyses.hexbins(ReportFilter(), cell_m=CELL_M)
    pure = hexgrid.cell_counts(hanoi_db.cells, hanoi_db.x, hanoi_db.y, CELL_M)
    merged = result.frame.merge(pure[["i", "j", "count"]], on=["i", "j"], suffixes=("", "_pure"))
    assert len(merged) == len(pure) == len(result.frame)
    assert (merged["count"] == merged["count_pure"]).all()
    assert result.frame["count"].sum() == len(hanoi_db.x)
    # Population is area-weighted at 1,000 per km² everywhere, so per 1,000 residents equals
    # per km² (to rounding of each ward's integer population).
    rates = result.frame[result.frame["count"] > 0]
    np.testing.assert_allclose(rates["per_1000_residents"], rates["per_km2"], rtol=1e-3)


def test_gistar_through_the_database_finds_the_planted_hotspots(hanoi_db):
    result = analyses.gistar_hotspots(ReportFilter(), cell_m=CELL_M, permutations=0)
    frame = result.frame
    pairs = list(zip(frame["i"], frame["j"], strict=True))
    is_hot = np.array([pair in hanoi_db.hot_cells for pair in pairs])
    assert (frame["gi_bin"][is_hot] >= 2).mean() >= 0.95
    assert (frame["gi_bin"][~is_hot] != 0).mean() <= 0.05
    assert result.meta["study_cells"] == len(hanoi_db.cells)
    assert result.meta["neighbours_median"] == 6


def test_public_hexbins_and_heatmap_answer_geojson_with_parameters_echoed(hanoi_db, api_client):
    response = api_client.get("/api/v1/analytics/hexbins", {"cell_m": "1000"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["parameters"]["cell_m"] == 1000.0
    assert body["parameters"]["weight"] == "none"
    assert sum(f["properties"]["count"] for f in body["features"]) == len(hanoi_db.x)
    lon, lat = body["features"][0]["geometry"]["coordinates"][0][0]
    assert 105 < lon < 106.5 and 20.5 < lat < 21.5
    heat = api_client.get("/api/v1/analytics/heatmap", {"bandwidth_m": "1000"})
    assert heat.status_code == 200
    heat_body = heat.json()
    assert heat_body["parameters"]["bandwidth_m"] == 1000.0
    assert heat_body["meta"]["reports"] == len(hanoi_db.x)
    assert len(heat.content) < 1_000_000
    assert (
        "reporter" not in heat.content.decode() and "description" not in response.content.decode()
    )


def test_hotspots_need_the_analytics_permission_and_planners_get_them(hanoi_db, api_client):
    url = "/api/v1/analytics/hotspots"
    assert api_client.get(url).status_code in (401, 403)
    api_client.force_authenticate(user_with_roles("citizen"))
    assert api_client.get(url).status_code == 403
    planner = user_with_roles("planner")
    assert Group.objects.get(name="planner") in planner.groups.all()
    api_client.force_authenticate(planner)
    response = api_client.get(url, {"method": "gistar", "cell_m": "1000", "permutations": "0"})
    assert response.status_code == 200
    body = response.json()
    hot = {
        (f["properties"]["i"], f["properties"]["j"])
        for f in body["features"]
        if f["properties"]["gi_bin"] >= 2
    }
    assert len(hot & hanoi_db.hot_cells) >= 0.95 * len(hanoi_db.hot_cells)
    assert body["meta"]["cells_returned"] == len(body["features"])


def test_gistar_band_matches_hex_neighbours_by_default():
    assert gistar.hex_neighbour_band(1000.0) == pytest.approx(1732.05 * 1.001, rel=1e-4)
