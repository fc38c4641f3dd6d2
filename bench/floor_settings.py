"""The production settings with bench/floor_urls.py's extra route (benchmark case 2 only)."""

from geo.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
