"""Signal receivers that keep tile caches and simplified boundaries in step with the data.

Connected in `TilesConfig.ready`, so neither reports nor boundaries imports the tiles app.
Writes that bypass model signals (QuerySet.update, raw SQL) send
`reports.signals.reports_bulk_changed` (or `boundaries.signals.areas_imported`); without
that, the layer's `cache_timeout` bounds how long the server may keep serving old tiles.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction

from tiles import services
from tiles.selectors import tile_versions


def report_data_changed(sender: type, **kwargs: Any) -> None:
    """A report, category or agency was saved or deleted: report tiles must be redrawn."""
    services.tile_version_bump_on_commit(name=services.REPORTS)


def reports_bulk_changed(
    sender: type, also_written: frozenset[str] = frozenset(), **kwargs: Any
) -> None:
    """Reports were written without model signals: redraw report tiles, unless the writer's
    own statement already gave them a new version (a filing; see TilesConfig.ready), which
    only this process's memo of the versions has yet to hear of."""
    if services.FILING_BUMP in also_written:
        tile_versions.forget()
    else:
        report_data_changed(sender, **kwargs)


def area_data_changed(sender: type, **kwargs: Any) -> None:
    """A level or area was deleted, or a level saved: boundary tiles must be redrawn."""
    services.tile_version_bump_on_commit(name=services.AREAS)


def area_saved(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Rebuild a saved area's simplified copies after the commit, unless its geometry was
    left alone (`update_fields` without geom) or it is being loaded from a fixture."""
    update_fields = kwargs.get("update_fields")
    if not raw and (update_fields is None or "geom" in update_fields):
        transaction.on_commit(
            functools.partial(services.area_simplified_build, area_ids=[instance.pk]),
            robust=True,
        )
    services.tile_version_bump_on_commit(name=services.AREAS)


def areas_imported(sender: type, area_ids: list[int], **kwargs: Any) -> None:
    """An import bulk-wrote areas (no model signals): build copies of those whose geometry was
    written, after the commit, and redraw boundary tiles (carried-over areas changed
    generation membership too)."""
    if area_ids:
        transaction.on_commit(
            functools.partial(services.area_simplified_build, area_ids=list(area_ids)),
            robust=True,
        )
    services.tile_version_bump_on_commit(name=services.AREAS)


def generation_activated(sender: type, generation: Any, previous: Any, **kwargs: Any) -> None:
    """A new generation went live: build its simplified boundaries after the commit, and
    redraw report tiles too (activation re-routes open reports)."""
    transaction.on_commit(
        functools.partial(services.area_simplified_build, generation=generation), robust=True
    )
    services.tile_version_bump_on_commit(name=services.AREAS)
    services.tile_version_bump_on_commit(name=services.REPORTS)
