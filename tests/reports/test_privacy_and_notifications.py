"""Privacy and notices: the reporter is anonymous to the public by default and known only to
the handling agency and supervisors; redactions keep their original for supervisors; e-mails
go out only after commit and name nobody in the logs."""

import json
import logging
import smtplib

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.core.files.storage import default_storage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from reports import photos, services
from reports.models import Category, EventKind, Follow, Redaction, Report, ReportPhoto, Status
from tests.factories.reports import ReportFactory, UserFactory

from .conftest import WEST_POINT, client_for, stored_files
from .images import phone_jpeg, upload

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"


@pytest.fixture
def report(city, citizen):
    return ReportFactory(agency=city.west_agency, area=city.west, reporter=citizen)


def _detail(api_client, user, report) -> dict:
    client = client_for(api_client, user)
    response = client.get(f"{REPORTS}/{report.tracking_code}")
    client.credentials()
    assert response.status_code == 200
    return response.json()["properties"]


def test_the_reporter_is_shown_only_to_the_handling_agency_and_supervisors(
    report, citizen, west_official, east_official, supervisor, api_client
):
    for user in (None, citizen, east_official, UserFactory()):
        properties = _detail(api_client, user, report)
        assert "reporter" not in properties
        assert properties["reported_by"] is None
        body = json.dumps(properties, ensure_ascii=False)
        assert citizen.email not in body and "0987654321" not in body
    for user in (west_official, supervisor):
        reporter = _detail(api_client, user, report)["reporter"]
        assert reporter["username"] == "citizen_lan"
        assert reporter["email"] == "lan.nguyen@example.vn"
        assert reporter["phone"] == "0987654321"


def test_a_reporter_who_chose_public_identity_shows_only_their_first_name(
    city, citizen, api_client
):
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Rác ở đầu ngõ.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
        "public_identity": True,
    }
    created = client_for(api_client, citizen).post(REPORTS, body, format="json").json()
    api_client.credentials()
    properties = api_client.get(f"{REPORTS}/{created['tracking_code']}").json()["properties"]
    assert properties["reported_by"] == "Lan"
    text = json.dumps(properties, ensure_ascii=False)
    assert "Nguyễn Thị" not in text and citizen.email not in text and "citizen_lan" not in text


def test_filed_descriptions_lose_their_control_characters(city, citizen, api_client):
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Rác ở\x1b[31m đầu ngõ\u0085.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    properties = api_client.get(f"{REPORTS}/{created['tracking_code']}").json()["properties"]
    assert properties["description"] == "Rác ở[31m đầu ngõ."


def test_an_official_redacts_a_description_and_only_supervisors_read_the_original(
    report, west_official, supervisor, api_client
):
    original = report.description
    response = client_for(api_client, west_official).post(
        f"{REPORTS}/{report.tracking_code}/redact",
        {"target": "description", "reason": "Có số điện thoại cá nhân."},
        format="json",
    )
    assert response.status_code == 200, response.content
    properties = response.json()["properties"]
    assert properties["description"] == services.REDACTED_DESCRIPTION.format(
        reason="Có số điện thoại cá nhân."
    )
    assert "redactions" not in properties  # officials act; supervisors oversee
    assert properties["timeline"][-1]["kind"] == "redacted"
    public = _detail(api_client, None, report)
    assert original not in json.dumps(public, ensure_ascii=False)
    (redaction,) = _detail(api_client, supervisor, report)["redactions"]
    assert redaction["original_text"] == original
    assert redaction["target"] == "description"
    stored = Redaction.objects.get()
    assert (stored.actor, stored.event.kind) == (west_official, EventKind.REDACTED)


def test_a_redacted_photo_disappears_from_public_view_and_its_published_files(
    report,
    west_official,
    east_official,
    supervisor,
    api_client,
    media_root,
    django_capture_on_commit_callbacks,
):
    prepared = photos.photo_prepare(upload("a.jpg", phone_jpeg()))
    with photos.stored_files_guard():
        photo = services._photo_attach(report, prepared, kind="before", by=report.reporter)
    published = [photo.image.name, photo.thumbnail.name]
    url = f"{REPORTS}/{report.tracking_code}/redact"
    body = {"target": "photo", "photo_id": photo.pk, "reason": "Lộ mặt người đi đường."}
    assert client_for(api_client, east_official).post(url, body, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(api_client, west_official).post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["photos"] == []
    assert ReportPhoto.objects.get(pk=photo.pk).hidden is True
    assert not any(default_storage.exists(name) for name in published)
    (redaction,) = _detail(api_client, supervisor, report)["redactions"]
    assert default_storage.exists(redaction["original_file"])
    assert len(stored_files(media_root)) == 1
    again = client_for(api_client, west_official).post(url, body, format="json")
    assert again.status_code == 400
    assert "photo_id" in again.json()


def test_a_new_report_mails_the_agencys_officials_after_commit(
    city, citizen, west_official, east_official, django_capture_on_commit_callbacks
):
    category = Category.objects.get(code="rac-thai-sai-quy-dinh")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.report_create(
            reporter=citizen,
            category=category,
            description="Rác.",
            location=Point(*WEST_POINT, srid=4326),
        )
        assert mail.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[west_official.email]]
    assert report.tracking_code in mail.outbox[0].subject


class RefusingMailServer(BaseEmailBackend):
    """A mail server that refuses every recipient, naming them in its error, as SMTP does."""

    def send_messages(self, email_messages):
        refused = {to: (550, b"mailbox unavailable") for m in email_messages for to in m.to}
        raise smtplib.SMTPRecipientsRefused(refused)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mail_server_failure_after_commit_leaves_the_filing_answered_and_logged(
    city, citizen, west_official, api_client, settings, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Rác ở đầu ngõ.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    with caplog.at_level(logging.INFO, logger="reports.notifications"):
        response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 201, response.content
    code = response.json()["tracking_code"]
    assert Report.objects.filter(tracking_code=code).exists()
    [failed] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert code in failed.getMessage()
    assert "SMTPRecipientsRefused" in failed.getMessage()
    assert west_official.email not in caplog.text


def test_a_rolled_back_change_notifies_nobody(
    city, citizen, west_official, django_capture_on_commit_callbacks
):
    category = Category.objects.get(code="rac-thai-sai-quy-dinh")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.report_create(
            reporter=citizen,
            category=category,
            description="Rác.",
            location=Point(*WEST_POINT, srid=4326),
        )
        raise RuntimeError("something later in the same transaction failed")
    assert mail.outbox == []


def test_a_status_change_mails_the_reporter_and_followers_but_not_the_actor(
    report, citizen, west_official, django_capture_on_commit_callbacks, caplog
):
    follower = UserFactory(email="theo.doi@example.vn")
    Follow.objects.create(report=report, user=follower)
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
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
    assert [sorted(m.to) for m in mail.outbox] == [[citizen.email], [follower.email]]
    assert all("Đang xử lý" in m.subject for m in mail.outbox)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert citizen.email not in logged and follower.email not in logged


def test_a_transfer_mails_the_receiving_agencys_officials(
    report, west_official, east_official, django_capture_on_commit_callbacks, city
):
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transfer(
            report=report, actor=west_official, to_agency=city.east_agency, reason="Phường bên."
        )
    assert [m.to for m in mail.outbox] == [[east_official.email]]


@pytest.mark.parametrize("invisible", ["\u200d\u200d\u200b", "\u202e\u2066 \ufeff", "\u200b\n\t"])
def test_a_description_with_nothing_visible_is_refused(city, citizen, api_client, invisible):
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": invisible,
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 400
    assert "description" in response.json()
    assert not Report.objects.exists()


def test_bidirectional_overrides_are_removed_from_descriptions(city, citizen, api_client):
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Rác \u202eở đầu\u202c ngõ 👨\u200d👩",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    created = client_for(api_client, citizen).post(REPORTS, body, format="json").json()
    properties = api_client.get(f"{REPORTS}/{created['tracking_code']}").json()["properties"]
    assert properties["description"] == "Rác ở đầu ngõ 👨\u200d👩"
