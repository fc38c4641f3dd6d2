"""escalate_overdue: each overdue open report is escalated once, and supervisors are told."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from reports.models import Report, Status
from tests.factories.reports import ReportFactory

pytestmark = pytest.mark.django_db


def _report(city, *, due_in_hours: float, status=Status.RECEIVED):
    now = timezone.now()
    return ReportFactory(
        agency=city.west_agency,
        area=city.west,
        status=status,
        created_at=now - dt.timedelta(days=10),
        due_at=now + dt.timedelta(hours=due_in_hours),
    )


def test_overdue_open_reports_are_escalated_once_and_the_supervisor_emailed(
    city, django_capture_on_commit_callbacks
):
    overdue = _report(city, due_in_hours=-2)
    overdue_in_progress = _report(city, due_in_hours=-30, status=Status.IN_PROGRESS)
    on_time = _report(city, due_in_hours=5)
    resolved_late = _report(city, due_in_hours=-5, status=Status.RESOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_overdue")
    assert set(Report.objects.filter(escalated_at__isnull=False)) == {
        overdue,
        overdue_in_progress,
    }
    assert {on_time.escalated_at, resolved_late.escalated_at} == {None}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["giamsat@noivu.hanoi.example"]
    assert overdue.tracking_code in message.body
    assert overdue.reporter.username not in message.body
    event = overdue.events.get(kind="escalated")
    assert event.public is False
    with django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_overdue")
    assert len(mail.outbox) == 1
    assert overdue.events.filter(kind="escalated").count() == 1


def test_no_mail_is_sent_before_the_escalation_commits(city, django_capture_on_commit_callbacks):
    _report(city, due_in_hours=-1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("escalate_overdue")
    assert len(mail.outbox) == 0
    assert len(callbacks) == 1


def test_a_dry_run_counts_without_escalating(city, capsys):
    _report(city, due_in_hours=-1)
    call_command("escalate_overdue", "--dry-run")
    assert "1 overdue reports would be escalated" in capsys.readouterr().out
    assert not Report.objects.filter(escalated_at__isnull=False).exists()


def test_the_overdue_queryset_matches_open_reports_past_their_deadline(city):
    overdue = _report(city, due_in_hours=-1)
    _report(city, due_in_hours=1)
    _report(city, due_in_hours=-1, status=Status.CLOSED)
    assert list(Report.objects.overdue()) == [overdue]
