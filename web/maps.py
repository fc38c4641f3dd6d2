"""folium maps that load nothing from outside the platform.

folium's elements carry CDN URLs for Leaflet, jQuery, Bootstrap and their plugins, and its map
defaults to OpenStreetMap tiles. City networks are offline and our browser tests fail on any
request to another host, so every asset is swapped for the copy in web/static/vendor/, and a
map has no basemap of its own: our ward polygons are the background.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Element, MacroElement
from django.templatetags.static import static
from folium.elements import JSCSSMixin
from jinja2 import Template

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


class MapHook(MacroElement):
    """Publishes the Leaflet map as `window.civicpin.map`, so our static scripts can add the
    interaction folium lacks (pinning, vector tiles, filters) without inline handlers."""

    _template = Template(
        """{% macro script(this, kwargs) %}
window.civicpin = window.civicpin || {};
window.civicpin.map = {{ this._parent.get_name() }};
{% endmacro %}"""
    )


@dataclass(frozen=True)
class MapParts:
    """A rendered map cut into the pieces a page template places: assets for <head>, the map's
    <div>, and the script that builds it (to run before the page's own scripts)."""

    header: str
    html: str
    script: str


# folium's map header forbids zooming the page (user-scalable=no, failing WCAG 1.4.4) and
# pins html/body to the window for a full-page map; our pages set their own viewport and
# layout, so both are cut from the header. Its charset <meta> duplicates the page's.
_HEADER_DROPPED = ("meta_http",)
_VIEWPORT_META = re.compile(r"<meta name=\"viewport\"[^>]*>")
_FULL_PAGE_STYLE = re.compile(r"<style>\s*html, body \{.*?\}\s*</style>", re.S)


_INLINE_SCRIPT = re.compile(r"<script>")


def render_map_parts(fmap: folium.Map, *, nonce: str = "") -> MapParts:
    """Render `fmap` for embedding in one of our pages (every asset local). Call after all
    layers are added; the map must sit in a container with a height.

    `nonce` is the request's Content-Security-Policy nonce: folium's inline header script
    gets it here, and the page template puts it on the script tag around `script`.
    """
    MapHook().add_to(fmap)
    localise(fmap)
    root = fmap.get_root()
    root.render()
    header = "".join(
        child.render()
        for name, child in root.header._children.items()
        if name not in _HEADER_DROPPED
    )
    header = _FULL_PAGE_STYLE.sub("", _VIEWPORT_META.sub("", header))
    if nonce:
        header = _INLINE_SCRIPT.sub(f'<script nonce="{nonce}">', header)
    return MapParts(header=header, html=root.html.render(), script=root.script.render())
