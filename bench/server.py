"""Servers on loopback for the HTTP cases: ours under gunicorn, and TiPg for comparison."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "18765"))
BASE_URL = f"http://127.0.0.1:{PORT}"
TIPG_PORT = PORT + 1
TIPG_URL = f"http://127.0.0.1:{TIPG_PORT}"
# More gunicorns, beside the first, for a case that compares settings side by side.
SECOND_PORT = PORT + 2
THIRD_PORT = PORT + 3


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int | None = None,
    env: dict[str, str] | None = None,
    port: int = PORT,
) -> Iterator[str]:
    """The production server (gunicorn with the project's production settings, one worker
    per core) on the benchmark database; yields its base URL."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CIVICPIN_ENV_FILE": "",
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on loopback stands in for the TLS-terminating proxy of a deployment.
        "SECURE_SSL_REDIRECT": "false",
        **(env or {}),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        f"--config={ROOT / 'geo' / 'gunicorn.conf.py'}",
        "geo.wsgi",
        f"--workers={workers or os.cpu_count() or 2}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]
    base = f"http://127.0.0.1:{port}"
    with _serving(command, environment, port, f"{base}/healthz"):
        yield base


@contextlib.contextmanager
def tipg(libpq_url: str) -> Iterator[str]:
    """TiPg, the dedicated PostGIS tile server, over the same database (same worker count)."""
    uvicorn = ROOT / ".venv-tipg" / "bin" / "uvicorn"
    if not uvicorn.exists():
        raise RuntimeError("TiPg is not installed; `make bench` installs it in .venv-tipg")
    environment = {**os.environ, "DATABASE_URL": libpq_url, "TIPG_DB_SCHEMAS": '["public"]'}
    command = [
        str(uvicorn),
        "tipg.main:app",
        f"--port={TIPG_PORT}",
        f"--workers={os.cpu_count() or 2}",
        "--log-level=warning",
    ]
    with _serving(command, environment, TIPG_PORT, f"{TIPG_URL}/collections"):
        yield TIPG_URL


@contextlib.contextmanager
def _serving(command: list[str], env: dict[str, str], port: int, ready: str) -> Iterator[None]:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already in use; set BENCH_PORT to a free one")
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        _wait_ready(process, ready)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _wait_ready(process: subprocess.Popen, url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in time")
