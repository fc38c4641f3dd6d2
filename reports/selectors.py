"""Reads from reports. Views and other apps ask here; scoping by role and agency lives here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from reports import permissions
from reports.models import Agency, Category, Report, ReportEvent

# Crockford base32 reads O as 0 and I, L as 1, so a code read over the phone still matches.
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def tracking_code_normalise(code: str) -> str:
    """The canonical form of a typed tracking code: upper case, aliases folded, no dashes."""
    return code.strip().upper().replace("-", "").translate(_CROCKFORD_ALIASES)


def category_list() -> QuerySet[Category]:
    """Categories a citizen can choose from."""
    return Category.objects.filter(active=True).order_by("sort_order", "code")


def category_by_code(code: str) -> Category | None:
    return category_list().filter(code=code).first()


def agency_list() -> QuerySet[Agency]:
    """Agencies that take reports."""
    return Agency.objects.filter(active=True).order_by("kind", "code")


def agency_by_code(code: str) -> Agency | None:
    return Agency.objects.filter(code=code).first()


def report_list_public() -> QuerySet[Report]:
    """Reports anyone may see, with what the public representation needs and nothing else.

    The reporter is never selected, so it cannot leak into an answer by accident.
    """
    return (
        Report.objects.public()
        .select_related("category", "area", "agency")
        .only(
            "tracking_code",
            "description",
            "location",
            "accuracy_m",
            "status",
            "created_at",
            "due_at",
            "resolved_at",
            "closed_at",
            "category__code",
            "category__name",
            "category__name_en",
            "area__code",
            "area__name",
            "agency__code",
            "agency__name",
        )
        .order_by("-created_at", "-id")
    )


def report_by_code(code: str) -> QuerySet[Report]:
    """The report with tracking code `code` (normalised), as a queryset for get_object_or_404."""
    return Report.objects.filter(tracking_code=tracking_code_normalise(code))


def report_events_visible(*, report: Report, user: AbstractBaseUser | AnonymousUser | None):
    """The timeline `user` may read: internal events too for whoever may act on the report."""
    events = ReportEvent.objects.filter(report=report).select_related("from_agency", "to_agency")
    if user is None or not permissions.can_act(user, report):
        events = events.filter(public=True)
    return events.order_by("created_at", "id")


def report_list_for_user(user: AbstractBaseUser) -> QuerySet[Report]:
    """Reports `user` works with: all for supervisors, planners and staff, their agencies'
    for officials, their own for citizens. The object-level scope of every internal list.
    """
    reports = report_list_public()
    if not user.is_authenticated:
        return reports.none()
    if permissions.oversees_all(user) or user.has_perm("reports.view_analytics"):
        return reports
    agencies = permissions.agency_ids_of(user)
    if agencies and user.has_perm(permissions.PERM_ACT):
        return reports.filter(agency_id__in=agencies)
    return reports.filter(reporter=user)
