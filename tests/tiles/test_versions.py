"""Data versions: bumped after commit, once per transaction, never by a rolled-back write."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from reports.models import Category, Report, Status
from reports.services import reports_close_stale_resolved
from tests.factories.reports import ReportFactory, UserFactory
from tiles import services
from tiles.models import TileVersion

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
