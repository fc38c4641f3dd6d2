"""Concurrent retries of one submission file one report, and concurrent supports by one user
count once: in real concurrent transactions."""

import threading

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from reports import services
from reports.models import Category, Follow, IdempotencyKey, Report
from tests.factories.reports import ReportFactory, UserFactory

from .conftest import WEST_POINT

# Real transactions (not the test's wrapping one) so two threads truly race on the
# unique key; serialized_rollback restores the migrated data (categories, groups) after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RETRIES = 4


def test_concurrent_retries_with_one_key_file_exactly_one_report(city, citizen):
    category = Category.objects.get(code="rac-thai-sai-quy-dinh")
    barrier = threading.Barrier(RETRIES)
    results: list = []
    errors: list = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            report, created = services.report_create_idempotent(
                reporter=citizen,
                key="retry-1",
                request_hash="same-body",
                category=category,
                description="Rác thải đổ trộm ban đêm",
                location=Point(*WEST_POINT, srid=4326),
            )
            results.append((report.pk, created))
        except Exception as exc:  # noqa: BLE001 (a thread must hand any failure to the test)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(RETRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * (RETRIES - 1) + [True]
    assert Report.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_concurrent_supports_by_one_user_count_once(city, citizen):
    """Double taps on "me too" race on the unique (report, user) row: one support remains."""
    report = ReportFactory(agency=city.west_agency, area=city.west, reporter=citizen)
    supporter = UserFactory()
    barrier = threading.Barrier(RETRIES)
    counts: list[int] = []
    errors: list = []

    def support() -> None:
        try:
            barrier.wait(timeout=10)
            counts.append(services.report_support(report=report, user=supporter))
        except Exception as exc:  # noqa: BLE001 (a thread must hand any failure to the test)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=support) for _ in range(RETRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert counts == [1] * RETRIES
    assert Follow.objects.filter(report=report, user=supporter, supports=True).count() == 1


def test_a_tracking_code_drawn_twice_files_again_with_a_fresh_one(city, citizen, monkeypatch):
    """A drawn code that is taken (unique constraint) reruns the filing, which stores one
    report with a new code and one of everything else; with the Idempotency-Key too."""
    taken = ReportFactory(agency=city.west_agency, area=city.west).tracking_code
    category = Category.objects.get(code="rac-thai-sai-quy-dinh")
    for key in (None, "collide-1"):
        draws = iter([taken, "FRESH00001" if key is None else "FRESH00002"])
        monkeypatch.setattr(services, "tracking_code_new", lambda draws=draws: next(draws))
        fields = {
            "reporter": citizen,
            "category": category,
            "description": "Đèn đường hỏng",
            "location": Point(*WEST_POINT, srid=4326),
        }
        if key is None:
            report = services.report_create(**fields)
        else:
            report, created = services.report_create_idempotent(
                key=key, request_hash="body", **fields
            )
            assert created
        assert report.tracking_code.startswith("FRESH")
        assert report.events.count() == 1
    assert Report.objects.filter(reporter=citizen).count() == 2
    assert IdempotencyKey.objects.count() == 1
