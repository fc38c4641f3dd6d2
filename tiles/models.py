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


def _unchecked_category() -> models.ForeignKey:
    """A report's category, copied by the triggers. No database constraint: a category
    with reports cannot be deleted (PROTECT), and a foreign key check would add a lookup
    to every report write."""
    return models.ForeignKey(
        "reports.Category",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class ReportCell(models.Model):
    """Reports counted per cell of the report_cells grid, kept by triggers on reports_report.

    A cell tile at zoom z draws a 32 × 32 grid of cells; counting every report under a z10
    tile costs a second with a million reports, reading these rows costs milliseconds. One
    row per (zoom, cell, category, status) holds how many reports there are and the sums of
    their Web Mercator x/y, so a cell is still drawn at its reports' mean position. Rows are
    stored for the zooms from tiles.layers.REPORT_CELLS_FIRST_STORED_ZOOM to the last cell
    zoom; coarser tiles add up the first stored zoom's cells. Statement-level triggers
    (migration 0002) keep the rows in step with every insert, update, delete and truncate of
    reports, in the same transaction; a row whose count falls to zero is deleted.
    """

    pk = models.CompositePrimaryKey(
        "zoom", "tile_x", "tile_y", "cell_x", "cell_y", "category", "status"
    )
    zoom = models.PositiveSmallIntegerField(help_text="Zoom of the tile whose grid this is")
    tile_x = models.IntegerField(help_text="Tile column at `zoom` (cell_x // 32)")
    tile_y = models.IntegerField(help_text="Tile row at `zoom` (cell_y // 32)")
    cell_x = models.IntegerField(help_text="Cell column, from the world's west edge")
    cell_y = models.IntegerField(help_text="Cell row, from the world's north edge")
    category = _unchecked_category()
    status = models.CharField(max_length=16)
    reports = models.IntegerField()
    sum_x = models.FloatField(help_text="Sum of the reports' Web Mercator x, metres")
    sum_y = models.FloatField(help_text="Sum of the reports' Web Mercator y, metres")

    def __str__(self) -> str:
        return f"z{self.zoom} cell {self.cell_x},{self.cell_y} {self.category_id}/{self.status}"


class ReportDeadline(models.Model):
    """An open report's deadline and Web Mercator position, kept by the same triggers.

    A cell's overdue count depends on the moment of the request, so it cannot be stored:
    it is the cell's stored open count less its open reports not yet due. Those are few
    (filed within their deadline and still open), and this list finds them by deadline in
    one index range, where the reports table would have to visit every open report under
    the tile.
    """

    report_id = models.BigIntegerField(primary_key=True)
    due_at = models.DateTimeField(db_index=True)
    category = _unchecked_category()
    status = models.CharField(max_length=16)
    x = models.FloatField(help_text="Web Mercator x, metres")
    y = models.FloatField(help_text="Web Mercator y, metres")

    def __str__(self) -> str:
        return f"report {self.report_id} due {self.due_at.isoformat()}"
