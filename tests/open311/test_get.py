"""GET requests (by id and by filters), requests/{id} and tokens/{token}: fields, the status
mapping, the spec's default window and maximum count, errors, and no personal data.
"""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from open311 import errors
from open311.selectors import MAX_REQUESTS
from reports import services as report_services
from reports.models import Category, Report, Status
from tests.factories.reports import ReportFactory

from .conftest import BASE, PERSONAL_STRINGS, post_body

pytestmark = pytest.mark.django_db

REQUESTS = f"{BASE}/requests"
FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def report(city, *, days_ago: float = 1, status: str = Status.RECEIVED, **fields) -> Report:
    created = timezone.now() - dt.timedelta(days=days_ago)
    return ReportFactory(
        area=city.west,
        agency=city.west_agency,
        generation=city.generation,
        created_at=created,
        due_at=created + dt.timedelta(days=3),
        status=status,
        **fields,
    )


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in response.json()]


def test_a_request_has_every_spec_field_mapped_from_the_report(city, client):
    filed = report(city, location=Point(105.805, 21.0051, srid=4326))
    (answer,) = client.get(f"{REQUESTS}/{filed.tracking_code}.json").json()
    assert list(answer) == FIELDS
    assert answer["service_request_id"] == filed.tracking_code
    assert answer["status"] == "open"
    assert answer["status_notes"] == "Đã tiếp nhận"
    assert answer["service_code"] == "rac-thai-sai-quy-dinh"
    assert answer["service_name"] == "Rác thải, phế thải đổ sai quy định"
    assert answer["description"] == filed.description
    assert answer["agency_responsible"] == "UBND Phường Tây"
    requested = dt.datetime.fromisoformat(answer["requested_datetime"])
    assert requested == filed.created_at.replace(microsecond=0)
    assert dt.datetime.fromisoformat(answer["expected_datetime"]) == filed.due_at.replace(
        microsecond=0
    )
    assert answer["requested_datetime"].endswith("+07:00")
    assert answer["lat"] == pytest.approx(21.0051, abs=1e-9)
    assert answer["long"] == pytest.approx(105.805, abs=1e-9)
    assert answer["media_url"] == ""
    assert answer["address"] == ""


def test_a_request_in_xml_has_the_same_fields_as_elements(city, client):
    filed = report(city)
    response = client.get(f"{REQUESTS}/{filed.tracking_code}.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [child.tag for child in request] == FIELDS
    assert request.findtext("service_request_id") == filed.tracking_code
    assert float(request.findtext("lat")) == pytest.approx(21.005, abs=1e-9)


def test_resolved_closed_rejected_and_duplicate_reports_are_closed_with_the_public_note(
    city, client, supervisor
):
    filed = report(city)
    report_services.report_transition(report=filed, actor=supervisor, to_status="in_progress")
    (answer,) = client.get(f"{REQUESTS}/{filed.tracking_code}.json").json()
    assert (answer["status"], answer["status_notes"]) == ("open", "Đang xử lý")
    report_services.report_transition(
        report=filed, actor=supervisor, to_status="resolved", note="Đã thu gom rác."
    )
    report_services.report_transition(
        report=filed, actor=supervisor, to_status="closed", note="Ghi chú nội bộ", public=False
    )
    (answer,) = client.get(f"{REQUESTS}/{filed.tracking_code}.json").json()
    assert answer["status"] == "closed"
    assert answer["status_notes"] == "Đã đóng: Đã thu gom rác."
    rejected = report(city, status=Status.REJECTED)
    duplicate = report(city, status=Status.DUPLICATE, duplicate_of=rejected)
    ids = f"{rejected.tracking_code},{duplicate.tracking_code}"
    answers = client.get(f"{REQUESTS}.json", {"service_request_id": ids}).json()
    assert {a["status"] for a in answers} == {"closed"}


def test_without_dates_the_last_90_days_are_listed_newest_first(city, client):
    old = report(city, days_ago=91)
    recent = report(city, days_ago=89)
    newest = report(city, days_ago=0.1)
    listed = codes(client.get(f"{REQUESTS}.json"))
    assert listed == [newest.tracking_code, recent.tracking_code]
    assert old.tracking_code not in listed


def test_start_and_end_dates_bound_the_window(city, client):
    inside = report(city, days_ago=100)
    report(city, days_ago=200)
    report(city, days_ago=1)
    start = (timezone.now() - dt.timedelta(days=110)).isoformat()
    end = (timezone.now() - dt.timedelta(days=95)).isoformat()
    params = {"start_date": start, "end_date": end}
    assert codes(client.get(f"{REQUESTS}.json", params)) == [inside.tracking_code]
    # start_date alone: 90 days from it; end_date alone: 90 days up to it.
    assert codes(client.get(f"{REQUESTS}.json", {"start_date": start})) == [inside.tracking_code]
    assert codes(client.get(f"{REQUESTS}.json", {"end_date": end})) == [inside.tracking_code]


def test_status_and_service_code_filter_the_list(city, client):
    opened = report(city)
    resolved = report(city, status=Status.RESOLVED)
    lighting = report(city, category=Category.objects.get(code="den-chieu-sang"))
    assert set(codes(client.get(f"{REQUESTS}.json", {"status": "closed"}))) == {
        resolved.tracking_code
    }
    assert set(codes(client.get(f"{REQUESTS}.json", {"status": "open"}))) == {
        opened.tracking_code,
        lighting.tracking_code,
    }
    assert len(codes(client.get(f"{REQUESTS}.json", {"status": "open,closed"}))) == 3
    by_service = codes(client.get(f"{REQUESTS}.json", {"service_code": "den-chieu-sang"}))
    assert by_service == [lighting.tracking_code]
    both = {"service_code": "den-chieu-sang", "status": "closed"}
    assert codes(client.get(f"{REQUESTS}.json", both)) == []


def test_service_request_ids_override_every_other_filter(city, client):
    old = report(city, days_ago=400, status=Status.RESOLVED)
    recent = report(city)
    params = {
        "service_request_id": f"{old.tracking_code}, {recent.tracking_code.lower()},NOPE",
        "status": "open",
        "service_code": "den-chieu-sang",
    }
    assert set(codes(client.get(f"{REQUESTS}.json", params))) == {
        old.tracking_code,
        recent.tracking_code,
    }


def test_at_most_1000_requests_are_answered(city, client):
    now = timezone.now()
    category = Category.objects.get(code="rac-thai-sai-quy-dinh")
    reporter = ReportFactory().reporter
    Report.objects.bulk_create(
        Report(
            tracking_code=report_services.tracking_code_new(),
            category=category,
            description="Rác",
            location=Point(105.805, 21.005, srid=4326),
            reporter=reporter,
            created_at=now - dt.timedelta(minutes=i),
            due_at=now,
        )
        for i in range(MAX_REQUESTS + 5)
    )
    assert len(codes(client.get(f"{REQUESTS}.json"))) == MAX_REQUESTS


GET_ERRORS = [
    ({"start_date": "yesterday"}, errors.DATE_INVALID.format(field="start_date")),
    ({"end_date": "2026-13-01"}, errors.DATE_INVALID.format(field="end_date")),
    ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, errors.DATE_ORDER),
    ({"start_date": "2026-01-01", "end_date": "2026-04-02"}, errors.DATE_SPAN.format(days=90)),
    ({"status": "pending"}, errors.STATUS_INVALID),
    ({"service_code": "khong-co"}, errors.UNKNOWN_SERVICE_CODE.format(code="khong-co")),
    ({"service_request_id": ",".join(["A"] * 1001)}, errors.TOO_MANY_IDS.format(max=1000)),
]


@pytest.mark.parametrize(("params", "description"), GET_ERRORS)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_invalid_get_filters_are_400_in_the_spec_format(client, fmt, params, description):
    response = client.get(f"{REQUESTS}.{fmt}", params)
    assert response.status_code == 400
    if fmt == "json":
        assert response.json() == [{"code": 400, "description": description}]
    else:
        root = ET.fromstring(response.content)
        assert (root.findtext("error/code"), root.findtext("error/description")) == (
            "400",
            description,
        )


@pytest.mark.parametrize(
    ("path", "description"),
    [
        ("requests/ZZZZZZZZZZ.json", errors.UNKNOWN_REQUEST.format(id="ZZZZZZZZZZ")),
        ("tokens/no-such-token.json", errors.UNKNOWN_TOKEN.format(token="no-such-token")),
        ("requests.csv", errors.UNKNOWN_RESOURCE.format()),
        ("requests", errors.UNKNOWN_RESOURCE.format()),
    ],
)
def test_unknown_resources_are_404_in_the_spec_format(client, path, description):
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 404
    if path.endswith(".json"):
        assert response.json() == [{"code": 404, "description": description}]
    else:
        root = ET.fromstring(response.content)
        assert root.findtext("error/description") == description


def test_a_token_leads_to_its_service_request(city, api_key, client):
    (posted,) = client.post(f"{REQUESTS}.json", post_body(api_key)).json()
    answer = client.get(f"{BASE}/tokens/{posted['token']}.json").json()
    code, token = posted["service_request_id"], posted["token"]
    assert answer == [{"service_request_id": code, "token": token}]
    root = ET.fromstring(client.get(f"{BASE}/tokens/{posted['token']}.xml").content)
    assert root.findtext("request/service_request_id") == posted["service_request_id"]


def test_an_address_string_is_answered_as_the_address(city, api_key, client):
    body = post_body(api_key, address_string="Đầu ngõ 12 phố Tây")
    (posted,) = client.post(f"{REQUESTS}.json", body).json()
    (answer,) = client.get(f"{REQUESTS}/{posted['service_request_id']}.json").json()
    assert answer["address"] == "Đầu ngõ 12 phố Tây"


def test_no_get_answer_carries_the_submitters_personal_data(city, api_key, client):
    body = post_body(api_key, media_url="https://anh.example.vn/ca-nhan/hoa.jpg")
    (posted,) = client.post(f"{REQUESTS}.json", body).json()
    code, token = posted["service_request_id"], posted["token"]
    service_user = Report.objects.get(tracking_code=code).reporter.username
    for path in [
        f"{REQUESTS}.json",
        f"{REQUESTS}.xml",
        f"{REQUESTS}/{code}.json",
        f"{REQUESTS}/{code}.xml",
        f"{BASE}/tokens/{token}.json",
        f"{BASE}/tokens/{token}.xml",
        f"/api/v1/reports/{code}",
        "/api/v1/reports",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        for personal in [*PERSONAL_STRINGS, service_user, "anh.example.vn"]:
            assert personal not in text, (path, personal)


def test_text_that_looks_like_markup_is_escaped_and_control_characters_dropped(city, client):
    filed = report(city, description='Cống <tắc> & "bốc mùi"\x0b </request>')
    response = client.get(f"{REQUESTS}/{filed.tracking_code}.xml")
    root = ET.fromstring(response.content)
    assert root.findtext("request/description") == 'Cống <tắc> & "bốc mùi" </request>'
    assert b"<t\xe1\xba\xafc>" not in response.content


def test_the_request_list_costs_the_same_queries_for_one_report_or_many(city, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report(city)
    with CaptureQueriesContext(connection) as one:
        assert len(codes(client.get(f"{REQUESTS}.json"))) == 1
    for _ in range(5):
        report(city)
    with CaptureQueriesContext(connection) as six:
        assert len(codes(client.get(f"{REQUESTS}.json"))) == 6
    assert len(six) == len(one)


def test_media_url_is_our_first_visible_before_photo_and_never_a_redacted_one(city, client):
    from reports.models import ReportPhoto

    filed = report(city)

    def photo(name: str, kind: str, hidden: bool = False) -> ReportPhoto:
        return ReportPhoto.objects.create(
            report=filed,
            kind=kind,
            image=f"reports/photos/{name}.jpg",
            thumbnail=f"reports/photos/{name}-thumb.jpg",
            width=800,
            height=600,
            hidden=hidden,
        )

    def media_url() -> str:
        (answer,) = client.get(f"{REQUESTS}/{filed.tracking_code}.json").json()
        return answer["media_url"]

    assert media_url() == ""
    photo("after1", "after")
    assert media_url() == "http://testserver/media/reports/photos/after1.jpg"
    hidden = photo("before-hidden", "before", hidden=True)
    assert media_url() == "http://testserver/media/reports/photos/after1.jpg"
    photo("before1", "before")
    assert media_url() == "http://testserver/media/reports/photos/before1.jpg"
    ReportPhoto.objects.exclude(pk=hidden.pk).update(hidden=True)
    assert media_url() == ""
