"""An admin map widget that works offline.

Django's OpenLayers widgets load OpenLayers from a CDN and tiles from OpenStreetMap. An admin
in a city data centre may have neither, so this one serves OpenLayers 7.2.2 (the version
Django 5.2's OLMapWidget.js is written for; BSD-2-Clause, licence beside it) from our static
files and draws on a plain background.
"""

from django.contrib.gis.forms.widgets import OSMWidget

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
