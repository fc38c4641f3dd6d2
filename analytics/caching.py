"""Cache long analyses by their parameters and the version of the data they read.

The key is a hash of the analysis name, its parameters and `report_data_version()` (report
count, last update, active generation), so any new, edited or deleted report, or a boundary
change, makes a fresh computation; stale entries simply age out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

from analytics.selectors import report_data_version

T = TypeVar("T")

# An hour: entries are invalidated by the data version anyway; this only bounds memory.
CACHE_SECONDS = 3600


def cache_key(name: str, params: dict[str, Any]) -> str:
    """The cache key of analysis `name` with `params` over the current data."""
    payload = json.dumps(
        {"name": name, "params": params, "data": report_data_version()},
        sort_keys=True,
        default=str,
    )
    return "analytics:" + hashlib.sha256(payload.encode()).hexdigest()


def cached(name: str, params: dict[str, Any], compute: Callable[[], T]) -> T:
    """`compute()`'s result, from the cache when these parameters met this data before."""
    key = cache_key(name, params)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
