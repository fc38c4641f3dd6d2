"""The authentication backend answers as Django's ModelBackend does, in one query per user."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from accounts.backends import RoleBackend, group_names
from geo.audit import staff_role
from tests.factories.reports import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """The same user without any cached permissions, as the next request loads it."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize(
    "roles",
    [["citizen"], ["official"], ["supervisor"], ["planner"], ["citizen", "official"], []],
)
def test_permissions_are_model_backends_for_every_role(roles):
    user = UserFactory(roles=roles)
    user.user_permissions.add(Permission.objects.get(codename="view_holiday"))
    expected = ModelBackend().get_all_permissions(fresh(user))
    assert RoleBackend().get_all_permissions(fresh(user)) == expected
    assert "reports.view_holiday" in expected
    assert group_names(fresh(user)) == frozenset(roles)


def test_a_requests_permission_checks_and_audit_role_cost_one_query(
    django_assert_num_queries,
):
    """ModelBackend asked twice (own, then groups' permissions) and the audit a third time."""
    user = fresh(UserFactory(roles=["official"]))
    with django_assert_num_queries(1):
        assert user.has_perm("reports.act_on_report")
        assert not user.has_perm("reports.oversee_reports")
        assert staff_role(user) == "official"


def test_inactive_users_hold_no_permission_and_superusers_every_one():
    inactive = UserFactory(roles=["supervisor"], is_active=False)
    assert not fresh(inactive).has_perm("reports.oversee_reports")
    assert RoleBackend().get_all_permissions(fresh(inactive)) == set()
    boss = fresh(UserFactory(roles=[], is_superuser=True))
    assert boss.has_perm("reports.oversee_reports")
    assert RoleBackend().get_all_permissions(boss) == ModelBackend().get_all_permissions(
        fresh(boss)
    )
    assert staff_role(boss) == "superuser"


def test_a_citizen_is_no_staff_and_object_permissions_are_not_granted():
    citizen = fresh(UserFactory())
    assert staff_role(citizen) is None
    assert citizen.has_perm("reports.add_report")
    assert RoleBackend().get_all_permissions(citizen, obj=object()) == set()
