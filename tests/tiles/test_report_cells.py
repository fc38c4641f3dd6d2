"""The report-cell pre-aggregate: kept exact by the triggers, and drawing the counted tiles."""

from __future__ import annotations

import datetime as dt
import random

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import Sum
from django.http import QueryDict
from django.utils import timezone

from reports.models import Category, Report, Status
from tests.factories.reports import AgencyFactory, MembershipFactory, ReportFactory, UserFactory
from tests.tiles.conftest import features, tile_url
from tiles.layers import REPORT_CELLS_FIRST_STORED_ZOOM, REPORT_POINTS_MINZOOM, layer_get
from tiles.models import ReportCell, ReportDeadline
from tiles.tilemath import tile_for_lonlat

pytestmark = pytest.mark.django_db

HOAN_KIEM = (105.8523, 21.0288)
NOW = timezone.now()
STORED_ZOOMS = range(REPORT_CELLS_FIRST_STORED_ZOOM, REPORT_POINTS_MINZOOM)
# Zooms compared between the two paths: rolled up from the first stored zoom (z5), stored
# (z8 ... z15), with neighbouring tiles so a cell on a tile edge would show.
COMPARED_ZOOMS = (5, 8, 10, 12, 14, 15)
FILTERS = ("", "category=ngap-ung", "status=received,resolved", "category=ngap-ung&status=closed")

# The aggregate recounted from reports_report, key for key: what the triggers must keep.
RECOUNT_SQL = """
    SELECT z.zoom, k.cell_x, k.cell_y, r.category_id, r.status,
           count(*), sum(m.px), sum(m.py)
    FROM reports_report AS r
    CROSS JOIN LATERAL (
        SELECT radians(ST_X(r.location)) * 6378137.0 AS px,
               ln(tan(pi() / 4 + radians(ST_Y(r.location)) / 2)) * 6378137.0 AS py
    ) AS m
    CROSS JOIN generate_series(%s::integer, %s::integer) AS z(zoom)
    CROSS JOIN LATERAL (
        SELECT 40075016.68557849::float8 / (1::bigint << (z.zoom + 5)) AS size
    ) AS c
    CROSS JOIN LATERAL (
        SELECT floor((m.px + 20037508.342789244) / c.size)::integer AS cell_x,
               floor((20037508.342789244 - m.py) / c.size)::integer AS cell_y
    ) AS k
    WHERE r.location IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
"""


def at(lon: float, lat: float) -> GEOSGeometry:
    return GEOSGeometry(f"POINT({lon} {lat})", srid=4326)


def assert_aggregate_exact() -> None:
    """Every stored count equals a GROUP BY of the reports (no more rows, no fewer, none
    empty), the x/y sums agree with the reports' to a micrometre per report, and the
    deadline list holds exactly the open reports with a location."""
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT_SQL, [STORED_ZOOMS[0], STORED_ZOOMS[-1]])
        expected = {tuple(row[:5]): row[5:] for row in cursor.fetchall()}
    rows = ReportCell.objects.values_list(
        "zoom", "cell_x", "cell_y", "category_id", "status", "reports", "sum_x", "sum_y"
    )
    kept = {tuple(row[:5]): row[5:] for row in rows}
    assert {key: n for key, (n, _, _) in kept.items()} == {
        key: n for key, (n, _, _) in expected.items()
    }
    for key, (n, sx, sy) in kept.items():
        assert (sx, sy) == pytest.approx(expected[key][1:], abs=1e-6 * n), key
    open_reports = Report.objects.open().filter(location__isnull=False)
    assert set(
        ReportDeadline.objects.values_list("report_id", "due_at", "category_id", "status")
    ) == set(open_reports.values_list("id", "due_at", "category_id", "status"))


def decoded(sql_and_params: tuple[str, list]) -> tuple[list, dt.datetime | None]:
    """A tile statement's features (sorted, comparable) and its next-change moment."""
    sql, params = sql_and_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        body, next_change = cursor.fetchone()
    layers = mapbox_vector_tile.decode(bytes(body or b""), default_options={"y_coord_down": True})
    cells = layers.get("report_cells", {}).get("features", [])
    return sorted(
        (tuple(f["geometry"]["coordinates"]), sorted(f["properties"].items())) for f in cells
    ), next_change


def assert_paths_agree(query_string: str = "", around=HOAN_KIEM) -> int:
    """The pre-aggregate path and the counting path draw the same cells with the same
    counts at the same positions, and report the same next change, for the 3 × 3 tiles
    around `around` at every compared zoom. Returns how many cells were compared."""
    layer = layer_get("reports")
    query = layer.parse(QueryDict(query_string), None)
    compared = 0
    for z in COMPARED_ZOOMS:
        centre = tile_for_lonlat(*around, z)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                tile = type(centre)(z, centre.x + dx, centre.y + dy)
                counted = decoded(layer.counted_cells_sql(tile, query, NOW))
                with_cells = decoded(layer.stored_cells_sql(tile, query, NOW))
                assert with_cells == counted, (query_string, str(tile))
                compared += len(counted[0])
    return compared


def scatter(n: int, seed: int, *, spread: float = 0.03) -> list[Report]:
    """`n` reports around Hoàn Kiếm (about 3 km), with random categories, statuses and
    deadlines on both sides of now, a few without a location."""
    rng = random.Random(seed)
    categories = list(Category.objects.filter(code__in=["ngap-ung", "o-ga-mat-duong"]))
    categories += list(Category.objects.exclude(pk__in=[c.pk for c in categories])[:2])
    reporter = UserFactory()
    built = []
    for i in range(n):
        lon = HOAN_KIEM[0] + rng.gauss(0, spread)
        lat = HOAN_KIEM[1] + rng.gauss(0, spread)
        built.append(
            ReportFactory.build(
                reporter=reporter,
                category=rng.choice(categories),
                status=rng.choice(Status.values[:5]),
                location=None if i % 50 == 49 else at(lon, lat),
                due_at=NOW + dt.timedelta(hours=rng.uniform(-72, 72)),
            )
        )
    return Report.objects.bulk_create(built)


def test_a_filed_report_is_counted_at_every_stored_zoom():
    """One row per stored zoom, each counting the report once at its Mercator position."""
    filed = ReportFactory(location=at(*HOAN_KIEM))
    rows = list(ReportCell.objects.order_by("zoom"))
    assert [row.zoom for row in rows] == list(STORED_ZOOMS)
    assert {(row.category_id, row.status, row.reports) for row in rows} == {
        (filed.category_id, "received", 1)
    }
    [listed] = ReportDeadline.objects.all()
    assert (listed.report_id, listed.due_at) == (filed.id, filed.due_at)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(%s::geometry, 3857) AS p",
            [at(*HOAN_KIEM).ewkt],
        )
        x, y = cursor.fetchone()
    for row in rows:
        assert (row.sum_x, row.sum_y) == pytest.approx((x, y), abs=1e-6)
        tile = tile_for_lonlat(*HOAN_KIEM, row.zoom)
        assert (row.tile_x, row.tile_y) == (tile.x, tile.y)
        assert (row.cell_x // 32, row.cell_y // 32) == (tile.x, tile.y)


def test_the_aggregate_equals_a_group_by_of_reports_after_a_mixed_workload():
    """Bulk inserts, single saves, status and category changes, moves, deadline changes,
    bulk updates and deletes all leave exactly the counts a GROUP BY gives."""
    reports = scatter(300, seed=1)
    assert_aggregate_exact()
    rng = random.Random(2)
    flooding = Category.objects.get(code="ngap-ung")
    for report in rng.sample(reports, 20):  # one save at a time, as the services do
        report.status = Status.CLOSED
        report.save()
    for report in rng.sample(reports, 20):
        report.category = flooding
        report.save()
    for report in rng.sample(reports, 20):
        report.location = at(105.80 + rng.random() / 10, 21.0 + rng.random() / 10)
        report.save()
    moved_away = rng.choice(reports)
    moved_away.location = None
    moved_away.save()
    assert_aggregate_exact()
    Report.objects.filter(status=Status.RECEIVED).update(status=Status.IN_PROGRESS)
    Report.objects.filter(category=flooding).update(due_at=NOW + dt.timedelta(days=30))
    Report.objects.filter(pk__in=[r.pk for r in reports[:40]]).delete()
    Report.objects.filter(pk__in=[r.pk for r in reports[40:50]]).update(location=at(105.9, 21.1))
    Report.objects.update(description="nothing the aggregate counts")
    assert_aggregate_exact()
    assert not ReportCell.objects.filter(reports__lte=0).exists()


def test_deleting_every_report_of_a_cell_deletes_its_rows():
    """A row whose count falls to zero is removed, not kept at zero."""
    [report] = scatter(1, seed=3, spread=0)
    assert ReportCell.objects.count() == len(STORED_ZOOMS)
    report.delete()
    assert not ReportCell.objects.exists()


def test_truncating_reports_empties_the_aggregate_and_the_deadline_list():
    scatter(20, seed=4)
    with connection.cursor() as cursor:
        # The test's inserts left deferred foreign-key checks, which TRUNCATE refuses.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE reports_report CASCADE")
    assert not ReportCell.objects.exists()
    assert not ReportDeadline.objects.exists()


def test_an_insert_select_of_many_reports_is_counted_in_one_statement():
    """A bulk INSERT ... SELECT (as the benchmark loads a city) goes through the statement
    trigger once and is counted exactly."""
    reporter = UserFactory()
    category = Category.objects.get(code="thu-gom-rac")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO reports_report (tracking_code, category_id, description, location,
                reporter_id, status, created_at, updated_at, due_at, transfers_count)
            SELECT 'T' || g, %s, 'bulk', ST_SetSRID(ST_MakePoint(
                       105.83 + 0.0007 * (g %% 70), 21.01 + 0.0007 * (g / 70)), 4326),
                   %s, (ARRAY['received', 'closed'])[1 + g %% 2], now(), now(),
                   now() + (g - 1000) * interval '1 minute', 0
            FROM generate_series(0, 4999) AS g
            """,
            [category.id, reporter.id],
        )
    assert ReportCell.objects.filter(zoom=STORED_ZOOMS[0]).aggregate(n=Sum("reports")) == {
        "n": 5000
    }
    assert_aggregate_exact()


@pytest.mark.parametrize("query_string", FILTERS)
def test_the_pre_aggregate_draws_the_same_tiles_as_counting(query_string):
    """Same cells, counts, per-category counts, overdue counts, positions and next change,
    from z5 (rolled up) to z15, with category and status filters."""
    scatter(400, seed=5)
    assert assert_paths_agree(query_string) > 30


def test_the_tiles_stay_the_same_after_every_kind_of_write():
    """After status, category and deadline changes, moves, deletes and bulk updates the
    pre-aggregate still draws what counting draws."""
    reports = scatter(300, seed=6)
    rng = random.Random(7)
    for report in rng.sample(reports, 30):
        report.status = rng.choice([Status.IN_PROGRESS, Status.RESOLVED, Status.RECEIVED])
        report.category = Category.objects.get(code="ngap-ung")
        report.save()
    for report in rng.sample(reports, 30):
        report.location = at(105.84 + rng.random() / 50, 21.02 + rng.random() / 50)
        report.due_at = NOW + dt.timedelta(hours=rng.uniform(-5, 5))
        report.save()
    Report.objects.filter(pk__in=[r.pk for r in reports[:30]]).delete()
    Report.objects.filter(status=Status.RECEIVED).update(due_at=NOW - dt.timedelta(hours=1))
    Report.objects.filter(status=Status.CLOSED).update(status=Status.IN_PROGRESS)
    for query_string in FILTERS:
        assert_paths_agree(query_string)


def test_overdue_counts_follow_now_without_any_write():
    """A deadline passing turns a report overdue in the next render: the stored path counts
    it from `now`, and says when the tile changes next."""
    soon = timezone.now() + dt.timedelta(minutes=5)
    later = soon + dt.timedelta(hours=1)
    for due in (soon, later, timezone.now() - dt.timedelta(days=1)):
        ReportFactory(location=at(*HOAN_KIEM), due_at=due)
    layer = layer_get("reports")
    query = layer.parse(QueryDict(""), None)
    tile = tile_for_lonlat(*HOAN_KIEM, 12)
    for now, overdue, next_change in (
        (timezone.now(), 1, soon),
        (soon + dt.timedelta(seconds=1), 2, later),
        (later + dt.timedelta(seconds=1), 3, None),
    ):
        cells, when = decoded(layer.stored_cells_sql(tile, query, now))
        [(_, properties)] = cells
        assert dict(properties)["overdue_count"] == overdue
        assert when == next_change
        assert (cells, when) == decoded(layer.counted_cells_sql(tile, query, now))


def test_cell_tiles_read_the_pre_aggregate_unless_a_filter_needs_counting():
    """Category and status filters are answered from the stored cells; a time window or an
    agency scope is counted from the reports."""
    layer = layer_get("reports")
    tile = tile_for_lonlat(*HOAN_KIEM, 12)
    agency = AgencyFactory()
    member = MembershipFactory(agency=agency).user
    for query_string, user, reads in (
        ("", None, "tiles_reportcell"),
        ("category=ngap-ung&status=received", None, "tiles_reportcell"),
        ("since=2025-01-01", None, "mercator"),
        ("scope=agency", member, "mercator"),
    ):
        sql, _ = layer.sql(tile, layer.parse(QueryDict(query_string), user), NOW)
        assert reads in sql, query_string


def test_a_cell_tile_over_http_counts_from_the_pre_aggregate(client):
    scatter(50, seed=8, spread=0.002)
    cells = features(client.get(tile_url("reports", *HOAN_KIEM, 10)), "report_cells")
    assert sum(c["properties"]["count"] for c in cells) == 49  # one has no location
