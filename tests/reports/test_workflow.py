"""The workflow table, enforced in services: every legal move works, every other one is 409."""

import collections
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from reports import exceptions, services
from reports.models import ReportEvent, Status
from reports.services import TRANSITIONS
from tests.factories.reports import ReportFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db

ALL_MOVES = list(itertools.product(Status.values, Status.values))
LEGAL = [(a, b) for a, b in ALL_MOVES if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_MOVES if b not in TRANSITIONS[a]]


def west_report(city, status=Status.RECEIVED, **kwargs):
    extra = {}
    if status == Status.DUPLICATE:
        extra["duplicate_of"] = ReportFactory(agency=city.west_agency, area=city.west)
    return ReportFactory(
        agency=city.west_agency,
        area=city.west,
        generation=city.generation,
        status=status,
        **extra,
        **kwargs,
    )


def test_the_table_has_the_documented_shape():
    assert TRANSITIONS[Status.RECEIVED] == {Status.IN_PROGRESS, Status.REJECTED, Status.DUPLICATE}
    assert TRANSITIONS[Status.IN_PROGRESS] == {
        Status.RESOLVED,
        Status.REJECTED,
        Status.DUPLICATE,
    }
    assert TRANSITIONS[Status.RESOLVED] == {Status.CLOSED, Status.IN_PROGRESS}
    assert set(TRANSITIONS) == set(Status.values)
    assert len(LEGAL) == 8


@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_a_legal_move_changes_the_status_and_writes_one_event(city, west_official, old, new):
    report = west_report(city, status=old)
    original = ReportFactory(agency=city.west_agency) if new == Status.DUPLICATE else None
    before = ReportEvent.objects.filter(report=report).count()
    moved = services.report_transition(
        report=report, actor=west_official, to_status=new, note="ghi chú", duplicate_of=original
    )
    moved.refresh_from_db()
    assert moved.status == new
    event = ReportEvent.objects.filter(report=report).latest("id")
    assert ReportEvent.objects.filter(report=report).count() == before + 1
    assert (event.kind, event.old_status, event.new_status) == ("transition", old, new)
    assert event.actor == west_official
    assert event.note == "ghi chú"
    assert (moved.resolved_at is not None) == (new == Status.RESOLVED)
    assert (moved.closed_at is not None) == (new in services.FINAL_STATUSES)
    if new == Status.DUPLICATE:
        assert moved.duplicate_of == original


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_an_illegal_move_is_refused_and_changes_nothing(city, west_official, old, new):
    report = west_report(city, status=old)
    with pytest.raises(exceptions.TransitionNotAllowed):
        services.report_transition(report=report, actor=west_official, to_status=new)
    report.refresh_from_db()
    assert report.status == old
    assert not ReportEvent.objects.filter(report=report).exists()


@pytest.mark.parametrize(("old", "new"), [(Status.RESOLVED, Status.CLOSED), *ILLEGAL[:3]])
def test_illegal_moves_over_http_are_409_and_legal_ones_200(
    city, west_official, api_client, old, new
):
    report = west_report(city, status=old)
    response = client_for(api_client, west_official).post(
        f"/api/v1/reports/{report.tracking_code}/transition", {"to_status": new}, format="json"
    )
    expected = 200 if new in TRANSITIONS[old] else 409
    assert response.status_code == expected, response.content


def test_marking_a_duplicate_needs_an_original_other_than_itself(city, west_official):
    report = west_report(city)
    with pytest.raises(ValidationError):
        services.report_transition(report=report, actor=west_official, to_status="duplicate")
    with transaction.atomic(), pytest.raises(ValidationError):
        services.report_transition(
            report=report, actor=west_official, to_status="duplicate", duplicate_of=report
        )


def test_reopening_a_resolved_report_clears_its_resolution_time(city, west_official):
    report = west_report(city, status=Status.RESOLVED)
    services.report_transition(report=report, actor=west_official, to_status="in_progress")
    report.refresh_from_db()
    assert report.resolved_at is None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", {401}),
        ("citizen", {403}),
        ("planner", {403}),
        ("east_official", {403}),
        ("west_official", {200}),
        ("supervisor", {200}),
        ("staff", {200}),
    ],
)
def test_who_may_act_on_a_west_ward_report(city, api_client, request, role, expected):
    """Only the west ward's officials, supervisors and staff may move a west ward report."""
    from tests.factories.reports import UserFactory

    users = {
        "anonymous": None,
        "staff": UserFactory(username="quantri", roles=[], is_staff=True, is_superuser=True),
    }
    user = users[role] if role in users else request.getfixturevalue(role)
    report = west_report(city)
    response = client_for(api_client, user).post(
        f"/api/v1/reports/{report.tracking_code}/transition",
        {"to_status": "in_progress"},
        format="json",
    )
    assert response.status_code in expected, response.content
    report.refresh_from_db()
    assert (report.status == "in_progress") == (200 in expected)


def test_an_official_of_another_agency_gets_403_from_every_service(city, east_official):
    report = west_report(city)
    with pytest.raises(exceptions.NotPermitted, match="another agency"):
        services.report_transition(report=report, actor=east_official, to_status="in_progress")
    with pytest.raises(exceptions.NotPermitted):
        services.report_transfer(
            report=report, actor=east_official, to_agency=city.east_agency, reason="của tôi"
        )
    with pytest.raises(exceptions.NotPermitted):
        services.report_extend_deadline(report=report, actor=east_official, days=2, reason="x")


def test_a_transfer_keeps_the_deadline_and_needs_a_reason(city, west_official):
    report = west_report(city)
    due = report.due_at
    with pytest.raises(ValidationError):
        services.report_transfer(
            report=report, actor=west_official, to_agency=city.east_agency, reason="  "
        )
    services.report_transfer(
        report=report, actor=west_official, to_agency=city.east_agency, reason="Sai địa bàn"
    )
    report.refresh_from_db()
    assert report.agency == city.east_agency
    assert report.due_at == due
    event = report.events.get(kind="transfer")
    assert (event.from_agency, event.to_agency) == (city.west_agency, city.east_agency)
    assert "Sai địa bàn" in event.note


def test_the_head_of_the_agency_may_extend_but_a_plain_official_may_not(
    city, west_official, west_head
):
    report = west_report(city)
    with pytest.raises(exceptions.NotPermitted):
        services.report_extend_deadline(report=report, actor=west_official, days=2, reason="x")
    before = report.due_at
    services.report_extend_deadline(report=report, actor=west_head, days=2, reason="Chờ vật tư")
    report.refresh_from_db()
    assert report.due_at > before
    assert report.events.get(kind="deadline_extended").note.endswith("Chờ vật tư")


def test_closed_reports_cannot_be_transferred_or_extended(city, west_official, supervisor):
    report = west_report(city, status=Status.CLOSED)
    with pytest.raises(exceptions.TransitionNotAllowed):
        services.report_transfer(
            report=report, actor=west_official, to_agency=city.east_agency, reason="x"
        )
    with pytest.raises(exceptions.TransitionNotAllowed):
        services.report_extend_deadline(report=report, actor=supervisor, days=1, reason="x")


def test_tracking_codes_draw_each_of_32_letters_alike():
    """A code's letters are random bytes masked to five bits: uniform only while the
    alphabet has exactly 32 distinct letters."""
    assert len(set(services.TRACKING_ALPHABET)) == len(services.TRACKING_ALPHABET) == 32
    codes = [services.tracking_code_new() for _ in range(2000)]
    assert all(len(code) == services.TRACKING_LENGTH for code in codes)
    letters = collections.Counter("".join(codes))
    assert set(letters) == set(services.TRACKING_ALPHABET)
    # 20,000 letters, 625 expected each: six standard deviations (~146) either side.
    assert all(abs(n - 625) < 146 for n in letters.values()), letters
    assert len(set(codes)) == len(codes)
