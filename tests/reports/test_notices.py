"""E-mail notices go through an outbox: written with the change that causes them (so a
rolled-back change notifies nobody and a committed one keeps its notices whatever the mail
server does), delivered by the sender, retried when refused, and never named in the logs."""

import datetime as dt
import logging
import os
import select
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from reports import notifications, services
from reports.models import Category, Follow, Notice, Report, Status
from reports.notifications import MAX_ATTEMPTS, notices_send_all_due, notices_send_due
from tests.conftest import own_process_database_url
from tests.factories.reports import MembershipFactory, ReportFactory, UserFactory

from .conftest import WEST_POINT, client_for

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"
TRASH = "rac-thai-sai-quy-dinh"


class RefusingMailServer(BaseEmailBackend):
    """A mail server that refuses every recipient, naming them in its error, as SMTP does."""

    def send_messages(self, email_messages):
        refused = {to: (550, b"mailbox unavailable") for m in email_messages for to in m.to}
        raise smtplib.SMTPRecipientsRefused(refused)


class UnreachableMailServer(BaseEmailBackend):
    """A mail server that cannot be connected to."""

    def open(self):
        raise ConnectionRefusedError("connection refused")

    def send_messages(self, email_messages):  # pragma: no cover - open() fails first
        raise AssertionError("sent without a connection")


@pytest.fixture
def report(city, citizen):
    return ReportFactory(agency=city.west_agency, area=city.west, reporter=citizen)


def _file(citizen) -> Report:
    return services.report_create(
        reporter=citizen,
        category=Category.objects.get(code=TRASH),
        description="Rác.",
        location=Point(*WEST_POINT, srid=4326),
    )


def _make_due() -> None:
    Notice.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_a_new_report_leaves_a_notice_per_official_that_the_sender_delivers(
    city, citizen, west_official, east_official
):
    second = MembershipFactory(agency=city.west_agency, user__email="pho@example.vn").user
    report = _file(citizen)
    assert set(Notice.objects.values_list("recipient", "what", "tracking_code")) == {
        (west_official.email, "new report", report.tracking_code),
        (second.email, "new report", report.tracking_code),
    }
    assert mail.outbox == []  # nothing is sent by the change itself

    delivery = notices_send_due()
    assert (delivery.sent, delivery.retried, delivery.given_up) == (2, 0, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([west_official.email, second.email])
    message = mail.outbox[0]
    assert report.tracking_code in message.subject
    assert "Rác." in message.body and city.west_agency.name in message.body
    assert not Notice.objects.exists()  # a sent notice is deleted with its address
    assert notices_send_due().claimed == 0


def test_a_rolled_back_change_leaves_no_notice(city, citizen, west_official):
    with pytest.raises(RuntimeError), transaction.atomic():
        _file(citizen)
        assert Notice.objects.count() == 1
        raise RuntimeError("something later in the same transaction failed")
    assert not Notice.objects.exists()
    assert notices_send_all_due().sent == 0
    assert mail.outbox == []


def test_a_status_change_mails_the_reporter_and_followers_but_not_the_actor(
    report, citizen, west_official, caplog
):
    follower = UserFactory(email="theo.doi@example.vn")
    Follow.objects.create(report=report, user=follower)
    Follow.objects.create(report=report, user=west_official)
    caplog.set_level(logging.DEBUG)
    services.report_transition(
        report=report, actor=west_official, to_status=Status.IN_PROGRESS, note="Đã giao."
    )
    services.report_transition(
        report=report,
        actor=west_official,
        to_status=Status.RESOLVED,
        note="Nội bộ",
        public=False,
    )
    assert notices_send_all_due().sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([citizen.email, follower.email])
    assert all("Đang xử lý" in m.subject for m in mail.outbox)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert report.tracking_code in logged
    assert citizen.email not in logged and follower.email not in logged


def test_a_transfer_mails_the_receiving_agencys_officials(
    report, west_official, east_official, city
):
    services.report_transfer(
        report=report, actor=west_official, to_agency=city.east_agency, reason="Phường bên."
    )
    notices_send_all_due()
    assert [m.to for m in mail.outbox] == [[east_official.email]]
    assert city.east_agency.name in mail.outbox[0].subject


def test_a_refused_notice_stays_answered_logged_and_is_retried_later(
    city, citizen, west_official, api_client, settings, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    body = {
        "category": TRASH,
        "description": "Rác ở đầu ngõ.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 201, response.content
    code = response.json()["tracking_code"]
    with caplog.at_level(logging.INFO, logger="reports.notifications"):
        delivery = notices_send_due()
    assert (delivery.sent, delivery.retried, delivery.given_up) == (0, 1, 0)
    [notice] = Notice.objects.all()
    assert (notice.attempts, notice.last_error, notice.failed_at) == (
        1,
        "SMTPRecipientsRefused",
        None,
    )
    wait = notice.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=30) < wait <= notifications.RETRY_FIRST_DELAY
    [failed] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert code in failed.getMessage() and "SMTPRecipientsRefused" in failed.getMessage()
    assert west_official.email not in caplog.text
    # Not due yet: the next run leaves it alone.
    assert notices_send_due().claimed == 0

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _make_due()
    assert notices_send_due().sent == 1
    assert [m.to for m in mail.outbox] == [[west_official.email]]
    assert not Notice.objects.exists()


def test_an_unreachable_server_puts_the_whole_batch_off(city, citizen, west_official, settings):
    _file(citizen)
    _file(citizen)
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"
    delivery = notices_send_all_due()
    assert (delivery.sent, delivery.retried) == (0, 2)
    assert set(Notice.objects.values_list("last_error", "attempts")) == {
        ("ConnectionRefusedError", 1)
    }


def test_retries_wait_longer_each_time_up_to_a_cap_and_end_in_giving_up(
    city, citizen, west_official, settings
):
    waits = [notifications.retry_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[0] == notifications.RETRY_FIRST_DELAY
    assert waits == sorted(waits)
    assert max(waits) == notifications.RETRY_MAX_DELAY
    assert sum(waits, dt.timedelta()) > dt.timedelta(hours=12)  # a night without mail

    _file(citizen)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        _make_due()
        delivery = notices_send_due()
        assert delivery.given_up == (1 if attempt == MAX_ATTEMPTS else 0)
    [notice] = Notice.objects.all()
    assert notice.attempts == MAX_ATTEMPTS and notice.failed_at is not None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _make_due()
    assert notices_send_due().claimed == 0  # given up is never sent again
    assert mail.outbox == []


def test_the_escalation_digest_goes_through_the_outbox(city):
    ReportFactory(
        agency=city.west_agency,
        area=city.west,
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    services.reports_escalate_overdue()
    [notice] = Notice.objects.all()
    assert (notice.what, notice.tracking_code) == ("escalation", "")
    assert notices_send_all_due().sent == 1
    assert [m.to for m in mail.outbox] == [[notice.recipient]]


def test_the_command_sends_what_is_due_once(city, citizen, west_official, capsys):
    _file(citizen)
    call_command("send_notices")
    assert "1 notices sent, 0 to retry, 0 given up" in capsys.readouterr().out
    assert [m.to for m in mail.outbox] == [[west_official.email]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_notice_another_sender_has_claimed_is_skipped(city, citizen, west_official):
    _file(citizen)
    _file(citizen)
    first, second = Notice.objects.order_by("id")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as other:
        # Another sender's transaction holds the first notice.
        other.execute("SELECT id FROM reports_notice WHERE id = %s FOR UPDATE", [first.pk])
        delivery = notices_send_due()
        assert delivery.sent == 1
        assert Notice.objects.filter(pk=first.pk).exists()
        assert not Notice.objects.filter(pk=second.pk).exists()
        other.rollback()
    assert notices_send_due().sent == 1
    assert len(mail.outbox) == 2


def test_given_up_notices_are_deleted_after_the_days_they_are_kept(
    city, citizen, west_official, settings
):
    _file(citizen)
    _file(citizen)
    old, recent = Notice.objects.order_by("id")
    now = timezone.now()
    Notice.objects.filter(pk=old.pk).update(failed_at=now - dt.timedelta(days=31))
    Notice.objects.filter(pk=recent.pk).update(failed_at=now - dt.timedelta(days=29))
    settings.NOTICES_GIVEN_UP_KEPT_DAYS = 30
    call_command("send_notices")
    assert list(Notice.objects.values_list("pk", flat=True)) == [recent.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_sends_and_stops_soon_after_sigterm():
    notifications.enqueue([("Chủ đề", "Nội dung", "a@example.vn", ["x@example.vn"])], "status")
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": own_process_database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "send_notices", "--every", "30"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        seen = ""
        while "1 notices sent" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([worker.stdout], [], [], 1)
            if ready:
                seen += worker.stdout.readline()
        assert "1 notices sent" in seen, worker.stderr.read()[-2000:] if worker.poll() else seen
        assert not Notice.objects.exists()
        worker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        worker.wait(timeout=30)
        assert time.monotonic() - started < 10, "it waited out its 30 s interval"
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, worker.stderr.read()[-2000:]
