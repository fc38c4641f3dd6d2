"""Case 2's statements do the work they are measured for, in the test database.

The reference (pgbench's and the Django floor's insert-and-route SQL) must store what a
filing stores, or its rate would flatter it; the thin view (bench/floor_urls.py) must check
the token, the citizen's permission and the body, or its rate would say less than what the
creation target takes.
"""

import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token

from bench import floor_urls
from bench.cases.creation import DESCRIPTION, floor_sql, report_other_columns, thin_sql
from reports.deadlines import calendar_load
from reports.models import Category, IdempotencyKey, Notice, Report, ReportEvent, Status
from tests.factories.reports import UserFactory
from tests.reports.conftest import EAST_POINT, FAR_POINT, WEST_POINT

TRASH = "rac-thai-sai-quy-dinh"


def _other_columns() -> list[tuple[str, str]]:
    connection.ensure_connection()
    return report_other_columns(connection.connection)


def test_the_reference_statement_routes_and_stores_what_a_filing_stores(
    city, citizen, west_official
):
    sql = floor_sql(generation_id=city.generation.id, extra=_other_columns())
    trash = Category.objects.get(code=TRASH)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "lon": EAST_POINT[0],
                "lat": EAST_POINT[1],
                "description": DESCRIPTION,
                "category": trash.id,
                "user": citizen.id,
            },
        )
    report = Report.objects.get()
    assert (report.area, report.agency, report.reporter) == (
        city.east,
        city.east_agency,
        citizen,
    )
    assert report.status == Status.RECEIVED and report.category == trash
    assert ReportEvent.objects.get().report == report
    assert IdempotencyKey.objects.get().report == report
    assert not Notice.objects.exists()  # the east ward has no officials

    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "lon": WEST_POINT[0],
                "lat": WEST_POINT[1],
                "description": DESCRIPTION,
                "category": trash.id,
                "user": citizen.id,
            },
        )
    west = Report.objects.get(area=city.west)
    assert west.agency == city.west_agency
    assert list(Notice.objects.values_list("tracking_code", "recipient")) == [
        (west.tracking_code, west_official.email)
    ]


@pytest.fixture
def thin(city, monkeypatch):
    """POST to the thin view with the given body and headers; returns (status, answer)."""
    monkeypatch.setenv(
        "BENCH_THIN_SQL", thin_sql(generation_id=city.generation.id, extra=_other_columns())
    )
    floor_urls._thin_categories.cache_clear()
    factory = RequestFactory()

    def post(body, *, token: str | None = None, key: str | None = "k-1"):
        headers = {}
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = factory.post(
            floor_urls.THIN_PATH, raw, content_type="application/json", **headers
        )
        # A savepoint stands for the statement's own transaction (the view runs in
        # autocommit): a refused insert (409) rolls back to it.
        with transaction.atomic():
            response = floor_urls.file_thin(request)
            if hasattr(response, "render"):
                response.render()
            transaction.set_rollback(response.status_code == 409)
        return response.status_code, json.loads(response.content)

    yield post
    floor_urls._thin_categories.cache_clear()


def body(point=WEST_POINT, **changes) -> dict:
    return {
        "category": TRASH,
        "description": "  " + DESCRIPTION + "\u200b ",
        "location": {"type": "Point", "coordinates": list(point)},
        "accuracy_m": 12,
        **changes,
    }


def test_the_thin_view_files_for_the_token_s_citizen(city, citizen, west_official, thin):
    token = Token.objects.create(user=citizen).key
    status, answer = thin(body(), token=token, key="k-1")
    assert status == 201, answer
    report = Report.objects.get()
    assert answer["tracking_code"] == report.tracking_code
    assert answer["possible_duplicates"] == []
    assert (report.reporter, report.area, report.agency) == (citizen, city.west, city.west_agency)
    assert report.description == DESCRIPTION  # trimmed, the invisible character dropped
    assert report.accuracy_m == 12
    working_days = Category.objects.get(code=TRASH).deadline_days
    assert report.due_at == calendar_load().due_at(report.created_at, working_days)
    key = IdempotencyKey.objects.get()
    assert (key.key, key.user, key.report) == ("k-1", citizen, report)
    assert ReportEvent.objects.get().actor == citizen
    assert list(Notice.objects.values_list("recipient", flat=True)) == [west_official.email]

    status, again = thin(body(), token=token, key="k-2")
    assert status == 201
    assert [d["tracking_code"] for d in again["possible_duplicates"]] == [report.tracking_code]
    assert again["possible_duplicates"][0]["status"] == Status.RECEIVED
    assert again["possible_duplicates"][0]["distance_m"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "no-such-category"}, "category"),
        ({"description": " \u200b "}, "description"),
        ({"location": {"type": "LineString", "coordinates": [[105.8, 21.0]]}}, "location"),
        ({"location": {"type": "Point", "coordinates": [185.0, 21.0]}}, "location"),
        ({"location": {"type": "Point", "coordinates": ["105.8", 21.0]}}, "location"),
        ({"accuracy_m": -1}, "accuracy_m"),
        ({"location": {"type": "Point", "coordinates": [True, 21.0]}}, "location"),
    ],
)
def test_the_thin_view_refuses_a_bad_body_with_what_was_wrong(city, citizen, thin, change, field):
    token = Token.objects.create(user=citizen).key
    status, answer = thin(body(**change), token=token)
    assert status == 400 and field in answer
    assert not Report.objects.exists()


def test_the_thin_view_refuses_what_is_not_json_or_has_no_key(city, citizen, thin):
    token = Token.objects.create(user=citizen).key
    assert thin(b"{not json", token=token)[0] == 400
    assert thin([1, 2], token=token)[0] == 400
    status, answer = thin(body(), token=token, key=None)
    assert status == 400 and "Idempotency-Key" in answer
    assert thin(body(), token=None)[0] == 401
    assert not Report.objects.exists()


def test_the_thin_view_files_nothing_without_a_valid_token_permission_and_place(
    city, citizen, thin, settings
):
    token = Token.objects.create(user=citizen)
    assert thin(body(), token="0" * 40)[0] == 422  # no such token
    assert thin(body(point=FAR_POINT), token=token.key)[0] == 422  # outside every area
    no_role = UserFactory(username="khong_vai_tro", roles=[])
    assert thin(body(), token=Token.objects.create(user=no_role).key)[0] == 422
    Token.objects.filter(pk=token.pk).update(
        created=timezone.now() - dt.timedelta(days=settings.API_TOKEN_TTL_DAYS + 1)
    )
    assert thin(body(), token=token.key)[0] == 422  # past its lifetime
    assert not Report.objects.exists()
    citizen.is_active = False
    citizen.save()
    Token.objects.filter(pk=token.pk).update(created=timezone.now())
    assert thin(body(), token=token.key)[0] == 422
    assert not Report.objects.exists()


def test_a_reused_key_is_refused_and_stores_nothing_more(city, citizen, thin):
    token = Token.objects.create(user=citizen).key
    assert thin(body(), token=token, key="same")[0] == 201
    status, answer = thin(body(), token=token, key="same")
    assert status == 409 and "Idempotency-Key" in answer
    assert Report.objects.count() == 1
