"""The pages in a real browser (Debian's chromium through Playwright) against the live server.

Every test fails on a console error, an uncaught page error or any request to another host
(see the `guarded` fixture): the pages must work offline, from our own static files.
Screenshots for the README are written to docs/screenshots/ when CIVICPIN_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from boundaries.models import Area
from reports import services
from reports.models import Report, Status
from tests.web.conftest import (
    CITIZEN,
    OFFICIAL_PASSWORD,
    SUPERVISOR,
    WARD_CATEGORY,
    file_report,
    jpeg_bytes,
)

# live_server needs committed data; serialized_rollback restores the migrated rows (groups,
# categories) that the flush after each test removes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 860}


def screenshot(page, name: str) -> None:
    if os.environ.get("CIVICPIN_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def sign_in(page, base_url: str, username: str, password: str, path: str) -> None:
    """Sign in through the sign-in page and land on `path` (its `next`)."""
    page.goto(f"{base_url}/signin?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(base_url + path)


def wait_for_map(page) -> None:
    page.wait_for_function("window.civicpin && window.civicpin.map")
    page.wait_for_load_state("networkidle")


def test_a_citizen_pins_a_point_on_the_map_and_files_a_report_with_a_photo(
    guarded, live_server, demo
):
    """On a 375 px phone: sign in, tap the map inside a ward, choose the category; the open
    report another citizen filed there is offered and supported; then describe, attach a
    JPEG, send: the page shows the tracking code, the ward and the deadline."""
    ward = Area.objects.current().get(code="90001")
    inside = ward.geom.point_on_surface
    neighbours = file_report(reporter="dan002", description="Bãi rác tự phát cạnh chợ.")
    page, guard = guarded(PHONE)
    page.goto(live_server.url + "/report")
    assert page.url == f"{live_server.url}/signin?next=/report"
    sign_in(page, live_server.url, *CITIZEN, "/report")
    wait_for_map(page)

    page.evaluate(
        "([lat, lon]) => window.civicpin.map.setView([lat, lon], 16, {animate: false})",
        [inside.y, inside.x],
    )
    position = page.evaluate(
        """([lat, lon]) => {
            const p = window.civicpin.map.latLngToContainerPoint([lat, lon]);
            return {x: Math.round(p.x), y: Math.round(p.y)};
        }""",
        [inside.y, inside.x],
    )
    page.locator(".map-box .folium-map").click(position=position)
    assert page.input_value("#lat") != ""
    page.select_option("#category", WARD_CATEGORY)
    page.wait_for_selector("#nearby:not([hidden])")
    item = page.locator("#nearby-list li", has_text=neighbours.tracking_code)
    support = item.locator("button.nearby-support")
    label = support.inner_text()
    support.click()
    expect(support).not_to_have_text(label)
    assert neighbours.follows.filter(user__username=CITIZEN[0], supports=True).exists()
    page.fill("#description", "Rác thải đổ trộm ở đầu ngõ, bốc mùi.")
    page.set_input_files(
        "#photos",
        files=[{"name": "hien-truong.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
    )
    page.click("#submit-report")
    page.wait_for_selector("#result:not([hidden])")

    code = page.text_content("#result-code")
    assert re.fullmatch(r"[0-9A-Z]{10}", code)
    report = Report.objects.select_related("area", "agency").get(tracking_code=code)
    assert report.area.code == "90001"
    assert abs(report.location.x - inside.x) < 1e-4 and abs(report.location.y - inside.y) < 1e-4
    assert page.text_content("#result-area") == ward.name
    assert page.text_content("#result-agency") == report.agency.name
    assert page.text_content("#result-due") not in ("", "–")
    assert report.photos.count() == 1
    guard.assert_clean()


def test_an_official_finds_the_report_in_the_queue_and_resolves_it_with_an_after_photo(
    guarded, live_server, demo
):
    """canbo.90001 signs in, sees the new report in the queue, starts it, then resolves it."""
    report = file_report()
    page, guard = guarded(DESKTOP)
    sign_in(page, live_server.url, "canbo.90001", OFFICIAL_PASSWORD, "/official/")
    wait_for_map(page)
    row = page.locator(f'tr[data-code="{report.tracking_code}"]')
    assert row.is_visible()
    screenshot(page, "official.png")

    row.locator("a").click()
    page.wait_for_selector("#form-start")
    assert page.is_visible("text=0900000001")  # dan001's phone, for the handling unit only
    page.fill("#start-note", "Đã giao tổ vệ sinh môi trường.")
    page.click("#form-start button[type=submit]")
    page.wait_for_selector("#form-resolve")
    page.fill("#resolve-note", "Đã thu gom toàn bộ rác.")
    page.set_input_files(
        "#resolve-photo",
        files=[{"name": "sau.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes((40, 160, 60))}],
    )
    page.click("#form-resolve button[type=submit]")
    page.wait_for_selector('#report-status[data-status="resolved"]')

    report.refresh_from_db()
    assert report.status == Status.RESOLVED
    guard.assert_clean()


def test_after_the_resolution_the_reporters_page_offers_the_rating(guarded, live_server, demo):
    """The reporter opens /r/<code> of their resolved report and can confirm with a rating."""
    report = file_report()
    official = get_user_model().objects.get(username="canbo.90001")
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        report = services.report_transition(report=report, actor=official, to_status=status)
    page, guard = guarded(PHONE)
    sign_in(page, live_server.url, *CITIZEN, f"/r/{report.tracking_code}")
    page.wait_for_selector("#feedback:not([hidden])")
    page.check("#rating-5")
    page.fill("#feedback-comment", "Đã sạch sẽ, cảm ơn phường.")
    page.click("#confirm-fixed")
    page.wait_for_selector('#report-status[data-status="closed"]')
    report.refresh_from_db()
    assert report.status == Status.CLOSED
    guard.assert_clean()


def test_the_public_map_and_the_planning_page_render_their_layers_and_legends(
    guarded, live_server, demo
):
    """The public map draws report tiles with its legend; the planning map has the Gi* layer
    (hot-spot hexagons on the map) with the confidence-class legend and the unit table."""
    page, guard = guarded(DESKTOP)
    page.goto(live_server.url + "/")
    wait_for_map(page)
    assert page.is_visible("#legend")
    assert page.evaluate("() => window.civicpin.reportsLayer !== undefined")
    screenshot(page, "home.png")

    sign_in(page, live_server.url, *SUPERVISOR, "/planning/")
    wait_for_map(page)
    legend = page.locator("#hotspot-legend li")
    assert legend.count() == 7
    assert page.is_visible(".leaflet-control-layers")
    gi_cells = page.evaluate(
        """() => {
            let hot = 0;
            window.civicpin.map.eachLayer((layer) => {
                const p = layer.feature && layer.feature.properties;
                if (p && p.gi_bin !== undefined && p.gi_bin > 0) hot += 1;
            });
            return hot;
        }"""
    )
    assert gi_cells > 0
    assert page.locator("#performance tbody tr").count() > 1
    screenshot(page, "planning.png")
    # The table sorts by a column with its heading button.
    page.click("#performance thead th:nth-child(3) button")
    received = [
        int(v) for v in page.locator("#performance tbody td:nth-child(3)").all_inner_texts()
    ]
    assert received == sorted(received)
    guard.assert_clean()
