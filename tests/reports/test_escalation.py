"""escalate_overdue: each overdue open report is escalated once, and supervisors are told."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from reports.models import Notice, Report, Status
from reports.notifications import notices_send_all_due
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


def test_overdue_open_reports_are_escalated_once_and_the_supervisor_emailed(city):
    overdue = _report(city, due_in_hours=-2)
    overdue_in_progress = _report(city, due_in_hours=-30, status=Status.IN_PROGRESS)
    on_time = _report(city, due_in_hours=5)
    resolved_late = _report(city, due_in_hours=-5, status=Status.RESOLVED)
    call_command("escalate_overdue")
    notices_send_all_due()
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
    call_command("escalate_overdue")
    notices_send_all_due()
    assert len(mail.outbox) == 1
    assert overdue.events.filter(kind="escalated").count() == 1


def test_a_rolled_back_escalation_leaves_no_notice(city):
    _report(city, due_in_hours=-1)
    with pytest.raises(RuntimeError), transaction.atomic():
        call_command("escalate_overdue")
        assert Notice.objects.filter(what="escalation").count() == 1
        raise RuntimeError("the run failed after escalating")
    assert not Notice.objects.exists()
    assert notices_send_all_due().sent == 0
    assert mail.outbox == []


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
