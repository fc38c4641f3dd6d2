"""A small city with one user per role, a report, an Open311 key, and the bad-input runner.

Roles (the authorisation matrix and the corpus use these keys):
anonymous, citizen_a (the reporter of `world.report`), citizen_b, official_x (member of the
agency of ward X, where the report lies), official_y (ward Y's agency), supervisor, planner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from open311 import services as open311_services
from reports import services as report_services
from tests.factories.reports import UserFactory
from tests.reports.conftest import (  # noqa: F401 (fixtures shared with the reports suite)
    EAST_POINT,
    FAR_POINT,
    WEST_POINT,
    city,
    fast_password_hasher,
)
from tests.security.figures import FIGURES, figures_print

ROLES = (
    "anonymous",
    "citizen_a",
    "citizen_b",
    "official_x",
    "official_y",
    "supervisor",
    "planner",
)
CATEGORY = "rac-thai-sai-quy-dinh"
# Personal data of citizen A, the reporter: must never appear where the matrix forbids it.
REPORTER = {
    "username": "reporter_lan_a",
    "email": "lan.reporter@example.vn",
    "phone": "0987654321",
    "first_name": "Lanreporter",
    "last_name": "Nguyễnreporter",
}
PERSONAL_STRINGS = tuple(REPORTER.values())
# Tables the framework writes on any request (sessions for signed-in pages); not app data.
_IGNORED_TABLES = {"spatial_ref_sys", "django_session"}


@dataclass
class World:
    city: Any
    users: dict[str, Any]
    tokens: dict[str, str]
    report: Any
    open311_key: str
    codes: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None) -> APIClient:
        """An API client authenticated with `role`'s token (anonymous for None/"anonymous")."""
        client = APIClient()
        if role and role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[role]}")
        return client


@pytest.fixture
def world(city, settings, tmp_path) -> World:  # noqa: F811 (city is the shared fixture above)
    from tests.factories.reports import MembershipFactory

    # Uploaded photos land in a fresh directory, so a case can prove no file was kept.
    settings.MEDIA_ROOT = str(tmp_path / "media")

    citizen_a = UserFactory(
        username=REPORTER["username"],
        email=REPORTER["email"],
        phone=REPORTER["phone"],
        first_name=REPORTER["first_name"],
        last_name=REPORTER["last_name"],
    )
    users = {
        "anonymous": None,
        "citizen_a": citizen_a,
        "citizen_b": UserFactory(username="citizen_b_minh"),
        "official_x": MembershipFactory(agency=city.west_agency, user__username="canbo_x").user,
        "official_y": MembershipFactory(agency=city.east_agency, user__username="canbo_y").user,
        "supervisor": UserFactory(username="giamsat_s", roles=["supervisor"]),
        "planner": UserFactory(username="quyhoach_p", roles=["planner"]),
    }
    tokens = {
        role: Token.objects.get_or_create(user=user)[0].key
        for role, user in users.items()
        if user is not None
    }
    from django.contrib.gis.geos import Point

    report = report_services.report_create(
        reporter=citizen_a,
        category=_category(),
        description="Rác thải đổ trộm ở đầu ngõ 12.",
        location=Point(*WEST_POINT, srid=4326),
        accuracy_m=10.0,
    )
    _, key = open311_services.api_client_create(name="Ứng dụng thử", contact="dev@example.vn")
    return World(city=city, users=users, tokens=tokens, report=report, open311_key=key)


def _category():
    from reports.models import Category

    return Category.objects.get(code=CATEGORY)


def table_counts() -> dict[str, int]:
    """Rows in every table of the database (one statement), to prove nothing was stored."""
    tables = sorted(t for t in connection.introspection.table_names() if t not in _IGNORED_TABLES)
    # Identifiers cannot be parameters; they come from the catalogue, quoted by the backend.
    select = ", ".join(f"(SELECT count(*) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


_NO_JSON = object()


@dataclass(frozen=True)
class Case:
    """One bad input: who sends what to which endpoint, and the statuses that are right.

    `path` may hold {code} (the world's report) and {key} (the Open311 API key) placeholders,
    also in form data. Exactly one body form is used: `json` (serialised with NaN/Infinity
    allowed, so those literals can be sent), `data` (form or multipart, DRF-encoded with
    `fmt`), or `body` (raw bytes or text with `content_type`).
    """

    name: str
    method: str
    path: str
    role: str = "citizen_a"
    json: Any = _NO_JSON
    data: dict | None = None
    fmt: str = "multipart"
    body: bytes | str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    files: tuple[tuple[str, bytes, str], ...] = ()  # (name, content, type), sent as `photos`
    expect: tuple[int, int] = (400, 499)


def _fill(value: Any, world: World) -> Any:
    if isinstance(value, str):
        return value.replace("{code}", world.report.tracking_code).replace(
            "{key}", world.open311_key
        )
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def case_send(world: World, case: Case):
    """Send `case` and return the response."""
    client = world.client(case.role)
    path = _fill(case.path, world)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in case.headers.items()}
    method = case.method.lower()
    if case.json is not _NO_JSON:
        body = json.dumps(_fill(case.json, world), allow_nan=True)
        return client.generic(case.method, path, body, content_type="application/json", **headers)
    if case.body is not None:
        return client.generic(
            case.method, path, case.body, content_type=case.content_type or "text/plain", **headers
        )
    if case.files:
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = dict(_fill(case.data or {}, world))
        data["photos"] = [SimpleUploadedFile(n, c, content_type=t) for n, c, t in case.files]
        return client.post(path, data, format="multipart", **headers)
    if case.data is not None:
        sender = getattr(client, method)
        if case.fmt == "urlencoded":
            from urllib.parse import urlencode

            return client.generic(
                case.method,
                path,
                urlencode(_fill(case.data, world), doseq=True),
                content_type="application/x-www-form-urlencoded",
                **headers,
            )
        return sender(path, _fill(case.data, world), format=case.fmt, **headers)
    return getattr(client, method)(path, **headers)


def has_message(response) -> bool:
    """Does an error answer say what was wrong (a non-empty JSON or XML body, no traceback)?"""
    content = response.content.decode("utf-8", "replace")
    if "Traceback" in content or not content.strip():
        return False
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        payload = json.loads(content)
        return bool(payload)
    return True


def media_files() -> int:
    """Files under MEDIA_ROOT (stored photos and thumbnails)."""
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.MEDIA_ROOT)
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def case_run(world: World, case: Case) -> list[str]:
    """Run one case; return the ways it went wrong (empty when it was answered correctly).

    Updates the session figures: cases tried, 4xx/5xx answers, rows (and files) written.
    """
    before, files_before = table_counts(), media_files()
    response = case_send(world, case)
    after = table_counts()
    if media_files() != files_before:
        after["(files under MEDIA_ROOT)"] = before.get("(files under MEDIA_ROOT)", 0) + (
            media_files() - files_before
        )
    status = response.status_code
    FIGURES["cases tried"] += 1
    if 400 <= status < 500:
        FIGURES["4xx returned"] += 1
    elif status >= 500:
        FIGURES["5xx returned"] += 1
    else:
        FIGURES["other statuses"] += 1
    changed = {t: after[t] - before[t] for t in after if after[t] != before.get(t)}
    FIGURES["rows written by bad input"] += sum(abs(v) for v in changed.values())
    problems = []
    low, high = case.expect
    if not low <= status <= high:
        snippet = response.content[:300].decode("utf-8", "replace")
        problems.append(f"{case.name}: status {status} not in {low}..{high}: {snippet}")
    if status >= 400 and not has_message(response):
        problems.append(f"{case.name}: {status} without a message")
    if changed:
        problems.append(f"{case.name}: rows written {changed}")
    lowered = response.content.decode("utf-8", "replace").lower()
    for leak in ("syntax error", "psycopg", "traceback", "programmingerror"):
        if leak in lowered:
            problems.append(f"{case.name}: answer mentions {leak!r}")
    return problems


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures_print(terminalreporter)
