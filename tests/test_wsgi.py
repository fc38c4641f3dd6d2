"""The WSGI module a gunicorn worker loads at boot imports the URLconf, so no client's request
pays for importing every view (about two seconds, once per worker start)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
import sys
from django.urls import get_resolver
import geo.wsgi
assert "url_patterns" in vars(get_resolver()), "the URLconf was not imported"
assert "reports.views" in sys.modules and "web.views" in sys.modules
"""


def test_loading_the_wsgi_application_imports_every_view():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


FREEZE = """
import gc, runpy
import geo.wsgi
config = runpy.run_path("geo/gunicorn.conf.py")
config["post_worker_init"](None)
print(gc.get_freeze_count())
"""


def _frozen_after_worker_init(**env: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", FREEZE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1])


def test_a_gunicorn_worker_keeps_the_collector_off_the_loaded_application():
    # Every full collection would otherwise walk the whole application: once per couple of
    # thousand filings, a pause of a few hundred milliseconds in one request.
    assert _frozen_after_worker_init() > 100_000
    assert _frozen_after_worker_init(GUNICORN_GC_FREEZE="false") == 0


def test_gunicorn_parses_requests_with_its_c_parser():
    """geo/gunicorn.conf.py asks for gunicorn's C parser, and gunicorn finds it installed
    (gunicorn_h1c, a dependency) in a version it accepts."""
    import runpy

    from gunicorn.config import Config
    from gunicorn.http.message import _check_fast_parser

    config = Config()
    for name, value in runpy.run_path(str(ROOT / "geo" / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    assert config.http_parser == "fast"
    assert _check_fast_parser(config)
