"""Discovery, the service list and service definitions, in JSON and XML."""

import xml.etree.ElementTree as ET

import pytest

from open311.models import ServiceAttribute
from reports.models import Category

from .conftest import BASE

pytestmark = pytest.mark.django_db


def test_discovery_names_the_georeport_v2_endpoint_and_both_formats(client):
    body = client.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert "create_open311_key" in body["key_service"]

    response = client.get(f"{BASE}/discovery.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "discovery"
    formats = [f.text for f in root.find("endpoints/endpoint/formats")]
    assert formats == ["application/json", "text/xml"]


def test_services_list_every_active_category_with_metadata_where_attributes_exist(client):
    Category.objects.filter(code="ngap-ung").update(active=False)
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    by_code = {s["service_code"]: s for s in response.json()}
    assert "ngap-ung" not in by_code
    assert set(by_code) == set(Category.objects.filter(active=True).values_list("code", flat=True))
    assert by_code["thu-tuc-ho-tich"]["metadata"] is True
    assert by_code["rac-thai-sai-quy-dinh"]["metadata"] is False
    assert by_code["rac-thai-sai-quy-dinh"]["service_name"] == "Rác thải, phế thải đổ sai quy định"
    assert by_code["rac-thai-sai-quy-dinh"]["type"] == "realtime"
    assert by_code["rac-thai-sai-quy-dinh"]["group"] == "Vệ sinh môi trường"


def test_services_xml_has_one_service_element_per_service_with_the_spec_fields(client):
    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == Category.objects.filter(active=True).count()
    fields = [child.tag for child in services[0]]
    assert fields == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    by_code = {s.findtext("service_code"): s for s in services}
    assert by_code["thu-tuc-dat-dai"].findtext("metadata") == "true"
    assert by_code["den-chieu-sang"].findtext("metadata") == "false"


def test_service_names_follow_the_accept_language(client):
    services = client.get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en").json()
    names = {s["service_code"]: s["service_name"] for s in services}
    assert names["den-chieu-sang"] == "Broken street light"


def test_an_administrative_service_definition_lists_its_attributes_in_order(client):
    body = client.get(f"{BASE}/services/thu-tuc-ho-tich.json").json()
    assert body["service_code"] == "thu-tuc-ho-tich"
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["procedure_stage", "application_code", "office_address"]
    stage = body["attributes"][0]
    assert stage["datatype"] == "singlevaluelist"
    assert stage["required"] is True
    assert stage["variable"] is True
    assert [v["key"] for v in stage["values"]] == ["not_filed", "waiting", "overdue", "refused"]
    assert "values" not in body["attributes"][1]


def test_a_service_definition_in_xml_nests_attributes_and_values(client):
    root = ET.fromstring(client.get(f"{BASE}/services/thu-tuc-ho-tich.xml").content)
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute")
    assert attribute.findtext("code") == "procedure_stage"
    assert attribute.findtext("required") == "true"
    keys = [v.findtext("key") for v in attribute.findall("values/value")]
    assert keys == ["not_filed", "waiting", "overdue", "refused"]


def test_a_service_without_attributes_has_an_empty_definition(client):
    body = client.get(f"{BASE}/services/den-chieu-sang.json").json()
    assert body == {"service_code": "den-chieu-sang", "attributes": []}


def test_the_attributes_are_data_an_administrator_can_add(client):
    category = Category.objects.get(code="den-chieu-sang")
    ServiceAttribute.objects.create(
        category=category,
        code="pole_number",
        datatype="string",
        description="Số hiệu cột đèn / Lamp-post number",
    )
    services = {s["service_code"]: s for s in client.get(f"{BASE}/services.json").json()}
    assert services["den-chieu-sang"]["metadata"] is True
    body = client.get(f"{BASE}/services/den-chieu-sang.json").json()
    assert [a["code"] for a in body["attributes"]] == ["pole_number"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_or_inactive_service_is_404_in_the_spec_error_format(client, fmt):
    Category.objects.filter(code="ngap-ung").update(active=False)
    for code in ["khong-co", "ngap-ung"]:
        response = client.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404
        if fmt == "json":
            expected = [{"code": 404, "description": f"There is no service {code!r}."}]
            assert response.json() == expected
        else:
            root = ET.fromstring(response.content)
            assert root.tag == "errors"
            assert root.findtext("error/code") == "404"
            assert root.findtext("error/description") == f"There is no service {code!r}."


@pytest.mark.parametrize(
    ("datatype", "values", "valid"),
    [
        ("singlevaluelist", [{"key": "a", "name": "A"}], True),
        ("singlevaluelist", [], False),
        ("multivaluelist", [{"key": "a"}], False),
        ("string", [], True),
        ("string", [{"key": "a", "name": "A"}], False),
    ],
)
def test_only_list_attributes_have_values_and_they_are_key_name_pairs(datatype, values, valid):
    from django.core.exceptions import ValidationError

    attribute = ServiceAttribute(
        category=Category.objects.get(code="den-chieu-sang"),
        code="pole",
        datatype=datatype,
        description="Cột đèn",
        values=values,
    )
    if valid:
        attribute.full_clean()
    else:
        with pytest.raises(ValidationError):
            attribute.full_clean()
