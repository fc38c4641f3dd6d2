"""The GeoReport v2 walk-through against the live test server, over real HTTP (urllib).

What a client application does: discover the endpoint, list the services, read a service
definition, post requests in JSON and XML, follow them by id, by token and by filters, and
meet every kind of error. Real transactions (the server thread has its own connection);
serialized_rollback restores the migrated categories afterwards.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from open311 import errors
from reports import exceptions
from reports.models import Report

from .conftest import FAR_POINT, PERSONAL_STRINGS, post_body

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self):
        return json.loads(self.body)

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)


def call(url: str, *, params: dict | None = None, form: dict | None = None) -> Answer:
    """GET (or POST `form` url-encoded) over HTTP; 4xx answers are returned, not raised."""
    if params:
        url += "?" + urllib.parse.urlencode(params)
    data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
    request = urllib.request.Request(url, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, response.headers["Content-Type"], response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers["Content-Type"], error.read())


def test_a_client_walks_the_georeport_v2_spec_over_http(live_server, city, api_key):
    base = f"{live_server.url}/open311/v2"

    # Discovery points at this endpoint.
    discovery = call(f"{base}/discovery.json")
    assert discovery.status == 200
    assert discovery.json()["endpoints"][0]["url"] == base

    # Services in both formats agree.
    services_json = call(f"{base}/services.json")
    assert services_json.content_type == "application/json; charset=utf-8"
    codes_json = [s["service_code"] for s in services_json.json()]
    services_xml = call(f"{base}/services.xml")
    assert services_xml.content_type == "text/xml; charset=utf-8"
    codes_xml = [s.findtext("service_code") for s in services_xml.xml().findall("service")]
    assert codes_json == codes_xml
    assert "rac-thai-sai-quy-dinh" in codes_json

    # A service definition with a required list attribute.
    definition = call(f"{base}/services/thu-tuc-ho-tich.xml").xml()
    assert definition.findtext("attributes/attribute/code") == "procedure_stage"

    # POST in JSON, then in XML.
    posted = call(f"{base}/requests.json", form=post_body(api_key))
    assert posted.status == 201, posted.body
    (first,) = posted.json()
    posted_xml = call(f"{base}/requests.xml", form=post_body(api_key, description="Lần hai."))
    assert posted_xml.status == 201, posted_xml.body
    second = posted_xml.xml().findtext("request/service_request_id")
    filed = Report.objects.filter(tracking_code__in=[first["service_request_id"], second])
    assert filed.count() == 2

    # Follow one by id in both formats, by token, and both by filters.
    by_id = call(f"{base}/requests/{first['service_request_id']}.json").json()
    assert by_id[0]["status"] == "open"
    assert by_id[0]["agency_responsible"] == "UBND Phường Tây"
    by_id_xml = call(f"{base}/requests/{second}.xml").xml()
    assert by_id_xml.findtext("request/description") == "Lần hai."
    by_token = call(f"{base}/tokens/{first['token']}.json").json()
    assert by_token[0]["service_request_id"] == first["service_request_id"]
    listed = call(
        f"{base}/requests.json", params={"status": "open", "service_code": "rac-thai-sai-quy-dinh"}
    ).json()
    assert {r["service_request_id"] for r in listed} == {first["service_request_id"], second}
    ids = f"{first['service_request_id']},{second}"
    assert len(call(f"{base}/requests.xml", params={"service_request_id": ids}).xml()) == 2
    assert call(f"{base}/requests.json", params={"status": "closed"}).json() == []

    # No GET answer carries the submitter's contact details.
    for url in [f"{base}/requests.json", f"{base}/requests.xml", f"{base}/requests/{second}.xml"]:
        text = call(url).body.decode()
        assert not [p for p in PERSONAL_STRINGS if p in text], url

    # The errors a client can meet, each in the spec's format.
    cases = [
        (call(f"{base}/requests.json", form=post_body("wrong-key")), 403, errors.API_KEY_INVALID),
        (
            call(f"{base}/requests.xml", form=post_body(api_key, service_code="khong-co")),
            400,
            errors.UNKNOWN_SERVICE_CODE.format(code="khong-co"),
        ),
        (
            call(
                f"{base}/requests.json",
                form=post_body(api_key, lat=str(FAR_POINT[1]), long=str(FAR_POINT[0])),
            ),
            400,
            exceptions.OUTSIDE_EVERY_AREA.format(lon=FAR_POINT[0], lat=FAR_POINT[1]),
        ),
        (
            call(f"{base}/requests.json", params={"start_date": "soon"}),
            400,
            errors.DATE_INVALID.format(field="start_date"),
        ),
        (
            call(f"{base}/requests/ZZZZZZZZZZ.xml"),
            404,
            errors.UNKNOWN_REQUEST.format(id="ZZZZZZZZZZ"),
        ),
        (
            call(f"{base}/services/khong-co.json"),
            404,
            errors.UNKNOWN_SERVICE.format(code="khong-co"),
        ),
    ]
    for answer, status, description in cases:
        assert answer.status == status, answer.body
        if answer.content_type.startswith("application/json"):
            assert answer.json() == [{"code": status, "description": description}]
        else:
            root = answer.xml()
            assert root.tag == "errors"
            assert root.findtext("error/code") == str(status)
            assert root.findtext("error/description") == description
    assert Report.objects.count() == 2
