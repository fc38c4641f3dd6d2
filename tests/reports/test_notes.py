"""Notes on a report's timeline: internal by default, public on request, only by its handlers."""

import pytest
from django.contrib.gis.geos import Point
from django.core import mail

from reports.models import EventKind, ReportEvent
from reports.notifications import notices_send_all_due
from tests.factories.reports import ReportFactory, UserFactory

from .conftest import WEST_POINT, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(city):
    return ReportFactory(
        location=Point(*WEST_POINT, srid=4326),
        area=city.west,
        agency=city.west_agency,
        generation=city.generation,
        reporter=UserFactory(email="nguoidan@example.vn"),
    )


def notes_url(report) -> str:
    return f"/api/v1/reports/{report.tracking_code}/notes"


def public_timeline(api_client, report) -> list[dict]:
    api_client.credentials()
    body = api_client.get(f"/api/v1/reports/{report.tracking_code}").json()
    return body["properties"]["timeline"]


def test_an_internal_note_is_kept_for_the_agency_and_hidden_from_the_public(
    report, west_official, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(api_client, west_official).post(
            notes_url(report), {"note": "Đã liên hệ tổ dân phố số 3."}, format="json"
        )
    assert response.status_code == 201
    event = ReportEvent.objects.get(report=report, kind=EventKind.NOTE)
    assert (event.public, event.note, event.actor) == (
        False,
        "Đã liên hệ tổ dân phố số 3.",
        west_official,
    )
    assert "Đã liên hệ" not in str(public_timeline(api_client, report))
    assert notices_send_all_due().sent == 0
    assert mail.outbox == []


def test_a_public_note_reaches_the_timeline_and_the_reporter(
    report, west_official, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(api_client, west_official).post(
            notes_url(report), {"note": "Sẽ thu gom trong sáng mai.", "public": True}, format="json"
        )
    assert response.status_code == 201
    assert any(
        e["note"] == "Sẽ thu gom trong sáng mai." for e in public_timeline(api_client, report)
    )
    assert notices_send_all_due().sent == 1
    assert [m.to for m in mail.outbox] == [["nguoidan@example.vn"]]
    report.refresh_from_db()
    assert report.status == "received"


@pytest.mark.parametrize("who", ["anonymous", "citizen", "east_official"])
def test_only_those_who_may_act_on_the_report_may_write_notes(report, request, api_client, who):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = client_for(api_client, user).post(notes_url(report), {"note": "x"}, format="json")
    assert response.status_code in {401, 403}
    assert not ReportEvent.objects.filter(report=report, kind=EventKind.NOTE).exists()


@pytest.mark.parametrize("note", ["", "   ", "\u200b\u200b", "x" * 2001])
def test_an_empty_or_oversized_note_is_refused_naming_the_field(
    report, west_official, api_client, note
):
    response = client_for(api_client, west_official).post(
        notes_url(report), {"note": note}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()
    assert not ReportEvent.objects.filter(report=report, kind=EventKind.NOTE).exists()
