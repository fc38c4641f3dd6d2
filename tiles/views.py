"""HTTP endpoints: vector tiles and their TileJSON descriptions. Thin: parse, delegate, answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.authentication import TokenAuthentication
from tiles import selectors
from tiles.layers import LAYERS, Layer, layer_get
from tiles.params import LayerQuery, TileForbidden, TileParamError
from tiles.tilemath import TileAddressError, tile_address

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
UNKNOWN_LAYER = "no tile layer named {name!r}; known layers: {known}"


def _error(status: int, detail: str, parameter: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {"detail": detail}
    if parameter:
        body["parameter"] = parameter
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _user(request: HttpRequest) -> Any:
    """The signed-in user: a session, or a DRF token (`Authorization: Token …`) for map apps.

    Raises AuthenticationFailed for a bad token. Only private tiles ask, so a stale token in a
    map app never breaks public tiles.
    """
    if request.user.is_authenticated:
        return request.user
    result = TokenAuthentication().authenticate(Request(request))
    return result[0] if result else AnonymousUser()


def _layer_and_query(request: HttpRequest, name: str) -> tuple[Layer, LayerQuery] | JsonResponse:
    layer = layer_get(name)
    if layer is None:
        return _error(404, UNKNOWN_LAYER.format(name=name, known=", ".join(sorted(LAYERS))))
    try:
        return layer, layer.parse(request.GET, SimpleLazyObject(lambda: _user(request)))
    except TileParamError as exc:
        return _error(400, exc.message, exc.parameter)
    except (TileForbidden, AuthenticationFailed) as exc:
        return _error(403, str(exc.detail if isinstance(exc, AuthenticationFailed) else exc))


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in candidates or f'"{etag}"' in candidates


@require_safe
def tile(request: HttpRequest, layer: str, z: str, x: str, y: str) -> HttpResponse:
    """GET /tiles/{layer}/{z}/{x}/{y}.mvt: one Mapbox Vector Tile (204 when empty)."""
    resolved = _layer_and_query(request, layer)
    if isinstance(resolved, JsonResponse):
        return resolved
    layer_obj, query = resolved
    try:
        address = tile_address(
            int(z), int(x), int(y), minzoom=layer_obj.minzoom, maxzoom=layer_obj.maxzoom
        )
    except TileAddressError as exc:
        return _error(400, exc.message, exc.parameter)
    result = selectors.tile_get(layer=layer_obj, tile=address, query=query)
    if _etag_matches(request, result.etag):
        response = HttpResponse(status=304)
    elif result.body:
        response = HttpResponse(result.body, content_type=MVT_CONTENT_TYPE)
    else:
        response = HttpResponse(status=204)
    if response.status_code != 200:
        del response["Content-Type"]
    response["ETag"] = f'"{result.etag}"'
    visibility = "private" if result.private else "public"
    response["Cache-Control"] = f"{visibility}, max-age={result.max_age}"
    if result.private:
        patch_vary_headers(response, ("Authorization", "Cookie"))
    return response


@require_safe
def tilejson(request: HttpRequest, layer: str) -> HttpResponse:
    """GET /tiles/{layer}.json: TileJSON 3.0.0 with an absolute tile URL template."""
    resolved = _layer_and_query(request, layer)
    if isinstance(resolved, JsonResponse):
        return resolved
    layer_obj, query = resolved
    sample = reverse("tiles:tile", kwargs={"layer": layer_obj.name, "z": 0, "x": 0, "y": 0})
    prefix = request.build_absolute_uri(sample.removesuffix("0/0/0.mvt"))
    template = prefix + "{z}/{x}/{y}.mvt"
    if query.canonical:
        template += "?" + urlencode(query.canonical)
    document = selectors.tilejson_build(layer=layer_obj, query=query, tiles_url=template)
    response = JsonResponse(document)
    visibility = "private" if query.private else "public"
    response["Cache-Control"] = f"{visibility}, max-age={layer_obj.max_age}"
    if query.private:
        patch_vary_headers(response, ("Authorization", "Cookie"))
    return response
