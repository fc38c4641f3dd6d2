"""Reads of the tiles app: rendering a tile (through the cache) and describing a layer.

Caching. A rendered tile is stored in Django's cache (TILES_CACHE_ALIAS: Redis in production
through CACHE_URL, local memory in development) under a key made of the layer, z/x/y, the
normalised query, the agency set for private tiles, and the *data version*: the TileVersion
tokens of the layer's sources (plus the generation for areas). A write bumps a token, so the
next request computes a new key and renders afresh; stale entries simply age out. A tile whose
content changes by itself (a deadline passes and a report turns overdue) is cached only until
that moment, and its Cache-Control max-age is cut to match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from geo.crs import HANOI_BOUNDS
from tiles.layers import Layer
from tiles.models import TileVersion
from tiles.params import LayerQuery
from tiles.tilemath import TileAddress

# TileJSON `center` zoom: the whole city in a browser window.
_CENTER_ZOOM = 11


@dataclass(frozen=True)
class Tile:
    """A rendered tile and how long it may be reused."""

    body: bytes
    etag: str
    max_age: int
    private: bool


# Between a data source's name and the number of one of its rows of versions (a source may
# keep several, tiles.services.FILING_VERSION_ROWS); its version is all of their tokens.
SHARD = "-"


def tile_version_tokens() -> dict[str, str]:
    """Every data source's version token, read now: the tokens of its rows, in order."""
    tokens: dict[str, list[str]] = {}
    for name, token in TileVersion.objects.order_by("name").values_list("name", "token"):
        tokens.setdefault(name.split(SHARD)[0], []).append(str(token))
    return {name: "+".join(parts) for name, parts in tokens.items()}


class _VersionMemo:
    """Every data source's version token, read at most once per TILES_VERSION_TTL seconds
    in a process.

    A tile request read the tokens first: a round trip that cost as much as rendering a
    light tile (0.9 ms of a 2.2 ms empty z10 tile, in-process). Kept for a second, the
    tokens a key is built from may be that much older than the data, never newer: the
    rendering is read afterwards, so it can only be newer than its key, which is the safe
    direction (a write that commits after a render leaves it under the older key). Another
    process's write reaches this one's tiles within the TTL; a write in this process
    forgets the memo at once (tiles.services.tile_version_bump). Browsers already keep a
    report tile for TILES_REPORTS_MAX_AGE (60 s).
    """

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.read_at = -math.inf

    def get(self) -> dict[str, str]:
        now = time.monotonic()
        if now - self.read_at >= settings.TILES_VERSION_TTL:
            self.tokens = tile_version_tokens()
            self.read_at = now
        return self.tokens

    def forget(self) -> None:
        self.read_at = -math.inf


tile_versions = _VersionMemo()


def tile_data_version(*, layer: Layer, query: LayerQuery) -> str:
    """The version of the data behind `layer` for `query`; part of every cache key."""
    names = layer.data_sources(query)
    tokens = tile_versions.get()
    parts = [f"{name}={tokens.get(name, 'initial')}" for name in names]
    return ";".join([*parts, layer.extra_version(query)])


def tile_cache_key(*, layer: Layer, tile: TileAddress, query: LayerQuery, version: str) -> str:
    """The cache key of one tile: hashed, so any backend accepts its length and characters."""
    material = "|".join(
        [layer.name, str(tile), version, repr(query.canonical), query.private_key]
    ).encode()
    return "tiles:" + hashlib.sha256(material).hexdigest()


def tile_render(
    *, layer: Layer, tile: TileAddress, query: LayerQuery, now: dt.datetime
) -> tuple[bytes, dt.datetime | None]:
    """Run the layer's one statement: the MVT bytes and when the content next changes."""
    sql, params = layer.sql(tile, query, now)
    # Planned with its own values (how many reports the bounds hold decides the best plan),
    # without JIT or parallel workers (the session's settings, geo/settings.py), and answered
    # in binary: the tile's bytes come as they are. As text they were hex, twice the size,
    # encoded by PostgreSQL and decoded here (about a millisecond of the two processes' time
    # for a 270 KB z16 tile).
    body, next_change = connection.unprepared_row(sql, params, binary=True)
    return bytes(body or b""), next_change


def tile_get(
    *, layer: Layer, tile: TileAddress, query: LayerQuery, now: dt.datetime | None = None
) -> Tile:
    """A tile from the cache, or rendered and cached."""
    now = now or timezone.now()
    cache = caches[settings.TILES_CACHE_ALIAS]
    # The version is read before rendering: a write that commits in between leaves a newer
    # rendering under the older key, never an older rendering under the newer key.
    version = tile_data_version(layer=layer, query=query)
    key = tile_cache_key(layer=layer, tile=tile, query=query, version=version)
    cached = cache.get(key)
    if cached is None:
        body, next_change = tile_render(layer=layer, tile=tile, query=query, now=now)
        etag = hashlib.sha256(body).hexdigest()[:32]
        timeout = _seconds_until(next_change, now, cap=layer.cache_timeout)
        if timeout > 0:
            cache.set(key, (body, etag, next_change), timeout)
    else:
        body, etag, next_change = cached
    return Tile(
        body=body,
        etag=etag,
        max_age=_seconds_until(next_change, now, cap=layer.max_age),
        private=query.private,
    )


def _seconds_until(moment: dt.datetime | None, now: dt.datetime, *, cap: int) -> int:
    if moment is None:
        return cap
    return max(0, min(cap, int((moment - now).total_seconds())))


def tile_bounds() -> tuple[float, float, float, float]:
    """(west, south, east, north) of the current generation's areas, or Hanoi's extent."""
    with connection.cursor() as cursor:
        # ST_Extent reads only bounding boxes: cheap even for thousands of areas.
        cursor.execute(
            """
            SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
            FROM (SELECT ST_Extent(a.geom) AS e
                  FROM boundaries_area AS a JOIN boundaries_generation AS g
                    ON g.active AND a.generation_low_id <= g.id AND a.generation_high_id >= g.id
                 ) AS extent
            """
        )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return HANOI_BOUNDS
    return tuple(round(value, 6) for value in row)


def tilejson_build(*, layer: Layer, query: LayerQuery, tiles_url: str) -> dict[str, Any]:
    """A TileJSON 3.0.0 document for `layer`; `tiles_url` is the absolute z/x/y template."""
    west, south, east, north = tile_bounds()
    return {
        "tilejson": "3.0.0",
        "name": f"civicpin {layer.name}",
        "description": layer.description,
        "version": "1.0.0",
        "attribution": "civicpin",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": [west, south, east, north],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), _CENTER_ZOOM],
        "vector_layers": layer.vector_layers(query),
    }
