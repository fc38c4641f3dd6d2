"""Reference data read on every new report (holidays, categories) kept in the default cache.

Such tables change a few times a year, through the admin, yet a filing read each of them: a
round trip and an ORM query apiece on the platform's hottest write. `reference_cached` keeps
a loaded value for `REFERENCE_CACHE_SECONDS`; `forget_on_change` drops it when a row of the
model is saved or deleted, at once and again when that transaction commits (a request
reading between the change and its commit would otherwise cache the old rows). With a cache
the workers share (`CACHE_URL=redis://…`) a change applies everywhere at once; with the
default per-process cache, other workers pick it up within REFERENCE_CACHE_SECONDS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

REFERENCE_CACHE_SECONDS = 300

_T = TypeVar("_T")


def reference_cached(key: str, load: Callable[[], _T]) -> _T:
    """The cached value under `key`, loaded (and cached) when missing."""
    value = cache.get(key)
    if value is None:
        value = load()
        cache.set(key, value, REFERENCE_CACHE_SECONDS)
    return value


def forget_on_change(model: type[models.Model], key: str) -> None:
    """Drop `key` whenever a `model` row is saved or deleted (connect once, in ready())."""

    def forget(**kwargs) -> None:
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))

    for signal in (post_save, post_delete):
        signal.connect(forget, sender=model, weak=False, dispatch_uid=f"refcache:{key}")
