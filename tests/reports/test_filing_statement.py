"""A filing outside any transaction (as a request files it) writes in one statement.

These run in real transactions (not the test's wrapping one, in which a filing takes a
savepoint instead), so they see the path production takes: no BEGIN and COMMIT, one
statement for the report, its event and its Idempotency-Key, which also reads the officials'
e-mails and the possible duplicates; nothing stored when it is refused.
"""

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import selectors, services
from reports.models import Category, EventKind, IdempotencyKey, Report, ReportEvent, Status
from tests.factories.reports import AgencyFactory, ReportFactory

from .conftest import EAST_POINT, WEST_POINT

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TRASH = "rac-thai-sai-quy-dinh"


def file(citizen, *, key: str | None = None, body: str = "body", point=WEST_POINT, category=None):
    fields = {
        "reporter": citizen,
        "category": category or Category.objects.get(code=TRASH),
        "description": "Rác thải đổ trộm ở đầu ngõ.",
        "location": Point(*point, srid=4326) if point is not None else None,
    }
    if key is None:
        return services.report_create(**fields), True
    return services.report_create_idempotent(key=key, request_hash=body, **fields)


def test_the_report_its_event_and_its_key_are_written_by_one_statement(
    city, citizen, west_official
):
    trash = Category.objects.get(code=TRASH)
    file(citizen, category=trash)  # warm the per-process caches (holidays)
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries:
        (report, created) = file(citizen, key="k-1", category=trash)
    assert created
    writes = [q["sql"] for q in queries if "INSERT INTO reports_" in q["sql"]]
    assert len(writes) == 1
    assert "INSERT INTO reports_reportevent" in writes[0]
    assert "INSERT INTO reports_idempotencykey" in writes[0]
    assert not [q for q in queries if "SAVEPOINT" in q["sql"]]
    # Where it goes (the areas, then the agency), the write, the tiles' data version.
    assert len(queries) == 4, [q["sql"][:60] for q in queries]

    stored = Report.objects.get(pk=report.pk)
    assert stored.tracking_code == report.tracking_code
    assert stored.agency_id == city.west_agency.pk and stored.area_id == city.west.pk
    assert stored.status == Status.RECEIVED and stored.due_at == report.due_at
    assert stored.location.coords == WEST_POINT
    [event] = ReportEvent.objects.filter(report=stored)
    assert (event.kind, event.actor_id, event.new_status) == (
        EventKind.CREATED,
        citizen.pk,
        Status.RECEIVED,
    )
    assert IdempotencyKey.objects.get(key="k-1").report_id == stored.pk
    # The notice to the ward's officials went out at once: the statement had committed.
    assert [m.to for m in mail.outbox] == [[west_official.email]]


def test_the_possible_duplicates_are_the_selectors_and_never_the_report_itself(city, citizen):
    nearby = ReportFactory(
        agency=city.west_agency,
        area=city.west,
        category=Category.objects.get(code=TRASH),
        location=Point(WEST_POINT[0] + 0.0005, WEST_POINT[1], srid=4326),
    )
    ReportFactory(  # in the other ward, too far to be the same problem
        agency=city.east_agency,
        area=city.east,
        category=Category.objects.get(code=TRASH),
        location=Point(*EAST_POINT, srid=4326),
    )
    report, _ = file(citizen)
    found = [d["tracking_code"] for d in report.duplicates_at_filing]
    assert found == [nearby.tracking_code]
    assert report.duplicates_at_filing == selectors.reports_possible_duplicates(
        point=report.location, category_id=report.category_id, exclude_id=report.pk
    )


def test_a_retry_stores_nothing_and_answers_the_first_report(city, citizen):
    first, created = file(citizen, key="k-2")
    again, created_again = file(citizen, key="k-2")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Report.objects.count() == 1
    assert ReportEvent.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_report_without_a_location_has_no_duplicates(city, citizen):
    AgencyFactory(code="tt-phuc-vu-hcc", kind="city")  # takes reports without a place
    report, _ = file(citizen, point=None, category=Category.objects.get(code="thu-tuc-ho-tich"))
    assert report.location is None and report.duplicates_at_filing == []
    assert Report.objects.get(pk=report.pk).agency_id == report.agency_id
