"""Who may do what: roles are Django groups with permissions, scoped to agencies per object.

Roles (groups created by migration 0002):
- citizen: files reports (`add_report`); every registered user is one.
- official: a member of one or more agencies (`Membership`) with `act_on_report`; acts only on
  reports assigned to those agencies.
- supervisor: city-wide oversight (e.g. the Department of Home Affairs) with
  `oversee_reports` and `extend_deadline`; acts on any agency's reports.
- planner: read-only analytics (`view_analytics`).
- Django staff / superusers hold every permission.

The services call `ensure_can_act` and `ensure_can_extend`, so the rules hold however a
report is changed (API, admin action, shell), not only behind a view.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from rest_framework.permissions import BasePermission

from reports import exceptions
from reports.models import MemberRole, Membership, Report

PERM_ADD = "reports.add_report"
PERM_ACT = "reports.act_on_report"
PERM_OVERSEE = "reports.oversee_reports"
PERM_EXTEND = "reports.extend_deadline"

User = AbstractBaseUser | AnonymousUser


def _is_active(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def oversees_all(user: User | None) -> bool:
    """Supervisors and staff see and act on every agency's reports."""
    return _is_active(user) and (user.is_superuser or user.has_perm(PERM_OVERSEE))


def agency_ids_of(user: User | None) -> set[int]:
    """The agencies `user` is a member of."""
    if not _is_active(user):
        return set()
    return set(Membership.objects.filter(user=user).values_list("agency_id", flat=True))


def can_act(user: User | None, report: Report) -> bool:
    """May `user` move, transfer or annotate `report`?"""
    if oversees_all(user):
        return True
    return (
        _is_active(user)
        and user.has_perm(PERM_ACT)
        and report.agency_id is not None
        and Membership.objects.filter(user=user, agency_id=report.agency_id).exists()
    )


def can_extend(user: User | None, report: Report) -> bool:
    """Supervisors, staff, and the head of the report's agency may extend its deadline."""
    if not _is_active(user):
        return False
    if user.is_superuser or user.has_perm(PERM_EXTEND):
        return True
    return (
        user.has_perm(PERM_ACT)
        and Membership.objects.filter(
            user=user, agency_id=report.agency_id, role=MemberRole.HEAD
        ).exists()
    )


def can_see_reporter(user: User | None, report: Report) -> bool:
    """The reporter's identity is for the handling agency's officials and supervisors only:
    exactly those who may act on the report."""
    return can_act(user, report)


def can_read_redacted(user: User | None) -> bool:
    """Originals of redacted text and photos are for supervisors (and staff) only."""
    return oversees_all(user)


def ensure_can_act(user: User | None, report: Report) -> None:
    """Raise NotPermitted unless `user` may act on `report`, naming the reason."""
    if can_act(user, report):
        return
    if _is_active(user) and user.has_perm(PERM_ACT):
        raise exceptions.NotPermitted(exceptions.NOT_PERMITTED)
    raise exceptions.NotPermitted(exceptions.NOT_PERMITTED_ROLE)


def ensure_can_extend(user: User | None, report: Report) -> None:
    if not can_extend(user, report):
        raise exceptions.NotPermitted(exceptions.NOT_PERMITTED_EXTEND)


class CanFileReports(BasePermission):
    """Authenticated users holding `add_report` (citizens, staff) may file reports."""

    message = "Only signed-in citizens may file reports."

    def has_permission(self, request, view) -> bool:
        return _is_active(request.user) and request.user.has_perm(PERM_ADD)


class IsOfficialOrSupervisor(BasePermission):
    """Officials and supervisors may reach the workflow endpoints; scoping is per report."""

    message = exceptions.NOT_PERMITTED_ROLE

    def has_permission(self, request, view) -> bool:
        user = request.user
        return _is_active(user) and (
            user.has_perm(PERM_ACT) or user.has_perm(PERM_OVERSEE) or user.has_perm(PERM_EXTEND)
        )
