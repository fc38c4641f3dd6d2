"""A filing outside any transaction (as a request files it) writes in one statement.

These run in real transactions (not the test's wrapping one, in which a filing takes a
savepoint instead), so they see the path production takes: no BEGIN and COMMIT, one
statement for the report, its event and its Idempotency-Key, which also reads the officials'
e-mails and the possible duplicates; nothing stored when it is refused.
"""

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from reports import exceptions, selectors, services
from reports.models import (
    Category,
    EventKind,
    IdempotencyKey,
    Notice,
    Report,
    ReportEvent,
    Status,
)
from reports.notifications import notices_send_all_due
from tests.factories.reports import AgencyFactory, ReportFactory
from tiles import services as tile_services
from tiles.selectors import tile_version_tokens, tile_versions

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
    Notice.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        (report, created) = file(citizen, key="k-1", category=trash)
    assert created
    writes = [q["sql"] for q in queries if "INSERT INTO reports_" in q["sql"]]
    assert len(writes) == 1
    assert "INSERT INTO reports_reportevent" in writes[0]
    assert "INSERT INTO reports_idempotencykey" in writes[0]
    assert "INSERT INTO reports_notice" in writes[0]
    assert not [q for q in queries if "SAVEPOINT" in q["sql"]]
    # Where it goes (the areas and the choices of agency, reports.routing), then the write,
    # which also gave report tiles their new data version (reports.filing.also_write).
    assert len(queries) == 2, [q["sql"][:60] for q in queries]
    assert "INSERT INTO tiles_tileversion" in writes[0]

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
    # The notice to the ward's officials is in the outbox, written by the same statement;
    # the sender delivers it.
    [notice] = Notice.objects.all()
    assert (notice.recipient, notice.what, notice.tracking_code) == (
        west_official.email,
        "new report",
        report.tracking_code,
    )
    assert mail.outbox == []
    assert notices_send_all_due().sent == 1
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


def reports_token() -> str | None:
    return tile_version_tokens().get("reports")


def test_the_filing_statement_gives_report_tiles_their_new_version(city, citizen):
    file(citizen)
    before = reports_token()
    assert tile_versions.get()["reports"] == before  # this process's memo holds it now
    with CaptureQueriesContext(connection) as queries:
        file(citizen)
    after = reports_token()
    assert after is not None and after != before
    assert [q for q in queries if "tiles_tileversion" in q["sql"]] == [
        q for q in queries if "INSERT INTO reports_report" in q["sql"]
    ]
    # The filer's process forgets its memo of the versions, so its next tile sees the new one.
    assert tile_versions.get()["reports"] == after


def test_a_filing_inside_a_transaction_bumps_after_the_commit_and_never_in_its_statement(
    city, citizen
):
    file(citizen)
    before = reports_token()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        file(citizen)
        assert reports_token() == before, "no new version before the commit"
    filing = [q["sql"] for q in queries if "INSERT INTO reports_report" in q["sql"]]
    assert len(filing) == 1 and "tiles_tileversion" not in filing[0]
    assert reports_token() not in (None, before)


def test_a_refused_filing_leaves_the_tiles_version_alone(city, citizen):
    file(citizen, key="k-3")
    before = reports_token()
    with pytest.raises(exceptions.IdempotencyConflict):
        file(citizen, key="k-3", body="another body")  # the key, reused: refused
    assert reports_token() == before


def test_the_bump_statement_names_only_known_data_sources():
    with pytest.raises(ValueError, match="Unknown tile data source"):
        tile_services.tile_version_bump_sql("reports'; DROP TABLE x; --")
