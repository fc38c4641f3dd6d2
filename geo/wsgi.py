"""WSGI entry point for production servers such as gunicorn."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
application = get_wsgi_application()

# Import the URLconf, and with it every view module (maps, analytics, the API), while the
# worker boots rather than in the first request it serves: Django imports it lazily, and that
# first request took about two seconds (measured on the benchmark's list case), a stall a
# client met after every worker start and every max_requests restart. gunicorn's workers load
# this module before they accept connections.
get_resolver().url_patterns  # noqa: B018 (evaluated for its import)
