"""The demo builder: seeded, idempotent, and its histories agree with statuses and deadlines."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q

from reports import demo
from reports.models import Follow, Membership, Rating, Report, ReportEvent, Status

pytestmark = pytest.mark.django_db


def test_the_demo_builds_reports_with_consistent_histories_and_runs_idempotently(city):
    summary = demo.load_demo_reports()
    assert f"{demo.REPORT_COUNT} demo reports" in summary
    reports = Report.objects.all()
    assert reports.count() == demo.REPORT_COUNT
    # Every report starts with exactly one "created" event and lies in one of the two wards.
    assert not reports.exclude(events__kind="created").exists()
    assert set(reports.values_list("area__code", flat=True)) == {"00001", "00002"}
    # Statuses agree with timestamps.
    assert not reports.filter(status__in=["resolved", "closed"], resolved_at__isnull=True).exists()
    assert not reports.filter(status="duplicate", duplicate_of__isnull=True).exists()
    assert not reports.filter(
        status__in=["received", "in_progress"], closed_at__isnull=False
    ).exists()
    # Most resolved reports are on time, some are late, and some open ones are overdue.
    done = reports.filter(resolved_at__isnull=False)
    late = done.filter(resolved_at__gt=F("due_at")).count()
    assert 0 < late < done.count() / 3
    assert Report.objects.overdue().count() > 0
    # Every status change is an event whose last new status is the report's status.
    last = {}
    for report_id, new_status in (
        ReportEvent.objects.filter(kind__in=["created", "transition"])
        .order_by("report_id", "created_at", "id")
        .values_list("report_id", "new_status")
    ):
        last[report_id] = new_status
    assert all(last[r.pk] == r.status for r in reports.only("status"))
    # Lighting goes to the lighting company by its citywide rule.
    assert set(
        reports.filter(category__code="den-chieu-sang").values_list("agency__code", flat=True)
    ) == {"hapulico"}
    # Officials belong to their ward's agency and can sign in with the documented password.
    official = get_user_model().objects.get(username="canbo.00001")
    assert official.check_password(demo.PASSWORDS["official"])
    assert Membership.objects.get(user=official).agency == city.west_agency

    # Supporters on some reports, and a realistic satisfied share (ratings of 4 or 5).
    assert Follow.objects.filter(supports=True).exists()
    assert not Follow.objects.filter(report__reporter=F("user")).exists()
    stars = list(Rating.objects.values_list("stars", flat=True))
    assert len(stars) > 0.4 * reports.filter(status=Status.CLOSED).count()
    assert 0.5 < sum(s >= 4 for s in stars) / len(stars) < 0.7
    assert not Rating.objects.exclude(report__status=Status.CLOSED).exists()

    again = demo.load_demo_reports()
    assert "already present" in again
    assert Report.objects.count() == demo.REPORT_COUNT


def test_the_demo_category_mix_follows_the_weights(city):
    demo.load_demo_reports()
    counts = dict(
        Report.objects.values_list("category__code")
        .annotate(n=Count("id"))
        .values_list("category__code", "n")
    )
    assert counts["rac-thai-sai-quy-dinh"] > counts["den-chieu-sang"] > counts["den-tin-hieu"]
    assert Report.objects.filter(Q(status=Status.CLOSED) | Q(status=Status.RESOLVED)).count() > (
        Report.objects.count() / 2
    )
