"""A real gunicorn server on the test database, and HTTP helpers for the reliability tests.

Tests here are transactional (rows are committed, so the server's own connections see them)
with serialized_rollback, which restores the migrated reference data afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import own_process_database_url
from tests.factories.reports import UserFactory
from tests.reports.conftest import (  # noqa: F401 (fixtures shared with the reports suite)
    WEST_POINT,
    city,
    fast_password_hasher,
)
from tests.security.figures import figures_print

ROOT = Path(__file__).resolve().parent.parent.parent
CATEGORY = "rac-thai-sai-quy-dinh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        headers: dict | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict, dict]:
        """One HTTP request on a fresh connection: (status, JSON body or {}, headers)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            try:
                payload = json.loads(raw) if raw else {}
            except ValueError:
                payload = {"raw": raw[:500].decode("utf-8", "replace")}
            return response.status, payload, dict(response.getheaders())
        finally:
            conn.close()


@pytest.fixture
def live_gunicorn(tmp_path):
    """gunicorn (4 workers × 4 threads) serving the project against the test database."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": own_process_database_url(),
        "DEBUG": "true",
        "SECRET_KEY": "reliability-test-secret-key-" + "x" * 40,
        "CIVICPIN_ENV_FILE": "",
        "THROTTLE_ENABLED": "false",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "geo.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "4",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server("127.0.0.1", port, process, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            status, _, _ = server.request("GET", "/healthz", timeout=5)
            if status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"gunicorn did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    yield server
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def citizens(city) -> list[tuple[object, str]]:  # noqa: F811 (city imported above)
    """Ten citizens with tokens, committed so the server sees them."""
    users = [UserFactory(username=f"taiphu{i:02d}") for i in range(10)]
    return [(user, Token.objects.create(user=user).key) for user in users]


def report_body(n: int) -> dict:
    """A valid report inside the west ward, its text numbered so each key has its own body."""
    return {
        "category": CATEGORY,
        "description": f"Rác thải đổ trộm, lần {n}.",
        "location": {"type": "Point", "coordinates": list(WEST_POINT)},
    }


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures_print(terminalreporter)
