"""Shared fixtures: the real Hanoi reference data, API clients, the test database's URL."""

import os
from pathlib import Path

import pytest

HANOI_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "hanoi"


def hanoi_file(name: str) -> Path:
    """Path to a real Hanoi data file; skip where it is absent, but fail in CI where it must run."""
    path = HANOI_DIR / name
    if not path.is_file():
        message = (
            f"real Hanoi data not found at {path} "
            "(expected ../shared/data/hanoi/ beside the checkout)"
        )
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the real-data tests")
        pytest.skip(message)
    return path


def own_process_database_url() -> str:
    """The test database as a DATABASE_URL, for a server or command run in its own process."""
    from django.db import connection

    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    return f"postgis://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _rate_limits_off_and_fresh_cache(settings):
    """Rate limits (geo.throttles) are off in tests unless a test switches them on with
    `settings.THROTTLE_ENABLED = True`; the cache starts empty so no counter or cached answer
    leaks from one test to the next."""
    from django.core.cache import caches

    from geo import refcache
    from tiles.selectors import tile_versions

    settings.THROTTLE_ENABLED = False
    for alias in settings.CACHES:
        caches[alias].clear()
    tile_versions.forget()  # the database's tokens were rolled back with the last test
    refcache.memo_clear()
