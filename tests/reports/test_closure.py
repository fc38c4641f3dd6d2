"""Verified closure: within 7 days of a resolution the reporter and followers confirm it
with a rating (closing it) or say it is not fixed (reopening it, against the agency); after
that close_stale_resolved closes it once, however often cron runs it."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from reports import services
from reports.models import EventKind, Follow, Rating, Report, ReportEvent, Status
from reports.notifications import notices_send_all_due
from tests.factories.reports import ReportFactory, UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"


def _resolved(city, *, days_ago: float = 1, **fields) -> Report:
    now = timezone.now()
    return ReportFactory(
        agency=city.west_agency,
        area=city.west,
        status=Status.RESOLVED,
        created_at=now - dt.timedelta(days=days_ago + 3),
        due_at=now - dt.timedelta(days=days_ago - 1),
        resolved_at=now - dt.timedelta(days=days_ago),
        **fields,
    )


def test_the_reporter_confirms_a_resolution_with_a_rating_and_it_closes(city, api_client):
    report = _resolved(city)
    response = client_for(api_client, report.reporter).post(
        f"{REPORTS}/{report.tracking_code}/confirm",
        {"rating": 4, "comment": "Đã sạch sẽ, cảm ơn."},
        format="json",
    )
    assert response.status_code == 200, response.content
    properties = response.json()["properties"]
    assert properties["status"] == "closed"
    assert properties["rating"] == {"count": 1, "average": 4.0}
    assert properties["feedback"] is None
    rating = Rating.objects.get(report=report)
    assert (rating.user, rating.stars, rating.comment) == (
        report.reporter,
        4,
        "Đã sạch sẽ, cảm ơn.",
    )
    assert "Đã sạch sẽ" not in response.content.decode()  # the comment is for the agency
    event = ReportEvent.objects.filter(report=report).latest("id")
    assert (event.kind, event.new_status, event.public) == (EventKind.CONFIRMED, "closed", True)


def test_a_follower_may_answer_but_a_stranger_may_not(city, api_client):
    report = _resolved(city)
    follower = UserFactory()
    Follow.objects.create(report=report, user=follower, supports=True)
    stranger = client_for(api_client, UserFactory()).post(
        f"{REPORTS}/{report.tracking_code}/confirm", {"rating": 5}, format="json"
    )
    assert stranger.status_code == 403
    assert stranger.json()["detail"] == services.FEEDBACK_NOT_ALLOWED
    detail = client_for(api_client, follower).get(f"{REPORTS}/{report.tracking_code}").json()
    assert detail["properties"]["feedback"]["can_respond"] is True
    assert detail["properties"]["feedback"]["open"] is True
    response = api_client.post(
        f"{REPORTS}/{report.tracking_code}/confirm", {"rating": 5}, format="json"
    )
    assert response.status_code == 200


def test_not_fixed_reopens_the_report_with_a_public_event_counted_against_the_agency(
    city, api_client
):
    report = _resolved(city)
    response = client_for(api_client, report.reporter).post(
        f"{REPORTS}/{report.tracking_code}/not-fixed",
        {"comment": "Rác vẫn còn nguyên."},
        format="json",
    )
    assert response.status_code == 200, response.content
    properties = response.json()["properties"]
    assert properties["status"] == "in_progress"
    assert properties["reopened_count"] == 1
    report.refresh_from_db()
    assert report.resolved_at is None
    event = ReportEvent.objects.filter(report=report).latest("id")
    assert (event.kind, event.old_status, event.new_status, event.public) == (
        EventKind.REOPENED,
        "resolved",
        "in_progress",
        True,
    )
    assert event.from_agency == city.west_agency
    assert "Rác vẫn còn nguyên." in event.note
    assert properties["timeline"][-1]["kind"] == "reopened"


def test_answers_are_refused_after_7_days_and_for_reports_not_resolved(city, api_client):
    late = _resolved(city, days_ago=7.1)
    client = client_for(api_client, late.reporter)
    response = client.post(f"{REPORTS}/{late.tracking_code}/confirm", {"rating": 5}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == services.FEEDBACK_WINDOW_OVER
    detail = client.get(f"{REPORTS}/{late.tracking_code}").json()["properties"]
    assert detail["feedback"]["open"] is False
    assert detail["feedback"]["can_respond"] is False
    in_time = _resolved(city, days_ago=6.9, reporter=late.reporter)
    assert (
        client.post(
            f"{REPORTS}/{in_time.tracking_code}/not-fixed", {"comment": "Chưa"}, format="json"
        ).status_code
        == 200
    )
    open_report = ReportFactory(agency=city.west_agency, reporter=late.reporter)
    response = client.post(
        f"{REPORTS}/{open_report.tracking_code}/not-fixed", {"comment": "?"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == services.FEEDBACK_NOT_RESOLVED


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("confirm", {"rating": 6}, "rating"),
        ("confirm", {"rating": 0}, "rating"),
        ("confirm", {}, "rating"),
        ("not-fixed", {"comment": "  \x00 "}, "comment"),
        ("not-fixed", {}, "comment"),
    ],
)
def test_bad_answers_get_400_naming_the_field(city, api_client, path, body, field):
    report = _resolved(city)
    response = client_for(api_client, report.reporter).post(
        f"{REPORTS}/{report.tracking_code}/{path}", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Report.objects.get(pk=report.pk).status == Status.RESOLVED


def test_close_stale_resolved_closes_old_resolutions_once_and_tells_the_reporter(
    city, django_capture_on_commit_callbacks
):
    stale = _resolved(city, days_ago=8)
    fresh = _resolved(city, days_ago=6)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_stale_resolved", "--dry-run")
    assert Report.objects.get(pk=stale.pk).status == Status.RESOLVED
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_stale_resolved")
        call_command("close_stale_resolved")
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == (Status.CLOSED, Status.RESOLVED)
    assert stale.closed_at is not None
    assert ReportEvent.objects.filter(report=stale, kind=EventKind.AUTO_CLOSED).count() == 1
    notices_send_all_due()
    assert [m.to for m in mail.outbox] == [[stale.reporter.email]]
    assert services.reports_close_stale_resolved() == []
