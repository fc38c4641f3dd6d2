"""Analytics API: thin views that validate parameters, run a cached analysis and answer.

Public: /heatmap and /hexbins (aggregates only: densities and counts per cell).
Planners and supervisors (permission reports.view_analytics): /hotspots, /clusters,
/performance. No answer carries a report's text, reporter or any personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import analyses, geojson, params
from analytics.analyses import AnalysisError
from analytics.caching import cached
from analytics.clusters import SUMMARY_COLUMNS
from analytics.params import FILTER_PARAMETERS, Params

PERM_VIEW_ANALYTICS = "reports.view_analytics"
GEOJSON = "application/geo+json"

HEX_PROPERTIES = ["i", "j", "count", "weight", "area_km2", "per_km2", "per_1000_residents"]
GISTAR_PROPERTIES = [
    "i",
    "j",
    "count",
    "gi_z",
    "gi_p",
    "gi_p_sim",
    "gi_bin",
    "recurrences",
    "chronic",
]
CLUSTER_PROPERTIES = ["cluster", *SUMMARY_COLUMNS]

GISTAR_PARAMETERS = (*params.GISTAR_PARAMETERS, "cells")
DBSCAN_PARAMETERS = params.DBSCAN_PARAMETERS


# What each query parameter means, for the OpenAPI schema (the parsing lives in params.py).
PARAMETER_DOCS: dict[str, tuple[Any, str]] = {
    "category": (str, "Category codes, comma-separated"),
    "group": (str, "Category groups, comma-separated"),
    "status": (str, "Statuses, comma-separated (default: all but duplicate and rejected)"),
    "since": (OpenApiTypes.DATE, "First day (Hanoi time), inclusive"),
    "until": (OpenApiTypes.DATE, "Last day (Hanoi time), inclusive"),
    "agency": (str, "Agency code"),
    "area": (str, "Area code (current generation); also the study area"),
    "cell_m": (float, "Hexagon side or square cell in metres (default 250)"),
    "bandwidth_m": (float, "Gaussian kernel standard deviation in metres (default 500)"),
    "weight": (str, "none (default), or a per-report weight such as supporters"),
    "method": (str, "gistar (default) or dbscan"),
    "band_m": (float, "Gi* distance band in metres (default: the six adjacent hexagons)"),
    "permutations": (int, "Gi* permutations for pseudo p-values, 0..999 (default 99)"),
    "fdr": (bool, "Benjamini-Hochberg correction (default true)"),
    "windows": (int, "Equal time windows for emerging-hot-spot trends (0 = off, or 2..24)"),
    "recurrence_days": (float, "Days after a resolution in which a new report recurs (30)"),
    "min_recurrences": (int, "Recurrences that make a cell chronic (default 2)"),
    "cells": (str, "significant (default) or all study cells"),
    "eps_m": (float, "DBSCAN neighbourhood radius in metres (default 100)"),
    "min_size": (int, "DBSCAN minimum reports per cluster (default 10)"),
    "by": (str, "agency (default) or area"),
    "min_sample": (int, "Reports received needed to be ranked (default 20)"),
    "format": (str, "json (default) or csv"),
}


def _documented(*names: str, response: Any = OpenApiTypes.OBJECT):
    """extend_schema with the query parameters `names`, described from PARAMETER_DOCS."""
    return extend_schema(
        parameters=[
            OpenApiParameter(name, PARAMETER_DOCS[name][0], description=PARAMETER_DOCS[name][1])
            for name in names
        ],
        responses={200: response, 400: OpenApiTypes.OBJECT},
    )


class CanViewAnalytics(BasePermission):
    """Planners and supervisors (and staff): the holders of reports.view_analytics."""

    message = "Hot spots, clusters and unit performance are for planners and supervisors."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(PERM_VIEW_ANALYTICS))


def _run(compute: Callable[[], Any]) -> Any:
    """Turn an AnalysisError into a 400 naming the parameter."""
    try:
        return compute()
    except AnalysisError as error:
        raise serializers.ValidationError({error.parameter: [error.message]}) from error


def _geojson_response(collection: dict[str, Any]) -> HttpResponse:
    return HttpResponse(geojson.dumps(collection), content_type=GEOJSON)


def clusters_answer(p: Params) -> dict[str, Any]:
    f = params.report_filter(p)
    options = params.dbscan_options(p)
    result = cached("clusters", p.echo, lambda: analyses.dbscan_clusters(f, **options))
    return geojson.feature_collection(
        result.frame, CLUSTER_PROPERTIES, parameters=p.echo, meta=result.meta
    )


def gistar_answer(p: Params) -> dict[str, Any]:
    f = params.report_filter(p)
    options = params.gistar_options(p)
    which = p.choice("cells", choices=("significant", "all"), default="significant")
    # Which cells are sent does not change the computation: one cache entry serves both.
    key = {k: v for k, v in p.echo.items() if k != "cells"}
    result = cached("gistar", key, lambda: analyses.gistar_hotspots(f, **options))
    frame = result.frame
    columns = GISTAR_PROPERTIES + (["trend"] if "trend" in frame else [])
    if which == "significant":
        keep = (frame["gi_bin"] != 0) | frame["chronic"]
        if "trend" in frame:
            keep |= frame["trend"] != "none"
        frame = frame[keep]
    meta = {**result.meta, "cells_returned": len(frame)}
    return geojson.feature_collection(frame, columns, parameters=p.echo, meta=meta)


class HeatmapView(APIView):
    """GET: Gaussian kernel density of reports per km², as square cells (public)."""

    permission_classes = [AllowAny]
    allowed = (*FILTER_PARAMETERS, "cell_m", "bandwidth_m", "weight")

    @_documented(*allowed)
    def get(self, request: Request) -> HttpResponse:
        def answer() -> dict[str, Any]:
            p = Params(request.query_params, self.allowed)
            f = params.report_filter(p)
            cell_m = params.cell_m(p)
            bandwidth_m = p.number("bandwidth_m", default=500.0, low=cell_m / 2, high=20_000.0)
            weight = params.weight_field(p)
            result = cached(
                "heatmap",
                p.echo,
                lambda: analyses.density(
                    f, cell_m=cell_m, bandwidth_m=bandwidth_m, weight_field=weight
                ),
            )
            return geojson.feature_collection(
                result.frame,
                ["density"],
                parameters=p.echo,
                meta=result.meta,
                decimals=5,
                float_decimals=3,
            )

        return _geojson_response(_run(answer))


class HexbinsView(APIView):
    """GET: report counts and rates per hexagon; cells without reports are left out (public)."""

    permission_classes = [AllowAny]
    allowed = (*FILTER_PARAMETERS, "cell_m", "weight")

    @_documented(*allowed)
    def get(self, request: Request) -> HttpResponse:
        def answer() -> dict[str, Any]:
            p = Params(request.query_params, self.allowed)
            f = params.report_filter(p)
            cell_m = params.cell_m(p)
            weight = params.weight_field(p)
            result = cached(
                "hexbins",
                p.echo,
                lambda: analyses.hexbins(f, cell_m=cell_m, weight_field=weight),
            )
            frame = result.frame[result.frame["count"] > 0]
            meta = {**result.meta, "cells_returned": len(frame)}
            return geojson.feature_collection(frame, HEX_PROPERTIES, parameters=p.echo, meta=meta)

        return _geojson_response(_run(answer))


class HotspotsView(APIView):
    """GET ?method=gistar|dbscan: Gi* hot and cold cells, or DBSCAN clusters."""

    permission_classes = [CanViewAnalytics]

    @_documented(*FILTER_PARAMETERS, "method", *GISTAR_PARAMETERS, *DBSCAN_PARAMETERS)
    def get(self, request: Request) -> HttpResponse:
        def answer() -> dict[str, Any]:
            method = request.query_params.get("method", "gistar")
            own, other = (
                (GISTAR_PARAMETERS, DBSCAN_PARAMETERS)
                if method == "gistar"
                else (DBSCAN_PARAMETERS, GISTAR_PARAMETERS)
            )
            for name in other:
                if name in request.query_params and method in ("gistar", "dbscan"):
                    raise AnalysisError(
                        name, params.METHOD_PARAMETER.format(method=_method_of(name))
                    )
            p = Params(request.query_params, (*FILTER_PARAMETERS, "method", *own))
            p.choice("method", choices=("gistar", "dbscan"), default="gistar")
            return gistar_answer(p) if method == "gistar" else clusters_answer(p)

        return _geojson_response(_run(answer))


def _method_of(name: str) -> str:
    return "gistar" if name in GISTAR_PARAMETERS else "dbscan"


class ClustersView(APIView):
    """GET: DBSCAN clusters of reports: hull, count, dominant category, dates, share open."""

    permission_classes = [CanViewAnalytics]
    allowed = (*FILTER_PARAMETERS, *DBSCAN_PARAMETERS)

    @_documented(*allowed)
    def get(self, request: Request) -> HttpResponse:
        return _geojson_response(
            _run(lambda: clusters_answer(Params(request.query_params, self.allowed)))
        )


class PerformanceCSVRenderer(BaseRenderer):
    """One CSV row per unit, the same figures as the JSON answer's `units`."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        out = io.StringIO()
        units = data.get("units") if isinstance(data, dict) else None
        if units is None:  # an error answer: keep it readable
            writer = csv.writer(out)
            for key, value in (data or {}).items():
                writer.writerow([key, value])
            return out.getvalue().encode()
        fields = ["rank", "unit", "name", *analyses.performance.FIGURES]
        writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in units:
            writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in fields})
        return out.getvalue().encode()


class PerformanceView(APIView):
    """GET: unit performance per agency or area for a date range; JSON, or CSV with
    ?format=csv."""

    permission_classes = [CanViewAnalytics]
    renderer_classes = [JSONRenderer, PerformanceCSVRenderer]
    allowed = (*FILTER_PARAMETERS, "by", "min_sample", "format")

    @_documented(*allowed)
    def get(self, request: Request) -> Response:
        def answer() -> dict[str, Any]:
            p = Params(request.query_params, self.allowed)
            f = params.report_filter(p, statuses=False)
            by = p.choice("by", choices=("agency", "area"), default="agency")
            min_sample = p.integer("min_sample", default=20, low=1, high=1_000_000)
            # Open and overdue are counted "now": the hour joins the key so they never go stale
            # by more than an hour even when no report changes.
            hour = timezone.now().strftime("%Y-%m-%dT%H")
            result = cached(
                "performance",
                {**p.echo, "hour": hour},
                lambda: analyses.unit_performance(f, by=by, min_sample=min_sample),
            )
            return {"parameters": p.echo, **result}

        return Response(_run(answer))
