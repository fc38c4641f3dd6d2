"""Fixtures of the web pages' tests: a small demo city with demo users, and a guarded browser.

The demo (boundaries.demo, reports.demo) is the data `make demo` shows, cut to a few hundred
reports so every test builds it afresh in a second or two.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

DEMO_REPORTS = 400
CITIZEN = ("dan001", "NguoiDan@2025")
PLANNER = ("quyhoach", "QuyHoach@2025")
SUPERVISOR = ("giamsat", "GiamSat@2025")
OFFICIAL_PASSWORD = "CanBo@2025"

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2 would dominate the run; the demo hashes its passwords with this hasher too."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(monkeypatch) -> None:
    """The demo city (24 wards, agencies, users of every role) with DEMO_REPORTS reports."""
    from boundaries.demo import load_demo_city
    from reports import demo as report_demo

    monkeypatch.setattr(report_demo, "REPORT_COUNT", DEMO_REPORTS)
    load_demo_city()
    report_demo.load_demo_reports()


def jpeg_bytes(colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A small real JPEG made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


@dataclass
class Guard:
    """What a page did that a test must fail on."""

    base_url: str
    console_errors: list
    page_errors: list
    foreign_requests: list

    def assert_clean(self) -> None:
        assert self.foreign_requests == [], f"requests to other hosts: {self.foreign_requests}"
        assert self.page_errors == [], f"uncaught page errors: {self.page_errors}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright import sync_api

    if not Path("/usr/bin/chromium").exists():
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; make setup installs it, so CI must run the browser tests")
        pytest.skip(message)
    # Playwright's sync API keeps an asyncio loop in this thread, which makes Django refuse
    # ORM calls from the test itself; they are ordinary synchronous calls, so allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections

    # Django keeps connections per thread *or* per asyncio context; once Playwright's loop
    # runs here, `connections` hands out fresh objects that lack the test database's
    # serialized contents, and serialized_rollback would silently restore nothing.
    serialized = getattr(connections["default"], "_test_serialized_contents", None)
    with sync_api.sync_playwright() as playwright:
        if serialized is not None:
            connections["default"]._test_serialized_contents = serialized
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def guarded(browser, live_server):
    """A factory of browser pages that record console errors, page errors and every request
    to a host other than the live server (those are also aborted, so nothing leaks)."""
    contexts = []
    guards = []

    def open_page(viewport: dict | None = None):
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900}, locale="vi-VN"
        )
        contexts.append(context)
        page = context.new_page()
        guard = Guard(live_server.url, [], [], [])
        guards.append(guard)

        def route(route):
            if route.request.url.startswith(live_server.url):
                route.continue_()
            else:
                guard.foreign_requests.append(route.request.url)
                route.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda message: (
                guard.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: guard.page_errors.append(str(error)))
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith(live_server.url)
                else guard.foreign_requests.append(request.url)
            ),
        )
        return page, guard

    yield open_page
    for context in contexts:
        context.close()


WARD_CATEGORY = "rac-thai-sai-quy-dinh"  # illegal dumping: handled by the ward's committee


def file_report(
    *,
    description: str = "Rác thải đổ trộm ở đầu ngõ 12.",
    ward: str = "90001",
    reporter: str = CITIZEN[0],
):
    """File a report through the service, at a point inside demo ward `ward` (dan001's by
    default)."""
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point

    from boundaries.models import Area
    from reports import services
    from reports.models import Category

    area = Area.objects.current().get(code=ward)
    inside = area.geom.point_on_surface
    return services.report_create(
        reporter=get_user_model().objects.get(username=reporter),
        category=Category.objects.get(code=WARD_CATEGORY),
        description=description,
        location=Point(inside.x, inside.y, srid=4326),
    )
