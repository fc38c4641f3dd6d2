"""Rendering a tile: the layer's statement, sent with its settings in one round trip."""

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


def current_settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')"
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_tile_statement_runs_with_jit_and_parallel_workers_off_in_one_round_trip():
    """The settings and the statement go in one round trip (connection.one_round_trip, whose
    own tests count its messages); the statement runs with jit and parallel workers off, and
    the settings end with it (outside a transaction, as a request runs)."""
    before = current_settings()
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        body, next_change = tile_render(
            layer=SettingsLayer(), tile=tile_address(0, 0, 0), query=LayerQuery(), now=now
        )
    assert [q["sql"].startswith("SELECT set_config('jit'") for q in queries] == [True, False]
    assert body == b"off 0"
    assert next_change == now.astimezone(dt.UTC)
    assert current_settings() == before
