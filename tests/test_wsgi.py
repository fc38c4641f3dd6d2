"""The WSGI module a gunicorn worker loads at boot imports the URLconf, so no client's request
pays for importing every view (about two seconds, once per worker start)."""

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
