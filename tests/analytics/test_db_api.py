"""Analytics through the database and the API on a small city: unit performance figures,
DBSCAN clusters, parameter validation, permissions, caching and the hotspots command."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics import analyses, clusters, hexgrid, params
from analytics.selectors import ReportFilter
from geo.crs import METRIC, transformer
from reports.models import Category, Rating, Report, ReportEvent, Status
from tests.analytics.db import reports_bulk_create, user_with_roles
from tests.factories.boundaries import AreaFactory, GenerationFactory, LevelFactory, square
from tests.factories.reports import AgencyFactory, ReportFactory

pytestmark = pytest.mark.django_db

PERFORMANCE = "/api/v1/analytics/performance"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def city():
    """One active generation with two 0.02-degree wards side by side."""
    generation = GenerationFactory(name="gen-2025", active=True)
    ward = LevelFactory(code="ward", rank=2)
    west = AreaFactory(
        code="00001",
        level=ward,
        generation_low=generation,
        geom=square(105.80, 21.00, 0.02),
        population=20000,
    )
    east = AreaFactory(
        code="00002",
        level=ward,
        generation_low=generation,
        geom=square(105.82, 21.00, 0.02),
        population=None,
    )
    return {"generation": generation, "west": west, "east": east}


@pytest.fixture
def supervisor(api_client):
    user = user_with_roles("supervisor")
    api_client.force_authenticate(user)
    return user


def _report(*, agency, area, days_ago, due_in, resolved_after_h=None, **fields):
    now = timezone.now()
    created = now - dt.timedelta(days=days_ago)
    return ReportFactory(
        reporter=fields.pop("reporter"),
        agency=agency,
        area=area,
        generation=area.generation_low,
        created_at=created,
        due_at=created + dt.timedelta(days=due_in),
        resolved_at=(
            created + dt.timedelta(hours=resolved_after_h) if resolved_after_h is not None else None
        ),
        **fields,
    )


@pytest.fixture
def known_mix(city):
    """Agency A (west ward): on time 48 h, late 144 h, administrative on time 12 h, overdue,
    open, rejected, and a duplicate (left out). Agency B: one on time in 24 h, which A
    transferred to B. Every figure below follows from these rows."""
    west = city["west"]
    reporter = user_with_roles("citizen")
    a = AgencyFactory(code="ubnd-a", name="UBND A", jurisdiction=[west])
    b = AgencyFactory(code="ubnd-b", name="UBND B", jurisdiction=[city["east"]])
    admin = Category.objects.get(code="thu-tuc-dat-dai")
    # (agency, days ago, due in days, resolved after hours, status, extra fields)
    rows = [
        (a, 10, 4, 48, Status.RESOLVED, {}),
        (a, 10, 4, 144, Status.CLOSED, {}),
        (a, 9, 4, 12, Status.RESOLVED, {"category": admin, "location": None}),
        (a, 7, 5, None, Status.IN_PROGRESS, {}),
        (a, 1, 6, None, Status.RECEIVED, {}),
        (a, 6, 4, None, Status.REJECTED, {}),
        (b, 8, 4, 24, Status.RESOLVED, {}),
    ]
    made = [
        _report(
            reporter=reporter,
            agency=agency,
            area=west,
            days_ago=days_ago,
            due_in=due_in,
            resolved_after_h=hours,
            status=status,
            **extra,
        )
        for agency, days_ago, due_in, hours, status, extra in rows
    ]
    original, moved = made[4], made[6]
    # Ratings: the reporter's verdict counts before a follower's (4, not 1), then a 2.
    Rating.objects.create(report=made[0], user=reporter, stars=4)
    Rating.objects.create(report=made[0], user=user_with_roles("citizen"), stars=1)
    Rating.objects.create(report=made[1], user=reporter, stars=2)
    _report(
        reporter=reporter,
        agency=a,
        area=west,
        days_ago=1,
        due_in=6,
        status=Status.DUPLICATE,
        duplicate_of=original,
    )
    ReportEvent.objects.create(
        report=moved,
        kind="transfer",
        from_agency=a,
        to_agency=b,
        created_at=timezone.now() - dt.timedelta(days=7),
    )
    return {"a": a, "b": b}


def _period():
    today = timezone.localdate()
    return {"since": (today - dt.timedelta(days=30)).isoformat(), "until": today.isoformat()}


def test_performance_by_agency_gives_every_figure_of_a_known_mix(known_mix, supervisor, api_client):
    response = api_client.get(PERFORMANCE, {**_period(), "min_sample": "5"})
    assert response.status_code == 200
    body = response.json()
    a, b = body["units"]
    assert a == {
        "unit": "ubnd-a",
        "name": "UBND A",
        "received": 6,
        "on_site": 5,
        "administrative": 1,
        "resolved": 3,
        "resolved_on_time": 2,
        "resolved_late": 1,
        "on_time_rate": pytest.approx(2 / 3),
        "open": 2,
        "overdue": 1,
        "median_hours_to_resolve": pytest.approx(48.0),
        "rated": 2,
        "satisfied_share": pytest.approx(1 / 2),
        "transfers_out": 1,
        "rank": 1,
    }
    assert (b["unit"], b["received"], b["rank"], b["transfers_out"]) == ("ubnd-b", 1, None, 0)
    assert (b["rated"], b["satisfied_share"]) == (0, None)  # no rating: null, never invented
    assert "at least 5 reports" in body["meta"]["ranking"]
    assert "4 or 5 stars" in body["meta"]["satisfied_share"]
    assert body["parameters"]["min_sample"] == 5


def test_performance_by_area_groups_by_the_routing_generation(known_mix, supervisor, api_client):
    body = api_client.get(PERFORMANCE, {**_period(), "by": "area", "min_sample": "1"}).json()
    (unit,) = body["units"]
    assert unit["unit"] == "00001@gen-2025"
    assert unit["received"] == 7
    assert unit["transfers_out"] == 1
    assert "generation of its routing" in body["meta"]["grouping"]


def test_performance_as_csv_has_one_row_per_unit(known_mix, supervisor, api_client):
    response = api_client.get(PERFORMANCE, {**_period(), "min_sample": "5", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("rank,unit,name,received,on_site")
    assert lines[1].startswith("1,ubnd-a,UBND A,6,5,1,3,2,1,")
    assert len(lines) == 3


def test_performance_is_for_planners_and_supervisors_only(known_mix, api_client):
    assert api_client.get(PERFORMANCE).status_code in (401, 403)
    api_client.force_authenticate(user_with_roles("official"))
    assert api_client.get(PERFORMANCE).status_code == 403
    api_client.force_authenticate(user_with_roles("planner"))
    assert api_client.get(PERFORMANCE).status_code == 200


@pytest.mark.parametrize(
    ("url", "query", "parameter", "message"),
    [
        ("hexbins", {"cell_m": "abc"}, "cell_m", params.NOT_A_NUMBER),
        ("hexbins", {"cell_m": "10"}, "cell_m", "must be between 50 and 10000"),
        ("hexbins", {"cell_m": "nan"}, "cell_m", "must be between"),
        ("hexbins", {"cellm": "100"}, "cellm", "unknown parameter"),
        ("hexbins", {"since": "2025-13-01"}, "since", params.BAD_DATE),
        ("hexbins", {"until": "9999-12-31"}, "until", "must be between 2000-01-01"),
        (
            "hexbins",
            {"since": "2025-07-02", "until": "2025-07-01"},
            "until",
            params.UNTIL_BEFORE_SINCE,
        ),
        ("hexbins", {"category": "khong-co"}, "category", "no category has the code"),
        ("hexbins", {"group": "weather"}, "group", "unknown value 'weather'"),
        ("hexbins", {"status": "lost"}, "status", "unknown value 'lost'"),
        ("hexbins", {"agency": "nobody"}, "agency", "no agency has the code"),
        ("hexbins", {"area": "99999"}, "area", "no current area has the code"),
        ("hexbins", {"weight": "supporters"}, "weight", "not available yet"),
        ("heatmap", {"bandwidth_m": "-5"}, "bandwidth_m", "must be between"),
        ("hotspots", {"method": "kmeans"}, "method", "unknown value 'kmeans'"),
        ("hotspots", {"method": "dbscan", "cell_m": "250"}, "cell_m", "method=gistar only"),
        ("hotspots", {"method": "gistar", "eps_m": "50"}, "eps_m", "method=dbscan only"),
        ("hotspots", {"permutations": "5000"}, "permutations", "must be between 0 and 999"),
        ("hotspots", {"fdr": "maybe"}, "fdr", params.NOT_A_BOOLEAN),
        ("hotspots", {"cell_m": "250", "band_m": "2501"}, "band_m", "between 250 and 2500"),
        ("hotspots", {"cells": "some"}, "cells", "unknown value 'some'"),
        ("hotspots", {"windows": "1"}, "windows", params.WINDOWS_ONE),
        ("hotspots", {"windows": "6"}, "since", analyses.TREND_NEEDS_SINCE),
        ("hotspots", {"windows": "6", "since": "2099-01-01"}, "since", "must be before until"),
        ("clusters", {"min_size": "1"}, "min_size", "must be between 2"),
        ("clusters", {"eps_m": "x"}, "eps_m", params.NOT_A_NUMBER),
        ("performance", {"by": "street"}, "by", "unknown value 'street'"),
        ("performance", {"min_sample": "2.5"}, "min_sample", params.NOT_AN_INTEGER),
    ],
)
def test_bad_parameters_get_a_400_naming_the_parameter(
    city, supervisor, api_client, url, query, parameter, message
):
    response = api_client.get(f"/api/v1/analytics/{url}", query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [parameter]
    assert message.split("{")[0] in body[parameter][0]


def test_a_grid_too_fine_for_the_study_area_is_refused_before_it_is_built(
    city, supervisor, api_client, monkeypatch
):
    """50 m cells over the two small wards make ~1,400 cells; with the limit lowered to 10
    the answer is a 400 on cell_m, as a 50 m grid over all of Hanoi (~1.3 million) would be."""
    monkeypatch.setattr(analyses, "MAX_STUDY_CELLS", 10)
    response = api_client.get("/api/v1/analytics/hotspots", {"cell_m": "50"})
    assert response.status_code == 400
    assert "the most is 10" in response.json()["cell_m"][0]


def test_hexbins_count_rates_and_population_in_a_small_city(city, api_client):
    reporter = user_with_roles("citizen")
    west_lon = np.array([105.8051, 105.8052, 105.8053, 105.8151])
    west_lat = np.array([21.0051, 21.0052, 21.0053, 21.0151])
    reports_bulk_create(reporter=reporter, lon=west_lon, lat=west_lat)
    # A rejected report is not counted by default.
    reports_bulk_create(
        reporter=reporter, lon=np.array([105.83]), lat=np.array([21.01]), status=Status.REJECTED
    )
    body = api_client.get("/api/v1/analytics/hexbins", {"cell_m": "250"}).json()
    counts = sorted(f["properties"]["count"] for f in body["features"])
    assert counts == [1, 3]
    busiest = max(body["features"], key=lambda f: f["properties"]["count"])["properties"]
    assert busiest["per_km2"] == pytest.approx(3 / busiest["area_km2"], rel=1e-3)
    assert busiest["per_1000_residents"] is not None
    assert body["meta"]["reports_in_study_area"] == 4
    assert "area weighting" in body["meta"]["population_method"]


def test_results_are_cached_until_the_reports_change(city, api_client):
    reporter = user_with_roles("citizen")
    reports_bulk_create(reporter=reporter, lon=np.array([105.805]), lat=np.array([21.005]))
    first = api_client.get("/api/v1/analytics/hexbins").json()["meta"]["reports_in_study_area"]
    reports_bulk_create(reporter=reporter, lon=np.array([105.806]), lat=np.array([21.006]))
    second = api_client.get("/api/v1/analytics/hexbins").json()["meta"]["reports_in_study_area"]
    assert (first, second) == (1, 2)


@pytest.fixture
def three_clusters(city):
    """Three clusters of 15 reports within 25 m of their centres, and 10 scattered reports."""
    rng = np.random.default_rng(4)
    to_metric = transformer(4326, METRIC)
    to_wgs = transformer(METRIC, 4326)
    reporter = user_with_roles("citizen")
    centres = [(105.805, 21.005), (105.815, 21.012), (105.825, 21.006)]
    noise = rng.uniform([105.801, 21.001], [105.839, 21.019], (10, 2))
    xs, ys = [], []
    for lon, lat in centres:
        cx, cy = to_metric.transform(lon, lat)
        angle = rng.uniform(0, 2 * np.pi, 15)
        radius = 25 * np.sqrt(rng.uniform(0, 1, 15))
        xs.append(cx + radius * np.cos(angle))
        ys.append(cy + radius * np.sin(angle))
    x, y = np.concatenate(xs), np.concatenate(ys)
    lon, lat = to_wgs.transform(x, y)
    reports_bulk_create(reporter=reporter, lon=lon[:40], lat=lat[:40])
    reports_bulk_create(reporter=reporter, lon=lon[40:], lat=lat[40:], status=Status.RESOLVED)
    reports_bulk_create(reporter=reporter, lon=noise[:, 0], lat=noise[:, 1])
    nx, ny = to_metric.transform(noise[:, 0], noise[:, 1])
    return np.concatenate([x, nx]), np.concatenate([y, ny])


def test_dbscan_in_postgis_recovers_the_planted_clusters_like_scikit_learn(
    three_clusters, supervisor, api_client
):
    response = api_client.get("/api/v1/analytics/clusters", {"eps_m": "50", "min_size": "10"})
    assert response.status_code == 200
    body = response.json()
    assert [f["properties"]["count"] for f in body["features"]] == [15, 15, 15]
    assert body["parameters"] == {
        "eps_m": 50.0,
        "min_size": 10,
        "status": body["parameters"]["status"],
    }
    props = body["features"][0]["properties"]
    assert props["dominant_category"] == "rac-thai-sai-quy-dinh"
    assert props["dominant_share"] == 1.0
    open_shares = sorted(f["properties"]["open_share"] for f in body["features"])
    # The last five of the third cluster are resolved (shares are rounded to 4 decimals).
    assert open_shares == pytest.approx([2 / 3, 1.0, 1.0], abs=1e-4)
    x, y = three_clusters
    labels = clusters.dbscan_labels(x, y, eps_m=50, min_size=10)
    assert sorted(np.bincount(labels[labels >= 0]).tolist()) == [15, 15, 15]
    same = api_client.get("/api/v1/analytics/hotspots", {"method": "dbscan", "eps_m": "50"})
    assert [f["properties"]["count"] for f in same.json()["features"]] == [15, 15, 15]


def test_the_command_writes_a_geopackage_that_geopandas_reads_back(three_clusters, tmp_path):
    out = tmp_path / "hotspots.gpkg"
    call_command("hotspots", method="gistar", cell_m="250", permutations="9", out=str(out))
    written = gpd.read_file(out)
    expected = analyses.gistar_hotspots(ReportFilter(), cell_m=250.0, permutations=9).frame
    assert len(written) == len(expected)
    assert written.crs.to_epsg() == 4326
    merged = written.merge(expected[["i", "j", "count", "gi_z"]], on=["i", "j"])
    assert len(merged) == len(expected)
    assert (merged["count_x"] == merged["count_y"]).all()
    np.testing.assert_allclose(merged["gi_z_x"], merged["gi_z_y"], atol=1e-9)


def test_the_command_writes_csv_and_geojson_and_refuses_other_extensions(three_clusters, tmp_path):
    call_command("hotspots", method="dbscan", eps_m="50", out=str(tmp_path / "c.csv"))
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert lines[0].split(",")[-1] == "wkt" and len(lines) == 4
    call_command("hotspots", method="dbscan", eps_m="50", out=str(tmp_path / "c.geojson"))
    assert len(gpd.read_file(tmp_path / "c.geojson")) == 3
    with pytest.raises(CommandError, match="--out must end in one of"):
        call_command("hotspots", out=str(tmp_path / "c.shp"))
    with pytest.raises(CommandError, match="--cell-m: must be between"):
        call_command("hotspots", cell_m="5", out=str(tmp_path / "c.gpkg"))


@pytest.fixture
def six_windows(city):
    """Sixty days in six ten-day windows over the small city: ~70 background reports per
    window; a patch of seven 250 m cells with 6 reports each in every window (persistent)
    and another only in the last window (new); and a cell where two reports came back within
    30 days of a resolution (chronic)."""
    from tests.analytics.conftest import hex_ring, points_in_cells

    rng = np.random.default_rng(8)
    reporter = user_with_roles("citizen")
    to_metric = transformer(4326, METRIC)
    to_wgs = transformer(METRIC, 4326)
    until = timezone.now().replace(microsecond=0)
    since = until - dt.timedelta(days=60)

    def patch(lon, lat):
        x, y = to_metric.transform(lon, lat)
        i, j = hexgrid.hex_index(np.array([x]), np.array([y]), 250.0)
        return hex_ring(int(i[0]), int(j[0]), 250.0)

    persistent, new = patch(105.83, 21.01), patch(105.806, 21.006)
    for window in range(6):
        at = since + dt.timedelta(days=10 * window + 5)
        lon = rng.uniform(105.80, 105.84, 70)
        lat = rng.uniform(21.00, 21.02, 70)
        reports_bulk_create(reporter=reporter, lon=lon, lat=lat, created_at=at)
        for cells in [persistent] + ([new] if window == 5 else []):
            x, y = points_in_cells(cells, 6, 250.0, rng)
            plon, plat = to_wgs.transform(x, y)
            reports_bulk_create(reporter=reporter, lon=plon, lat=plat, created_at=at)
    # The chronic place: flooding reports, so a category filter isolates them.
    flooding = Category.objects.get(code="ngap-ung")
    spot = (np.array([105.8155]), np.array([21.0155]))
    reports_bulk_create(
        reporter=reporter,
        lon=spot[0],
        lat=spot[1],
        category=flooding,
        created_at=since + dt.timedelta(days=10),
        status=Status.RESOLVED,
        resolved_at=since + dt.timedelta(days=15),
    )
    for days in (20, 35, 55):  # 5 and 20 days after the fix recur; 40 days after does not
        reports_bulk_create(
            reporter=reporter,
            lon=spot[0],
            lat=spot[1],
            category=flooding,
            created_at=since + dt.timedelta(days=days),
        )
    return {
        "since": since,
        "until": until,
        "persistent": persistent[0],
        "new": new[0],
        "chronic": patch(*(a[0] for a in spot))[0],
    }


def test_trend_windows_call_a_new_hotspot_new_and_a_steady_one_persistent(six_windows):
    f = ReportFilter(since=six_windows["since"], until=six_windows["until"])
    frame = analyses.gistar_hotspots(f, cell_m=250.0, permutations=0, windows=6).frame
    trend = {(i, j): t for i, j, t in zip(frame["i"], frame["j"], frame["trend"], strict=True)}
    assert trend[six_windows["new"]] == "new"
    assert trend[six_windows["persistent"]] == "persistent"


def test_a_cell_where_reports_return_after_a_fix_is_chronic(six_windows):
    f = ReportFilter(
        categories=("ngap-ung",), since=six_windows["since"], until=six_windows["until"]
    )
    frame = analyses.gistar_hotspots(f, cell_m=250.0, permutations=0).frame
    row = frame[
        (frame["i"] == six_windows["chronic"][0]) & (frame["j"] == six_windows["chronic"][1])
    ]
    assert row["recurrences"].item() == 2
    assert row["chronic"].item()
    assert frame["recurrences"].sum() == 2


def test_hotspots_api_with_windows_returns_trend_and_the_rule(six_windows, supervisor, api_client):
    query = {
        "since": timezone.localdate(six_windows["since"]).isoformat(),
        "windows": "6",
        "permutations": "0",
    }
    body = api_client.get("/api/v1/analytics/hotspots", query).json()
    trends_seen = {f["properties"]["trend"] for f in body["features"]}
    assert "new" in trends_seen
    assert "Mann-Kendall" in body["meta"]["trend_rule"]


@pytest.mark.parametrize("url", ["heatmap", "hexbins", "hotspots", "clusters", "performance"])
def test_a_city_without_reports_answers_empty_results_not_errors(city, supervisor, api_client, url):
    response = api_client.get(f"/api/v1/analytics/{url}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body.get("features", body.get("units")) == []


def test_without_an_active_generation_there_is_no_study_area(supervisor, api_client):
    response = api_client.get("/api/v1/analytics/hexbins")
    assert response.status_code == 400
    assert response.json() == {"generation": [analyses.NO_STUDY_AREA]}


def test_no_answer_carries_personal_data_or_report_text(
    three_clusters, known_mix, supervisor, api_client
):
    """Reporter usernames, e-mails, names, phones and descriptions appear nowhere."""
    report = Report.objects.select_related("reporter").first()
    reporter = report.reporter
    secrets = {
        reporter.username,
        reporter.email,
        reporter.last_name,
        report.description,
        report.tracking_code,
        "0912345678",
    }
    for url in (
        "heatmap",
        "hexbins",
        "hotspots?cells=all",
        "hotspots?method=dbscan",
        "clusters?min_size=5",
        "performance",
        "performance?format=csv&by=area",
    ):
        text = api_client.get(f"/api/v1/analytics/{url}").content.decode()
        for secret in secrets:
            assert secret not in text, (url, secret)


def test_an_area_parameter_makes_that_area_the_study_area_and_filters_its_reports(
    known_mix, api_client
):
    """The known mix has five located reports counted by default, all routed to ward 00001
    (the administrative one has no location; rejected and duplicate are not counted)."""
    whole = api_client.get("/api/v1/analytics/hexbins").json()["meta"]
    west = api_client.get("/api/v1/analytics/hexbins", {"area": "00001"}).json()
    east = api_client.get("/api/v1/analytics/hexbins", {"area": "00002"}).json()
    assert west["meta"]["reports_in_study_area"] == 5
    assert east["meta"]["reports_in_study_area"] == 0
    assert west["meta"]["study_cells"] < whole["study_cells"]
    assert west["parameters"]["area"] == "00001"
