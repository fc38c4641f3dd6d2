"""API keys: issued by command or admin, shown once, stored as a hash; plus the schema and
logs staying clean of Open311 personal data.
"""

import logging
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from open311.models import ApiClient
from open311.selectors import api_client_by_key, key_hash
from reports.models import Report
from tests.factories.reports import UserFactory

from .conftest import BASE, PERSONAL_STRINGS, post_body

pytestmark = pytest.mark.django_db


def test_create_open311_key_prints_a_key_that_works_and_stores_only_its_hash(city, client):
    out, err = StringIO(), StringIO()
    call_command("create_open311_key", "FixMyStreet Hà Nội", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert len(key) >= 40
    stored = ApiClient.objects.get(name="FixMyStreet Hà Nội")
    assert stored.key_hash == key_hash(key)
    assert key not in {stored.key_hash, stored.key_prefix, stored.contact}
    assert stored.key_prefix == key[:8]
    assert "shown once" in err.getvalue()
    response = client.post(f"{BASE}/requests.json", post_body(key))
    assert response.status_code == 201, response.content
    assert Report.objects.get().reporter == stored.service_user


def test_create_open311_key_refuses_a_name_already_taken(db):
    call_command("create_open311_key", "Ứng dụng A", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_open311_key", "Ứng dụng A", stdout=StringIO(), stderr=StringIO())
    assert ApiClient.objects.count() == 1


def test_a_key_is_found_only_while_its_client_is_active(client_and_key):
    client, key = client_and_key
    assert api_client_by_key(key) == client
    assert api_client_by_key("") is None
    assert api_client_by_key(key + "x") is None
    ApiClient.objects.filter(pk=client.pk).update(active=False)
    assert api_client_by_key(key) is None


def test_staff_issue_a_key_in_the_admin_and_see_it_once(client):
    staff = UserFactory(username="quantri", is_staff=True, is_superuser=True, roles=[])
    client.force_login(staff)
    response = client.post(
        "/admin/open311/apiclient/add/",
        {"name": "Zalo Mini App", "contact": "zalo@example.vn", "active": "on"},
    )
    assert response.status_code == 302, response.content
    stored = ApiClient.objects.get(name="Zalo Mini App")
    (message,) = [str(m) for m in get_messages(response.wsgi_request) if "API key" in str(m)]
    key = message.rsplit(" ", 1)[-1]
    assert stored.contact == "zalo@example.vn"
    assert stored.key_hash == key_hash(key)
    assert not stored.service_user.is_active
    change = f"/admin/open311/apiclient/{stored.pk}/change/"
    assert key in client.get(change).content.decode()  # the page after saving shows it
    page = client.get(change).content.decode()
    assert key not in page
    assert stored.key_hash not in page


def test_rotating_a_key_in_the_admin_retires_the_old_one(client, client_and_key):
    stored, old_key = client_and_key
    client.force_login(UserFactory(username="quantri", is_staff=True, is_superuser=True, roles=[]))
    response = client.post(
        "/admin/open311/apiclient/",
        {"action": "rotate_keys", "_selected_action": [stored.pk]},
    )
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    new_key = message.rsplit(" ", 1)[-1]
    assert api_client_by_key(old_key) is None
    assert api_client_by_key(new_key) == stored


def test_the_openapi_schema_still_generates_and_leaves_open311_out(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert not [p for p in response.json()["paths"] if p.startswith("/open311")]


def test_posting_logs_the_tracking_code_but_no_personal_data(city, api_key, client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post(f"{BASE}/requests.json", post_body(api_key))
        client.post(f"{BASE}/requests.json", post_body(api_key, email="sai"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert Report.objects.get().tracking_code in logged
    for personal in PERSONAL_STRINGS:
        assert personal not in logged
