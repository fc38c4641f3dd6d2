"""POST requests: filing through the reports services, and every documented error case."""

import xml.etree.ElementTree as ET

import pytest

from open311 import errors
from open311.models import ApiClient, Open311Request
from reports import exceptions
from reports.models import Category, Report, ReportEvent

from .conftest import BASE, FAR_POINT, PERSON, WEST_POINT, post_body

pytestmark = pytest.mark.django_db

REQUESTS = f"{BASE}/requests"


def test_a_post_files_a_routed_report_and_answers_its_tracking_code_and_token(
    city, api_key, client_and_key, client
):
    response = client.post(f"{REQUESTS}.json", post_body(api_key, media_url="http://x.vn/a.jpg"))
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    (answer,) = response.json()
    report = Report.objects.get(tracking_code=answer["service_request_id"])
    assert report.agency == city.west_agency
    assert report.area == city.west
    assert report.location.x == pytest.approx(WEST_POINT[0], abs=1e-9)
    assert report.location.y == pytest.approx(WEST_POINT[1], abs=1e-9)
    assert report.status == "received"
    assert report.events.get().kind == "created"
    assert answer["account_id"] is None
    assert "UBND Phường Tây" in answer["service_notice"]

    stored = Open311Request.objects.get(report=report)
    assert stored.token == answer["token"]
    assert stored.client == client_and_key[0]
    assert (stored.email, stored.first_name, stored.last_name) == (
        PERSON["email"],
        PERSON["first_name"],
        PERSON["last_name"],
    )
    assert stored.phone == "0912345678"
    assert stored.media_url == "http://x.vn/a.jpg"


def test_the_reporter_is_the_clients_inactive_service_user_not_the_person(
    city, api_key, client_and_key, client
):
    client.post(f"{REQUESTS}.json", post_body(api_key))
    report = Report.objects.get()
    service_user = client_and_key[0].service_user
    assert report.reporter == service_user
    assert not service_user.is_active
    assert not service_user.has_usable_password()
    assert service_user.email == ""
    assert service_user.groups.count() == 0


def test_a_post_in_xml_answers_a_service_requests_document(city, api_key, client):
    response = client.post(f"{REQUESTS}.xml", post_body(api_key))
    assert response.status_code == 201
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    request = root.find("request")
    code = request.findtext("service_request_id")
    assert Report.objects.filter(tracking_code=code).exists()
    assert request.findtext("token") == Open311Request.objects.get().token


def test_an_administrative_request_may_give_only_an_address_string(city, api_key, client):
    body = post_body(
        api_key,
        service_code="thu-tuc-ho-tich",
        lat=None,
        long=None,
        address_string="Bộ phận một cửa UBND phường Tây, số 1 phố Tây",
        description="Quá hẹn trả giấy khai sinh 10 ngày.",
        **{"attribute[procedure_stage]": "overdue", "attribute[application_code]": "HS-0001"},
    )
    city.overseer.kind = "city"
    city.overseer.save()
    response = client.post(f"{REQUESTS}.json", body)
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert report.location is None
    assert report.agency == city.overseer
    stored = report.open311_request
    assert stored.address_string == "Bộ phận một cửa UBND phường Tây, số 1 phố Tây"
    assert stored.attributes == {"procedure_stage": "overdue", "application_code": "HS-0001"}


def test_multi_value_and_datetime_attributes_are_checked_and_stored(city, api_key, client):
    from open311.models import ServiceAttribute

    category = Category.objects.get(code="rac-thai-sai-quy-dinh")
    ServiceAttribute.objects.create(
        category=category,
        code="kinds",
        datatype="multivaluelist",
        description="Loại rác",
        values=[{"key": "construction", "name": "Xây dựng"}, {"key": "household", "name": "Nhà"}],
    )
    ServiceAttribute.objects.create(
        category=category, code="seen_at", datatype="datetime", description="Lúc"
    )
    body = post_body(api_key, **{"attribute[seen_at]": "2026-11-20T21:30:00+07:00"})
    body["attribute[kinds][]"] = ["construction", "household"]
    response = client.post(f"{REQUESTS}.json", body)
    assert response.status_code == 201, response.content
    attributes = Open311Request.objects.get().attributes
    assert attributes["kinds"] == ["construction", "household"]
    assert attributes["seen_at"] == "2026-11-20T21:30:00+07:00"


# (name, overrides of the valid body, status, expected description). None removes a field.
POST_ERRORS = [
    ("missing api_key", {"api_key": None}, 403, errors.API_KEY_INVALID),
    ("wrong api_key", {"api_key": "a-key-nobody-was-given"}, 403, errors.API_KEY_INVALID),
    ("missing service_code", {"service_code": None}, 400, errors.SERVICE_CODE_REQUIRED),
    (
        "unknown service_code",
        {"service_code": "khong-co"},
        400,
        errors.UNKNOWN_SERVICE_CODE.format(code="khong-co"),
    ),
    ("lat without long", {"long": None}, 400, errors.LAT_LONG_PAIR),
    ("lat not a number", {"lat": "21,005"}, 400, errors.LAT_LONG_INVALID),
    ("lat out of range", {"lat": "91"}, 400, errors.LAT_LONG_INVALID),
    ("long not finite", {"long": "nan"}, 400, errors.LAT_LONG_INVALID),
    ("no location at all", {"lat": None, "long": None}, 400, errors.LOCATION_MISSING),
    (
        "address_string alone for an on-site service",
        {"lat": None, "long": None, "address_string": "Số 12 ngõ 34 phố Tây"},
        400,
        errors.ADDRESS_NEEDS_GEOCODER.format(code="rac-thai-sai-quy-dinh"),
    ),
    (
        "outside every area",
        {"lat": str(FAR_POINT[1]), "long": str(FAR_POINT[0])},
        400,
        exceptions.OUTSIDE_EVERY_AREA.format(lon=FAR_POINT[0], lat=FAR_POINT[1]),
    ),
    ("missing description", {"description": None}, 400, errors.DESCRIPTION_REQUIRED),
    ("blank description", {"description": " \x07 \n"}, 400, errors.DESCRIPTION_REQUIRED),
    ("description too long", {"description": "x" * 5001}, 400, errors.DESCRIPTION_TOO_LONG),
    ("invalid email", {"email": "hoa at example"}, 400, errors.EMAIL_INVALID),
    ("invalid phone", {"phone": "call me"}, 400, errors.PHONE_INVALID),
    ("first_name too long", {"first_name": "H" * 151}, 400, "first_name is longer than 150"),
    ("media_url not http", {"media_url": "file:///etc/passwd"}, 400, errors.MEDIA_URL_INVALID),
    ("media_url not a URL", {"media_url": "photo.jpg"}, 400, errors.MEDIA_URL_INVALID),
    (
        "attribute the service does not define",
        {"attribute[colour]": "red"},
        400,
        errors.ATTRIBUTE_UNKNOWN.format(code="rac-thai-sai-quy-dinh", attribute="colour"),
    ),
]

ADMIN = {
    "service_code": "thu-tuc-ho-tich",
    "lat": None,
    "long": None,
    "address_string": "Bộ phận một cửa phường Tây",
}
ADMIN_ERRORS = [
    ("required attribute missing", {}, 400, "attribute[procedure_stage] is required"),
    (
        "value not in the list",
        {"attribute[procedure_stage]": "lost"},
        400,
        "attribute[procedure_stage] must be one of: not_filed, waiting, overdue, refused.",
    ),
    (
        "two values for a single-value list",
        {"attribute[procedure_stage]": ["waiting", "overdue"]},
        400,
        errors.ATTRIBUTE_SINGLE.format(attribute="procedure_stage"),
    ),
]


@pytest.mark.parametrize(
    ("case", "overrides", "status", "description"),
    POST_ERRORS + [(n, {**ADMIN, **o}, s, d) for n, o, s, d in ADMIN_ERRORS],
    ids=[c[0] for c in POST_ERRORS + ADMIN_ERRORS],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_invalid_post_is_refused_in_the_spec_format_and_stores_nothing(
    city, api_key, client, fmt, case, overrides, status, description
):
    response = client.post(f"{REQUESTS}.{fmt}", post_body(api_key, **overrides))
    assert response.status_code == status, response.content
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        (error,) = response.json()
        code, text = error["code"], error["description"]
    else:
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        (error,) = root.findall("error")
        code, text = int(error.findtext("code")), error.findtext("description")
    assert code == status
    assert text.startswith(description)
    assert Report.objects.count() == 0
    assert ReportEvent.objects.count() == 0
    assert Open311Request.objects.count() == 0


def test_an_inactive_category_cannot_be_posted_to(city, api_key, client):
    Category.objects.filter(code="rac-thai-sai-quy-dinh").update(active=False)
    response = client.post(f"{REQUESTS}.json", post_body(api_key))
    assert response.status_code == 400
    assert response.json()[0]["description"] == errors.UNKNOWN_SERVICE_CODE.format(
        code="rac-thai-sai-quy-dinh"
    )


def test_a_deactivated_clients_key_is_refused_with_403(city, api_key, client_and_key, client):
    ApiClient.objects.filter(pk=client_and_key[0].pk).update(active=False)
    response = client.post(f"{REQUESTS}.json", post_body(api_key))
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_the_api_key_is_checked_before_anything_else(city, client):
    response = client.post(f"{REQUESTS}.json", {"service_code": "khong-co"})
    assert response.status_code == 403


def test_a_category_nobody_handles_there_is_a_400_naming_it(city, api_key, client):
    category = Category.objects.get(code="rac-thai-sai-quy-dinh")
    city.west_agency.active = False
    city.west_agency.save()
    response = client.post(f"{REQUESTS}.json", post_body(api_key))
    assert response.status_code == 400
    assert response.json()[0]["description"] == exceptions.NO_AGENCY.format(
        category=category.code, area=city.west.name
    )
    assert Report.objects.count() == 0


def test_only_get_and_post_are_allowed_on_requests(client):
    response = client.put(f"{REQUESTS}.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, HEAD"
    assert response.json()[0]["code"] == 405


def test_head_is_answered_like_get_and_other_methods_on_read_only_resources_are_405(client):
    assert client.head(f"{BASE}/services.json").status_code == 200
    response = client.post(f"{BASE}/services.xml")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert ET.fromstring(response.content).findtext("error/code") == "405"
