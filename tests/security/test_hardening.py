"""Deployment hardening: `check --deploy` passes with production settings, every answer
carries a Content-Security-Policy, a lost database is a 503 with a message, /metrics speaks
the Prometheus text format, and staff actions are audited without personal data."""

import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from geo import metrics
from geo.middleware import DATABASE_UNAVAILABLE
from reports import notifications
from reports.models import Notice
from tests.security.conftest import CATEGORY, PERSONAL_STRINGS, WEST_POINT

ROOT = Path(__file__).resolve().parent.parent.parent


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production deployment: no .env file, DEBUG off, a real secret."""
    # Only what a deployment would have: nothing leaks in from the test process (pytest and
    # browser tests set variables such as DJANGO_ALLOW_ASYNC_UNSAFE).
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "DATABASE_URL") if k in os.environ}
    env.update(
        CIVICPIN_ENV_FILE="",
        DJANGO_SETTINGS_MODULE="geo.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="civicpin.hanoi.gov.vn",
        **extra,
    )
    return env


def test_production_settings_pass_check_deploy_without_a_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_secure_and_each_can_be_overridden():
    code = (
        "import django; from django.conf import settings as s; django.setup(); "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_CONTENT_TYPE_NOSNIFF, "
        "'gis.W001' in s.SILENCED_SYSTEM_CHECKS)"
    )
    run = lambda **extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert run() == ["True", "31536000", "True", "True", "True", "True"]
    assert run(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="60")[:2] == ["False", "60"]


def test_user_geometry_never_reaches_gdal_or_geos_parsers():
    """The gis.W001 mitigation: no app module hands request text to GEOSGeometry/OGRGeometry
    (they would let a crafted spatial reference reach GDAL). Points are parsed by hand."""
    offenders = []
    for app in ("reports", "accounts", "boundaries", "tiles", "analytics", "open311", "web", "geo"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for needle in ("GEOSGeometry(", "OGRGeometry(", "fromstr(", "from_gml("):
                for line_no, line in enumerate(text.splitlines(), 1):
                    if needle in line and "request" in line:
                        offenders.append(f"{path.relative_to(ROOT)}:{line_no}: {line.strip()}")
    assert not offenders, offenders


@pytest.mark.django_db
def test_html_pages_get_a_nonce_policy_without_unsafe_inline_scripts(client):
    first = client.get("/admin/login/")
    second = client.get("/admin/login/")
    policy = first["Content-Security-Policy"]
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'nonce-" in script_src
    assert "frame-ancestors 'none'" in policy
    assert policy != second["Content-Security-Policy"], "the nonce is fresh per response"


@pytest.mark.django_db
def test_api_answers_get_a_policy_that_loads_nothing(client):
    response = client.get("/api/v1/categories")
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_csp_can_be_sent_report_only(client, settings):
    settings.CSP_REPORT_ONLY = True
    response = client.get("/api/v1/categories")
    assert "Content-Security-Policy-Report-Only" in response
    assert "Content-Security-Policy" not in response


@pytest.fixture
def database_away():
    """Point the connection at a closed port: every query fails as during an outage."""
    connection.close()
    original = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict["PORT"] = original


# Transactional (the connection is closed and reopened), and serialized like every other
# transactional test: a plain transactional teardown re-creates content types through
# post_migrate, which breaks the next serialized_rollback test's restore (duplicate keys).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/reports"),
        ("get", "/api/v1/reports"),
        ("get", "/api/v1/lookup?lat=21.0&lon=105.8"),
        ("get", "/open311/v2/services.json"),
        ("get", "/tiles/areas/12/3252/1803.mvt"),
        ("get", "/"),
        ("post", "/open311/v2/requests.json"),
        ("post", "/report"),
        ("post", "/api/v1/auth/token"),
    ],
)
def test_a_lost_database_is_a_503_with_a_message_and_retry_after(
    client, settings, database_away, method, path
):
    settings.THROTTLE_ENABLED = True  # the limits' user lookup meets the outage first
    client.cookies["sessionid"] = "a-session-the-database-must-look-up"
    body = {
        "category": CATEGORY,
        "description": "x",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    if path.startswith("/open311/"):
        kwargs = {"data": {"api_key": "a-key-the-database-must-look-up"}}
    response = getattr(client, method)(
        path, HTTP_AUTHORIZATION="Token abc", **(kwargs if method == "post" else {})
    )
    assert response.status_code == 503
    assert response.json()["detail"] == DATABASE_UNAVAILABLE
    assert response["Retry-After"].isdigit()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_metrics_are_off_unless_enabled(client, settings):
    settings.METRICS_ENABLED = False
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_count_requests_by_view_and_reports_by_status(world, client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    metrics.metrics_reset()
    client.get("/api/v1/categories")
    client.get("/api/v1/reports/NOPE")
    text = client.get("/metrics").content.decode()
    assert (
        'civicpin_http_requests_total{view="reports:category-list",method="GET",status="200"} 1'
        in text
    )
    assert 'view="reports:report-detail",method="GET",status="404"} 1' in text
    assert 'civicpin_http_request_duration_seconds_count{view="reports:category-list"' in text
    assert 'civicpin_reports{status="received"} 1' in text
    assert "civicpin_reports_overdue 0" in text
    assert "# TYPE civicpin_http_request_duration_seconds histogram" in text
    assert "# TYPE civicpin_notices_waiting gauge" in text


@pytest.mark.django_db
def test_metrics_show_the_outbox_waiting_and_given_up(client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    message = ("Chủ đề", "Nội dung", "a@example.vn", ["x@example.vn", "y@example.vn"])
    notifications.enqueue([message], "status", "ABCDEFGHJK")
    first, second = Notice.objects.order_by("id")
    Notice.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))
    Notice.objects.filter(pk=second.pk).update(failed_at=timezone.now())
    text = client.get("/metrics").content.decode()
    assert "civicpin_notices_waiting 1" in text
    assert "civicpin_notices_given_up 1" in text
    [age] = [line for line in text.splitlines() if line.startswith("civicpin_notices_oldest")]
    assert 7190 <= float(age.split()[1]) <= 7300
    assert "@example.vn" not in text


@pytest.mark.django_db
def test_metrics_with_a_token_need_the_bearer_header(client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = "s3cret-scrape"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape")
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("text/plain; version=0.0.4")


def audit_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "civicpin.audit"]


@pytest.mark.django_db
def test_staff_actions_are_audited_without_personal_data(world, caplog):
    caplog.set_level(logging.INFO, logger="civicpin.audit")
    code = world.report.tracking_code
    response = world.client("official_x").post(
        f"/api/v1/reports/{code}/transition", {"to_status": "in_progress"}, format="json"
    )
    assert response.status_code == 200
    [line] = audit_lines(caplog)
    assert line["event"] == "staff_action"
    assert line["user_id"] == world.users["official_x"].pk
    assert line["role"] == "official"
    assert line["route"] == "reports:report-transition"
    assert line["args"] == {"code": code}
    assert line["status"] == 200
    text = caplog.text
    assert "canbo_x" not in text
    assert not any(p in text for p in PERSONAL_STRINGS)


@pytest.mark.django_db
def test_refused_staff_actions_are_audited_too(world, caplog):
    caplog.set_level(logging.INFO, logger="civicpin.audit")
    code = world.report.tracking_code
    world.client("official_y").post(
        f"/api/v1/reports/{code}/transition", {"to_status": "in_progress"}, format="json"
    )
    [line] = audit_lines(caplog)
    assert (line["role"], line["status"]) == ("official", 403)


@pytest.mark.django_db
def test_citizens_and_reads_are_not_audited(world, caplog):
    caplog.set_level(logging.INFO, logger="civicpin.audit")
    body = {
        "category": CATEGORY,
        "description": "Rác.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }
    world.client("citizen_b").post("/api/v1/reports", body, format="json")
    world.client("supervisor").get("/api/v1/me/reports")
    assert audit_lines(caplog) == []


@pytest.mark.django_db
def test_admin_sign_ins_and_failures_are_audited_without_the_username(client, caplog):
    from django.contrib.auth import get_user_model

    caplog.set_level(logging.INFO, logger="civicpin.audit")
    admin = get_user_model().objects.create_superuser("quantri_x", "qt@example.vn", "Mk-dai-2025!")
    client.post("/admin/login/", {"username": "quantri_x", "password": "sai"})
    client.post("/admin/login/", {"username": "quantri_x", "password": "Mk-dai-2025!"})
    events = [(line["event"], line.get("user_id")) for line in audit_lines(caplog)]
    # The successful sign-in POST is then itself a staff request, logged as such.
    assert events == [("sign_in_failed", None), ("sign_in", admin.pk), ("staff_action", admin.pk)]
    assert "quantri_x" not in caplog.text
