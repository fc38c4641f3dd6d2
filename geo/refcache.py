"""Reference data read on every new report (holidays, categories) kept in the default cache.

Such tables change a few times a year, through the admin, yet a filing read each of them: a
round trip and an ORM query apiece on the platform's hottest write. `reference_cached` keeps
a loaded value for `REFERENCE_CACHE_SECONDS`; `forget_on_change` drops it when a row of the
model is saved or deleted, at once and again when that transaction commits (a request
reading between the change and its commit would otherwise cache the old rows). With a cache
the workers share (`CACHE_URL=redis://…`) a change applies everywhere at once; with the
default per-process cache, other workers pick it up within REFERENCE_CACHE_SECONDS.

In front of the cache each process keeps what it read for REFERENCE_MEMO_SECONDS: reading
the cache unpickles a fresh copy (and asks Redis, when that is the cache), about a
millisecond per filing for two small values. A change reaches the changing process at once
and the others within that second more. The memo hands every request the same objects:
callers treat them as read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

REFERENCE_CACHE_SECONDS = 300
REFERENCE_MEMO_SECONDS = 1.0

# key → (monotonic time it expires, value)
_memo: dict[str, tuple[float, object]] = {}

_T = TypeVar("_T")


def reference_cached(key: str, load: Callable[[], _T]) -> _T:
    """The cached value under `key`, loaded (and cached) when missing."""
    now = time.monotonic()
    memo = _memo.get(key)
    if memo is not None and memo[0] > now:
        return memo[1]  # type: ignore[return-value]
    value = cache.get(key)
    if value is None:
        value = load()
        cache.set(key, value, REFERENCE_CACHE_SECONDS)
    _memo[key] = (now + REFERENCE_MEMO_SECONDS, value)
    return value


def forget(key: str) -> None:
    """Drop `key` from the cache and from this process's memo."""
    _memo.pop(key, None)
    cache.delete(key)


def memo_clear() -> None:
    """Empty this process's memo (tests, which also empty the cache between them)."""
    _memo.clear()


def forget_on_change(model: type[models.Model], key: str) -> None:
    """Drop `key` whenever a `model` row is saved or deleted (connect once, in ready())."""

    def forget_key(**kwargs) -> None:
        forget(key)
        transaction.on_commit(lambda: forget(key))

    for signal in (post_save, post_delete):
        signal.connect(forget_key, sender=model, weak=False, dispatch_uid=f"refcache:{key}")
