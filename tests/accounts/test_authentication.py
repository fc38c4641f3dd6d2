"""Token authentication reads the user and the user's roles in one statement, and answers as
DRF's TokenAuthentication does."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIRequestFactory

from accounts.authentication import TokenAuthentication
from geo.audit import staff_role
from tests.factories.reports import UserFactory

pytestmark = pytest.mark.django_db


def authenticate(key: str):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    return TokenAuthentication().authenticate(request)


@pytest.mark.parametrize("roles", [["citizen"], ["official"], ["citizen", "supervisor"], []])
def test_the_user_comes_with_model_backends_permissions_in_one_query(
    roles, django_assert_num_queries
):
    user = UserFactory(roles=roles)
    user.user_permissions.add(Permission.objects.get(codename="view_holiday"))
    key = Token.objects.create(user=user).key
    expected = ModelBackend().get_all_permissions(get_user_model().objects.get(pk=user.pk))
    with django_assert_num_queries(1):
        found, token = authenticate(key)
        assert found.get_all_permissions() == expected
        assert found.has_perm("reports.view_holiday")
        staff_role(found)
    assert (found.pk, found.username, found.email) == (user.pk, user.username, user.email)
    assert (token.key, token.user) == (key, found)


def test_a_user_without_any_role_or_permission_is_still_signed_in():
    user = UserFactory(roles=[])
    found, _ = authenticate(Token.objects.create(user=user).key)
    assert found.pk == user.pk
    assert found.get_all_permissions() == set()
    assert not found.has_perm("reports.add_report")


def test_an_unknown_token_and_an_inactive_user_are_refused_as_drf_refuses_them():
    inactive = UserFactory(roles=["citizen"], is_active=False)
    for key in ("0" * 40, Token.objects.create(user=inactive).key):
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
        with pytest.raises(exceptions.AuthenticationFailed) as drf:
            DrfTokenAuthentication().authenticate(request)
        with pytest.raises(exceptions.AuthenticationFailed) as ours:
            authenticate(key)
        assert ours.value.detail == drf.value.detail


def test_a_superuser_holds_every_permission():
    boss = UserFactory(roles=[], is_superuser=True)
    found, _ = authenticate(Token.objects.create(user=boss).key)
    assert found.has_perm("reports.oversee_reports")
    assert staff_role(found) == "superuser"
