"""Routing: a report reaches the agency of the ward it is in, or nothing is stored."""

import pytest
from django.contrib.gis.geos import Point

from reports import exceptions, services
from reports.models import Agency, AgencyKind, Category, Report, ReportEvent, RoutingRule
from reports.routing import agency_for, route_point
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square
from tests.factories.reports import AgencyFactory, UserFactory

from .conftest import EAST_POINT, FAR_POINT, WEST_POINT, client_for, load_hanoi_wards

pytestmark = pytest.mark.django_db


def waste() -> Category:
    return Category.objects.get(code="rac-thai-sai-quy-dinh")


def test_a_report_inside_a_ward_goes_to_that_wards_peoples_committee(city, citizen):
    report = services.report_create(
        reporter=citizen,
        category=waste(),
        description="Rác đổ ở đầu ngõ",
        location=Point(*EAST_POINT, srid=4326),
    )
    assert report.area == city.east
    assert report.agency == city.east_agency
    assert report.generation == city.generation
    assert report.events.get().kind == "created"


def test_a_report_outside_every_area_is_refused_and_nothing_is_stored(city, citizen):
    with pytest.raises(exceptions.NotRouted, match="outside every area"):
        services.report_create(
            reporter=citizen,
            category=waste(),
            description="Ở ngoài thành phố",
            location=Point(*FAR_POINT, srid=4326),
        )
    assert Report.objects.count() == 0
    assert ReportEvent.objects.count() == 0


def test_an_area_rule_beats_a_category_rule_which_beats_the_ward(city):
    lighting = Category.objects.get(code="den-chieu-sang")
    company = AgencyFactory(code="hapulico", kind=AgencyKind.DEPARTMENT)
    special = AgencyFactory(code="ban-quan-ly-ho", kind=AgencyKind.DEPARTMENT)
    assert agency_for(category=lighting, areas=[city.west]) == city.west_agency
    RoutingRule.objects.create(category=lighting, area=None, agency=company)
    assert agency_for(category=lighting, areas=[city.west]) == company
    RoutingRule.objects.create(category=lighting, area=city.west, agency=special)
    assert agency_for(category=lighting, areas=[city.west]) == special
    assert agency_for(category=lighting, areas=[city.east]) == company


def test_a_category_with_a_handling_level_goes_to_that_levels_agency(city):
    district_level = LevelFactory(code="district", name="Quận", rank=1)
    district = city.west.__class__.objects.create(
        code="001",
        name="Quận Thử",
        level=district_level,
        generation_low=city.generation,
        generation_high=city.generation,
        geom=city.west.geom,
        area_m2=city.west.area_m2,
    )
    district_agency = AgencyFactory(code="ubnd-quan-thu", kind=AgencyKind.DISTRICT)
    district_agency.areas.add(district)
    construction = Category.objects.get(code="xay-dung-trai-phep")
    construction.handling_level = district_level
    construction.save()
    assert agency_for(category=construction, areas=[city.west, district]) == district_agency
    assert agency_for(category=waste(), areas=[city.west, district]) == city.west_agency


def test_an_administrative_report_without_location_goes_to_the_city_agency(city, citizen):
    centre = AgencyFactory(code="tt-phuc-vu-hcc", kind=AgencyKind.CITY)
    procedure = Category.objects.get(code="thu-tuc-ho-tich")
    report = services.report_create(
        reporter=citizen, category=procedure, description="Hỏi về thủ tục khai sinh"
    )
    assert report.agency == centre
    assert report.area is None


def test_an_area_without_an_agency_is_refused_with_a_clear_message(city, citizen):
    Agency.objects.filter(pk=city.west_agency.pk).update(active=False)
    with pytest.raises(exceptions.NotRouted, match="No agency handles"):
        services.report_create(
            reporter=citizen,
            category=waste(),
            description="Rác",
            location=Point(*WEST_POINT, srid=4326),
        )
    assert Report.objects.count() == 0


@pytest.mark.hanoi
def test_real_hanoi_wards_route_reports_to_their_peoples_committee(api_client):
    """Ho Chi Minh's Mausoleum lies in Phường Ba Đình, Hoàn Kiếm Lake in Phường Hoàn Kiếm;
    a point in Ho Chi Minh City is outside Hanoi: 422, and nothing is stored."""
    generation = GenerationFactory(name="hanoi-2025", active=True)
    level = LevelFactory(code="ward", rank=2)
    wards = load_hanoi_wards(generation, level)
    assert len(wards) == 126
    created, _ = services.agencies_create_for_level(level=level, generation=generation)
    assert created == 126
    client = client_for(api_client, UserFactory())

    def file(lon: float, lat: float):
        body = {
            "category": "rac-thai-sai-quy-dinh",
            "description": "Rác thải đổ trộm",
            "location": {"type": "Point", "coordinates": [lon, lat]},
        }
        return client.post("/api/v1/reports", body, format="json")

    for (lon, lat), code, name in [
        ((105.8345, 21.0368), "00004", "UBND Phường Ba Đình"),
        ((105.8523, 21.0287), "00070", "UBND Phường Hoàn Kiếm"),
    ]:
        response = file(lon, lat)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["area"] == {"code": code, "name": wards[code].name}
        assert body["agency"]["name"] == name
        report = Report.objects.get(tracking_code=body["tracking_code"])
        assert report.agency.areas.filter(pk=wards[code].pk).exists()
    outside = file(*FAR_POINT)
    assert outside.status_code == 422
    assert "outside every area" in outside.json()["detail"]
    assert Report.objects.count() == 2
    assert ReportEvent.objects.count() == 2


def test_a_filing_routes_by_the_precedence_agency_for_decides(city):
    """route_point reads the areas and the choices in one statement (reports.routing);
    at each step of the precedence it names the agency agency_for names."""
    lighting = Category.objects.get(code="den-chieu-sang")
    company = AgencyFactory(code="hapulico", kind=AgencyKind.DEPARTMENT)
    special = AgencyFactory(code="ban-quan-ly-ho", kind=AgencyKind.DEPARTMENT)

    def routed(point, category=lighting) -> Agency:
        return route_point(category=category, lon=point[0], lat=point[1]).agency

    assert (
        routed(WEST_POINT) == city.west_agency == agency_for(category=lighting, areas=[city.west])
    )
    RoutingRule.objects.create(category=lighting, area=None, agency=company)
    assert routed(WEST_POINT) == company
    RoutingRule.objects.create(category=lighting, area=city.west, agency=special)
    assert routed(WEST_POINT) == special == agency_for(category=lighting, areas=[city.west])
    assert routed(EAST_POINT) == company == agency_for(category=lighting, areas=[city.east])
    assert routed(EAST_POINT, waste()) == city.east_agency  # another category's rules: none
    special.active = False
    special.save()
    assert routed(WEST_POINT) == company  # an inactive agency is never a choice


def test_a_filing_goes_to_the_handling_levels_agency_and_names_its_lowest_area(city):
    district_level = LevelFactory(code="district", name="Quận", rank=1)
    district = AreaFactory(
        code="001",
        name="Quận Thử",
        level=district_level,
        generation_low=city.generation,
        geom=square(105.80, 21.00, size=0.02),
    )
    district_agency = AgencyFactory(code="ubnd-quan-thu", kind=AgencyKind.DISTRICT)
    district_agency.areas.add(district)
    construction = Category.objects.get(code="xay-dung-trai-phep")
    construction.handling_level = district_level
    construction.save()
    route = route_point(category=construction, lon=WEST_POINT[0], lat=WEST_POINT[1])
    assert (route.agency, route.area, route.generation) == (
        district_agency,
        city.west,
        city.generation,
    )
    route = route_point(category=waste(), lon=EAST_POINT[0], lat=EAST_POINT[1])
    assert (route.agency, route.area) == (city.east_agency, city.east)


def test_a_point_just_outside_the_city_is_routed_to_the_nearest_ward(city):
    # 50 m west of the west ward, inside the 100 m edge tolerance.
    route = route_point(category=waste(), lon=105.80 - 0.0005, lat=21.005)
    assert (route.agency, route.area) == (city.west_agency, city.west)


def test_a_filing_where_nobody_handles_the_category_is_refused(city):
    city.west_agency.areas.clear()
    with pytest.raises(exceptions.NotRouted, match="Phường Tây"):
        route_point(category=waste(), lon=WEST_POINT[0], lat=WEST_POINT[1])


def test_a_filing_before_any_boundaries_are_active_is_refused(city):
    city.generation.active = False
    city.generation.save()
    with pytest.raises(exceptions.NotRouted) as refused:
        route_point(category=waste(), lon=WEST_POINT[0], lat=WEST_POINT[1])
    assert str(refused.value) == exceptions.NO_BOUNDARIES
