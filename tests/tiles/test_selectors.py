"""Rendering a tile: the layer's one statement, planned without JIT or parallel workers."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiles.layers import Layer
from tiles.params import LayerQuery
from tiles.selectors import tile_render
from tiles.tilemath import tile_address


class SettingsLayer(Layer):
    """A layer whose 'tile' is the planner settings its statement ran with."""

    name = "settings"

    def sql(self, tile, query, now):
        return (
            "SELECT convert_to(current_setting('jit') || ' '"
            " || current_setting('max_parallel_workers_per_gather'), 'UTF8'),"
            " %s::timestamptz",
            [now],
        )


@pytest.mark.django_db
def test_a_tile_is_one_statement_planned_without_jit_or_parallel_workers():
    """The tile's statement travels alone: JIT and parallel workers are off for the session
    (DB_SESSION_OPTIONS), not set beside each tile."""
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        body, next_change = tile_render(
            layer=SettingsLayer(), tile=tile_address(0, 0, 0), query=LayerQuery(), now=now
        )
    assert len(queries) == 1
    assert body == b"off 0"
    assert next_change == now.astimezone(dt.UTC)
