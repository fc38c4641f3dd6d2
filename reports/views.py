"""Thin API views: parse with an input serializer, call a selector or service, serialise out.

Domain errors raised by services become 409/403/422 in reports.exceptions.api_exception_handler.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import photos, selectors, services
from reports.filters import ReportFilter, ReportSpatialFilter
from reports.models import Report
from reports.pagination import ReportPagination
from reports.permissions import CanFileReports, IsOfficialOrSupervisor
from reports.serializers import (
    IDEMPOTENCY_KEY_INVALID,
    AgencySerializer,
    CategorySerializer,
    ConfirmInput,
    ExtendDeadlineInput,
    NearbyQuery,
    NearbyReportSerializer,
    NoteInput,
    NotFixedInput,
    RedactInput,
    ReportCreatedAnswer,
    ReportCreateForm,
    ReportCreateInput,
    ReportDetailSerializer,
    ReportFeatureSerializer,
    SupportSerializer,
    TransferInput,
    TransitionForm,
    TransitionInput,
    duplicate_candidates_answer,
    idempotency_key_valid,
    report_created_answer,
)

ONE_AFTER_PHOTO = "Attach one after photo."
BODY_TOO_LARGE = (
    "The request is too large: at most 4 photos of 10 MB each, and 2.5 MB of other fields."
)

_ERROR_MEANINGS = {
    400: "Invalid input; the body names each field that was wrong.",
    401: "Not signed in.",
    403: "Signed in, but not allowed to do this to this report.",
    404: "No report with this tracking code.",
    409: "The report's state does not allow this now.",
    413: "The request or a photo is too large.",
    422: "Valid, but it cannot be filed (outside every area, no handling agency).",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error answers an operation gives: {"detail": …} or field errors."""
    return {
        code: OpenApiResponse(response=OpenApiTypes.OBJECT, description=_ERROR_MEANINGS[code])
        for code in codes
    }


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any unique string per submission; a retry with the same key and body "
    "returns the first report instead of filing a second.",
)


class CategoryListView(generics.ListAPIView):
    """Categories with both names, group, kind and deadline in working days."""

    serializer_class = CategorySerializer
    pagination_class = None
    filter_backends: list = []
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.category_list()


def _feature_page(view: generics.ListAPIView) -> Response:
    """One page of a filtered report list as a FeatureCollection, built in the database.

    The view's filter backends run in order, except that the filterset (DjangoFilterBackend)
    is left out when the query string holds none of its parameters: it would filter nothing,
    and copying its filters and building and validating its form cost about 1.5 ms a request,
    a tenth of a 500-feature page. Plain paging and the map's in_bbox are such requests. A
    parameter counts as the filterset's when it is a filter's name or begins with one and
    "_" (a range filter's since_after, size_min), so a filterset that would act always runs.
    """
    reports = view.get_queryset()
    params = view.request.query_params
    for backend_class in view.filter_backends:
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            filterset = backend.get_filterset_class(view, reports)
            names = filterset.base_filters if filterset else ()
            if not any(k == n or k.startswith(f"{n}_") for k in params for n in names):
                continue
        reports = backend.filter_queryset(view.request, reports, view)
    return view.paginator.feature_page(reports, view.request)


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
        request={
            "application/json": ReportCreateInput,
            "multipart/form-data": ReportCreateForm,
        },
        responses={
            201: ReportCreatedAnswer,
            200: ReportCreatedAnswer,
            **errors(400, 401, 403, 413, 422),
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request: Request) -> Response:
        body = _request_data(request)
        prepared = _photos_from(request, "photos")
        data = ReportCreateInput(data=body)
        if not data.is_valid():
            errors = dict(data.errors)
            gps = _first_gps(prepared)
            if "location" in errors and gps is not None:
                # On-site report without a location: offer the photo's position to confirm.
                errors["suggested_location"] = _point_json(gps)
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        fields = {
            "category": data.validated_data["category"],
            "description": data.validated_data["description"],
            "location": data.validated_data.get("location"),
            "accuracy_m": data.validated_data.get("accuracy_m"),
            "public_identity": data.validated_data["public_identity"],
            "photos_prepared": prepared,
        }
        key = request.headers.get("Idempotency-Key")
        if key is None:
            report, created = services.report_create(reporter=request.user, **fields), True
        else:
            if not idempotency_key_valid(key):
                raise ValidationError({"Idempotency-Key": IDEMPOTENCY_KEY_INVALID})
            report, created = services.report_create_idempotent(
                reporter=request.user,
                key=key,
                request_hash=data.fingerprint([p.digest for p in prepared]),
                **fields,
            )
        answer = report_created_answer(report, context={"request": request})
        answer["possible_duplicates"] = _possible_duplicates(report)
        gps = _first_gps(prepared)
        if report.location is None and gps is not None:
            # Shown to the reporter in this answer only; the position is never stored.
            answer["suggested_location"] = _point_json(gps)
        return Response(answer, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _request_data(request: Request):
    """`request.data`, answering 413 with a message when the body is over Django's limits."""
    try:
        return request.data
    except (RequestDataTooBig, TooManyFilesSent) as exc:
        raise PayloadTooLarge(str(exc) or BODY_TOO_LARGE) from exc


def _photos_from(request: Request, field: str) -> list[photos.PreparedPhoto]:
    """Check and re-encode every uploaded photo in `field` before anything is stored."""
    uploads = request.FILES.getlist(field) if hasattr(request, "FILES") else []
    if len(uploads) > photos.MAX_PHOTOS:
        raise ValidationError({field: [photos.PHOTO_TOO_MANY]})
    prepared = []
    for upload in uploads:
        try:
            prepared.append(photos.photo_prepare(upload))
        except photos.PhotoRejected as exc:
            if exc.too_large:
                raise PayloadTooLarge({field: [exc.message]}) from exc
            raise ValidationError({field: [exc.message]}) from exc
    return prepared


def _first_gps(prepared: list[photos.PreparedPhoto]) -> tuple[float, float] | None:
    return next((p.gps for p in prepared if p.gps is not None), None)


def _point_json(lon_lat: tuple[float, float]) -> dict:
    return {"type": "Point", "coordinates": [lon_lat[0], lon_lat[1]]}


def _possible_duplicates(report: Report) -> list[dict]:
    # A report just filed found them in its own statement; an idempotent replay's earlier
    # report looks again, as of now.
    nearby = getattr(report, "duplicates_at_filing", None)
    if nearby is None:
        if report.location is None:
            return []
        nearby = selectors.reports_possible_duplicates(
            point=report.location, category_id=report.category_id, exclude_id=report.pk
        )
    return duplicate_candidates_answer(nearby)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = BODY_TOO_LARGE
    default_code = "payload_too_large"


class ReportNearbyView(APIView):
    """Open reports of a category within `radius_m` metres (default 250, at most 2000) of
    lat/lon, nearest first (at most 50): check before filing, and support one instead."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[NearbyQuery],
        responses={200: NearbyReportSerializer(many=True), **errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = NearbyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        nearby = selectors.reports_nearby(
            point=query.validated_data["point"],
            radius_m=query.validated_data["radius_m"],
            category=query.validated_data.get("category"),
        )
        return Response(NearbyReportSerializer(nearby, many=True).data)


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

    @extend_schema(
        operation_id="reports_retrieve", responses={200: ReportDetailSerializer, **errors(404)}
    )
    def get(self, request: Request, code: str) -> Response:
        return _detail_response(request, code)


class _WorkflowView(APIView):
    """Common shape of the official-only actions on one report."""

    permission_classes = [IsOfficialOrSupervisor]

    def report(self, code: str) -> Report:
        return get_object_or_404(selectors.report_by_code(code))

    def report_and_input(
        self, code: str, input_class: type[serializers.Serializer], data
    ) -> tuple[Report, dict]:
        """The report named by `code` (404 first) and `data` validated by `input_class` (400)."""
        report = self.report(code)
        parsed = input_class(data=data)
        parsed.is_valid(raise_exception=True)
        return report, parsed.validated_data


class ReportTransitionView(_WorkflowView):
    """Move a report along the workflow (officials of its agency, supervisors)."""

    @extend_schema(
        request={"application/json": TransitionInput, "multipart/form-data": TransitionForm},
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404, 409, 413)},
    )
    def post(self, request: Request, code: str) -> Response:
        report, data = self.report_and_input(code, TransitionInput, _request_data(request))
        after = _photos_from(request, "photo")
        if len(after) > 1:
            raise ValidationError({"photo": [ONE_AFTER_PHOTO]})
        report = services.report_transition(
            report=report,
            actor=request.user,
            to_status=data["to_status"],
            note=data.get("note", ""),
            public=data["public"],
            duplicate_of=data.get("duplicate_of"),
            after_photo=after[0] if after else None,
        )
        return _detail_response(request, report.tracking_code)


class ReportTransferView(_WorkflowView):
    """Hand a report to another agency with a reason; the deadline stays."""

    @extend_schema(
        request=TransferInput,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        report, data = self.report_and_input(code, TransferInput, request.data)
        report = services.report_transfer(
            report=report,
            actor=request.user,
            to_agency=data["agency"],
            reason=data["reason"],
        )
        return _detail_response(request, report.tracking_code)


class ReportNoteView(_WorkflowView):
    """Add a note to the timeline (internal unless `public`), without changing the status."""

    @extend_schema(
        request=NoteInput,
        responses={201: ReportDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, code: str) -> Response:
        report, data = self.report_and_input(code, NoteInput, request.data)
        services.report_note_add(
            report=report,
            actor=request.user,
            note=data["note"],
            public=data["public"],
        )
        response = _detail_response(request, report.tracking_code)
        response.status_code = status.HTTP_201_CREATED
        return response


class ReportDeadlineView(_WorkflowView):
    """Extend a report's deadline by working days (supervisors, agency heads)."""

    @extend_schema(
        request=ExtendDeadlineInput,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        report, data = self.report_and_input(code, ExtendDeadlineInput, request.data)
        report = services.report_extend_deadline(
            report=report,
            actor=request.user,
            days=data["days"],
            reason=data["reason"],
        )
        return _detail_response(request, report.tracking_code)


class ReportSupportView(APIView):
    """+1 an open report and follow it (signed-in users; idempotent; not your own: 409)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: SupportSerializer, **errors(401, 404, 409)})
    def post(self, request: Request, code: str) -> Response:
        report = get_object_or_404(selectors.report_by_code(code))
        count = services.report_support(report=report, user=request.user)
        return Response(SupportSerializer({"supporters_count": count, "following": True}).data)


class ReportConfirmView(APIView):
    """The reporter or a follower confirms a resolution within 7 days, rating it 1–5; the
    report closes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ConfirmInput,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        report = get_object_or_404(selectors.report_by_code(code))
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.report_confirm(
            report=report,
            user=request.user,
            stars=data.validated_data["rating"],
            comment=data.validated_data["comment"],
        )
        return _detail_response(request, report.tracking_code)


class ReportNotFixedView(APIView):
    """The reporter or a follower says a resolution did not fix it (within 7 days): the
    report reopens, and it counts against the agency."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=NotFixedInput,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        report = get_object_or_404(selectors.report_by_code(code))
        data = NotFixedInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.report_reject_resolution(
            report=report, user=request.user, comment=data.validated_data["comment"]
        )
        return _detail_response(request, report.tracking_code)


class ReportRedactView(_WorkflowView):
    """Hide a description or a photo (the agency's officials, supervisors), with a reason."""

    @extend_schema(
        request=RedactInput,
        responses={200: ReportDetailSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, code: str) -> Response:
        report = self.report(code)
        data = RedactInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.report_redact(
            report=report,
            actor=request.user,
            target=data.validated_data["target"],
            reason=data.validated_data["reason"],
            photo_id=data.validated_data.get("photo_id"),
        )
        return _detail_response(request, report.tracking_code)
