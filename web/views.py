"""The pages of the three users: citizens, ward officials, planners and supervisors.

Views stay thin: they read through the same selectors as the API, and every write goes through
the API (the pages' scripts post to /api/v1/ with the session and its CSRF token) or through
accounts' registration service, so no business rule lives here twice.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import folium
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import CommandError, call_command
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import services as account_services
from accounts.backends import BACKEND_PATH
from reports import permissions, selectors
from reports.models import OPEN_STATUSES
from web import analytics_layers, forms, maps
from web import selectors as web_selectors
from web.labels import STATUS_COLOURS, STATUS_LABELS, local_name

QUEUE_PAGE_SIZE = 25
SIGNIN_URL = reverse_lazy("web:signin")


def js_texts() -> dict[str, str]:
    """Messages our scripts show, in the page's language (`%s` marks the value)."""
    return {
        "error": _("Something went wrong; please try again."),
        "pinned": _("Location set: %s"),
        "locating": _("Finding your location…"),
        "no_geolocation": _("This browser cannot tell your location; tap the map instead."),
        "location_denied": _("Your location is not available; tap the map instead."),
        "metres_away": _("%s m away"),
        "supporters": _("%s supporters"),
        "supported": _("Thank you: you now follow this report."),
        "need_location": _("Choose the location on the map."),
        "need_category": _("Choose a category."),
        "need_description": _("Describe the problem."),
        "too_many_photos": _("At most 4 photos."),
        "sending": _("Sending…"),
        "send": _("Send report"),
        "reports_here": _("%s reports here; zoom in to see them."),
        "need_rating": _("Choose a rating from 1 to 5."),
        "need_comment": _("Tell us what is still wrong."),
    }


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"texts": js_texts(), **context})


def _tiles_config(query: dict[str, str], *, private: bool = False) -> dict[str, Any]:
    """URL templates of our vector tiles (areas background, reports) with the filters."""
    reports_query = {**query, **({"scope": "agency"} if private else {})}
    suffix = f"?{urlencode(reports_query)}" if reports_query else ""
    tiles = reverse("tiles:tile", kwargs={"layer": "LAYER", "z": 0, "x": 0, "y": 0})
    template = tiles.replace("LAYER", "{layer}").replace("/0/0/0.", "/{z}/{x}/{y}.")
    return {
        "areas": template.replace("{layer}", "areas"),
        "reports": template.replace("{layer}", "reports") + suffix,
        "report_url": reverse("web:report-page", kwargs={"code": "CODE"}),
        "status_colours": {str(k): v for k, v in STATUS_COLOURS.items()},
        "status_labels": {str(k): str(v) for k, v in STATUS_LABELS.items()},
    }


def _base_map(**kwargs: Any) -> folium.Map:
    (south, west), (north, east) = web_selectors.map_bounds()
    fmap = maps.offline_map(
        location=[(south + north) / 2, (west + east) / 2], zoom_start=12, **kwargs
    )
    fmap.fit_bounds([[south, west], [north, east]])
    maps.VectorGridSupport().add_to(fmap)
    return fmap


def _map_parts(request: HttpRequest, fmap: folium.Map) -> maps.MapParts:
    """The map rendered with this request's CSP nonce (set by geo.middleware, if installed)."""
    return maps.render_map_parts(fmap, nonce=getattr(request, "csp_nonce", ""))


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public map of reports, from the `reports` vector tiles, with filters and a legend."""
    form = forms.ReportFilterForm(request.GET or None)
    config = _tiles_config(form.query() if form.is_bound else {})
    return _page(
        request,
        "web/home.html",
        {"form": form, "map": _map_parts(request, _base_map()), "map_config": config},
    )


@login_required(login_url=SIGNIN_URL)
def report_new(request: HttpRequest) -> HttpResponse:
    """The reporting form: pin, category, description, photos; filed through the API."""
    if not request.user.has_perm(permissions.PERM_ADD):
        raise PermissionDenied(_("Only citizens' accounts may file reports."))
    categories = selectors.category_list()
    config = {
        **_tiles_config({}),
        "create_url": reverse("reports:report-list"),
        "nearby_url": reverse("reports:report-nearby"),
        "support_url": reverse("reports:report-support", kwargs={"code": "CODE"}),
        "max_photos": 4,
    }
    return _page(
        request,
        "web/report_new.html",
        {
            "categories": [(c.code, local_name(c)) for c in categories],
            "map": _map_parts(request, _base_map()),
            "map_config": config,
        },
    )


@require_GET
def report_page(request: HttpRequest, code: str) -> HttpResponse:
    """One report in public: status, place, photos, public timeline; the reporter rates here."""
    report = get_object_or_404(
        selectors.report_list_public(), tracking_code=selectors.tracking_code_normalise(code)
    )
    events = selectors.report_events_visible(report=report, user=None)
    code = {"code": report.tracking_code}
    return _page(
        request,
        "web/report_page.html",
        {
            "report": report,
            "events": events,
            "overdue": report.is_overdue(),
            "photos": selectors.report_photos_visible(report),
            "rating": selectors.rating_summary(report),
            "supporters": selectors.supporters_count(report),
            "page_config": {
                "detail_url": reverse("reports:report-detail", kwargs=code),
                "confirm_url": reverse("reports:report-confirm", kwargs=code),
                "not_fixed_url": reverse("reports:report-not-fixed", kwargs=code),
                "signed_in": request.user.is_authenticated,
            },
        },
    )


class SignInView(LoginView):
    """Django's sign-in with our template; without `next`, each role lands on its own page."""

    template_name = "web/signin.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        if user.has_perm("reports.view_analytics") and not permissions.oversees_all(user):
            return reverse("web:planning")
        if web_selectors.official_may_use_desk(user):
            return reverse("web:official")
        return reverse("web:home")


def signup(request: HttpRequest) -> HttpResponse:
    """A citizen's account through accounts' registration service, then signed in."""
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _token = account_services.user_register(**form.cleaned_data)
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                for field, messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                form.add_error("password", error.messages)
        else:
            login(request, user, backend=BACKEND_PATH)
            target = request.POST.get("next", "")
            safe = url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
            return redirect(target if safe else "web:home")
    return render(request, "web/signup.html", {"form": form, "next": request.GET.get("next", "")})


def _official_user(request: HttpRequest) -> None:
    if not web_selectors.official_may_use_desk(request.user):
        raise PermissionDenied(_("This page is for ward officials and supervisors."))


@login_required(login_url=SIGNIN_URL)
@require_GET
def official_queue(request: HttpRequest) -> HttpResponse:
    """The official's desk: jurisdiction map and the queue by deadline, overdue in red."""
    _official_user(request)
    user = request.user
    supervisor = permissions.oversees_all(user)
    agencies = (
        selectors.agency_list()
        if supervisor
        else selectors.agency_list().filter(pk__in=permissions.agency_ids_of(user))
    )
    data = request.GET.copy() if request.GET else None
    form = forms.QueueFilterForm(data, agencies=[(a.code, local_name(a)) for a in agencies])
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    now = timezone.now()
    queue = web_selectors.official_queue(
        user=user,
        statuses=filters.get("status") or [str(s) for s in OPEN_STATUSES],
        category=filters.get("category", ""),
        agency=filters.get("agency", ""),
        overdue_only=filters.get("overdue", False),
        now=now,
    )
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    fmap = _base_map()
    jurisdiction = web_selectors.jurisdiction_geojson(user=user)
    if jurisdiction and jurisdiction["features"]:
        folium.GeoJson(
            jurisdiction,
            name=_("My jurisdiction"),
            style_function=lambda _f: {
                "color": "#08519c",
                "weight": 3,
                "fillColor": "#6baed6",
                "fillOpacity": 0.15,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(fmap)
        fmap.fit_bounds(folium.GeoJson(jurisdiction).get_bounds())
    paging = request.GET.copy()
    paging.pop("page", None)
    return _page(
        request,
        "web/official_queue.html",
        {
            "form": form,
            "page": page,
            "paging_query": paging.urlencode(),
            "now": now,
            "map": _map_parts(request, fmap),
            "map_config": _tiles_config({}, private=not supervisor),
        },
    )


@login_required(login_url=SIGNIN_URL)
@require_GET
def official_report(request: HttpRequest, code: str) -> HttpResponse:
    """One report on the desk with its actions (through the API) and the reporter's contact."""
    _official_user(request)
    report = get_object_or_404(
        selectors.report_list_for_user(request.user),
        tracking_code=selectors.tracking_code_normalise(code),
    )
    code = {"code": report.tracking_code}
    return _page(
        request,
        "web/official_report.html",
        {
            "report": report,
            "events": selectors.report_events_visible(report=report, user=request.user),
            "can_act": permissions.can_act(request.user, report),
            "contact": selectors.reporter_of(report)
            if permissions.can_see_reporter(request.user, report)
            else None,
            "photos": selectors.report_photos_visible(report),
            "agencies": [
                (a.code, local_name(a)) for a in web_selectors.transfer_targets(report=report)
            ],
            "overdue": report.is_overdue(),
            "api": {
                "transition": reverse("reports:report-transition", kwargs=code),
                "transfer": reverse("reports:report-transfer", kwargs=code),
                "note": reverse("reports:report-note", kwargs=code),
            },
        },
    )


def _planner_user(request: HttpRequest) -> None:
    if not request.user.has_perm("reports.view_analytics"):
        raise PermissionDenied(_("This page is for planners and supervisors."))


@login_required(login_url=SIGNIN_URL)
@require_GET
def planning(request: HttpRequest) -> HttpResponse:
    """Planners' map: heat map, Gi* hot and cold spots, DBSCAN clusters, ward choropleth, and
    the unit performance table; all from the analytics code the API runs."""
    _planner_user(request)
    form = forms.PlanningFilterForm(request.GET or None)
    query = form.query() if form.is_bound else {}
    fmap = _base_map()
    layers = analytics_layers.add_layers(fmap, query)
    folium.LayerControl(collapsed=False).add_to(fmap)
    downloads = {
        label: f"{reverse('web:planning-download', kwargs={'fmt': fmt})}?{urlencode(query)}"
        for fmt, label in (("geojson", "GeoJSON"), ("gpkg", "GeoPackage"), ("csv", "CSV"))
    }
    performance = analytics_layers.performance_table(query)
    return _page(
        request,
        "web/planning.html",
        {
            "form": form,
            "map": _map_parts(request, fmap),
            "map_config": _tiles_config({}),
            "layers": layers,
            "performance": performance,
            "performance_csv": f"{reverse('analytics:performance')}?"
            + urlencode({**query, "format": "csv"}),
            "downloads": downloads,
            "overdue_units": web_selectors.overdue_by_agency()
            if permissions.oversees_all(request.user)
            else None,
        },
    )


DOWNLOAD_TYPES = {
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "csv": (".csv", "text/csv"),
}


@login_required(login_url=SIGNIN_URL)
@require_GET
def planning_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """Gi* hot spots (every study cell) as a file, written by `manage.py hotspots` itself."""
    _planner_user(request)
    if fmt not in DOWNLOAD_TYPES:
        return HttpResponseBadRequest(_("Unknown format."))
    form = forms.PlanningFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    extension, content_type = DOWNLOAD_TYPES[fmt]
    folder = Path(tempfile.mkdtemp(prefix="civicpin-hotspots-"))
    out = folder / f"hotspots{extension}"
    try:
        call_command("hotspots", out=str(out), stdout=io.StringIO(), **form.query())
    except CommandError as error:
        return HttpResponseBadRequest(str(error))
    # The file is opened before its folder is emptied; on POSIX it lives until closed.
    handle = out.open("rb")
    out.unlink()
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=out.name, content_type=content_type)
