"""API tokens live API_TOKEN_TTL_DAYS after they are issued, are replaced (not revived) by
the next sign-in after that, and can be revoked at once by signing out."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

from tests.reports.conftest import fast_password_hasher  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
MINE = "/api/v1/me/reports"
CREDENTIALS = {"username": "tran_minh", "password": "Cay-Bang-Pho-Co-2025"}


@pytest.fixture
def registered(api_client) -> dict:
    body = {**CREDENTIALS, "email": "minh.tran@example.vn"}
    response = api_client.post(REGISTER, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _with(api_client, key: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client


def _age(key: str, days: float) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(days=days))


def test_a_token_says_when_it_expires(api_client, registered, settings):
    expires = parse_datetime(registered["token_expires_at"])
    issued = Token.objects.get(key=registered["token"]).created
    assert expires == issued + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    signed_in = api_client.post(TOKEN, CREDENTIALS, format="json").json()
    assert signed_in == {"token": registered["token"], "expires_at": registered["token_expires_at"]}


def test_an_expired_token_is_refused_and_the_next_sign_in_replaces_it(
    api_client, registered, settings
):
    old = registered["token"]
    assert _with(api_client, old).get(MINE).status_code == 200
    _age(old, settings.API_TOKEN_TTL_DAYS + 0.01)
    refused = _with(api_client, old).get(MINE)
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]

    api_client.credentials()
    new = api_client.post(TOKEN, CREDENTIALS, format="json").json()
    assert new["token"] != old
    assert parse_datetime(new["expires_at"]) > timezone.now() + dt.timedelta(days=29)
    assert _with(api_client, new["token"]).get(MINE).status_code == 200
    assert _with(api_client, old).get(MINE).status_code == 401  # never revived


def test_a_token_within_its_lifetime_is_kept_by_a_sign_in(api_client, registered, settings):
    _age(registered["token"], settings.API_TOKEN_TTL_DAYS - 1)
    again = api_client.post(TOKEN, CREDENTIALS, format="json").json()
    assert again["token"] == registered["token"]
    assert _with(api_client, registered["token"]).get(MINE).status_code == 200


def test_a_lifetime_of_zero_keeps_tokens_until_revoked(api_client, registered, settings):
    settings.API_TOKEN_TTL_DAYS = 0
    _age(registered["token"], 3650)
    assert _with(api_client, registered["token"]).get(MINE).status_code == 200
    api_client.credentials()
    assert api_client.post(TOKEN, CREDENTIALS, format="json").json() == {
        "token": registered["token"],
        "expires_at": None,
    }


def test_signing_out_revokes_the_token_at_once(api_client, registered):
    key = registered["token"]
    assert _with(api_client, key).delete(TOKEN).status_code == 204
    assert not Token.objects.filter(key=key).exists()
    after = _with(api_client, key).get(MINE)
    assert after.status_code == 401
    assert _with(api_client, key).delete(TOKEN).status_code == 401
    api_client.credentials()
    anonymous = api_client.delete(TOKEN)
    assert anonymous.status_code == 401
    assert "Authorization" in anonymous.json()["detail"]
