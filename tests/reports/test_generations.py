"""A new boundary generation: open reports follow it, closed ones keep their history."""

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point

from boundaries import services as boundary_services
from reports import services
from reports.models import Agency, ReportEvent, Status
from tests.factories.boundaries import AreaFactory
from tests.factories.reports import ReportFactory

from .conftest import EAST_POINT, WEST_POINT

pytestmark = pytest.mark.django_db


def band(west_lon: float, east_lon: float) -> GEOSGeometry:
    """A ward from `west_lon` to `east_lon` between 21.00 and 21.01 N."""
    return GEOSGeometry(
        f"MULTIPOLYGON((({west_lon} 21.00, {east_lon} 21.00, {east_lon} 21.01, "
        f"{west_lon} 21.01, {west_lon} 21.00)))",
        srid=4326,
    )


@pytest.fixture
def redrawn(city):
    """Generation 2026: the west ward grows east to 105.812, taking a strip of the east ward
    (the west ward keeps its code, the east ward gets a new code 00003)."""
    new = boundary_services.generation_create(name="2026-01")
    west = AreaFactory(
        code="00001",
        name="Phường Tây",
        level=city.level,
        generation_low=new,
        geom=band(105.80, 105.812),
    )
    east = AreaFactory(
        code="00003",
        name="Phường Đông Mới",
        level=city.level,
        generation_low=new,
        geom=band(105.812, 105.82),
    )
    return new, west, east


def _report(city, point, status):
    area, agency = (
        (city.east, city.east_agency) if point[0] > 105.81 else (city.west, city.west_agency)
    )
    extra = {"duplicate_of": ReportFactory()} if status == Status.DUPLICATE else {}
    return ReportFactory(
        location=Point(*point, srid=4326),
        area=area,
        agency=agency,
        generation=city.generation,
        status=status,
        **extra,
    )


def test_activation_reroutes_open_reports_with_an_event_and_leaves_closed_ones(city, redrawn):
    new, new_west, _ = redrawn
    strip = (105.811, 21.005)  # east ward before, west ward after
    moved_open = _report(city, strip, Status.IN_PROGRESS)
    stays_west = _report(city, WEST_POINT, Status.RECEIVED)
    closed = _report(city, strip, Status.CLOSED)
    rejected = _report(city, EAST_POINT, Status.REJECTED)
    boundary_services.generation_activate(generation=new)
    for report in (moved_open, stays_west, closed, rejected):
        report.refresh_from_db()
    assert (moved_open.area, moved_open.generation) == (new_west, new)
    # The west ward kept its code, so its People's Committee carried its jurisdiction over.
    assert moved_open.agency == city.west_agency
    assert (stays_west.area, stays_west.generation) == (new_west, new)
    # Redrawn under its old code and still with its agency: nothing new for its reporter.
    assert not stays_west.events.filter(kind="reroute").exists()
    event = moved_open.events.get(kind="reroute")
    assert (event.from_agency, event.to_agency) == (city.east_agency, city.west_agency)
    assert event.public is True
    assert event.old_status == event.new_status == Status.IN_PROGRESS
    assert (closed.area, closed.generation, closed.agency) == (
        city.east,
        city.generation,
        city.east_agency,
    )
    assert (rejected.area, rejected.generation) == (city.east, city.generation)
    assert not ReportEvent.objects.filter(report__in=[closed, rejected]).exists()


def test_a_ward_with_a_new_code_keeps_its_reports_old_agency_until_one_is_created(city, redrawn):
    new, _, new_east = redrawn
    report = _report(city, EAST_POINT, Status.RECEIVED)
    boundary_services.generation_activate(generation=new)
    report.refresh_from_db()
    assert report.area == new_east
    assert report.agency == city.east_agency


def test_agencies_created_for_a_staged_generation_receive_its_reports(city, redrawn):
    new, _, _ = redrawn
    services.agencies_create_for_level(level=city.level, generation=new)
    report = _report(city, EAST_POINT, Status.RECEIVED)
    boundary_services.generation_activate(generation=new)
    report.refresh_from_db()
    assert report.agency == Agency.objects.get(code="ubnd-ward-00003")
    assert report.agency.name == "UBND Phường Đông Mới"


def test_an_open_report_outside_every_new_area_stays_where_it_was(city):
    """Generation 2026 covers only the west ward's square: an east report keeps its area."""
    new = boundary_services.generation_create(name="2026-west-only")
    AreaFactory(code="00001", level=city.level, generation_low=new, geom=band(105.80, 105.81))
    east = _report(city, EAST_POINT, Status.RECEIVED)
    west = _report(city, WEST_POINT, Status.RECEIVED)
    boundary_services.generation_activate(generation=new)
    east.refresh_from_db()
    west.refresh_from_db()
    assert (east.area, east.generation, east.agency) == (
        city.east,
        city.generation,
        city.east_agency,
    )
    assert not east.events.filter(kind="reroute").exists()
    assert west.generation == new


def test_routing_open_reports_again_into_their_own_generation_writes_nothing(city):
    from reports import routing
    from reports.models import Report

    report = _report(city, EAST_POINT, Status.RECEIVED)
    before = Report.objects.values_list("area", "agency", "generation", "updated_at").get(
        pk=report.pk
    )
    assert routing.reroute_open_reports(generation=city.generation) == 0
    after = Report.objects.values_list("area", "agency", "generation", "updated_at").get(
        pk=report.pk
    )
    assert after == before
    assert not report.events.filter(kind="reroute").exists()


def test_the_count_of_rerouted_reports_is_those_that_changed_hands(city, redrawn):
    from reports import routing

    new, _, _ = redrawn
    _report(city, (105.811, 21.005), Status.RECEIVED)  # east ward before, west ward after
    _report(city, WEST_POINT, Status.RECEIVED)  # its ward redrawn under the same code
    _report(city, EAST_POINT, Status.IN_PROGRESS)  # east ward 00002 before, 00003 after
    assert routing.reroute_open_reports(generation=new) == 2
    assert ReportEvent.objects.filter(kind="reroute").count() == 2
