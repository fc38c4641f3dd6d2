"""Writes of the tiles app: data-version bumps and the simplified boundary copies."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from boundaries.models import Area, Generation
from tiles.models import AreaSimplified, TileVersion
from tiles.selectors import SHARD, tile_versions
from tiles.tilemath import ZOOM_BANDS, band_tolerance_m

# The data sources whose versions key the tile caches.
REPORTS = "reports"
AREAS = "areas"
# The name under which the reports' filing statement runs the reports' bump (see apps.py).
FILING_BUMP = "tiles.reports_version"


def tile_version_bump_sql(name: str) -> str:
    """The statement that gives data source `name` a new random version token: an upsert,
    so concurrent bumps never conflict."""
    if name not in _ON_COMMIT_BUMPS:
        raise ValueError(f"Unknown tile data source {name!r}.")
    return _new_token_sql(f"'{name}'")


def _new_token_sql(name: str, when: str = "TRUE") -> str:
    """Upsert a new random token into the row named by the SQL `name`, when `when` holds."""
    return (
        f"INSERT INTO {TileVersion._meta.db_table} (name, token, changed_at) "
        f"SELECT {name}, gen_random_uuid(), now() WHERE {when} "
        "ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token, changed_at = now()"
    )


# A filing's statement gives the reports a new version in one of this many rows of their own
# ("reports-0", ...), chosen by its database session: on one row, the filings of all the
# web workers queued on its lock from their bump to their commit (the disk's flush), and
# could not commit together. The reports' version is the tokens of all of them
# (tiles.selectors.tile_version_tokens).
FILING_VERSION_ROWS = 16


def filing_version_bump_sql(when: str) -> str:
    """The reports' bump that a filing statement runs (reports.filing.also_write) when the
    SQL condition `when` holds: a new token in the row of the statement's session."""
    return _new_token_sql(
        f"'{REPORTS}{SHARD}' || mod(pg_backend_pid(), {FILING_VERSION_ROWS})", when
    )


def tile_version_bump(*, name: str) -> None:
    """Give data source `name` a new random version token, so every tile drawn from it misses
    the cache from now on."""
    with connection.cursor() as cursor:
        cursor.execute(tile_version_bump_sql(name))
    tile_versions.forget()


def tile_version_bump_on_commit(*, name: str) -> None:
    """Bump `name` once the current transaction commits (at once outside a transaction).

    After the commit, because a tile rendered between the write and the commit would still
    show the old data under the new version. Once per atomic block: a service that saves a
    thousand reports in one block registers one bump, not a thousand. The check compares the
    savepoints a pending bump was registered under (Django's `run_on_commit` entries), so a
    bump is only ever merged with one that commits or rolls back together with it.
    """
    callback = _ON_COMMIT_BUMPS[name]
    if connection.in_atomic_block:
        here = set(connection.savepoint_ids)
        for entry in getattr(connection, "run_on_commit", ()):
            if entry[1] is callback and entry[0] == here:
                return
    transaction.on_commit(callback, robust=True)


def _bump_reports() -> None:
    tile_version_bump(name=REPORTS)


def _bump_areas() -> None:
    tile_version_bump(name=AREAS)


_ON_COMMIT_BUMPS = {REPORTS: _bump_reports, AREAS: _bump_areas}


@transaction.atomic
def area_simplified_build(
    *, area_ids: Iterable[int] | None = None, generation: Generation | None = None
) -> int:
    """(Re)build the per-zoom-band simplified copies of areas; returns how many rows were written.

    Pass `area_ids`, or a `generation` for all its areas; with neither, every area is built.
    One INSERT … SELECT per call: the areas are transformed to Web Mercator and simplified with
    each band's tolerance (ST_SimplifyPreserveTopology, so no polygon collapses or
    self-intersects). Upserting on (area, band) makes concurrent builds of the same area safe.
    """
    areas = Area.objects.all()
    if area_ids is not None:
        areas = areas.filter(pk__in=list(area_ids))
    if generation is not None:
        areas = areas.in_generation(generation)
    ids = list(areas.values_list("pk", flat=True))
    if not ids:
        return 0
    bands = list(range(len(ZOOM_BANDS)))
    tolerances = [band_tolerance_m(index) for index in bands]
    table = AreaSimplified._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (area_id, zoom_band, geom)
            SELECT a.id, b.band,
                   ST_Multi(ST_CollectionExtract(ST_MakeValid(
                       ST_SimplifyPreserveTopology(ST_Transform(a.geom, 3857), b.tolerance)), 3))
            FROM boundaries_area AS a,
                 unnest(%s::integer[], %s::float8[]) AS b(band, tolerance)
            WHERE a.id = ANY(%s)
            ON CONFLICT (area_id, zoom_band) DO UPDATE SET geom = EXCLUDED.geom
            """,  # noqa: S608 (table name from model meta; values are parameters)
            [bands, tolerances, ids],
        )
        written = cursor.rowcount
    tile_version_bump_on_commit(name=AREAS)
    return written
