"""What the tile server keeps besides the data it draws: data versions and simplified boundaries.

Tiles are cached under a key that carries the version of the data behind them, so a write never
has to find and delete cached tiles: it changes the version, and the next request misses the
cache and renders afresh.
"""

from __future__ import annotations

import uuid

from django.contrib.gis.db import models

from geo.crs import WEB_MERCATOR


class TileVersion(models.Model):
    """A token that changes whenever the data behind a tile layer changes.

    One row per data source ("reports", "areas"). The token is random rather than a counter so
    a restored or recreated database can never repeat a token that still keys cached tiles.
    """

    name = models.SlugField(max_length=32, primary_key=True)
    token = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.token}"


class AreaSimplified(models.Model):
    """An area's boundary in Web Mercator, simplified once for a band of zoom levels.

    Simplifying a 20,000-vertex ward on every tile request is wasted work: the result depends
    only on the zoom band. `tiles.services.area_simplified_build` fills this table (from the
    `build_area_tiles` command, on generation activation and after an area is saved); the
    areas layer falls back to the subdivided pieces for any area that has no copy yet.
    """

    area = models.ForeignKey(
        "boundaries.Area", on_delete=models.CASCADE, related_name="simplified_copies"
    )
    zoom_band = models.PositiveSmallIntegerField(help_text="Index into tiles.tilemath.ZOOM_BANDS")
    geom = models.MultiPolygonField(srid=WEB_MERCATOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "zoom_band"], name="one_copy_per_zoom_band")
        ]

    def __str__(self) -> str:
        return f"area {self.area_id} band {self.zoom_band}"
