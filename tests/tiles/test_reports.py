"""The reports layer: public points at high zoom, counted cells below, filters, private scope."""

import datetime as dt
import re

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from reports.models import Category, Report, Status
from reports.services import report_transition
from tests.factories.reports import AgencyFactory, MembershipFactory, ReportFactory, UserFactory
from tests.plans import plan_without_seqscan
from tests.tiles.conftest import features, grid_position, tile_url
from tiles.layers import REPORT_POINTS_MINZOOM, layer_get
from tiles.params import (
    PARAM_AGENCY_WITHOUT_SCOPE,
    PARAM_BAD_DATETIME,
    PARAM_BAD_SCOPE,
    PARAM_EMPTY_WINDOW,
    PARAM_UNKNOWN_CATEGORY,
    PARAM_UNKNOWN_STATUS,
    SCOPE_NEEDS_MEMBER,
    SCOPE_NOT_MEMBER,
    LayerQuery,
)
from tiles.tilemath import tile_for_lonlat

pytestmark = pytest.mark.django_db

HOAN_KIEM = (105.8523, 21.0288)
POINT_Z = REPORT_POINTS_MINZOOM  # the first zoom with raw points
CELL_Z = 12


def at(lon: float, lat: float) -> GEOSGeometry:
    return GEOSGeometry(f"POINT({lon} {lat})", srid=4326)


def report(lon=HOAN_KIEM[0], lat=HOAN_KIEM[1], **kwargs):
    return ReportFactory(location=at(lon, lat), **kwargs)


def test_a_point_tile_shows_each_report_with_public_attributes_only(client):
    created = dt.datetime(2025, 7, 3, 8, 30, tzinfo=dt.UTC)
    flooded = report(
        category=Category.objects.get(code="ngap-ung"),
        status=Status.IN_PROGRESS,
        created_at=created,
        due_at=timezone.now() + dt.timedelta(days=2),
        description="Nước ngập sâu trước số nhà 12, nhà chị Hoa",
    )
    response = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z))
    [feature] = features(response, "reports")
    assert feature["properties"] == {
        "tracking_code": flooded.tracking_code,
        "category": "ngap-ung",
        "status": "in_progress",
        "created": int(created.timestamp()),
        "overdue": False,
    }
    x, y = feature["geometry"]["coordinates"]
    expected_x, expected_y = grid_position(*HOAN_KIEM, POINT_Z)
    assert x == pytest.approx(expected_x, abs=1)
    assert y == pytest.approx(expected_y, abs=1)
    # Nothing private anywhere in the bytes: no description, reporter name, username or phone.
    body = response.content
    for private in (
        "Nước ngập",
        flooded.reporter.username,
        flooded.reporter.last_name,
        "0912345678",
    ):
        assert private.encode() not in body


def test_open_reports_past_their_deadline_are_flagged_overdue(client):
    past = timezone.now() - dt.timedelta(hours=1)
    late = report(status=Status.RECEIVED, due_at=past)
    done = report(lon=HOAN_KIEM[0] + 0.0005, status=Status.RESOLVED, due_at=past)
    flags = {
        f["properties"]["tracking_code"]: f["properties"]["overdue"]
        for f in features(client.get(tile_url("reports", *HOAN_KIEM, POINT_Z)), "reports")
    }
    assert flags == {late.tracking_code: True, done.tracking_code: False}


def test_below_the_point_zoom_reports_are_counted_per_cell_and_category(client):
    flooding = Category.objects.get(code="ngap-ung")
    potholes = Category.objects.get(code="o-ga-mat-duong")
    # Three reports a few metres apart (one cell at z12, whose cells are ~300 m wide) ...
    report(category=flooding)
    report(lon=HOAN_KIEM[0] + 0.0001, category=flooding, due_at=timezone.now() - dt.timedelta(1))
    report(lat=HOAN_KIEM[1] + 0.0001, category=potholes, status=Status.RESOLVED)
    # ... and one 2 km away, in another cell of the same tile.
    report(lon=HOAN_KIEM[0] - 0.02, category=potholes)
    response = client.get(tile_url("reports", *HOAN_KIEM, CELL_Z))
    cells = sorted(
        (f["properties"] for f in features(response, "report_cells")), key=lambda p: -p["count"]
    )
    assert cells == [
        {
            "count": 3,
            "open_count": 2,
            "overdue_count": 1,
            "n_ngap-ung": 2,
            "n_o-ga-mat-duong": 1,
        },
        {"count": 1, "open_count": 1, "overdue_count": 0, "n_o-ga-mat-duong": 1},
    ]
    assert features(response, "reports") == []


def test_a_cell_is_drawn_at_the_mean_position_of_its_reports(client):
    report(lon=105.8520, lat=21.0290)
    report(lon=105.8526, lat=21.0286)
    [cell] = features(client.get(tile_url("reports", 105.8523, 21.0288, CELL_Z)), "report_cells")
    expected = grid_position(105.8523, 21.0288, CELL_Z)
    assert cell["geometry"]["coordinates"] == pytest.approx(list(expected), abs=1)


def test_a_city_of_reports_makes_a_small_low_zoom_tile(client):
    """2,500 reports over 5 km make a cell tile of a few KB, not 2,500 points."""
    with connection.cursor() as cursor:
        reporter = UserFactory()
        category = Category.objects.get(code="thu-gom-rac")
        cursor.execute(
            """
            INSERT INTO reports_report (tracking_code, category_id, description, location,
                reporter_id, status, created_at, updated_at, due_at, transfers_count)
            SELECT 'T' || g, %s, 'bulk', ST_SetSRID(ST_MakePoint(
                       105.83 + 0.001 * (g %% 50), 21.01 + 0.001 * (g / 50)), 4326),
                   %s, 'received', now(), now(), now() + interval '3 days', 0
            FROM generate_series(0, 2499) AS g
            """,
            [category.id, reporter.id],
        )
    response = client.get(tile_url("reports", 105.855, 21.035, 10))
    cells = features(response, "report_cells")
    assert sum(c["properties"]["count"] for c in cells) == 2500
    assert len(cells) < 100
    assert len(response.content) < 10_000


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=ngap-ung", {"flood"}),
        ("category=ngap-ung,o-ga-mat-duong", {"flood", "pothole"}),
        ("status=resolved", {"pothole"}),
        ("status=received&status=resolved", {"flood", "pothole"}),
        ("since=2025-06-01", {"pothole"}),
        ("until=2025-05-31", {"flood"}),
        ("since=2025-05-31&until=2025-05-31", {"flood"}),
        ("since=2025-05-31T23:00:00%2B07:00", {"pothole"}),
    ],
)
def test_filters_select_reports(client, query, expected):
    """`until` as a date includes that whole day (Hanoi time)."""
    flood = report(
        category=Category.objects.get(code="ngap-ung"),
        created_at=dt.datetime(2025, 5, 31, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    )
    pothole = report(
        lon=HOAN_KIEM[0] + 0.0005,
        category=Category.objects.get(code="o-ga-mat-duong"),
        status=Status.RESOLVED,
        created_at=dt.datetime(2025, 6, 2, tzinfo=dt.UTC),
        due_at=dt.datetime(2025, 6, 9, tzinfo=dt.UTC),
    )
    names = {flood.tracking_code: "flood", pothole.tracking_code: "pothole"}
    shown = features(client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, query)), "reports")
    assert {names[f["properties"]["tracking_code"]] for f in shown} == expected


@pytest.mark.parametrize(
    ("query", "parameter", "detail"),
    [
        ("category=ngap-ung,khong-co", "category", PARAM_UNKNOWN_CATEGORY.format(codes="khong-co")),
        (
            "status=open",
            "status",
            PARAM_UNKNOWN_STATUS.format(values="open", allowed=", ".join(Status.values)),
        ),
        ("since=yesterday", "since", PARAM_BAD_DATETIME.format(value="yesterday")),
        ("until=2025-02-30", "until", PARAM_BAD_DATETIME.format(value="2025-02-30")),
        ("until=9999-12-31", "until", PARAM_BAD_DATETIME.format(value="9999-12-31")),
        ("since=0001-01-01", "since", PARAM_BAD_DATETIME.format(value="0001-01-01")),
        (
            "since=2025-07-01T10:00:00%2B25:00",
            "since",
            PARAM_BAD_DATETIME.format(value="2025-07-01T10:00:00+25:00"),
        ),
        ("since=2025-07-02&until=2025-07-01", "until", PARAM_EMPTY_WINDOW),
        ("scope=everything", "scope", PARAM_BAD_SCOPE.format(value="everything")),
        ("agency=phuong-ba-dinh", "agency", PARAM_AGENCY_WITHOUT_SCOPE),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(client, query, parameter, detail):
    response = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, query))
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "parameter": parameter}
    assert response["Cache-Control"] == "no-store"


def test_filters_are_part_of_the_cache_key(client):
    report(category=Category.objects.get(code="ngap-ung"))
    everything = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z))
    potholes = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, "category=o-ga-mat-duong"))
    assert len(features(everything, "reports")) == 1
    assert potholes.status_code == 204


def test_tiles_carry_an_etag_and_answer_304_when_it_matches(client):
    report()
    url = tile_url("reports", *HOAN_KIEM, POINT_Z)
    first = client.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=60"
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def stored_without_signals(**kwargs) -> Report:
    """A report saved with bulk_create, which sends no post_save.

    The test's transaction never commits, so a version bump registered while setting up would
    stay pending and (being once per transaction) absorb the bump of the change under test.
    """
    built = ReportFactory.build(
        location=at(*HOAN_KIEM), reporter=UserFactory(), category=Category.objects.first(), **kwargs
    )
    [stored] = Report.objects.bulk_create([built])
    return stored


def test_a_status_change_is_visible_in_the_next_tile(client, django_capture_on_commit_callbacks):
    pinned = stored_without_signals(status=Status.RECEIVED)
    url = tile_url("reports", *HOAN_KIEM, POINT_Z)
    before = client.get(url)
    [feature] = features(before, "reports")
    assert feature["properties"]["status"] == "received"
    with django_capture_on_commit_callbacks(execute=True):
        pinned.status = Status.IN_PROGRESS
        pinned.save()
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    [feature] = features(after, "reports")
    assert feature["properties"]["status"] == "in_progress"


def test_a_deadline_about_to_pass_shortens_max_age(client):
    """The tile changes by itself when the report turns overdue; nobody may keep it longer."""
    report(status=Status.RECEIVED, due_at=timezone.now() + dt.timedelta(seconds=20))
    response = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z))
    max_age = int(response["Cache-Control"].rsplit("=", 1)[1])
    assert 0 <= max_age <= 20


def test_the_tile_statement_uses_the_spatial_index_on_report_locations():
    """`&&` against the tile envelope transformed to 4326 must be answerable by the GiST index,
    for points and for cells counted from the reports."""
    layer = layer_get("reports")
    for z, sql_of in ((CELL_Z, layer.counted_cells_sql), (POINT_Z, layer.sql)):
        sql, params = sql_of(tile_for_lonlat(*HOAN_KIEM, z), LayerQuery(), timezone.now())
        shown = plan_without_seqscan(sql, params)
        assert "Seq Scan on reports_report" not in shown
        # A GiST index on the locations serves it: all reports, the tiles' covering one
        # (report_tile_points), or only the open ones (report_open_location_category) when
        # the filter asks for open statuses.
        # ("Index Scan using <name> on" or "Bitmap Index Scan on <name>")
        names = r"reports_report_location\w*|report_tile_points|report_open_location_category"
        assert re.search(rf"\b({names})\b", shown), shown


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_points_tile_is_read_from_the_covering_index_without_the_table():
    """Everything a points tile (and a counted cell tile) reads is in report_tile_points, so
    once VACUUM has marked the table's pages all-visible PostgreSQL never visits the table."""
    template = report(status=Status.RECEIVED)
    for i in range(39):  # 40 reports in the tiles, 2,000 elsewhere in the city
        report(lon=HOAN_KIEM[0] + i * 1e-5, status=Status.RECEIVED if i % 2 else Status.RESOLVED)
    elsewhere = []
    for i in range(2000):
        copy = Report.objects.get(pk=template.pk)
        copy.pk, copy.tracking_code = None, f"FAR{i:07d}"
        copy.location = at(HOAN_KIEM[0] - 0.3 + (i % 50) * 1e-3, HOAN_KIEM[1] + (i // 50) * 1e-3)
        elsewhere.append(copy)
    Report.objects.bulk_create(elsewhere)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) reports_report")
    layer = layer_get("reports")
    for z, sql_of in ((POINT_Z, layer.sql), (CELL_Z, layer.counted_cells_sql)):
        sql, params = sql_of(tile_for_lonlat(*HOAN_KIEM, z), LayerQuery(), timezone.now())
        with transaction.atomic(), connection.cursor() as cursor:
            # A small table is cheaper to read whole or through a bitmap; a city's is not.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
            shown = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Only Scan using report_tile_points on reports_report" in shown, shown
        assert re.search(r"Heap Fetches: 0\b", shown), shown
        assert "(actual rows=40 " in shown, shown


def test_a_stored_cell_tile_reads_its_rows_and_the_deadlines_by_index():
    """The pre-aggregated tile reads its cells by primary key and the open reports not yet
    due by deadline; it never scans reports_report."""
    layer = layer_get("reports")
    sql, params = layer.sql(tile_for_lonlat(*HOAN_KIEM, CELL_Z), LayerQuery(), timezone.now())
    shown = plan_without_seqscan(sql, params)
    assert "reports_report " not in shown
    assert "Seq Scan" not in shown
    assert "tiles_reportcell_pkey" in shown, shown
    assert "tiles_reportdeadline_due_at" in shown, shown


@pytest.fixture
def agencies():
    ba_dinh = AgencyFactory(code="phuong-ba-dinh")
    hoan_kiem = AgencyFactory(code="phuong-hoan-kiem")
    official = MembershipFactory(agency=hoan_kiem).user
    ours = report(agency=hoan_kiem, due_at=dt.datetime(2030, 1, 2, tzinfo=dt.UTC))
    theirs = report(lon=HOAN_KIEM[0] + 0.0005, agency=ba_dinh)
    return {"official": official, "ours": ours, "theirs": theirs}


def test_an_agency_member_sees_deadlines_and_agency_of_their_own_reports_only(client, agencies):
    client.force_login(agencies["official"])
    response = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, "scope=agency"))
    [feature] = features(response, "reports")
    assert feature["properties"]["tracking_code"] == agencies["ours"].tracking_code
    assert feature["properties"]["agency"] == "phuong-hoan-kiem"
    assert feature["properties"]["due"] == int(dt.datetime(2030, 1, 2, tzinfo=dt.UTC).timestamp())
    assert response["Cache-Control"].startswith("private, ")
    assert "Authorization" in response["Vary"] and "Cookie" in response["Vary"]


def test_private_tiles_accept_a_token_and_name_the_agency(client, agencies):
    token = Token.objects.create(user=agencies["official"])
    response = client.get(
        tile_url("reports", *HOAN_KIEM, POINT_Z, "scope=agency&agency=phuong-hoan-kiem"),
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert [f["properties"]["agency"] for f in features(response, "reports")] == [
        "phuong-hoan-kiem"
    ]


def test_private_tiles_are_refused_to_anonymous_users_and_other_agencies(client, agencies):
    anonymous = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, "scope=agency"))
    assert anonymous.status_code == 403
    assert anonymous.json()["detail"] == SCOPE_NEEDS_MEMBER
    client.force_login(agencies["official"])
    other = client.get(
        tile_url("reports", *HOAN_KIEM, POINT_Z, "scope=agency&agency=phuong-ba-dinh")
    )
    assert other.status_code == 403
    assert other.json()["detail"] == SCOPE_NOT_MEMBER.format(code="phuong-ba-dinh")
    citizen = UserFactory()
    client.force_login(citizen)
    assert client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, "scope=agency")).status_code == 403


def test_a_private_tile_is_never_served_from_the_public_cache_entry(client, agencies):
    public = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z))
    assert all("due" not in f["properties"] for f in features(public, "reports"))
    client.force_login(agencies["official"])
    private = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, "scope=agency"))
    assert all("due" in f["properties"] for f in features(private, "reports"))
    client.logout()
    again = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z))
    assert all("due" not in f["properties"] for f in features(again, "reports"))


def test_a_bad_token_is_refused_for_private_tiles_but_ignored_for_public_ones(client, agencies):
    stale = {"HTTP_AUTHORIZATION": "Token 0000000000000000000000000000000000000000"}
    public = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z), **stale)
    assert len(features(public, "reports")) == 2
    private = client.get(tile_url("reports", *HOAN_KIEM, POINT_Z, "scope=agency"), **stale)
    assert private.status_code == 403


def test_a_transition_through_the_reports_service_is_visible_in_the_next_tile(
    client, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(agency=AgencyFactory(code="phuong-hoan-kiem"))
    pinned = stored_without_signals(status=Status.RECEIVED, agency=membership.agency)
    url = tile_url("reports", *HOAN_KIEM, POINT_Z)
    assert features(client.get(url), "reports")[0]["properties"]["status"] == "received"
    with django_capture_on_commit_callbacks(execute=True):
        report_transition(report=pinned, actor=membership.user, to_status=Status.IN_PROGRESS)
    assert features(client.get(url), "reports")[0]["properties"]["status"] == "in_progress"


def test_the_agency_tilejson_lists_the_private_fields_and_is_private(client, agencies):
    client.force_login(agencies["official"])
    response = client.get("/tiles/reports.json?scope=agency")
    [points] = [layer for layer in response.json()["vector_layers"] if layer["id"] == "reports"]
    assert {"agency", "due"} <= set(points["fields"])
    assert response.json()["tiles"][0].endswith("{z}/{x}/{y}.mvt?scope=agency")
    assert response["Cache-Control"].startswith("private, ")
