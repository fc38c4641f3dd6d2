"""Helpers that put synthetic reports into PostGIS for the analytics DB-path tests."""

import datetime as dt

import numpy as np
from django.contrib.gis.geos import Point
from django.test import override_settings

from geo.crs import METRIC, WGS84, transformer
from reports.models import Category, Report, Status
from reports.services import tracking_code_new

BASE_TIME = dt.datetime(2025, 8, 1, 9, 0, tzinfo=dt.UTC)


def metric_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return transformer(METRIC, WGS84).transform(np.asarray(x), np.asarray(y))


def reports_bulk_create(
    *,
    reporter,
    lon: np.ndarray,
    lat: np.ndarray,
    category: Category | None = None,
    status: str = Status.RECEIVED,
    created_at: dt.datetime = BASE_TIME,
    **fields,
) -> list[Report]:
    """One report per (lon, lat), stored directly (routing is not what these tests are about)."""
    category = category or Category.objects.get(code="rac-thai-sai-quy-dinh")
    reports = [
        Report(
            tracking_code=tracking_code_new(),
            category=category,
            description="Rác thải đổ bừa bãi.",
            location=Point(float(a), float(b), srid=WGS84),
            reporter=reporter,
            status=status,
            created_at=created_at,
            due_at=created_at + dt.timedelta(days=3),
            **fields,
        )
        for a, b in zip(lon, lat, strict=True)
    ]
    return Report.objects.bulk_create(reports, batch_size=2000)


# The factory hashes every password; the production hasher is slow on purpose. These tests
# authenticate with force_authenticate, so a fast hasher loses nothing.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def user_with_roles(*roles: str):
    """A user in the given role groups, created with a fast password hasher."""
    from tests.factories.reports import UserFactory

    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        return UserFactory(roles=list(roles))
