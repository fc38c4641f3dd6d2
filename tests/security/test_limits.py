"""Abuse limits: report creation, sign-up and sign-in are rate limited per user and per IP,
answering 429 with Retry-After; limits come from settings and can be raised or switched off."""

import pytest
from django.test import override_settings

from geo.throttles import RATE_LIMITED, rate_parse
from tests.security.conftest import CATEGORY, WEST_POINT

REPORT = {
    "category": CATEGORY,
    "description": "Rác thải đổ trộm ở đầu ngõ.",
    "location": {"type": "Point", "coordinates": list(WEST_POINT)},
}


def rules(**overrides):
    """THROTTLE_RULES with the rates of some scopes replaced."""
    from django.conf import settings

    result = {scope: dict(rule) for scope, rule in settings.THROTTLE_RULES.items()}
    for scope, rates in overrides.items():
        result[scope].update(rates)
    return result


@pytest.mark.parametrize(
    ("text", "count", "period"),
    [("20/hour", 20, 3600), ("5/minute", 5, 60), ("1/s", 1, 1), ("100/day", 100, 86400)],
)
def test_rates_are_parsed_from_count_and_period(text, count, period):
    limit = rate_parse(text)
    assert (limit.count, limit.period) == (count, period)


@pytest.mark.parametrize("text", ["", "20", "x/hour", "0/hour", "20/fortnight"])
def test_a_malformed_rate_is_refused_with_its_text(text):
    with pytest.raises(ValueError, match="invalid rate"):
        rate_parse(text)


@pytest.mark.django_db
def test_report_creation_is_limited_per_user_with_retry_after(world, settings):
    """The third report within the hour from one user is refused; another user may file."""
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(report_create={"user": "2/hour", "ip": "100/hour"})
    client = world.client("citizen_b")
    statuses = [client.post("/api/v1/reports", REPORT, format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = client.post("/api/v1/reports", REPORT, format="json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "throttled" in refused.json()["detail"].lower()
    other = world.client("citizen_a").post("/api/v1/reports", REPORT, format="json")
    assert other.status_code == 201


@pytest.mark.django_db
def test_report_creation_is_limited_per_ip_across_users(world, settings):
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(report_create={"user": "100/hour", "ip": "2/hour"})
    codes = [
        world.client(role).post("/api/v1/reports", REPORT, format="json").status_code
        for role in ("citizen_a", "citizen_b", "citizen_a")
    ]
    assert codes == [201, 201, 429]


@pytest.mark.django_db
def test_reads_are_not_counted_against_report_creation(world, settings):
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(report_create={"user": "1/hour", "ip": "1/hour"})
    client = world.client("citizen_b")
    for _ in range(5):
        assert client.get("/api/v1/reports").status_code == 200
    assert client.post("/api/v1/reports", REPORT, format="json").status_code == 201


@pytest.mark.django_db
def test_sign_up_is_limited_per_ip(client, settings):
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(signup={"ip": "2/hour"})
    statuses = []
    for i in range(3):
        body = {
            "username": f"nguoimoi{i}",
            "password": "Ho-Guom-Xanh-2025",
            "email": f"moi{i}@example.vn",
        }
        statuses.append(
            client.post("/api/v1/auth/register", body, content_type="application/json").status_code
        )
    assert statuses == [201, 201, 429]


@pytest.mark.django_db
def test_sign_in_is_limited_per_username_and_answers_429_with_a_message(world, client, settings):
    """Token exchange (DRF switches its own throttling off; the middleware applies it)."""
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(signin={"user": "3/hour", "ip": "100/hour"})
    wrong = {"username": "citizen_b_minh", "password": "sai-mat-khau"}
    statuses = [
        client.post("/api/v1/auth/token", wrong, content_type="application/json").status_code
        for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    refused = client.post("/api/v1/auth/token", wrong, content_type="application/json")
    assert refused["Retry-After"].isdigit()
    assert refused.json()["detail"].startswith(RATE_LIMITED.split("{")[0])
    # The limit is per username: another account can still sign in from here.
    other = {"username": "canbo_x", "password": "mat-khau-du-dai-2025"}
    assert (
        client.post("/api/v1/auth/token", other, content_type="application/json").status_code == 200
    )


@pytest.mark.django_db
def test_admin_sign_in_is_limited_per_ip(client, settings):
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(signin={"user": "100/hour", "ip": "2/hour"})
    statuses = [
        client.post("/admin/login/", {"username": f"u{i}", "password": "x"}).status_code
        for i in range(3)
    ]
    assert statuses[:2] == [200, 200]  # the form again, with its error
    assert statuses[2] == 429


@pytest.mark.django_db
def test_open311_report_creation_is_limited_per_ip(world, client, settings):
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(report_create={"user": "100/hour", "ip": "1/hour"})
    body = {
        "api_key": world.open311_key,
        "service_code": CATEGORY,
        "lat": str(WEST_POINT[1]),
        "long": str(WEST_POINT[0]),
        "description": "Rác thải đổ trộm.",
    }
    first = client.post("/open311/v2/requests.json", body)
    second = client.post("/open311/v2/requests.json", body)
    assert (first.status_code, second.status_code) == (201, 429)
    assert second["Retry-After"].isdigit()


@pytest.mark.django_db
def test_limits_switched_off_let_everything_through(world, settings):
    settings.THROTTLE_ENABLED = False
    settings.THROTTLE_RULES = rules(report_create={"user": "1/hour", "ip": "1/hour"})
    client = world.client("citizen_b")
    assert [
        client.post("/api/v1/reports", REPORT, format="json").status_code for _ in range(3)
    ] == [201, 201, 201]


def test_sign_up_applies_djangos_password_validators():
    """Registration validates the password with AUTH_PASSWORD_VALIDATORS (accounts.services)."""
    import inspect

    from accounts import services

    assert "validate_password(" in inspect.getsource(services.user_register)


@override_settings(THROTTLE_ENABLED=True)
def test_the_rate_of_each_scope_can_be_set_from_the_environment():
    import os
    import subprocess
    import sys

    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.THROTTLE_RULES['report_create']['user'])"
    )
    env = {**os.environ, "THROTTLE_REPORT_CREATE": "7/minute", "DEBUG": "true"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "7/minute"


@pytest.mark.django_db
def test_the_web_sign_in_page_is_limited_per_username(world, client, settings):
    """The sign-in form (a plain Django view) is limited by the middleware on its route."""
    settings.THROTTLE_ENABLED = True
    settings.THROTTLE_RULES = rules(signin={"user": "2/hour", "ip": "100/hour"})
    wrong = {"username": "citizen_b_minh", "password": "sai-mat-khau"}
    statuses = [client.post("/signin", wrong).status_code for _ in range(3)]
    assert statuses[:2] != [429, 429]
    assert statuses[2] == 429
