"""The generated demo city: a true tessellation around central Hanoi, loaded idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from boundaries import demo
from boundaries.models import Area, Generation
from boundaries.selectors import area_lookup
from tests.factories.boundaries import GenerationFactory

pytestmark = pytest.mark.django_db

HOAN_KIEM_LAKE = (105.8522, 21.0287)


def test_the_demo_city_answers_a_lookup_at_hoan_kiem_lake_on_three_levels():
    summary = demo.load_demo_city()
    assert "24 wards in 4 districts" in summary
    assert Generation.objects.current().name == demo.DEMO_GENERATION
    found = area_lookup(lon=HOAN_KIEM_LAKE[0], lat=HOAN_KIEM_LAKE[1])
    assert [a.level.code for a in found.areas] == ["ward", "district", "city"]
    ward, district, city = found.areas
    assert ward.parent == district
    assert district.parent == city
    assert found.snapped is False


def test_the_demo_wards_tile_their_districts_without_gaps_or_overlaps():
    demo.load_demo_city()
    wards = Area.objects.filter(level__code="ward")
    districts = Area.objects.filter(level__code="district")
    city = Area.objects.get(level__code="city")
    assert wards.count() == 24
    # Sizes are measured by projecting vertices to UTM, where an edge straight in degrees is
    # drawn straight between fewer vertices: the parts' sum may differ by ~1e-5 of the whole.
    assert sum(w.area_m2 for w in wards) == pytest.approx(city.area_m2, rel=1e-5)
    assert sum(d.area_m2 for d in districts) == pytest.approx(city.area_m2, rel=1e-5)
    with connection.cursor() as cursor:
        # Overlap between any two wards, in m² measured in UTM 48N.
        cursor.execute(
            """
            SELECT coalesce(max(ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 32648))), 0)
            FROM boundaries_area a JOIN boundaries_area b
              ON a.id < b.id AND a.level_id = b.level_id AND a.geom && b.geom
            """
        )
        assert cursor.fetchone()[0] < 1.0
    for ward in wards:
        assert ward.parent.level.code == "district"
        assert ward.name.startswith("Phường ")
        assert ward.name != ward.name_en  # names carry diacritics, the English ones do not
        assert ward.population > 0


def test_loading_the_demo_twice_writes_nothing_the_second_time():
    demo.load_demo_city()
    ids = sorted(Area.objects.values_list("id", flat=True))
    summary = demo.load_demo_city()
    assert "0 areas written, 29 unchanged" in summary
    assert sorted(Area.objects.values_list("id", flat=True)) == ids


def test_the_demo_never_displaces_a_real_current_generation():
    GenerationFactory(name="2025-07", active=True)
    demo.load_demo_city()
    assert Generation.objects.current().name == "2025-07"
    assert Generation.objects.get(name=demo.DEMO_GENERATION).active is False


def test_load_demo_runs_the_boundaries_step():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "boundaries.demo.load_demo_city: demo city" in out.getvalue()
