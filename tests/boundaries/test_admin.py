"""Admin: areas on an offline map, generations activated by an action, levels listed."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from boundaries.admin import ACTIVATE_PICK_ONE
from boundaries.models import Generation
from boundaries.selectors import area_lookup
from boundaries.widgets import OfflineMapWidget
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square

pytestmark = pytest.mark.django_db


def test_the_map_widget_loads_nothing_from_another_host():
    media = str(OfflineMapWidget().media)
    assert "boundaries/vendor/ol-7.2.2/ol.js" in media
    assert "boundaries/vendor/ol-7.2.2/ol.css" in media
    assert "//" not in media.replace("://", "")  # no protocol-relative URLs either
    assert "http" not in media


def test_the_vendored_openlayers_and_its_licence_are_static_files():
    for name in ("ol.js", "ol.css", "LICENSE.md"):
        assert finders.find(f"boundaries/vendor/ol-7.2.2/{name}"), name


def test_the_area_change_page_shows_the_offline_map(admin_client):
    area = AreaFactory(code="00001", geom=square(105.80, 21.00))
    response = admin_client.get(reverse("admin:boundaries_area_change", args=[area.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "boundaries/vendor/ol-7.2.2/ol.js" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert not [s for s in sources if s.startswith(("http", "//"))]
    # No tile server either: the base layer is an empty vector layer.
    assert "ol.source.OSM" not in page


def test_the_area_list_loads(admin_client):
    AreaFactory(code="00001")
    response = admin_client.get(reverse("admin:boundaries_area_changelist"))
    assert response.status_code == 200
    assert "00001" in response.content.decode()


def test_saving_an_edited_polygon_remeasures_it_and_rebuilds_its_pieces(admin_client):
    area = AreaFactory(code="00001", geom=square(105.80, 21.00))
    old_area_m2 = area.area_m2
    response = admin_client.post(
        reverse("admin:boundaries_area_change", args=[area.pk]),
        {
            "code": area.code,
            "name": area.name,
            "name_en": area.name_en,
            "level": area.level_id,
            "generation_low": area.generation_low_id,
            "generation_high": area.generation_high_id,
            "geom": square(105.80, 21.00, size=0.02).ewkt,
            "population": "",
            "parent": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    area.refresh_from_db()
    assert area.area_m2 == pytest.approx(old_area_m2 * 4, rel=0.01)
    assert area_lookup(lon=105.815, lat=21.015).lowest == area


def test_the_activate_action_makes_one_generation_current(admin_client):
    GenerationFactory(name="2019", active=True)
    staged = GenerationFactory(name="2025")
    url = reverse("admin:boundaries_generation_changelist")
    admin_client.post(url, {"action": "activate", "_selected_action": [staged.pk]})
    assert Generation.objects.current() == staged


def test_the_activate_action_refuses_two_generations_at_once(admin_client):
    current = GenerationFactory(name="2019", active=True)
    a, b = GenerationFactory(name="a"), GenerationFactory(name="b")
    url = reverse("admin:boundaries_generation_changelist")
    response = admin_client.post(
        url, {"action": "activate", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert ACTIVATE_PICK_ONE in response.content.decode()
    assert Generation.objects.current() == current


def test_the_level_list_loads(admin_client):
    LevelFactory(code="hamlet", name="Thôn/Xóm", rank=9)
    response = admin_client.get(reverse("admin:boundaries_level_changelist"))
    assert response.status_code == 200
    assert "Thôn/Xóm" in response.content.decode()


def test_the_map_widget_reads_posted_geojson_without_its_crs_member():
    """The map posts GeoJSON in Web Mercator; a "crs" member is ignored, not resolved."""
    posted = (
        '{"type": "Polygon", "crs": {"type": "name", "properties": {"name": "/etc/passwd"}},'
        ' "coordinates": [[[0, 0], [1000, 0], [1000, 1000], [0, 1000], [0, 0]]]}'
    )
    geom = OfflineMapWidget().deserialize(posted)
    assert geom.srid == 3857
    assert geom.geom_type == "Polygon"
    assert geom.area == pytest.approx(1e6)


@pytest.mark.parametrize(
    "posted",
    [
        '{"type": "Point", "coordinates": [0, 0]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [NaN, 1], [0, 0]]]}',
        '{"type": "Polygon"}',
        '{"type": "Polygon", "coordinates": "x"}',
        "{not json",
    ],
)
def test_the_map_widget_refuses_geojson_that_is_not_a_finite_polygon(posted):
    assert OfflineMapWidget().deserialize(posted) is None
