"""Duplicates and support: nearby open reports are found in metres on the spheroid, a citizen
can +1 and follow one instead of filing again, and a duplicate hands its followers on."""

import json
import re

import pytest
from django.contrib.gis.geos import Point
from pyproj import Geod

from reports import selectors, services
from reports.models import Follow, Report, Status
from tests.factories.reports import CategoryFactory, ReportFactory, UserFactory
from tests.plans import plan_without_seqscan

from .conftest import WEST_POINT, client_for

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"
NEARBY = "/api/v1/reports/nearby"
_WGS84 = Geod(ellps="WGS84")


def offset(distance_m: float, azimuth: float) -> tuple[float, float]:
    """The point `distance_m` metres from WEST_POINT along `azimuth` (0 north, 90 east)."""
    lon, lat, _ = _WGS84.fwd(WEST_POINT[0], WEST_POINT[1], azimuth, distance_m)
    return lon, lat


def _open_report(city, lon_lat, **fields):
    return ReportFactory(
        agency=city.west_agency,
        area=city.west,
        location=Point(*lon_lat, srid=4326),
        **fields,
    )


@pytest.fixture
def ring(city):
    """Open waste reports 240 m and 260 m north and east of WEST_POINT.

    At 21° N a degree of longitude is about 104 km and one of latitude about 110.7 km, so
    a single degree threshold cannot split both pairs: only metres can.
    """
    return {
        (distance, azimuth): _open_report(city, offset(distance, azimuth))
        for distance in (240, 260)
        for azimuth in (0, 90)
    }


def test_nearby_finds_reports_within_250_metres_north_and_east_and_not_beyond(ring, api_client):
    response = api_client.get(
        NEARBY,
        {"lat": WEST_POINT[1], "lon": WEST_POINT[0], "category": "rac-thai-sai-quy-dinh"},
    )
    assert response.status_code == 200, response.content
    found = {r["tracking_code"]: r for r in response.json()}
    assert set(found) == {ring[(240, 0)].tracking_code, ring[(240, 90)].tracking_code}
    for (distance, _azimuth), report in ring.items():
        if distance == 240:
            assert found[report.tracking_code]["distance_m"] == pytest.approx(240, abs=0.5)
    first = next(iter(found.values()))
    assert set(first) == {
        "tracking_code",
        "category",
        "status",
        "distance_m",
        "created_at",
        "supporters_count",
        "location",
    }


def test_nearby_radius_widens_the_search_in_metres(ring, api_client):
    response = api_client.get(NEARBY, {"lat": WEST_POINT[1], "lon": WEST_POINT[0], "radius_m": 265})
    assert len(response.json()) == 4
    distances = [r["distance_m"] for r in response.json()]
    assert distances == sorted(distances)


def test_nearby_lists_only_open_reports_of_the_asked_category(city, api_client):
    near = offset(20, 45)
    _open_report(city, near, status=Status.CLOSED)
    _open_report(city, near, category=CategoryFactory(code="o-ga-mat-duong"))
    kept = _open_report(city, near, status=Status.IN_PROGRESS)
    response = api_client.get(
        NEARBY,
        {"lat": WEST_POINT[1], "lon": WEST_POINT[0], "category": "rac-thai-sai-quy-dinh"},
    )
    assert [r["tracking_code"] for r in response.json()] == [kept.tracking_code]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 105.8}, "lat"),
        ({"lat": 95, "lon": 105.8}, "lat"),
        ({"lat": 21, "lon": "abc"}, "lon"),
        ({"lat": 21, "lon": 105.8, "radius_m": 5000}, "radius_m"),
        ({"lat": 21, "lon": 105.8, "radius_m": "nan"}, "radius_m"),
        ({"lat": 21, "lon": 105.8, "category": "khong-co"}, "category"),
    ],
)
def test_nearby_refuses_bad_parameters_with_400_naming_them(db, api_client, params, field):
    response = api_client.get(NEARBY, params)
    assert response.status_code == 400
    assert field in response.json()


def test_filing_a_report_lists_the_open_ones_nearby_as_possible_duplicates(
    ring, citizen, api_client
):
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Rác lại bị đổ ở đây.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 201
    duplicates = response.json()["possible_duplicates"]
    assert {d["tracking_code"] for d in duplicates} == {
        ring[(240, 0)].tracking_code,
        ring[(240, 90)].tracking_code,
    }
    assert set(duplicates[0]) == {"tracking_code", "category", "status", "distance_m", "created_at"}


def test_the_duplicate_check_answers_as_the_nearby_search_does(city, ring):
    """The filing's one-statement duplicate check (reports_possible_duplicates) and the
    ORM's nearby search agree: same reports, order and distances, for every radius and
    limit, with closed reports, other categories and the report itself left out."""
    category = ring[(240, 0)].category
    _open_report(city, offset(100, 45), status=Status.RESOLVED, category=category)
    _open_report(city, offset(50, 180), category=CategoryFactory())
    itself = _open_report(city, WEST_POINT, category=category)
    _open_report(city, offset(120, 270), category=category, status=Status.IN_PROGRESS)
    point = Point(*WEST_POINT, srid=4326)
    for radius_m, limit in ((250, 5), (300, 5), (300, 2), (10, 5)):
        rows = selectors.reports_possible_duplicates(
            point=point,
            category_id=category.pk,
            exclude_id=itself.pk,
            radius_m=radius_m,
            limit=limit,
        )
        nearby = selectors.reports_nearby(
            point=point, radius_m=radius_m, category=category, exclude_id=itself.pk, limit=limit
        )
        expected = [
            (r.tracking_code, r.category_code, r.status, r.distance_m, r.created_at) for r in nearby
        ]
        got = [
            (r["tracking_code"], r["category_code"], r["status"], r["distance_m"], r["created_at"])
            for r in rows
        ]
        assert got == expected, (radius_m, limit)
    assert len(rows) == 0  # 10 m: nothing but the report itself, which is left out


def test_supporting_a_report_counts_once_per_user_and_follows_it(city, api_client):
    report = _open_report(city, WEST_POINT)
    supporter = UserFactory()
    client = client_for(api_client, supporter)
    url = f"{REPORTS}/{report.tracking_code}/support"
    for _ in range(3):
        response = client.post(url)
        assert response.status_code == 200, response.content
        assert response.json() == {"supporters_count": 1, "following": True}
    assert Follow.objects.get(report=report, user=supporter).supports is True
    client_for(api_client, UserFactory()).post(url)
    detail = api_client.get(f"{REPORTS}/{report.tracking_code}").json()["properties"]
    assert detail["supporters_count"] == 2
    nearby = api_client.get(NEARBY, {"lat": WEST_POINT[1], "lon": WEST_POINT[0]}).json()
    assert nearby[0]["supporters_count"] == 2


def test_the_reporter_cannot_support_their_own_report_nor_anyone_a_closed_one(city, api_client):
    report = _open_report(city, WEST_POINT)
    own = client_for(api_client, report.reporter).post(f"{REPORTS}/{report.tracking_code}/support")
    assert own.status_code == 409
    assert own.json()["detail"] == services.SUPPORT_OWN_REPORT
    closed = _open_report(city, WEST_POINT, status=Status.CLOSED)
    response = client_for(api_client, UserFactory()).post(
        f"{REPORTS}/{closed.tracking_code}/support"
    )
    assert response.status_code == 409
    assert not Follow.objects.exists()


def test_supporting_needs_a_signed_in_user(city, api_client):
    report = _open_report(city, WEST_POINT)
    response = api_client.post(f"{REPORTS}/{report.tracking_code}/support")
    assert response.status_code in (401, 403)
    assert not Follow.objects.exists()


def test_a_duplicate_hands_its_supporters_followers_and_reporter_to_the_original(
    city, west_official, api_client
):
    original = _open_report(city, WEST_POINT)
    duplicate = _open_report(city, offset(30, 10))
    supporter, follower, both = UserFactory(), UserFactory(), UserFactory()
    Follow.objects.create(report=duplicate, user=supporter, supports=True)
    Follow.objects.create(report=duplicate, user=follower, supports=False)
    Follow.objects.create(report=duplicate, user=both, supports=True)
    Follow.objects.create(report=original, user=both, supports=False)
    response = client_for(api_client, west_official).post(
        f"{REPORTS}/{duplicate.tracking_code}/transition",
        json.dumps({"to_status": "duplicate", "duplicate_of": original.tracking_code}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    moved = dict(Follow.objects.filter(report=original).values_list("user_id", "supports"))
    assert moved == {
        supporter.pk: True,
        follower.pk: False,
        both.pk: True,
        duplicate.reporter_id: False,
    }
    assert not Follow.objects.filter(report=duplicate).exists()
    assert selectors.supporters_count(original) == 2


def test_open_reports_are_selected_with_the_statuses_written_into_the_sql(city, ring):
    """Bound as parameters, the statuses would hide report_open_location_category's predicate
    from a prepared statement's generic plan (reports.models.InChoices)."""
    sql, params = Report.objects.open().query.sql_with_params()
    assert "\"status\" IN ('received', 'in_progress')" in sql
    assert not {"received", "in_progress"} & {str(p) for p in params}
    assert set(Report.objects.open()) == set(ring.values())
    with pytest.raises(ValueError, match="choice values"):
        list(Report.objects.filter(status__in_choices=["received') OR (1=1"]))


def test_the_duplicate_check_reads_only_its_category_from_the_open_reports_index(city, ring):
    """The category is a key of report_open_location_category beside the location, so the
    index itself leaves out other categories' reports (a table visit each otherwise), both
    in the filing's constant statement and in the nearby search. psycopg sends a small int
    as int2 and btree_gist indexes no int8 = int2: without the cast to the column's type the
    category would show as a Filter on the table instead."""
    category = ring[(240, 0)].category
    point = Point(*WEST_POINT, srid=4326)
    nearby = selectors.reports_nearby(point=point, category=category)
    for sql, params in (
        (
            selectors.DUPLICATES_SQL,
            selectors.duplicates_params(point=point, category_id=category.pk, exclude_id=0),
        ),
        nearby.query.sql_with_params(),
    ):
        shown = plan_without_seqscan(sql, list(params))
        scan = re.search(
            r"Index Scan (?:using|on) report_open_location_category.*\n\s+Index Cond: (.*)", shown
        )
        assert scan, shown
        assert "category_id = " in scan.group(1), shown
    assert {r.pk for r in nearby} == {ring[(240, 0)].pk, ring[(240, 90)].pk}
