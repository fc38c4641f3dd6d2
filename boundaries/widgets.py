"""An admin map widget that works offline, and never hands posted GeoJSON to GDAL.

Django's OpenLayers widgets load OpenLayers from a CDN and tiles from OpenStreetMap. An admin
in a city data centre may have neither, so this one serves OpenLayers 7.2.2 (the version
Django 5.2's OLMapWidget.js is written for; BSD-2-Clause, licence beside it) from our static
files and draws on a plain background.
"""

import json
import math

import shapely
import shapely.errors
import shapely.geometry
from django.contrib.gis.forms.widgets import OSMWidget
from django.contrib.gis.geos import GEOSGeometry

OL_STATIC = "boundaries/vendor/ol-7.2.2"


class OfflineMapWidget(OSMWidget):
    """OSMWidget's editing map, with every asset served locally and no tile requests."""

    template_name = "boundaries/widgets/offline_map.html"
    # Hoan Kiem Lake: the admin opens on central Hanoi when an area has no geometry yet.
    default_lon = 105.85
    default_lat = 21.03
    default_zoom = 11

    class Media:
        # Not extending the parent's Media: that would add the CDN files back.
        extend = False
        css = {"all": (f"{OL_STATIC}/ol.css", "gis/css/ol3.css")}
        js = (f"{OL_STATIC}/ol.js", "gis/js/OLMapWidget.js")

    def deserialize(self, value: str) -> GEOSGeometry | None:
        """The posted geometry. GeoJSON is parsed here, not by GDAL: GDAL 3.6 would honour a
        "crs" member, which can name files or URLs. WKT goes to GEOS, which reads no CRS."""
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return polygon_from_geojson(value, srid=self.map_srid)
        return super().deserialize(value)


def polygon_from_geojson(text: str, *, srid: int) -> GEOSGeometry | None:
    """A (Multi)Polygon from GeoJSON text with finite coordinates, else None (Django's widgets
    answer None for a value they cannot read). Every member but the coordinates is ignored."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
        if not isinstance(data, dict) or data.get("type") not in {"Polygon", "MultiPolygon"}:
            return None
        shape = shapely.geometry.shape({"type": data["type"], "coordinates": data["coordinates"]})
    except (ValueError, KeyError, TypeError, IndexError, shapely.errors.GEOSException):
        return None
    if shape.is_empty or not all(math.isfinite(c) for c in shapely.get_coordinates(shape).flat):
        return None
    return GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=srid)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a coordinate")
