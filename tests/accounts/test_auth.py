"""Registration makes citizens; tokens are exchanged for username and password."""

import pytest
from django.contrib.auth import get_user_model

from accounts.serializers import USERNAME_TAKEN
from tests.reports.conftest import fast_password_hasher  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"


def registration(**overrides) -> dict:
    body = {
        "username": "tran_minh",
        "password": "Cay-Bang-Pho-Co-2025",
        "email": "minh.tran@example.vn",
        "phone": "0912 345 678",
        "first_name": "Minh",
        "last_name": "Trần",
    }
    body.update(overrides)
    return body


def test_a_registered_user_is_a_citizen_with_a_profile_and_a_token(api_client):
    response = api_client.post(REGISTER, registration(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "tran_minh"
    assert body["token"]
    assert "password" not in body
    user = get_user_model().objects.get(username="tran_minh")
    assert user.groups.filter(name="citizen").exists()
    assert user.has_perm("reports.add_report")
    assert user.profile.phone == "0912345678"
    assert user.check_password("Cay-Bang-Pho-Co-2025")


def test_the_token_endpoint_exchanges_credentials_for_the_token(api_client):
    token = api_client.post(REGISTER, registration(), format="json").json()["token"]
    response = api_client.post(
        TOKEN, {"username": "tran_minh", "password": "Cay-Bang-Pho-Co-2025"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"] == token
    wrong = api_client.post(TOKEN, {"username": "tran_minh", "password": "sai"}, format="json")
    assert wrong.status_code == 400


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "123456789"}, "password"),
        ({"password": "tran_minh1"}, "password"),
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"username": "có dấu cách"}, "username"),
        ({"username": ""}, "username"),
    ],
)
def test_bad_registrations_get_400_naming_the_field_and_create_nobody(api_client, overrides, field):
    response = api_client.post(REGISTER, registration(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not get_user_model().objects.exists()


def test_a_taken_username_or_email_is_refused_whatever_the_case(api_client):
    api_client.post(REGISTER, registration(), format="json")
    again = api_client.post(
        REGISTER, registration(username="TRAN_MINH", email="x@example.vn"), format="json"
    )
    assert again.status_code == 400
    assert again.json()["username"] == [USERNAME_TAKEN]
    same_mail = api_client.post(
        REGISTER, registration(username="other", email="Minh.Tran@example.vn"), format="json"
    )
    assert same_mail.status_code == 400
    assert "email" in same_mail.json()
