"""folium maps that load nothing from outside the platform.

folium's elements carry CDN URLs for Leaflet, jQuery, Bootstrap and their plugins, and its map
defaults to OpenStreetMap tiles. City networks are offline and our browser tests fail on any
request to another host, so every asset is swapped for the copy in web/static/vendor/, and a
map has no basemap of its own: our ward polygons are the background.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Element, MacroElement
from django.templatetags.static import static
from folium.elements import JSCSSMixin

# folium's asset names → our static paths. An element asking for a name not listed here
# raises instead of silently falling back to its CDN.
LOCAL_ASSETS: dict[str, str] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
    "awesome_markers": "vendor/awesome-markers/leaflet.awesome-markers.js",
    "awesome_markers_css": "vendor/awesome-markers/leaflet.awesome-markers.css",
    "awesome_markers_font_css": "vendor/fontawesome/css/all.min.css",
    "markerclusterjs": "vendor/markercluster/leaflet.markercluster.js",
    "markerclustercss": "vendor/markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "vendor/folium/leaflet_heat.min.js",
    "vectorgrid": "vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
}
# Assets folium lists that we do without: a Bootstrap 3 icon font nothing of ours uses, and
# a marker-rotation stylesheet folium itself fetches from GitHub.
DROPPED_ASSETS = frozenset({"glyphicons_css", "awesome_rotate_css"})


class UnknownAssetError(LookupError):
    """A folium element wants an asset we have not vendored."""


def _localise(assets: list[tuple[str, str]]) -> list[tuple[str, str]]:
    local = []
    for name, _url in assets:
        if name in DROPPED_ASSETS:
            continue
        if name not in LOCAL_ASSETS:
            raise UnknownAssetError(
                f"folium asset {name!r} has no local copy; vendor it in web/static/vendor/"
            )
        local.append((name, static(LOCAL_ASSETS[name])))
    return local


def localise(element: Element) -> Element:
    """Point one element's (and its children's) JS/CSS at our static files."""
    for attr in ("default_js", "default_css"):
        if hasattr(element, attr):
            setattr(element, attr, _localise(list(getattr(element, attr))))
    for child in element._children.values():
        localise(child)
    return element


def offline_map(**kwargs: Any) -> folium.Map:
    """A folium Map with no basemap and local assets; add layers, then call `render_map`."""
    kwargs.setdefault("tiles", None)
    kwargs.setdefault("control_scale", True)
    kwargs.setdefault("prefer_canvas", True)
    return folium.Map(**kwargs)


class VectorGridSupport(JSCSSMixin, MacroElement):
    """Loads Leaflet.VectorGrid so a page's own script can draw our MVT tiles."""

    default_js = [("vectorgrid", LOCAL_ASSETS["vectorgrid"])]


def render_map(fmap: folium.Map) -> str:
    """The map's full HTML, every asset local. Call after all layers are added."""
    localise(fmap)
    return fmap.get_root().render()
