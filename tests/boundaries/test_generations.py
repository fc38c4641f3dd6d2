"""Generations: staged inactive, activated one at a time, with listeners told."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from boundaries import services
from boundaries.models import Generation
from boundaries.signals import generation_activated
from tests.factories.boundaries import GenerationFactory

pytestmark = pytest.mark.django_db


def test_a_new_generation_is_staged_inactive():
    generation = services.generation_create(name="2025-07")
    assert generation.active is False
    assert Generation.objects.current() is None


def test_activation_switches_the_current_generation_and_tells_listeners():
    old = GenerationFactory(name="2019", active=True)
    new = services.generation_create(name="2025-07")
    heard = []

    def listener(sender, generation, previous, **kwargs):
        heard.append((generation.name, previous.name))

    generation_activated.connect(listener)
    try:
        services.generation_activate(generation=new)
    finally:
        generation_activated.disconnect(listener)
    assert Generation.objects.current() == new
    old.refresh_from_db()
    assert old.active is False
    assert heard == [("2025-07", "2019")]


def test_activating_the_current_generation_again_is_refused():
    current = GenerationFactory(active=True)
    with pytest.raises(ValidationError, match="already the current generation"):
        services.generation_activate(generation=current)


def test_the_database_refuses_two_active_generations():
    GenerationFactory(active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        GenerationFactory(active=True)
