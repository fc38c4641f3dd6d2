"""The pages through Django's test client: who may open what, escaping, languages, and no
reference to any other host. (The browser tests in test_browser.py drive the scripts.)"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from reports.models import Agency, Report
from tests.web.conftest import CITIZEN, OFFICIAL_PASSWORD, PLANNER, SUPERVISOR, file_report
from web.forms import DATE_RANGE_REVERSED

pytestmark = pytest.mark.django_db

# Any absolute http(s) URL: the pages may only use relative ones (their own host).
ABSOLUTE_URL = re.compile(r"""https?://[^\s"'<>)]+""")


def signed_in(client, username: str, password: str):
    assert client.login(username=username, password=password), username
    return client


def official_of(report: Report) -> str:
    """The demo official of the ward agency `report` is assigned to."""
    return "canbo." + report.agency.code.removeprefix("ubnd-ward-")


def test_the_report_form_sends_anonymous_visitors_to_sign_in_and_back(client, demo):
    """/report needs an account: the visitor is redirected to /signin?next=/report."""
    response = client.get(reverse("web:report-new"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:signin')}?next=/report"


def test_a_signed_in_citizen_gets_the_report_form_with_every_category(client, demo):
    """The form lists the active categories and carries the CSRF token its script sends."""
    signed_in(client, *CITIZEN)
    response = client.get(reverse("web:report-new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="rac-thai-sai-quy-dinh"' in html
    assert 'id="report-form"' in html


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("citizen", 403),
        ("planner", 403),
        ("official", 200),
        ("supervisor", 200),
    ],
)
def test_the_officials_desk_is_for_officials_and_supervisors_only(client, demo, who, expected):
    """Anonymous visitors are sent to sign in; citizens and planners get 403."""
    users = {
        "citizen": CITIZEN,
        "planner": PLANNER,
        "supervisor": SUPERVISOR,
        "official": ("canbo.90001", OFFICIAL_PASSWORD),
    }
    if who != "anonymous":
        signed_in(client, *users[who])
    response = client.get(reverse("web:official"))
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(reverse("web:signin"))


def test_an_officials_queue_holds_only_their_agencys_open_reports_by_deadline(client, demo):
    """A ward official sees the open reports of their ward's agency, soonest deadline first."""
    report = file_report()
    signed_in(client, official_of(report), OFFICIAL_PASSWORD)
    response = client.get(reverse("web:official"), {"status": ["received", "in_progress"]})
    assert response.status_code == 200
    codes = re.findall(r'data-code="([0-9A-Z]+)"', response.content.decode())
    expected = list(
        Report.objects.filter(agency=report.agency, status__in=["received", "in_progress"])
        .order_by("due_at", "id")
        .values_list("tracking_code", flat=True)[:25]
    )
    assert report.tracking_code in expected or len(expected) == 25
    assert codes == expected


def test_overdue_reports_are_marked_in_the_queue(client, demo):
    """Rows of open reports past their deadline carry the `overdue` class (shown in red)."""
    report = file_report()
    Report.objects.filter(pk=report.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    signed_in(client, official_of(report), OFFICIAL_PASSWORD)
    response = client.get(reverse("web:official"), {"overdue": "on"})
    html = response.content.decode()
    assert f'class="overdue" data-code="{report.tracking_code}"' in html


def test_the_reporters_contact_shows_only_to_the_assigned_agency(client, demo):
    """Name, e-mail and phone appear on the official's page, never on the public page, and
    another ward's official cannot open the report on the desk at all."""
    report = file_report()
    reporter = get_user_model().objects.get(pk=report.reporter_id)
    public = client.get(reverse("web:report-page", kwargs={"code": report.tracking_code}))
    assert public.status_code == 200
    assert reporter.email not in public.content.decode()
    assert reporter.username not in public.content.decode()

    signed_in(client, official_of(report), OFFICIAL_PASSWORD)
    desk = client.get(reverse("web:official-report", kwargs={"code": report.tracking_code}))
    assert desk.status_code == 200
    assert reporter.email in desk.content.decode()
    assert reporter.profile.phone in desk.content.decode()
    assert reporter.profile.phone not in public.content.decode()

    other = Agency.objects.filter(code__startswith="ubnd-ward-").exclude(pk=report.agency_id)
    client.logout()
    signed_in(client, "canbo." + other.first().code.removeprefix("ubnd-ward-"), OFFICIAL_PASSWORD)
    hidden = client.get(reverse("web:official-report", kwargs={"code": report.tracking_code}))
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"), [("anonymous", 302), ("citizen", 403), ("official", 403), ("planner", 200)]
)
def test_the_planning_page_is_for_planners_and_supervisors(client, demo, who, expected):
    users = {"citizen": CITIZEN, "planner": PLANNER, "official": ("canbo.90001", OFFICIAL_PASSWORD)}
    if who != "anonymous":
        signed_in(client, *users[who])
    assert client.get(reverse("web:planning")).status_code == expected


def test_only_supervisors_see_the_overdue_list_per_unit(client, demo):
    """The overdue-per-unit table is on the supervisor's planning page, not the planner's."""
    signed_in(client, *PLANNER)
    assert 'id="overdue-units"' not in client.get(reverse("web:planning")).content.decode()
    client.logout()
    signed_in(client, *SUPERVISOR)
    html = client.get(reverse("web:planning")).content.decode()
    assert 'id="overdue-units"' in html
    top = Report.objects.overdue().values("agency__name").order_by().first()
    assert top is not None and top["agency__name"] in html


def test_a_script_in_a_description_is_shown_as_text(client, demo):
    """Descriptions are plain text: a <script> is escaped on the public and official pages."""
    report = file_report()
    report.description = '<script>alert("x")</script> & <b>bold</b>'
    report.save(update_fields=["description"])
    for page in (
        client.get(reverse("web:report-page", kwargs={"code": report.tracking_code})),
        signed_in(client, official_of(report), OFFICIAL_PASSWORD).get(
            reverse("web:official-report", kwargs={"code": report.tracking_code})
        ),
    ):
        html = page.content.decode()
        assert '<script>alert("x")' not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold" in html


def test_pages_are_vietnamese_by_default_and_english_after_the_switch(client, demo):
    """The language switch (set_language) changes the page language and every label."""
    home = client.get(reverse("web:home"))
    assert '<html lang="vi">' in home.content.decode()
    assert "Phản ánh trong thành phố" in home.content.decode()
    response = client.post(
        reverse("web:set_language"), {"language": "en", "next": reverse("web:home")}
    )
    assert response.status_code == 302
    english = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en">' in english
    assert "Problems reported in the city" in english
    assert "Phản ánh trong thành phố" not in english


def test_no_page_refers_to_another_host(client, demo):
    """Every page's HTML (maps included) uses relative URLs only: no CDN, no tile server."""
    report = file_report()
    pages = [
        (None, reverse("web:home")),
        (None, reverse("web:signin")),
        (None, reverse("web:signup")),
        (None, reverse("web:report-page", kwargs={"code": report.tracking_code})),
        (CITIZEN, reverse("web:report-new")),
        ((official_of(report), OFFICIAL_PASSWORD), reverse("web:official")),
        (
            (official_of(report), OFFICIAL_PASSWORD),
            reverse("web:official-report", kwargs={"code": report.tracking_code}),
        ),
        (SUPERVISOR, reverse("web:planning")),
    ]
    for user, url in pages:
        client.logout()
        if user:
            signed_in(client, *user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert ABSOLUTE_URL.findall(response.content.decode()) == [], url


def test_a_reversed_date_range_is_an_error_on_the_page_not_a_crash(client, demo):
    response = client.get(reverse("web:home"), {"since": "2026-05-01", "until": "2026-04-01"})
    assert response.status_code == 200
    assert str(DATE_RANGE_REVERSED) in response.content.decode()


def test_sign_up_creates_a_signed_in_citizen_and_a_weak_password_stores_nothing(client, demo):
    """Registration goes through accounts' service: its password rules apply."""
    weak = client.post(
        reverse("web:signup"),
        {"username": "lan.tran", "email": "lan@example.vn", "password": "12345678"},
    )
    assert weak.status_code == 200
    assert not get_user_model().objects.filter(username="lan.tran").exists()
    response = client.post(
        reverse("web:signup"),
        {
            "username": "lan.tran",
            "email": "lan@example.vn",
            "phone": "0912345678",
            "password": "Ho-Guom-Xanh-2025",
            "next": reverse("web:report-new"),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:report-new")
    user = get_user_model().objects.get(username="lan.tran")
    assert user.groups.filter(name="citizen").exists()
    assert client.get(reverse("web:report-new")).status_code == 200


def test_planners_download_hot_spots_as_a_geopackage_from_the_hotspots_command(client, demo):
    """The download runs `manage.py hotspots`: a GeoPackage (an SQLite file) comes back."""
    signed_in(client, *PLANNER)
    response = client.get(reverse("web:planning-download", kwargs={"fmt": "gpkg"}))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"SQLite format 3\x00")
    csv = client.get(reverse("web:planning-download", kwargs={"fmt": "csv"}))
    header = b"".join(csv.streaming_content).decode().splitlines()[0]
    assert "gi_bin" in header and "wkt" in header
    assert client.get(reverse("web:planning-download", kwargs={"fmt": "shp"})).status_code == 400


def test_the_public_maps_filters_are_passed_to_the_report_tiles(client, demo):
    """Category, statuses and dates chosen in the form become the reports tile layer's query,
    the same parameters the tiles API documents."""
    response = client.get(
        reverse("web:home"),
        {
            "category": "rac-thai-sai-quy-dinh",
            "status": ["received", "in_progress"],
            "since": "2026-01-01",
            "until": "2026-06-30",
        },
    )
    config = json.loads(
        re.search(
            r'<script id="map-config" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        ).group(1)
    )
    assert config["reports"] == (
        "/tiles/reports/{z}/{x}/{y}.mvt?category=rac-thai-sai-quy-dinh"
        "&status=received%2Cin_progress&since=2026-01-01&until=2026-06-30"
    )
    assert config["areas"] == "/tiles/areas/{z}/{x}/{y}.mvt"


@pytest.mark.parametrize("reports", [0, 1])
def test_the_planning_page_renders_without_hot_spots_or_clusters(client, monkeypatch, reports):
    """An empty city, or one with a single report, has no cluster (and the empty one no hot
    spot): the page still renders with zero counts and the legend, and no empty layer."""
    from boundaries.demo import load_demo_city
    from reports import demo as report_demo

    monkeypatch.setattr(report_demo, "REPORT_COUNT", reports)
    load_demo_city()
    report_demo.load_demo_reports()
    signed_in(client, *PLANNER)
    response = client.get(reverse("web:planning"))
    assert response.status_code == 200
    layers = response.context["layers"]
    assert layers.clusters == 0
    if reports == 0:
        assert (layers.hot_cells, layers.cold_cells) == (0, 0)
    assert 'id="hotspot-legend"' in response.content.decode()
