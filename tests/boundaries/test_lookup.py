"""Point lookup: which areas contain a point, at edges, just outside, and across generations."""

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon

from boundaries.selectors import area_lookup
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square

pytestmark = pytest.mark.django_db

# Two wards side by side sharing the meridian 105.81, and a district around both.
WEST_SW = (105.80, 21.00)
EAST_SW = (105.81, 21.00)


@pytest.fixture
def city():
    generation = GenerationFactory(name="2025", active=True)
    ward = LevelFactory(code="ward", rank=2)
    district = LevelFactory(code="district", name="Quận", name_en="District", rank=1)
    west = AreaFactory(code="00001", level=ward, generation_low=generation, geom=square(*WEST_SW))
    east = AreaFactory(code="00002", level=ward, generation_low=generation, geom=square(*EAST_SW))
    whole = GEOSGeometry(
        "MULTIPOLYGON(((105.80 21.00, 105.82 21.00, 105.82 21.01, 105.80 21.01, 105.80 21.00)))",
        srid=4326,
    )
    dist = AreaFactory(code="001", level=district, generation_low=generation, geom=whole)
    return {"generation": generation, "west": west, "east": east, "district": dist}


def test_a_point_inside_a_ward_returns_the_ward_first_then_its_district(city):
    result = area_lookup(lon=105.805, lat=21.005)
    assert [a.code for a in result.areas] == ["00001", "001"]
    assert result.on_boundary is False
    assert result.snapped is False
    assert result.distance_m == 0


def test_a_point_on_a_shared_edge_goes_to_the_smaller_code_and_says_so(city):
    for _ in range(3):
        result = area_lookup(lon=105.81, lat=21.005)
        assert result.lowest.code == "00001"
        assert result.on_boundary is True


def test_a_point_on_the_outer_edge_is_covered_and_on_the_boundary(city):
    result = area_lookup(lon=105.80, lat=21.005)
    assert result.lowest.code == "00001"
    assert result.on_boundary is True


@pytest.mark.parametrize(
    ("lon", "expected_snapped", "approx_m"),
    [
        # 0.0005 degrees of longitude at 21 N is about 52 m: inside the 100 m tolerance.
        (105.7995, True, 52),
        # 0.002 degrees is about 208 m: outside it.
        (105.798, False, None),
    ],
)
def test_points_just_outside_snap_only_within_the_tolerance(city, lon, expected_snapped, approx_m):
    result = area_lookup(lon=lon, lat=21.005)
    assert result.snapped is expected_snapped
    assert result.covered is expected_snapped
    if expected_snapped:
        assert result.lowest.code == "00001"
        assert result.distance_m == pytest.approx(approx_m, rel=0.02)


def test_a_point_far_outside_is_not_covered(city):
    result = area_lookup(lon=106.5, lat=21.5)
    assert not result.covered
    assert result.lowest is None


def test_lookup_answers_for_a_named_older_generation(city):
    old = city["generation"]
    new = GenerationFactory(name="2026")
    AreaFactory(code="99999", level=city["west"].level, generation_low=new, geom=square(*WEST_SW))
    assert area_lookup(lon=105.805, lat=21.005, generation=new).lowest.code == "99999"
    assert area_lookup(lon=105.805, lat=21.005, generation=old).lowest.code == "00001"
    # The current generation is still the old one until the new one is activated.
    assert area_lookup(lon=105.805, lat=21.005).lowest.code == "00001"


def test_a_many_vertex_polygon_is_cut_into_pieces_of_bounded_size(city):
    """A 2,000-vertex circle becomes several pieces, and lookup still finds its interior."""
    circle = GEOSGeometry("POINT(105.9 21.1)", srid=4326).buffer(0.02, quadsegs=500)
    area = AreaFactory(
        code="77777", generation_low=city["generation"], geom=MultiPolygon(circle, srid=4326)
    )
    pieces = list(area.pieces.all())
    assert len(pieces) > 4
    assert max(p.geom.num_coords for p in pieces) <= 256 + 5
    assert area_lookup(lon=105.9, lat=21.1).lowest.code == "77777"


def test_without_an_active_generation_nothing_is_covered():
    assert not area_lookup(lon=105.805, lat=21.005).covered


def test_a_covered_point_is_answered_in_one_query_with_levels_and_lazy_geometry(city):
    """Routing sits on the hot path of every new report: the areas come with the covering test."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = area_lookup(lon=105.805, lat=21.005, generation=city["generation"])
        codes = [(a.code, a.level.code, a.name, a.generation_low_id) for a in result.areas]
    assert len(queries.captured_queries) == 1
    assert codes == [
        ("00001", "ward", city["west"].name, city["generation"].id),
        ("001", "district", city["district"].name, city["generation"].id),
    ]
    # The geometry is deferred, not missing: touching it loads it.
    assert result.lowest.geom.equals_exact(city["west"].geom, tolerance=1e-9)
