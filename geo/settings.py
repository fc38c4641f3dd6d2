"""civicpin settings, read from the environment (and a local `.env` in development).

Every deployment difference is an environment variable, so the same code runs in a
developer's checkout, in CI and in the city's data centre.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# CIVICPIN_ENV_FILE lets tests and deployments choose (or disable, with "") the env file.
_env_file = env.str("CIVICPIN_ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    env.read_env(_env_file)

DEBUG = env.bool("DEBUG", default=False)

# Development may run without a secret; production must never silently fall back to one.
_DEV_SECRET_KEY = "django-insecure-civicpin-development-only"  # noqa: S105 (DEBUG only)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. It may be absent only when DEBUG is on; "
            "set SECRET_KEY in the environment for any other deployment."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "geo",
    "boundaries",
    "reports",
    "accounts",
    "tiles",
    "analytics",
    "web",
    "open311",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "geo.urls"
WSGI_APPLICATION = "geo.wsgi.application"
ASGI_APPLICATION = "geo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# postgis://user:password@host:port/name; an empty host means the local socket.
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgis://civicpin:civicpin@127.0.0.1:5432/civicpin")
}
# GeoDjango's PostGIS backend with a health check that polls the socket (geo/postgis/base.py).
DATABASES["default"]["ENGINE"] = "geo.postgis"
# Reuse connections, but check them first so a restarted database is survived.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", 5))
# Parameters bound by the server, and a statement run five times on a connection prepared
# there, so it is parsed and planned once: planning was most of the time of the short
# statements on the hot paths (the covering-area lookup plans in 0.75 ms and runs in 0.13 ms).
# Behind a transaction-pooling PgBouncer older than 1.21 set DB_PREPARED_STATEMENTS=false.
# Statements that must travel as one simple-protocol message (several in one string) use
# connection.simple_cursor() (geo/postgis/base.py).
DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
    5 if env.bool("DB_PREPARED_STATEMENTS", default=True) else None
)
# Every session plans without JIT compilation and without parallel workers. The app's
# statements are short and run side by side, one per web worker; the planner prices PostGIS
# functions high, so it JIT-compiled and parallelised tiles: a z16 tile of 7,500 reports took
# 62 ms with both, 24 ms without (the compile alone ~30 ms; two workers fought the web server
# for a 2-core machine). Set for the session they cost no statement of their own (a tile had
# sent them as a second statement on every request). The bulk statement that wants parallel
# workers asks for them (reports.routing.PARALLEL_PLANNING). Behind a pooler that refuses
# startup options, set DB_SESSION_OPTIONS="" and give the database role these settings.
_SESSION_OPTIONS = env.str(
    "DB_SESSION_OPTIONS", default="-c jit=off -c max_parallel_workers_per_gather=0"
)
if _SESSION_OPTIONS:
    DATABASES["default"]["OPTIONS"].setdefault("options", _SESSION_OPTIONS)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="vi")
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploads (report photos: at most 4 of 10 MB, checked in reports/photos.py). Files above
# FILE_UPLOAD_MAX_MEMORY_SIZE spool to a temporary file instead of memory; the non-file part
# of a body is capped by DATA_UPLOAD_MAX_MEMORY_SIZE (answered 413). The web server caps the
# whole body (e.g. nginx client_max_body_size 45m).
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_PERMISSIONS = 0o644

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "reports.exceptions.api_exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "civicpin API",
    "DESCRIPTION": "Citizen field reports for Hanoi: intake, routing, workflow, analytics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Days an API token is accepted after it was issued (0: until revoked). Signing in again
# after that gives a new token; DELETE /api/v1/auth/token revokes one at once.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)

# ModelBackend's answers with a user's groups and permissions read in one query.
AUTHENTICATION_BACKENDS = ["accounts.backends.RoleBackend"]

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://civicpin")}

# Vector tiles: the cache alias that holds rendered tiles, and how long browsers and proxies
# may keep them (seconds). Report tiles carry statuses, so theirs is short; boundaries change
# only when a generation is activated.
TILES_CACHE_ALIAS = env.str("TILES_CACHE_ALIAS", default="default")
TILES_REPORTS_MAX_AGE = env.int("TILES_REPORTS_MAX_AGE", default=60)
TILES_AREAS_MAX_AGE = env.int("TILES_AREAS_MAX_AGE", default=3600)
# Seconds a process reuses the data versions that key cached tiles (tiles/selectors.py): a
# write in another worker reaches this one's tiles within that time. 0 reads them per tile.
TILES_VERSION_TTL = env.float("TILES_VERSION_TTL", default=1.0)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="civicpin <no-reply@civicpin.local>")
# The SMTP server of `django.core.mail.backends.smtp.EmailBackend`. Notices wait in the
# outbox (reports.models.Notice) and `manage.py send_notices` sends them, never a request: a
# server that does not answer within EMAIL_TIMEOUT seconds puts the batch off to a later
# attempt (reports/notifications.py).
# Days a notice given up after every retry stays in the outbox for the operators (with its
# address) before `send_notices` deletes it.
NOTICES_GIVEN_UP_KEPT_DAYS = env.int("NOTICES_GIVEN_UP_KEPT_DAYS", default=30)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)

# How far outside every polygon a point may fall and still be routed to the nearest area.
# GPS on a phone in a dense street is commonly off by tens of metres; 100 m forgives that
# without pulling in reports from across a provincial border.
BOUNDARIES_EDGE_TOLERANCE_M = env.float("BOUNDARIES_EDGE_TOLERANCE_M", default=100.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# ----- Security, abuse limits and operations (issue 10; owner: geo/middleware.py) -----------
# Project middleware: metrics time everything (outermost after SecurityMiddleware), the CSP
# header goes on every answer, and the database-outage, rate-limit and audit layers need the
# user, so they sit after AuthenticationMiddleware.
MIDDLEWARE.insert(1, "geo.middleware.MetricsMiddleware")
MIDDLEWARE.insert(2, "geo.middleware.ContentSecurityPolicyMiddleware")
_AUTH_MW = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE[_AUTH_MW + 1 : _AUTH_MW + 1] = [
    "geo.middleware.DatabaseUnavailableMiddleware",
    "geo.middleware.RateLimitMiddleware",
    "geo.middleware.AuditMiddleware",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["geo.throttles.RouteThrottle"]

# Rate limits (geo/throttles.py). Routes are "METHOD namespace:url_name"; `user` counts per
# signed-in user (for sign-in: per username tried), `ip` per client address. Rates are
# env-overridable: THROTTLE_REPORT_CREATE="20/hour", THROTTLE_REPORT_CREATE_IP="60/hour", ...
THROTTLE_ENABLED = env.bool("THROTTLE_ENABLED", default=True)
THROTTLE_CACHE_ALIAS = env.str("THROTTLE_CACHE_ALIAS", default="default")
THROTTLE_TRUSTED_PROXY_HOPS = env.int("THROTTLE_TRUSTED_PROXY_HOPS", default=0)
THROTTLE_RULES = {
    "report_create": {
        "routes": ["POST reports:report-list", "POST open311:request-list", "POST web:report-new"],
        "user": env.str("THROTTLE_REPORT_CREATE", default="20/hour"),
        "ip": env.str("THROTTLE_REPORT_CREATE_IP", default="60/hour"),
    },
    "signup": {
        "routes": ["POST accounts:register", "POST web:signup"],
        "ip": env.str("THROTTLE_SIGNUP_IP", default="10/hour"),
    },
    "signin": {
        "routes": ["POST accounts:token", "POST web:signin", "POST admin:login"],
        "user": env.str("THROTTLE_SIGNIN", default="10/hour"),
        "ip": env.str("THROTTLE_SIGNIN_IP", default="30/hour"),
    },
}

# Content-Security-Policy (geo.middleware): inline scripts need nonce="{{ request.csp_nonce }}".
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
CSP_IMG_SRC_EXTRA = env.list("CSP_IMG_SRC_EXTRA", default=[])

# Prometheus text at /metrics (geo.metrics), off unless asked for; optional bearer token.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
DATABASE_RETRY_AFTER = env.int("DATABASE_RETRY_AFTER", default=5)

# The audit log (geo/audit.py) goes through the root handlers; route it to durable storage.
LOGGING.setdefault("loggers", {})["civicpin.audit"] = {"level": "INFO"}

# HTTPS and cookies: safe production defaults whenever DEBUG is off; each is env-overridable
# (e.g. SECURE_SSL_REDIRECT=false when a proxy already redirects). Behind a TLS-terminating
# proxy set SECURE_PROXY_SSL_HEADER_NAME=HTTP_X_FORWARDED_PROTO.
_PROD = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_PROD)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _PROD else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_PROD)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_PROD)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_PROD)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_PROD)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if env.str("SECURE_PROXY_SSL_HEADER_NAME", default=""):
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER_NAME"), "https")
# gis.W001 (GDAL < 3.9 cannot stop a crafted spatial reference from reading files or the
# network) cannot be fixed on Debian bookworm's GDAL 3.6. Mitigation: user input never reaches
# GDAL/OGR or GEOSGeometry as text; points are parsed by our own code (json, finite numbers,
# ranges) into Point(lon, lat, srid=4326), and the admin map widget parses GeoJSON itself.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "gis.W001"]
# ----- end of the security block ---------------------------------------------------------
