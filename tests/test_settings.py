"""Settings come from the environment and refuse unsafe production configurations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOAD_SETTINGS = (
    "import django; from django.conf import settings; django.setup(); print(settings.DEBUG)"
)


def run_settings(
    code: str = LOAD_SETTINGS, *, unset: tuple[str, ...] = (), **env_overrides: str
) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter with no .env file and a controlled environment."""
    removed = {"SECRET_KEY", "DEBUG", *unset}
    env = {k: v for k, v in os.environ.items() if k not in removed}
    env.update({"DJANGO_SETTINGS_MODULE": "geo.settings", "CIVICPIN_ENV_FILE": ""})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    result = run_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_mode_may_run_without_a_secret_key():
    result = run_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_starts_with_a_secret_key():
    result = run_settings(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "expression", "expected"),
    [
        ("TIME_ZONE", "", "settings.TIME_ZONE", "Asia/Ho_Chi_Minh"),
        ("LANGUAGE_CODE", "", "settings.LANGUAGE_CODE", "vi"),
        (
            "DATABASE_URL",
            "postgis://u:p@db.example:6543/city",
            "settings.DATABASES['default']['HOST']",
            "db.example",
        ),
        (
            "ALLOWED_HOSTS",
            "civicpin.hanoi.gov.vn,localhost",
            "settings.ALLOWED_HOSTS[0]",
            "civicpin.hanoi.gov.vn",
        ),
        ("EMAIL_HOST", "smtp.hanoi.gov.vn", "settings.EMAIL_HOST", "smtp.hanoi.gov.vn"),
        ("EMAIL_PORT", "587", "settings.EMAIL_PORT", "587"),
        ("EMAIL_USE_TLS", "true", "settings.EMAIL_USE_TLS", "True"),
        ("EMAIL_TIMEOUT", "", "settings.EMAIL_TIMEOUT", "10.0"),
    ],
)
def test_settings_read_the_environment(variable, value, expression, expected):
    overrides = {variable: value} if value else {}
    code = f"import django; from django.conf import settings; print({expression})"
    result = run_settings(code, unset=(variable,), DEBUG="true", **overrides)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
