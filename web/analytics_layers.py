"""The planners' map layers and performance table, computed by the analytics code the API runs.

Each layer goes through the same parameter parsing (`analytics.params.Params`), the same
cached analyses and the same GeoJSON builders as /api/v1/analytics/, so the map and the API
can never disagree. Only aggregates reach the page: grid cells, hexagons and cluster hulls,
never one point per report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import folium
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from folium.plugins import HeatMap

from analytics import analyses, params, views
from analytics.analyses import AnalysisError
from analytics.caching import cached
from analytics.params import FILTER_PARAMETERS, Params
from boundaries.models import Area, Generation
from boundaries.selectors import areas_geojson
from geo.crs import WGS84

HEATMAP_CELL_M = 250.0
HEATMAP_BANDWIDTH_M = 500.0
MIN_SAMPLE = 20

# Gi_Bin classes and ArcGIS Pro's Hot Spot Analysis colours.
# The labels hold a literal "%": `xgettext:no-python-format` keeps msgfmt from reading
# "% c" as a format directive.
GI_CLASSES: list[tuple[int, str, Any]] = [
    # xgettext:no-python-format
    (3, "#d62f27", gettext_lazy("Hot spot, 99 % confidence")),
    # xgettext:no-python-format
    (2, "#ed7551", gettext_lazy("Hot spot, 95 % confidence")),
    # xgettext:no-python-format
    (1, "#fab984", gettext_lazy("Hot spot, 90 % confidence")),
    (0, "#f7f7f7", gettext_lazy("Not significant")),
    # xgettext:no-python-format
    (-1, "#c0ccbe", gettext_lazy("Cold spot, 90 % confidence")),
    # xgettext:no-python-format
    (-2, "#849eba", gettext_lazy("Cold spot, 95 % confidence")),
    # xgettext:no-python-format
    (-3, "#4575b5", gettext_lazy("Cold spot, 99 % confidence")),
]
GI_COLOURS = {gi_bin: colour for gi_bin, colour, _label in GI_CLASSES}

# On-time rate classes for the ward choropleth (red = late, green = on time).
ON_TIME_CLASSES: list[tuple[float, str, str]] = [
    (0.95, "#1a9641", "≥ 95 %"),
    (0.85, "#a6d96a", "85–95 %"),
    (0.70, "#ffffbf", "70–85 %"),
    (0.50, "#fdae61", "50–70 %"),
    (0.00, "#d7191c", "< 50 %"),
]
NO_SAMPLE_COLOUR = "#bdbdbd"


@dataclass
class PlanningLayers:
    """What the page shows beside the map: counts per layer and any parameter error."""

    heat_cells: int = 0
    hot_cells: int = 0
    cold_cells: int = 0
    clusters: int = 0
    wards: int = 0
    error: str = ""
    gi_classes: list = field(default_factory=lambda: GI_CLASSES)
    on_time_classes: list = field(default_factory=lambda: ON_TIME_CLASSES)
    no_sample_colour: str = NO_SAMPLE_COLOUR
    min_sample: int = MIN_SAMPLE


def _params(query: dict[str, str], extra: tuple[str, ...] = ()) -> Params:
    return Params(query, (*FILTER_PARAMETERS, *extra))


def add_layers(fmap: folium.Map, query: dict[str, str]) -> PlanningLayers:
    """Add the heat map, Gi* cells, DBSCAN clusters and the ward choropleth to `fmap`."""
    info = PlanningLayers()
    try:
        _add_choropleth(fmap, query, info)
        _add_heatmap(fmap, query, info)
        _add_gistar(fmap, query, info)
        _add_clusters(fmap, query, info)
    except AnalysisError as error:
        info.error = f"{error.parameter}: {error.message}"
    return info


def _add_heatmap(fmap: folium.Map, query: dict[str, str], info: PlanningLayers) -> None:
    p = _params(query)
    f = params.report_filter(p)
    key = {**p.echo, "cell_m": HEATMAP_CELL_M, "bandwidth_m": HEATMAP_BANDWIDTH_M, "weight": None}
    result = cached(
        "heatmap",
        key,
        lambda: analyses.density(f, cell_m=HEATMAP_CELL_M, bandwidth_m=HEATMAP_BANDWIDTH_M),
    )
    frame = result.frame
    info.heat_cells = len(frame)
    if not len(frame):
        return
    # Cell centres, taken in metres and then turned into degrees, weighted by density.
    centres = frame.geometry.centroid.to_crs(WGS84)
    peak = float(frame["density"].max()) or 1.0
    points = [
        [round(pt.y, 6), round(pt.x, 6), round(float(d) / peak, 4)]
        for pt, d in zip(centres, frame["density"], strict=True)
    ]
    # Off at first: over a whole city the smoothed surface hides the Gi* classes beneath.
    HeatMap(
        points, name=_("Heat map (density)"), radius=14, blur=12, min_opacity=0.25, show=False
    ).add_to(fmap)


def _add_gistar(fmap: folium.Map, query: dict[str, str], info: PlanningLayers) -> None:
    collection = views.gistar_answer(_params(query, (*params.GISTAR_PARAMETERS, "cells")))
    bins = [f["properties"]["gi_bin"] for f in collection["features"]]
    info.hot_cells = sum(1 for b in bins if b > 0)
    info.cold_cells = sum(1 for b in bins if b < 0)
    if not collection["features"]:
        return  # folium's tooltip needs at least one feature carrying its fields
    folium.GeoJson(
        collection,
        name=_("Hot and cold spots (Gi*)"),
        style_function=lambda feature: {
            "color": "#555555",
            "weight": 0.5,
            "fillColor": GI_COLOURS.get(feature["properties"]["gi_bin"], "#f7f7f7"),
            "fillOpacity": 0.75,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["count", "gi_z", "gi_bin"],
            aliases=[_("Reports"), _("z-score"), _("Class")],
        ),
    ).add_to(fmap)


def _add_clusters(fmap: folium.Map, query: dict[str, str], info: PlanningLayers) -> None:
    collection = views.clusters_answer(_params(query, params.DBSCAN_PARAMETERS))
    info.clusters = len(collection["features"])
    if not collection["features"]:
        return
    folium.GeoJson(
        collection,
        name=_("Clusters (DBSCAN)"),
        style_function=lambda _feature: {
            "color": "#54278f",
            "weight": 2,
            "fillColor": "#9e9ac8",
            "fillOpacity": 0.25,
        },
        popup=folium.GeoJsonPopup(
            fields=["count", "dominant_category", "dominant_share", "first_report", "open_share"],
            aliases=[
                _("Reports"),
                _("Main category"),
                _("Share of main category"),
                _("First report"),
                _("Share still open"),
            ],
        ),
    ).add_to(fmap)


def _on_time_colour(unit: dict[str, Any] | None) -> str:
    if not unit or unit.get("rank") is None or unit.get("on_time_rate") is None:
        return NO_SAMPLE_COLOUR
    rate = unit["on_time_rate"]
    return next(colour for low, colour, _label in ON_TIME_CLASSES if rate >= low)


def _add_choropleth(fmap: folium.Map, query: dict[str, str], info: PlanningLayers) -> None:
    generation = Generation.objects.current()
    if generation is None:
        return
    lowest = Area.objects.current().order_by("-level__rank").select_related("level").first()
    wards = json.loads(
        areas_geojson(generation=generation, level=lowest.level if lowest else None, simplify_m=25)
    )
    units = {row["unit"]: row for row in _performance(query, by="area")["units"] if row.get("unit")}
    for feature in wards["features"]:
        props = feature["properties"]
        unit = units.get(f"{props['code']}@{generation.name}")
        rate = unit.get("on_time_rate") if unit else None
        props["received"] = unit["received"] if unit else 0
        props["on_time"] = "–" if rate is None else f"{rate:.0%}"
        props["colour"] = _on_time_colour(unit)
    info.wards = len(wards["features"])
    if not wards["features"]:
        return
    folium.GeoJson(
        wards,
        name=_("On-time rate by ward"),
        show=False,
        style_function=lambda feature: {
            "color": "#444444",
            "weight": 1,
            "fillColor": feature["properties"]["colour"],
            "fillOpacity": 0.6,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "received", "on_time"],
            aliases=[_("Ward"), _("Reports received"), _("On-time rate")],
        ),
    ).add_to(fmap)


def _performance(query: dict[str, str], *, by: str) -> dict[str, Any]:
    p = _params(query)
    f = params.report_filter(p, statuses=False)
    return analyses.unit_performance(f, by=by, min_sample=MIN_SAMPLE)


def performance_table(query: dict[str, str]) -> list[dict[str, Any]]:
    """Unit performance per agency, ranked units first (as the API's `units`)."""
    try:
        return _performance(query, by="agency")["units"]
    except AnalysisError:
        return []
