"""The reports HTTP API: filing, validation, idempotency, listing, privacy and the workflow."""

import json

import pytest
from django.contrib.gis.geos import Point

from reports import exceptions, serializers
from reports.models import Category, IdempotencyKey, Report, ReportEvent
from tests.factories.reports import ReportFactory

from .conftest import EAST_POINT, FAR_POINT, WEST_POINT, client_for

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports"


def submission(**overrides) -> dict:
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Rác thải sinh hoạt đổ thành đống ở đầu ngõ 12.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
        "accuracy_m": 8.5,
    }
    body.update(overrides)
    return body


def test_categories_list_both_names_group_kind_and_deadline(api_client):
    response = api_client.get("/api/v1/categories")
    assert response.status_code == 200
    by_code = {c["code"]: c for c in response.json()}
    assert by_code["den-chieu-sang"] == {
        "code": "den-chieu-sang",
        "name": "Đèn chiếu sáng công cộng hỏng",
        "name_en": "Broken street light",
        "group": "lighting",
        "kind": "on_site",
        "deadline_days": 3,
    }
    assert by_code["thu-tuc-ho-tich"]["kind"] == "administrative"


def test_a_citizen_files_a_report_and_gets_its_code_area_agency_and_deadline(
    city, citizen, api_client
):
    response = client_for(api_client, citizen).post(REPORTS, submission(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["tracking_code"]) == 10
    assert body["status"] == "received"
    assert body["area"] == {"code": "00001", "name": "Phường Tây"}
    assert body["agency"] == {"code": "ubnd-ward-00001", "name": "UBND Phường Tây"}
    assert body["due_at"]
    report = Report.objects.get(tracking_code=body["tracking_code"])
    assert report.location.x == pytest.approx(WEST_POINT[0], abs=1e-9)
    assert report.accuracy_m == pytest.approx(8.5)
    assert str(report.pk) != body["tracking_code"]


def test_anonymous_users_cannot_file_reports(city, api_client):
    response = api_client.post(REPORTS, submission(), format="json")
    assert response.status_code in (401, 403)
    assert Report.objects.count() == 0


def test_a_report_outside_every_area_gets_422_and_nothing_is_stored(city, citizen, api_client):
    body = submission(location={"type": "Point", "coordinates": list(FAR_POINT)})
    response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 422
    assert "outside every area" in response.json()["detail"]
    assert Report.objects.count() == 0
    assert ReportEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"category": "khong-ton-tai"}, "category", "Unknown category 'khong-ton-tai'"),
        ({"description": "x" * 5001}, "description", "longer than 5000"),
        ({"description": " \x00 "}, "description", None),
        ({"description": "\x07\x1b "}, "description", "empty"),
        ({"location": None}, "location", "location is required"),
        ({"location": {"type": "Point", "coordinates": [200, 21]}}, "location", "GeoJSON Point"),
        ({"location": {"type": "Point", "coordinates": ["105", 21]}}, "location", None),
        ({"location": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}, "location", None),
        (
            {"location": {"type": "Point", "coordinates": [105.8, 21.0], "crs": {}}},
            "location",
            None,
        ),
        ({"location": "SRID=4326;POINT(105.8 21)"}, "location", None),
        ({"accuracy_m": -1}, "accuracy_m", None),
    ],
)
def test_bad_submissions_get_400_naming_the_field_and_store_nothing(
    city, citizen, api_client, overrides, field, message
):
    response = client_for(api_client, citizen).post(REPORTS, submission(**overrides), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    if message:
        assert message in json.dumps(errors, ensure_ascii=False)
    assert Report.objects.count() == 0


def test_control_characters_are_stripped_from_descriptions(city, citizen, api_client):
    body = submission(description="Đèn hỏng\x1b[31m\r\nở ngõ 5\x7f")
    response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 201
    report = Report.objects.get(tracking_code=response.json()["tracking_code"])
    assert report.description == "Đèn hỏng[31m\nở ngõ 5"


def test_an_administrative_report_may_omit_its_location(city, citizen, api_client):
    from tests.factories.reports import AgencyFactory

    AgencyFactory(code="tt-phuc-vu-hcc", kind="city")
    body = submission(category="thu-tuc-ho-tich", location=None, accuracy_m=None)
    response = client_for(api_client, citizen).post(REPORTS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["location"] is None


def test_a_retried_submission_with_the_same_key_returns_the_same_report(city, citizen, api_client):
    client = client_for(api_client, citizen)
    first = client.post(REPORTS, submission(), format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post(REPORTS, submission(), format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Report.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_key_reused_for_a_different_submission_is_refused(city, citizen, api_client):
    client = client_for(api_client, citizen)
    client.post(REPORTS, submission(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other = submission(description="Một phản ánh khác hẳn")
    response = client.post(REPORTS, other, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["detail"] == exceptions.IDEMPOTENCY_KEY_REUSED
    assert Report.objects.count() == 1


def test_the_same_key_from_two_users_files_two_reports(city, citizen, api_client):
    from tests.factories.reports import UserFactory

    client_for(api_client, citizen).post(
        REPORTS, submission(), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    client_for(api_client, UserFactory()).post(
        REPORTS, submission(), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert Report.objects.count() == 2


def test_a_malformed_idempotency_key_is_refused(city, citizen, api_client):
    response = client_for(api_client, citizen).post(
        REPORTS, submission(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300
    )
    assert response.status_code == 400
    assert serializers.IDEMPOTENCY_KEY_INVALID in json.dumps(response.json())


def _report(city, point, **kwargs) -> Report:
    area, agency = (
        (city.west, city.west_agency) if point == WEST_POINT else (city.east, city.east_agency)
    )
    return ReportFactory(
        location=Point(*point, srid=4326),
        area=area,
        agency=agency,
        generation=city.generation,
        **kwargs,
    )


def test_the_public_list_is_a_paginated_geojson_feature_collection(city, api_client):
    for _ in range(3):
        _report(city, WEST_POINT)
    response = api_client.get(REPORTS, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["count"] == 3
    assert len(body["features"]) == 2
    feature = body["features"][0]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == pytest.approx(list(WEST_POINT))
    assert body["next"]


def test_the_page_size_is_bounded(city, api_client):
    _report(city, WEST_POINT)
    response = api_client.get(REPORTS, {"page_size": 100000})
    assert response.status_code == 200


def test_the_list_filters_by_status_category_area_agency_and_dates(city, api_client):
    west = _report(city, WEST_POINT)
    east = _report(city, EAST_POINT, status="in_progress")
    light = Category.objects.get(code="den-chieu-sang")
    lamp = _report(city, EAST_POINT, category=light)

    def codes(**params):
        response = api_client.get(REPORTS, params)
        assert response.status_code == 200, response.content
        return {f["id"] for f in response.json()["features"]}

    assert codes(status="in_progress") == {east.tracking_code}
    assert codes(status="received,in_progress") == {
        west.tracking_code,
        east.tracking_code,
        lamp.tracking_code,
    }
    assert codes(category="den-chieu-sang") == {lamp.tracking_code}
    assert codes(area="00001") == {west.tracking_code}
    assert codes(agency="ubnd-ward-00002") == {east.tracking_code, lamp.tracking_code}
    today = west.created_at.astimezone(__import__("reports.deadlines").deadlines.LOCAL_TZ).date()
    assert len(codes(since=today.isoformat(), until=today.isoformat())) == 3
    assert codes(until="2000-01-01") == set()


def test_the_list_filters_by_bounding_box_and_by_distance_in_metres(city, api_client):
    west = _report(city, WEST_POINT)
    _report(city, EAST_POINT)
    response = api_client.get(REPORTS, {"in_bbox": "105.80,21.00,105.81,21.01"})
    assert [f["id"] for f in response.json()["features"]] == [west.tracking_code]
    # The two points are 0.01 degrees of longitude apart: about 1,039 m at 21°N.
    near = f"{EAST_POINT[0]},{EAST_POINT[1]}"
    wide = api_client.get(REPORTS, {"near": near, "radius_m": 1100}).json()
    narrow = api_client.get(REPORTS, {"near": near, "radius_m": 1000}).json()
    assert wide["count"] == 2
    assert narrow["count"] == 1


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "lost"}, "status"),
        ({"category": "khong-co"}, "category"),
        ({"agency": "khong-co"}, "agency"),
        ({"since": "hôm qua"}, "since"),
        ({"until": "2025-13-01"}, "until"),
        ({"in_bbox": "1,2,3"}, "in_bbox"),
        ({"in_bbox": "nan,1,2,3"}, "in_bbox"),
        ({"in_bbox": "3,3,1,1"}, "in_bbox"),
        ({"near": "105.8"}, "near"),
        ({"near": "105.8,95"}, "near"),
        ({"near": "105.8,21", "radius_m": "-5"}, "radius_m"),
        ({"near": "105.8,21", "radius_m": "inf"}, "radius_m"),
        ({"near": "105.8,21", "radius_m": "100000"}, "radius_m"),
        ({"radius_m": "10"}, "radius_m"),
    ],
)
def test_bad_filter_values_get_400_naming_the_parameter(city, api_client, params, name):
    response = api_client.get(REPORTS, params)
    assert response.status_code == 400, response.content
    assert name in response.json()


def test_the_public_answers_carry_no_personal_data(city, citizen, api_client, west_official):
    client = client_for(api_client, citizen)
    created = client.post(REPORTS, submission(), format="json").json()
    code = created["tracking_code"]
    client_for(api_client, west_official).post(
        f"{REPORTS}/{code}/transition", {"to_status": "in_progress"}, format="json"
    )
    api_client.credentials()
    texts = [
        json.dumps(created, ensure_ascii=False),
        api_client.get(REPORTS).content.decode(),
        api_client.get(f"{REPORTS}/{code}").content.decode(),
    ]
    for text in texts:
        for personal in [
            "citizen_lan",
            "lan.nguyen@example.vn",
            "0987654321",
            "Nguyễn Thị",
            "canbo_tay",
            '"reporter"',
            '"actor"',
        ]:
            assert personal not in text


def test_an_unknown_tracking_code_is_404(city, api_client, west_official):
    assert api_client.get(f"{REPORTS}/ZZZZZZZZZZ").status_code == 404
    response = client_for(api_client, west_official).post(
        f"{REPORTS}/ZZZZZZZZZZ/transition", {"to_status": "in_progress"}, format="json"
    )
    assert response.status_code == 404


def test_a_tracking_code_is_found_whatever_the_case_and_crockford_aliases(city, api_client):
    report = _report(city, WEST_POINT, tracking_code="0123ABCD1X")
    assert api_client.get(f"{REPORTS}/ol23abcdlx").status_code == 200
    assert api_client.get(f"{REPORTS}/{report.tracking_code}").json()["id"] == "0123ABCD1X"


def test_citizen_files_official_works_and_resolves_and_the_timeline_shows_each_step(
    city, citizen, west_official, api_client
):
    client = client_for(api_client, citizen)
    code = client.post(REPORTS, submission(), format="json").json()["tracking_code"]
    official = client_for(api_client, west_official)
    step1 = official.post(
        f"{REPORTS}/{code}/transition",
        {"to_status": "in_progress", "note": "Đã giao tổ vệ sinh xử lý."},
        format="json",
    )
    assert step1.status_code == 200, step1.content
    internal = official.post(
        f"{REPORTS}/{code}/transition",
        {"to_status": "resolved", "note": "Đã thu gom.", "public": True},
        format="json",
    )
    assert internal.status_code == 200
    api_client.credentials()
    detail = api_client.get(f"{REPORTS}/{code}").json()
    assert detail["properties"]["status"] == "resolved"
    timeline = detail["properties"]["timeline"]
    assert [(e["kind"], e["old_status"], e["new_status"]) for e in timeline] == [
        ("created", "", "received"),
        ("transition", "received", "in_progress"),
        ("transition", "in_progress", "resolved"),
    ]
    assert timeline[1]["note"] == "Đã giao tổ vệ sinh xử lý."


def test_internal_notes_are_hidden_from_the_public_but_shown_to_the_agency(
    city, citizen, west_official, api_client
):
    report = _report(city, WEST_POINT)
    official = client_for(api_client, west_official)
    official.post(
        f"{REPORTS}/{report.tracking_code}/transition",
        {
            "to_status": "in_progress",
            "note": "Chủ quán là người quen, nhắc nhở nhẹ.",
            "public": False,
        },
        format="json",
    )
    seen_by_agency = official.get(f"{REPORTS}/{report.tracking_code}").content.decode()
    api_client.credentials()
    seen_by_public = api_client.get(f"{REPORTS}/{report.tracking_code}").content.decode()
    assert "nhắc nhở nhẹ" in seen_by_agency
    assert "nhắc nhở nhẹ" not in seen_by_public


def test_transfer_and_deadline_extension_over_the_api(city, west_official, supervisor, api_client):
    report = _report(city, WEST_POINT)
    due = report.due_at
    response = client_for(api_client, west_official).post(
        f"{REPORTS}/{report.tracking_code}/transfer",
        {"agency": "ubnd-ward-00002", "reason": "Vị trí thuộc phường Đông."},
        format="json",
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.agency == city.east_agency
    assert report.due_at == due
    assert report.transfers_count == 1
    refused = client_for(api_client, west_official).post(
        f"{REPORTS}/{report.tracking_code}/deadline",
        {"days": 3, "reason": "Cần thêm thời gian"},
        format="json",
    )
    assert refused.status_code == 403
    extended = client_for(api_client, supervisor).post(
        f"{REPORTS}/{report.tracking_code}/deadline",
        {"days": 3, "reason": "Chờ vật tư"},
        format="json",
    )
    assert extended.status_code == 200, extended.content
    report.refresh_from_db()
    assert report.due_at > due


def test_transfer_to_an_unknown_agency_names_it(city, west_official, api_client):
    report = _report(city, WEST_POINT)
    response = client_for(api_client, west_official).post(
        f"{REPORTS}/{report.tracking_code}/transfer",
        {"agency": "nowhere", "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "Unknown agency 'nowhere'" in json.dumps(response.json())


def test_a_list_page_costs_the_same_queries_whatever_its_size(city, api_client):
    """One statement counts the page and builds its features, whatever its size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get(REPORTS, {"page_size": 50}).status_code == 200
        return len(captured)

    _report(city, WEST_POINT)
    few = queries_for_page()
    for _ in range(20):
        _report(city, EAST_POINT)
    assert queries_for_page() == few


def test_the_api_schema_documents_the_report_endpoints(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/reports"])
    names = {p["name"] for p in paths["/api/v1/reports"]["get"]["parameters"]}
    assert {"in_bbox", "near", "radius_m", "status", "category", "since", "until"} <= names
    assert "/api/v1/reports/{code}/transition" in paths
    assert "/api/v1/auth/register" in paths


def test_the_worklist_is_scoped_by_role_and_agency(
    city, citizen, west_official, supervisor, planner, api_client
):
    """Officials see their agency's reports, citizens their own, supervisors and planners all."""
    own = _report(city, WEST_POINT, reporter=citizen)
    west = _report(city, WEST_POINT)
    east = _report(city, EAST_POINT)

    def worklist(user) -> set[str]:
        response = client_for(api_client, user).get("/api/v1/me/reports")
        assert response.status_code == 200, response.content
        return {f["id"] for f in response.json()["features"]}

    everything = {own.tracking_code, west.tracking_code, east.tracking_code}
    assert worklist(west_official) == {own.tracking_code, west.tracking_code}
    assert worklist(citizen) == {own.tracking_code}
    assert worklist(supervisor) == everything
    assert worklist(planner) == everything
    api_client.credentials()
    assert api_client.get("/api/v1/me/reports").status_code in (401, 403)


def test_agencies_are_listed_with_their_codes(city, api_client):
    codes = {a["code"] for a in api_client.get("/api/v1/agencies").json()}
    assert {"ubnd-ward-00001", "ubnd-ward-00002", "so-noi-vu"} <= codes


def test_a_list_feature_is_the_same_as_the_detail_without_its_timeline(city, api_client):
    """The list builds features in SQL, the detail with DRF: both must say the same."""
    import datetime as dt

    report = _report(city, WEST_POINT, accuracy_m=7.5)
    report.resolved_at = report.created_at + dt.timedelta(hours=5)
    report.status = "resolved"
    report.save()
    listed = api_client.get(REPORTS).json()["features"][0]
    detail = api_client.get(f"{REPORTS}/{report.tracking_code}").json()
    for detail_only in serializers.DETAIL_ONLY_FIELDS:
        detail["properties"].pop(detail_only)
    for feature in (listed, detail):
        for key in ("created_at", "due_at", "resolved_at"):
            feature["properties"][key] = dt.datetime.fromisoformat(feature["properties"][key])
    assert listed["properties"] == detail["properties"]
    assert listed == detail
    assert listed["properties"]["area"] == {"code": "00001", "name": "Phường Tây"}
    assert listed["properties"]["late"] is False
    assert listed["properties"]["overdue"] is False


def test_a_list_counts_exactly_up_to_the_cap_and_says_when_it_stopped(
    city, api_client, monkeypatch
):
    """Counting a city's whole history on every page is not worth a full scan."""
    from reports import pagination

    monkeypatch.setattr(pagination, "LIST_COUNT_CAP", 3)
    for _ in range(3):
        _report(city, WEST_POINT)
    body = api_client.get(REPORTS).json()
    assert (body["count"], body["count_exact"]) == (3, True)
    _report(city, WEST_POINT)
    body = api_client.get(REPORTS).json()
    assert (body["count"], body["count_exact"]) == (3, False)


def test_a_category_deactivated_in_the_admin_is_refused_on_the_next_filing(
    city, citizen, api_client
):
    """Categories are cached for filings; saving one forgets the cache at once."""
    client = client_for(api_client, citizen)
    assert client.post(REPORTS, submission(), format="json").status_code == 201
    category = Category.objects.get(code=submission()["category"])
    category.active = False
    category.save()
    response = client.post(REPORTS, submission(), format="json")
    assert response.status_code == 400
    assert "category" in response.json()
