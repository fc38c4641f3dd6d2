"""Pages of the report lists, written by PostgreSQL in one statement and passed through.

The answer must say what DRF's GeoJsonPagination and ReportFeatureSerializer said before the
page moved into the database: same keys in the same order, same links, same 404s, and every
feature equal to the serializer's.
"""

import datetime as dt
import json

import pytest
from django.contrib.gis.geos import Point
from django.db import DataError, connection, transaction
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from reports import pagination, selectors
from reports.models import Category, Status
from reports.serializers import ReportFeatureSerializer
from reports.views import ReportListCreateView
from tests.factories.reports import ReportFactory

from .conftest import EAST_POINT, WEST_POINT, client_for

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"
TIMESTAMPS = ("created_at", "due_at", "resolved_at", "closed_at")


def _report(city, point, *, routed=True, **kwargs):
    west = point == WEST_POINT
    return ReportFactory(
        location=Point(*point, srid=4326) if point else None,
        area=(city.west if west else city.east) if routed else None,
        agency=(city.west_agency if west else city.east_agency) if routed else None,
        generation=city.generation,
        **kwargs,
    )


def _comparable(feature: dict) -> dict:
    """`feature` as plain JSON values, with timestamps as datetimes (their text differs:
    DRF writes six fraction digits, PostgreSQL trims trailing zeros)."""
    feature = json.loads(json.dumps(feature))
    for key in TIMESTAMPS:
        value = feature["properties"][key]
        feature["properties"][key] = value and dt.datetime.fromisoformat(value)
    return feature


@pytest.fixture
def varied(city):
    """Reports that exercise every branch of a feature, newest last."""
    now = timezone.now()
    light = Category.objects.get(code="den-chieu-sang")
    return [
        _report(city, WEST_POINT, accuracy_m=7.5),
        _report(
            city,
            None,
            routed=False,
            accuracy_m=None,
            created_at=now - dt.timedelta(days=9),
            due_at=now - dt.timedelta(days=6),
        ),
        _report(
            city,
            EAST_POINT,
            category=light,
            status=Status.RESOLVED,
            created_at=now - dt.timedelta(days=5, microseconds=120_000),
            due_at=now - dt.timedelta(days=2),
            resolved_at=now - dt.timedelta(days=1),
        ),
        _report(
            city,
            EAST_POINT,
            status=Status.CLOSED,
            created_at=now - dt.timedelta(days=4),
            due_at=now - dt.timedelta(days=1),
            resolved_at=now - dt.timedelta(days=3),
            closed_at=now - dt.timedelta(days=2, microseconds=1),
        ),
    ]


def test_every_listed_feature_equals_the_serializers(varied, api_client):
    """Area and agency null or not, no location, overdue, late and on time, closed: the SQL
    writes each feature as ReportFeatureSerializer does, in the list's order."""
    body = api_client.get(REPORTS).json()
    expected = ReportFeatureSerializer(
        selectors.report_list_public(), many=True, context={"now": timezone.now()}
    ).data["features"]
    assert [_comparable(f) for f in body["features"]] == [_comparable(f) for f in expected]
    by_code = {f["id"]: f["properties"] for f in body["features"]}
    unrouted, late, on_time = (by_code[r.tracking_code] for r in varied[1:])
    assert (unrouted["area"], unrouted["agency"], unrouted["overdue"]) == (None, None, True)
    assert (late["late"], late["overdue"], on_time["late"]) == (True, False, False)


def test_a_page_answers_the_keys_links_and_count_of_geojson_pagination(city, api_client):
    """type, count, next, previous, features, count_exact: in that order, as before."""
    for _ in range(3):
        _report(city, WEST_POINT)
    response = api_client.get(REPORTS, {"page": 2, "page_size": 1})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["type", "count", "next", "previous", "features", "count_exact"]
    assert body["type"] == "FeatureCollection"
    assert (body["count"], body["count_exact"], len(body["features"])) == (3, True, 1)
    assert body["next"] == f"http://testserver{REPORTS}?page=3&page_size=1"
    assert body["previous"] == f"http://testserver{REPORTS}?page_size=1"
    last = api_client.get(REPORTS, {"page": "last", "page_size": 2}).json()
    assert (len(last["features"]), last["next"]) == (1, None)
    assert last["previous"] == f"http://testserver{REPORTS}?page_size=2"


def test_an_empty_list_is_an_empty_first_page(city, api_client):
    body = api_client.get(REPORTS).json()
    assert body == {
        "type": "FeatureCollection",
        "count": 0,
        "next": None,
        "previous": None,
        "features": [],
        "count_exact": True,
    }


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2.0", "3", "last2"])
def test_a_page_that_does_not_exist_is_404_invalid_page(city, api_client, page):
    for _ in range(2):
        _report(city, WEST_POINT)
    response = api_client.get(REPORTS, {"page": page, "page_size": 1})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_bad_page_size_falls_back_to_the_default_and_a_large_one_to_500(city, api_client):
    _report(city, WEST_POINT)
    for size in ("abc", "0", "-3", "100000"):
        response = api_client.get(REPORTS, {"page_size": size})
        assert response.status_code == 200, size
        assert len(response.json()["features"]) == 1


def test_pages_stop_at_the_count_cap_as_paginator_cut_them(city, api_client, monkeypatch):
    """The capped count (cap + 1) ends the last page early; a page past it is 404."""
    monkeypatch.setattr(pagination, "LIST_COUNT_CAP", 3)
    codes = [_report(city, WEST_POINT).tracking_code for _ in range(6)][::-1]

    def page(number, size):
        return api_client.get(REPORTS, {"page": number, "page_size": size})

    second = page(2, 3).json()
    assert [f["id"] for f in second["features"]] == codes[3:4]
    assert (second["count"], second["count_exact"], second["next"]) == (3, False, None)
    assert page(3, 3).status_code == 404
    assert [f["id"] for f in page(2, 2).json()["features"]] == codes[2:4]


def test_filters_and_order_are_the_querysets(city, api_client):
    """The page embeds the filtered queryset's SQL: same reports, newest first."""
    wanted = [
        _report(city, WEST_POINT, created_at=timezone.now() - dt.timedelta(hours=h))
        for h in (5, 1, 3)
    ]
    _report(city, WEST_POINT, status=Status.IN_PROGRESS)
    _report(city, EAST_POINT)
    params = {"status": "received", "area": "00001", "in_bbox": "105.80,21.00,105.81,21.01"}
    body = api_client.get(REPORTS, params).json()
    newest_first = sorted(wanted, key=lambda r: r.created_at, reverse=True)
    assert [f["id"] for f in body["features"]] == [r.tracking_code for r in newest_first]
    assert body["count"] == 3


def test_a_page_is_one_statement_and_last_is_two(city, api_client, django_assert_num_queries):
    for _ in range(3):
        _report(city, WEST_POINT)
    with django_assert_num_queries(1):
        assert api_client.get(REPORTS, {"page_size": 2, "status": "received"}).status_code == 200
    with django_assert_num_queries(2):
        assert api_client.get(REPORTS, {"page": "last", "page_size": 2}).status_code == 200
    with django_assert_num_queries(0):
        assert api_client.get(REPORTS, {"page": "abc"}).status_code == 404


def test_the_worklist_page_is_one_statement_besides_sign_in_and_roles(
    city, west_official, api_client, django_assert_max_num_queries
):
    """The worklist embeds report_list_for_user's scope in the same single statement."""
    mine = _report(city, WEST_POINT)
    _report(city, EAST_POINT)
    client = client_for(api_client, west_official)
    with CaptureQueriesContext(connection) as captured:
        body = client.get("/api/v1/me/reports").json()
    assert [f["id"] for f in body["features"]] == [mine.tracking_code]
    pages = [q for q in captured.captured_queries if "json_agg" in q["sql"]]
    assert len(pages) == 1
    assert len(captured) <= 6


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "America/St_Johns", "Europe/Paris"])
def test_timestamps_read_as_postgresql_writes_them_in_the_projects_zone(city, settings, zone):
    """As json writes a timestamptz with the session in that zone: fraction trimmed, +HH:MM
    (the page sets the session's zone around its statement, so json writes them)."""
    settings.TIME_ZONE = zone
    instants = [
        dt.datetime(2025, 1, 15, 2, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 7, 1, 2, 30, 0, 120_000, tzinfo=dt.UTC),
        dt.datetime(2025, 7, 1, 2, 30, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2025, 12, 31, 23, 59, 59, 500_000, tzinfo=dt.UTC),
    ]
    reports = [
        _report(city, WEST_POINT, created_at=t, due_at=t, resolved_at=t, closed_at=t)
        for t in instants
    ]
    _, features = selectors.report_feature_page(
        selectors.report_list_public().order_by("created_at"),
        offset=0,
        limit=10,
        count_upto=10,
        now=timezone.now(),
    )
    written = [[f["properties"][key] for key in TIMESTAMPS] for f in json.loads(features)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [zone])
        cursor.execute(
            "SELECT json_agg(created_at ORDER BY created_at)::text FROM reports_report"
            " WHERE id = ANY(%s)",
            [[r.pk for r in reports]],
        )
        expected = cursor.fetchone()[0]
    assert written == [[text] * 4 for text in json.loads(expected)]


def _session_zone() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone')")
        return cursor.fetchone()[0]


def _failing_page():
    """A page whose statement fails after the zone was set (1 / 0 in its filter)."""
    return selectors.report_feature_page(
        selectors.report_list_public().filter(pk=RawSQL("1 / 0", [])),
        offset=0,
        limit=10,
        count_upto=10,
        now=timezone.now(),
    )


def test_listing_leaves_the_connections_time_zone_as_django_set_it(city, api_client):
    _report(city, WEST_POINT)
    api_client.get(REPORTS)
    assert _session_zone() == connection.timezone_name


def test_a_failed_page_in_a_transaction_leaves_the_zone_as_django_set_it(city):
    """The zone's change is rolled back with the savepoint the failed page ran in."""
    with pytest.raises(DataError), transaction.atomic():
        _failing_page()
    assert _session_zone() == connection.timezone_name


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_in_autocommit_leaves_the_zone_as_django_set_it_failed_or_not():
    """Outside a transaction the page's three statements are one implicit transaction: the
    last one resets the zone, and when the page fails the whole is rolled back."""
    assert selectors.report_feature_page(
        selectors.report_list_public(), offset=0, limit=10, count_upto=10, now=timezone.now()
    ) == (0, b"[]")
    assert connection.get_autocommit()
    assert _session_zone() == connection.timezone_name
    with pytest.raises(DataError):
        _failing_page()
    assert _session_zone() == connection.timezone_name


def _through_every_filter_backend(params: dict) -> list[str]:
    """The codes the list's filter backends select for `params`, each backend run."""
    request = Request(APIRequestFactory().get(REPORTS, params))
    view = ReportListCreateView(request=request, format_kwarg=None, args=(), kwargs={})
    reports = selectors.report_list_public()
    for backend in view.filter_backends:
        reports = backend().filter_queryset(request, reports, view)
    return [report.tracking_code for report in reports]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"page_size": 500},
        {"in_bbox": "105.80,21.00,105.81,21.01"},
        {"near": f"{EAST_POINT[0]},{EAST_POINT[1]}", "radius_m": 200},
        {"format": "json", "unknown": "lost"},
        {"status_in": "lost"},
        {"status": "received", "in_bbox": "105.80,21.00,105.82,21.01"},
        {"area": "00002"},
    ],
)
def test_a_page_selects_what_every_filter_backend_would(city, api_client, params):
    """The filterset is left out when the query names none of its parameters; the page is
    the same as when every backend runs."""
    _report(city, WEST_POINT)
    _report(city, EAST_POINT)
    _report(city, EAST_POINT, status=Status.IN_PROGRESS)
    response = api_client.get(REPORTS, params)
    assert response.status_code == 200, response.content
    assert [f["id"] for f in response.json()["features"]] == _through_every_filter_backend(params)


def test_the_browsable_api_still_shows_a_page(city, api_client):
    _report(city, WEST_POINT)
    response = api_client.get(REPORTS, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"FeatureCollection" in response.content


@pytest.mark.parametrize(
    ("params", "sizes"),
    [
        ({}, [2, 2, 2]),
        ({"status": "received"}, [2, 2, 1]),
        ({"in_bbox": "105.80,21.00,105.81,21.01"}, [2, 2, 1]),
    ],
)
def test_a_page_read_straight_equals_the_page_read_by_ids(
    city, api_client, monkeypatch, params, sizes
):
    """Near the start of the list a page reads its rows straight, deeper it finds its ids
    first: every page, filtered or not, is the same either way."""
    for hours in (5, 1, 3, 2, 4):
        _report(city, WEST_POINT, created_at=timezone.now() - dt.timedelta(hours=hours))
    _report(city, EAST_POINT, status=Status.IN_PROGRESS)

    def pages(straight_before):
        monkeypatch.setattr(selectors, "_STRAIGHT_BEFORE", straight_before)
        return [
            api_client.get(REPORTS, {**params, "page": page, "page_size": 2}).content
            for page in (1, 2, 3)
        ]

    straight, by_ids = pages(10**6), pages(0)
    assert straight == by_ids
    assert [len(json.loads(page)["features"]) for page in straight] == sizes
