"""Privacy and notices: the reporter is anonymous to the public by default and known only to
the handling agency and supervisors; redactions keep their original for supervisors. The
e-mail notices are tested in test_notices.py."""

import json

import pytest
from django.core.files.storage import default_storage

from reports import photos, services
from reports.models import EventKind, Redaction, Report, ReportPhoto
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
