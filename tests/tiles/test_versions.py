"""Data versions: bumped after commit, once per transaction, never by a rolled-back write."""

import datetime as dt
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from reports.models import Category, Report, Status
from reports.services import reports_close_stale_resolved
from tests.factories.reports import ReportFactory, UserFactory
from tiles import services
from tiles.models import TileVersion
from tiles.selectors import tile_version_tokens

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


@pytest.fixture
def quiet_report():
    """A report stored without signals, so no bump is pending when the test starts."""
    built = ReportFactory.build(reporter=UserFactory(), category=Category.objects.first())
    [stored] = Report.objects.bulk_create([built])
    return stored


def bumps(callbacks) -> int:
    return sum(callback is services._ON_COMMIT_BUMPS[services.REPORTS] for callback in callbacks)


def test_a_bump_gives_a_new_token():
    services.tile_version_bump(name="reports")
    first = TileVersion.objects.get(name="reports").token
    services.tile_version_bump(name="reports")
    assert TileVersion.objects.get(name="reports").token != first


def test_many_report_writes_in_one_transaction_bump_once_after_commit(
    quiet_report, django_capture_on_commit_callbacks
):
    before = list(TileVersion.objects.filter(name="reports").values_list("token", flat=True))
    with django_capture_on_commit_callbacks() as callbacks:
        for status in (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED):
            quiet_report.status = status
            quiet_report.save()
    assert bumps(callbacks) == 1
    after = list(TileVersion.objects.filter(name="reports").values_list("token", flat=True))
    assert after == before, "nothing changes before the commit"


def test_a_write_rolled_back_in_a_savepoint_does_not_swallow_a_later_bump(
    quiet_report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                quiet_report.save()
                raise Rollback
        except Rollback:
            pass
        quiet_report.save()
    assert bumps(callbacks) == 1


def test_category_changes_bump_the_reports_version(django_capture_on_commit_callbacks):
    services.tile_version_bump(name="reports")
    before = TileVersion.objects.get(name="reports").token
    with django_capture_on_commit_callbacks(execute=True):
        category = Category.objects.get(code="ngap-ung")
        category.name_en = "Flooding"
        category.save()
    assert TileVersion.objects.get(name="reports").token != before


def test_closing_stale_resolutions_in_bulk_bumps_the_reports_version(
    quiet_report, django_capture_on_commit_callbacks
):
    """The auto-close is one UPDATE with no model signals; its status change must still
    reach the tiles within their advertised max-age."""
    Report.objects.filter(pk=quiet_report.pk).update(
        status=Status.RESOLVED, resolved_at=timezone.now() - dt.timedelta(days=8)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        closed = reports_close_stale_resolved()
    assert closed == [quiet_report.pk]
    assert bumps(callbacks) == 1


def _version_reads(captured) -> int:
    return sum("tiles_tileversion" in q["sql"] and "SELECT" in q["sql"] for q in captured)


def _reports_version() -> str:
    from tiles.layers import layer_get
    from tiles.params import LayerQuery
    from tiles.selectors import tile_data_version

    return tile_data_version(layer=layer_get("reports"), query=LayerQuery())


def test_a_process_reads_the_versions_once_per_ttl(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TILES_VERSION_TTL = 60
    services.tile_version_bump(name="reports")
    with CaptureQueriesContext(connection) as captured:
        first = _reports_version()
        assert _reports_version() == first
    assert _version_reads(captured) == 1


def test_a_bump_in_this_process_is_seen_at_once(settings):
    settings.TILES_VERSION_TTL = 60
    before = _reports_version()
    services.tile_version_bump(name="reports")
    after = _reports_version()
    assert after != before
    assert str(TileVersion.objects.get(name="reports").token) in after


def test_another_process_bump_is_seen_once_the_ttl_has_passed(settings, monkeypatch):
    """Another worker's bump changes the row but not this process's memo: the old key is
    used until the memo is TILES_VERSION_TTL old, never longer."""
    from tiles import selectors

    settings.TILES_VERSION_TTL = 1.0
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    services.tile_version_bump(name="reports")
    before = _reports_version()
    TileVersion.objects.filter(name="reports").update(token=uuid.uuid4())  # elsewhere
    clock[0] += 0.5
    assert _reports_version() == before
    clock[0] += 0.6
    after = _reports_version()
    assert after != before
    assert str(TileVersion.objects.get(name="reports").token) in after


def test_a_sources_version_is_all_of_its_rows_and_a_filing_bumps_its_sessions_row():
    services.tile_version_bump(name="reports")
    services.tile_version_bump(name="areas")
    areas = tile_version_tokens()["areas"]
    alone = tile_version_tokens()["reports"]
    with connection.cursor() as cursor:
        cursor.execute(services.filing_version_bump_sql("FALSE"))
        assert tile_version_tokens()["reports"] == alone  # not written: nothing stored
        cursor.execute(services.filing_version_bump_sql("TRUE"))
        cursor.execute("SELECT pg_backend_pid()")
        row = f"reports-{cursor.fetchone()[0] % services.FILING_VERSION_ROWS}"
    first = tile_version_tokens()["reports"]
    assert first.startswith(alone + "+") and first != alone
    assert str(TileVersion.objects.get(name=row).token) in first
    with connection.cursor() as cursor:
        cursor.execute(services.filing_version_bump_sql("TRUE"))
    assert TileVersion.objects.filter(name__startswith="reports-").count() == 1
    assert tile_version_tokens()["reports"] != first
    assert tile_version_tokens()["areas"] == areas
