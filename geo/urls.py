"""Top-level URL map: each app owns its own routes below these prefixes."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from geo import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("boundaries.urls")),
    path("api/v1/", include("reports.urls")),
    path("api/v1/", include("accounts.urls")),
    path("tiles/", include("tiles.urls")),
    path("api/v1/analytics/", include("analytics.urls")),
    path("open311/v2/", include("open311.urls")),
    # Uploaded photos: Django serves MEDIA_URL only with DEBUG on (static() is empty
    # otherwise); in production the web server or the object store serves them.
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
    # The web pages last, so they never shadow /api/, /tiles/, /admin/, /healthz, /open311/.
    path("", include("web.urls")),
]
