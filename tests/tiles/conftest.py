"""Helpers for tile tests: URLs for a known position, and decoding with the real MVT decoder."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from django.conf import settings
from django.core.cache import caches

from tiles.tilemath import TileAddress, lonlat_to_mercator, mercator_to_tile_grid, tile_for_lonlat


@pytest.fixture(autouse=True)
def empty_tile_cache():
    """Each test starts with an empty tile cache: the database (and its version tokens) is
    rolled back between tests, the local-memory cache is not."""
    caches[settings.TILES_CACHE_ALIAS].clear()
    yield
    caches[settings.TILES_CACHE_ALIAS].clear()


def tile_url(layer: str, lon: float, lat: float, z: int, query: str = "") -> str:
    """URL of the `layer` tile at zoom `z` that contains (lon, lat)."""
    tile = tile_for_lonlat(lon, lat, z)
    return f"/tiles/{layer}/{tile.z}/{tile.x}/{tile.y}.mvt" + (f"?{query}" if query else "")


def decode(response) -> dict:
    """Decode an MVT response with tile-grid coordinates as encoded (y grows downwards)."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})


def features(response, layer: str) -> list[dict]:
    """The features of one MVT layer in a tile response (empty when the layer is absent)."""
    return decode(response).get(layer, {}).get("features", [])


def grid_position(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Where (lon, lat) falls on the 4096 grid of its tile at zoom `z`."""
    tile: TileAddress = tile_for_lonlat(lon, lat, z)
    return mercator_to_tile_grid(tile, *lonlat_to_mercator(lon, lat))
