"""Boundaries API: point lookup, areas as GeoJSON, one area with its parent and children.

Views stay thin: parameters are parsed in `filters`, questions answered in `selectors`.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from boundaries import filters, selectors
from boundaries.serializers import AreaFeatureSerializer, LookupSerializer

POINT_NOT_COVERED = (
    "no area of generation {generation!r} covers lat={lat}, lon={lon} "
    "(nor lies within {tolerance:g} m of it)"
)
AREA_UNKNOWN = "no area with code {code!r} in generation {generation!r}"
AREA_CODE_AMBIGUOUS = (
    "code {code!r} is used at several levels ({levels}) in generation {generation!r}; "
    "pass the 'level' query parameter"
)

GENERATION_PARAMETER = OpenApiParameter(
    "generation",
    OpenApiTypes.STR,
    description="Generation name (default: the current generation).",
)
ERRORS = {
    400: OpenApiResponse(description="A query parameter is missing or invalid; it is named."),
    404: OpenApiResponse(description="Unknown generation or area, or nothing found."),
}


class LookupView(APIView):
    """Which areas contain a point: the routing question, answered by `area_lookup`."""

    @extend_schema(
        operation_id="boundaries_lookup",
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description="-90..90"),
            OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True, description="-180..180"),
            GENERATION_PARAMETER,
        ],
        responses={200: LookupSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        lon, lat = filters.point_params(request.query_params)
        # Without a name, the lookup's statement finds the current generation with the areas.
        found = selectors.area_lookup(
            lon=lon, lat=lat, generation=filters.generation_named(request.query_params)
        )
        generation = found.generation
        if generation is None:
            raise NotFound(filters.NO_CURRENT_GENERATION)
        if not found.covered:
            raise NotFound(
                POINT_NOT_COVERED.format(
                    generation=generation.name,
                    lat=lat,
                    lon=lon,
                    tolerance=selectors.edge_tolerance_m(),
                )
            )
        data = LookupSerializer(found, context={"generation": generation}).data
        return Response(data)


class AreaListView(APIView):
    """The areas of a generation as one GeoJSON FeatureCollection, assembled by PostgreSQL."""

    @extend_schema(
        operation_id="boundaries_areas_list",
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, description="Level code, e.g. ward."),
            GENERATION_PARAMETER,
            OpenApiParameter(
                "in_bbox",
                OpenApiTypes.STR,
                description="minlon,minlat,maxlon,maxlat in WGS 84 degrees.",
            ),
            OpenApiParameter(
                "simplify_m",
                OpenApiTypes.DOUBLE,
                description="Simplification tolerance in metres, 0..10000 (default 0: exact).",
            ),
        ],
        responses={
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        level = filters.level_param(params)
        bbox = filters.bbox_param(params)
        simplify_m = filters.simplify_param(params)
        generation = filters.generation_param(params)
        body = selectors.areas_geojson(
            generation=generation, level=level, bbox=bbox, simplify_m=simplify_m
        )
        return HttpResponse(body, content_type="application/geo+json")


class AreaDetailView(APIView):
    """One area as a GeoJSON Feature, with its parent and children in the same generation."""

    @extend_schema(
        operation_id="boundaries_areas_retrieve",
        parameters=[
            GENERATION_PARAMETER,
            OpenApiParameter(
                "level", OpenApiTypes.STR, description="Level code, if the code is ambiguous."
            ),
        ],
        responses={200: AreaFeatureSerializer, **ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        level = filters.level_param(request.query_params)
        generation = filters.generation_param(request.query_params)
        matches = list(selectors.areas_by_code(code=code, generation=generation, level=level)[:5])
        if not matches:
            raise NotFound(AREA_UNKNOWN.format(code=code, generation=generation.name))
        if len(matches) > 1:
            levels = ", ".join(a.level.code for a in matches)
            raise ParseError(
                AREA_CODE_AMBIGUOUS.format(code=code, levels=levels, generation=generation.name)
            )
        data = AreaFeatureSerializer(matches[0], context={"generation": generation}).data
        return Response(data)
