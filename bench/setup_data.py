"""Boundaries for the benchmark database, loaded the way a city would load them."""

from __future__ import annotations

from django.core.management import call_command

from bench.workload import HANOI_WARDS

GENERATION = "bench-hanoi-2025"


def ensure_wards(wards) -> tuple:
    """The active generation and ward level, importing Hanoi's wards (or the demo city) once."""
    from boundaries.models import Generation, Level
    from boundaries.services import generation_activate

    if HANOI_WARDS.is_file():
        generation = Generation.objects.filter(name=GENERATION).first()
        if generation is None:
            call_command(
                "import_boundaries",
                str(HANOI_WARDS),
                level="ward",
                level_rank=2,
                level_name="Phường/Xã",
                level_name_en="Ward/Commune",
                code_field="code",
                name_field="name",
                name_en_field="nameEn",
                generation=GENERATION,
                commit=True,
                activate=True,
                verbosity=0,
            )
            generation = Generation.objects.get(name=GENERATION)
        if not generation.active:
            generation = generation_activate(generation=generation)
    else:
        from boundaries.demo import load_demo_city

        load_demo_city()
        generation = Generation.objects.current()
    return generation, Level.objects.get(code="ward")
