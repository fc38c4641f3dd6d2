"""Thin API views: parse with an input serializer, call a selector or service, serialise out.

Domain errors raised by services become 409/403/422 in reports.exceptions.api_exception_handler.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from reports import selectors, services
from reports.filters import ReportFilter, ReportSpatialFilter
from reports.models import Report
from reports.permissions import CanFileReports, IsOfficialOrSupervisor
from reports.serializers import (
    IDEMPOTENCY_KEY_INVALID,
    AgencySerializer,
    CategorySerializer,
    ExtendDeadlineInput,
    ReportCreatedSerializer,
    ReportCreateInput,
    ReportDetailSerializer,
    ReportFeatureSerializer,
    TransferInput,
    TransitionInput,
    idempotency_key_valid,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any unique string per submission; a retry with the same key and body "
    "returns the first report instead of filing a second.",
)


class ReportPagination(GeoJsonPagination):
    """Pages of a FeatureCollection; a client may ask for up to 500 features at a time."""

    page_size = 100
    max_page_size = 500


class CategoryListView(generics.ListAPIView):
    """Categories with both names, group, kind and deadline in working days."""

    serializer_class = CategorySerializer
    pagination_class = None
    filter_backends: list = []
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.category_list()


def _feature_page(view: generics.ListAPIView) -> Response:
    """One page of a filtered report list as a FeatureCollection, built in the database."""
    ids = view.paginate_queryset(
        view.filter_queryset(view.get_queryset()).values_list("id", flat=True)
    )
    features = selectors.report_features(list(ids), now=timezone.now())
    return view.get_paginated_response({"features": features})


class ReportListCreateView(generics.ListAPIView):
    """GET: public reports as paginated GeoJSON. POST: file a report (signed-in citizens)."""

    serializer_class = ReportFeatureSerializer
    pagination_class = ReportPagination
    filter_backends = [DjangoFilterBackend, ReportSpatialFilter]
    filterset_class = ReportFilter

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanFileReports()]
        return [AllowAny()]

    def get_queryset(self):
        return selectors.report_list_public()

    @extend_schema(operation_id="reports_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return _feature_page(self)

    @extend_schema(
        operation_id="reports_create",
        request=ReportCreateInput,
        responses={201: ReportCreatedSerializer, 200: ReportCreatedSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request: Request) -> Response:
        data = ReportCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {
            "category": data.validated_data["category"],
            "description": data.validated_data["description"],
            "location": data.validated_data.get("location"),
            "accuracy_m": data.validated_data.get("accuracy_m"),
        }
        key = request.headers.get("Idempotency-Key")
        if key is None:
            report, created = services.report_create(reporter=request.user, **fields), True
        else:
            if not idempotency_key_valid(key):
                raise ValidationError({"Idempotency-Key": IDEMPOTENCY_KEY_INVALID})
            report, created = services.report_create_idempotent(
                reporter=request.user, key=key, request_hash=data.fingerprint(), **fields
            )
        return Response(
            ReportCreatedSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AgencyListView(generics.ListAPIView):
    """Agencies that take reports (codes for transfers and filters)."""

    serializer_class = AgencySerializer
    pagination_class = None
    filter_backends: list = []
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.agency_list()


class MyReportListView(generics.ListAPIView):
    """The signed-in user's worklist: their agencies' reports for officials, every report for
    supervisors and planners, their own for citizens. Same filters and shape as the public
    list."""

    serializer_class = ReportFeatureSerializer
    pagination_class = ReportPagination
    filter_backends = [DjangoFilterBackend, ReportSpatialFilter]
    filterset_class = ReportFilter
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.report_list_for_user(self.request.user)

    def get(self, request: Request, *args, **kwargs) -> Response:
        return _feature_page(self)


def _detail_response(request: Request, code: str) -> Response:
    """The report as `request.user` may see it: internal events only for those who act on it."""
    report = get_object_or_404(
        selectors.report_list_public(), tracking_code=selectors.tracking_code_normalise(code)
    )
    events = selectors.report_events_visible(report=report, user=request.user)
    context = {"request": request, "now": timezone.now(), "events": events}
    return Response(ReportDetailSerializer(report, context=context).data)


class ReportDetailView(APIView):
    """One report and its public timeline (officials of its agency also see internal notes)."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="reports_retrieve", responses=ReportDetailSerializer)
    def get(self, request: Request, code: str) -> Response:
        return _detail_response(request, code)


class _WorkflowView(APIView):
    """Common shape of the official-only actions on one report."""

    permission_classes = [IsOfficialOrSupervisor]

    def report(self, code: str) -> Report:
        return get_object_or_404(selectors.report_by_code(code))


class ReportTransitionView(_WorkflowView):
    """Move a report along the workflow (officials of its agency, supervisors)."""

    @extend_schema(request=TransitionInput, responses=ReportDetailSerializer)
    def post(self, request: Request, code: str) -> Response:
        report = self.report(code)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_transition(
            report=report,
            actor=request.user,
            to_status=data.validated_data["to_status"],
            note=data.validated_data.get("note", ""),
            public=data.validated_data["public"],
            duplicate_of=data.validated_data.get("duplicate_of"),
        )
        return _detail_response(request, report.tracking_code)


class ReportTransferView(_WorkflowView):
    """Hand a report to another agency with a reason; the deadline stays."""

    @extend_schema(request=TransferInput, responses=ReportDetailSerializer)
    def post(self, request: Request, code: str) -> Response:
        report = self.report(code)
        data = TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_transfer(
            report=report,
            actor=request.user,
            to_agency=data.validated_data["agency"],
            reason=data.validated_data["reason"],
        )
        return _detail_response(request, report.tracking_code)


class ReportDeadlineView(_WorkflowView):
    """Extend a report's deadline by working days (supervisors, agency heads)."""

    @extend_schema(request=ExtendDeadlineInput, responses=ReportDetailSerializer)
    def post(self, request: Request, code: str) -> Response:
        report = self.report(code)
        data = ExtendDeadlineInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_extend_deadline(
            report=report,
            actor=request.user,
            days=data.validated_data["days"],
            reason=data.validated_data["reason"],
        )
        return _detail_response(request, report.tracking_code)
