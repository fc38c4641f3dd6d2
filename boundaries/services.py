"""Writes to boundaries: generations, and keeping the subdivided pieces in step with areas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from boundaries.models import Area, AreaPiece, Generation, Level
from boundaries.signals import generation_activated
from geo.crs import METRIC

# ST_Subdivide's vertex budget per piece: a few hundred keeps GiST boxes tight and
# point-in-polygon cheap, while a 126-ward city stays at a few thousand pieces.
PIECE_MAX_VERTICES = 256

GENERATION_ALREADY_ACTIVE = "generation {name!r} is already the current generation"


def measure_area_m2(geom: GEOSGeometry) -> float:
    """Area in square metres, measured in UTM 48N (never in square degrees)."""
    return geom.transform(METRIC, clone=True).area


def area_pieces_rebuild(*, area_ids: Iterable[int]) -> int:
    """Replace the subdivided pieces of the given areas; returns how many pieces exist now.

    Runs in SQL because ST_Subdivide has no GEOS equivalent and the whole city is a single
    statement. Multipolygons are dumped first so every stored piece is a simple polygon.
    """
    ids = list(area_ids)
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AreaPiece._meta.db_table} WHERE area_id = ANY(%s)",  # noqa: S608
            [ids],
        )
        cursor.execute(
            f"""
            INSERT INTO {AreaPiece._meta.db_table} (area_id, geom)
            SELECT a.id, piece
            FROM boundaries_area AS a,
                 LATERAL ST_Dump(a.geom) AS part,
                 LATERAL ST_Subdivide(part.geom, %s) AS piece
            WHERE a.id = ANY(%s) AND GeometryType(piece) = 'POLYGON'
            """,  # noqa: S608 (table name from model meta, values are parameters)
            [PIECE_MAX_VERTICES, ids],
        )
        return cursor.rowcount


@transaction.atomic
def generation_create(
    *, name: str, description: str = "", effective_from: dt.date | None = None
) -> Generation:
    """Stage a new, inactive generation."""
    generation = Generation(name=name, description=description, effective_from=effective_from)
    generation.full_clean()
    generation.save()
    return generation


@transaction.atomic
def generation_activate(*, generation: Generation) -> Generation:
    """Make `generation` the current one, and let listeners (report re-routing) follow.

    The previous generation stays in the database: old reports keep pointing at the areas
    they were routed to.
    """
    # Lock every generation row so two activations cannot interleave.
    generations = list(Generation.objects.select_for_update().order_by("id"))
    target = next((g for g in generations if g.pk == generation.pk), None)
    if target is None:
        raise ValidationError(f"generation {generation.name!r} does not exist")
    if target.active:
        raise ValidationError(GENERATION_ALREADY_ACTIVE.format(name=target.name))
    previous = next((g for g in generations if g.active), None)
    if previous is not None:
        previous.active = False
        previous.save(update_fields=["active"])
    target.active = True
    target.activated_at = timezone.now()
    target.save(update_fields=["active", "activated_at"])
    generation_activated.send(sender=Generation, generation=target, previous=previous)
    return target


@transaction.atomic
def level_create(*, code: str, name: str, rank: int, name_en: str = "") -> Level:
    """Add a tier to this deployment's hierarchy (rank 0 is the top, e.g. the city)."""
    level = Level(code=code, name=name, name_en=name_en, rank=rank)
    level.full_clean()
    level.save()
    return level


@transaction.atomic
def area_save(*, area: Area) -> Area:
    """Save an area edited by hand, keeping its measured size and lookup pieces in step."""
    area.area_m2 = measure_area_m2(area.geom)
    area.full_clean()
    area.save()
    area_pieces_rebuild(area_ids=[area.pk])
    return area
