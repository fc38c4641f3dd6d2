"""Reference data: a process memo in front of the cache, forgotten when a row changes."""

import pytest
from django.core.cache import cache

from geo import refcache
from reports import selectors
from reports.models import Category

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_memo_answers_for_a_second_then_the_cache_and_the_loader_again(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(refcache.time, "monotonic", clock)
    loads: list[int] = []

    def load() -> dict:
        loads.append(1)
        return {"n": len(loads)}

    assert refcache.reference_cached("test:ref", load) == {"n": 1}
    cache.delete("test:ref")  # as another worker's change would, through a shared cache
    clock.now += refcache.REFERENCE_MEMO_SECONDS / 2
    assert refcache.reference_cached("test:ref", load) == {"n": 1}
    clock.now += refcache.REFERENCE_MEMO_SECONDS
    assert refcache.reference_cached("test:ref", load) == {"n": 2}
    assert len(loads) == 2
    clock.now += refcache.REFERENCE_MEMO_SECONDS * 2
    assert refcache.reference_cached("test:ref", load) == {"n": 2}  # from the cache
    assert len(loads) == 2


def test_a_saved_row_is_forgotten_in_this_process_at_once(django_capture_on_commit_callbacks):
    category = Category.objects.filter(active=True).first()
    assert selectors.category_by_code(category.code) is not None
    category.active = False
    with django_capture_on_commit_callbacks(execute=True):
        category.save()
    assert selectors.category_by_code(category.code) is None
