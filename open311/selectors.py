"""Reads for Open311: services, service requests and tokens, over the public reports API.

Every request answer starts from `reports.selectors.report_list_public()`, so the privacy rules
of the native API hold here too, and the rows are read with `.values()` naming public fields
only: the reporter and the Open311 contact details are never selected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db.models import Case, Exists, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from open311.models import ApiClient, Open311Request, ServiceAttribute
from reports import selectors as report_selectors
from reports.models import (
    OPEN_STATUSES,
    Category,
    EventKind,
    PhotoKind,
    ReportEvent,
    ReportPhoto,
    Status,
)

# GeoReport v2: without dates, the most recent 90 days; at most 1000 requests per answer.
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000

OPEN = "open"
CLOSED = "closed"


def key_hash(key: str) -> str:
    """The stored form of an API key (SHA-256 hex)."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_client_by_key(key: str) -> ApiClient | None:
    """The active client holding `key`, or None."""
    if not key:
        return None
    return (
        ApiClient.objects.filter(key_hash=key_hash(key), active=True)
        .select_related("service_user")
        .first()
    )


def service_list() -> QuerySet[Category]:
    """The services: the active categories, with whether they define attributes."""
    has_attributes = ServiceAttribute.objects.filter(category=OuterRef("pk"))
    return report_selectors.category_list().annotate(has_attributes=Exists(has_attributes))


def service_by_code(code: str) -> Category | None:
    return report_selectors.category_by_code(code)


def service_attributes(category: Category) -> QuerySet[ServiceAttribute]:
    return ServiceAttribute.objects.filter(category=category).order_by("order", "code")


def open311_status(status: str) -> str:
    """GeoReport knows two statuses: open (someone's work) and closed (handled or refused)."""
    return OPEN if status in OPEN_STATUSES else CLOSED


def statuses_for(open311_statuses: set[str]) -> list[str]:
    """Our statuses behind a set of GeoReport statuses."""
    ours: list[str] = []
    if OPEN in open311_statuses:
        ours += [str(s) for s in OPEN_STATUSES]
    if CLOSED in open311_statuses:
        ours += [str(s) for s in Status.values if s not in OPEN_STATUSES]
    return ours


# The fields of a service request answer, all public.
_REQUEST_FIELDS = (
    "id",
    "tracking_code",
    "status",
    "description",
    "location",
    "created_at",
    "updated_at",
    "due_at",
    "category__code",
    "category__name",
    "category__name_en",
    "agency__name",
    "agency__name_en",
    "open311_request__address_string",
    "status_note",
    "photo",
)


def _with_note_and_photo(reports: QuerySet) -> QuerySet:
    """Annotate the note of the latest public status change and the file name of the photo
    to answer as media_url: the first visible "before" photo (what the problem looked like),
    else the first visible one. Redacted (hidden) photos never qualify. Two subqueries, so
    the list costs the same queries for one request or a thousand.
    """
    latest = (
        ReportEvent.objects.filter(report=OuterRef("pk"), public=True, kind=EventKind.TRANSITION)
        .exclude(note="")
        .order_by("-created_at", "-id")
        .values("note")[:1]
    )
    photo = (
        ReportPhoto.objects.filter(report=OuterRef("pk"), hidden=False)
        .order_by(
            Case(When(kind=PhotoKind.BEFORE, then=Value(0)), default=Value(1)),
            "created_at",
            "id",
        )
        .values("image")[:1]
    )
    return reports.annotate(status_note=Subquery(latest), photo=Subquery(photo))


def photo_url(name: str | None) -> str | None:
    """The public (storage) URL of a stored photo file name, relative to the site."""
    if not name:
        return None
    return ReportPhoto._meta.get_field("image").storage.url(name)


def request_rows_by_codes(codes: list[str]) -> list[dict]:
    """Public service requests with these tracking codes (normalised), newest first."""
    normalised = [report_selectors.tracking_code_normalise(c) for c in codes]
    reports = report_selectors.report_list_public().filter(tracking_code__in=normalised)
    return list(_with_note_and_photo(reports).values(*_REQUEST_FIELDS)[:MAX_REQUESTS])


@dataclass(frozen=True)
class RequestFilter:
    start: dt.datetime
    end: dt.datetime
    categories: list[Category] | None = None
    statuses: list[str] | None = None


def request_window(
    start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The spec's default window: 90 days ending at end_date, starting at start_date, or now."""
    if start is not None and end is not None:
        return start, end
    if start is not None:
        return start, start + DEFAULT_WINDOW
    end = end or now or timezone.now()
    return end - DEFAULT_WINDOW, end


def request_rows(filters: RequestFilter) -> list[dict]:
    """Public service requests filed in the window, newest first, at most MAX_REQUESTS."""
    reports = report_selectors.report_list_public().filter(
        created_at__gte=filters.start, created_at__lte=filters.end
    )
    if filters.categories is not None:
        reports = reports.filter(category__in=filters.categories)
    if filters.statuses is not None:
        reports = reports.filter(status__in=filters.statuses)
    return list(_with_note_and_photo(reports).values(*_REQUEST_FIELDS)[:MAX_REQUESTS])


def request_by_token(token: str) -> Open311Request | None:
    return (
        Open311Request.objects.filter(token=token)
        .select_related("report")
        .only("token", "report__tracking_code")
        .first()
    )
