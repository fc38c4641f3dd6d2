"""Top-level URL map: each app owns its own routes below these prefixes."""

from django.contrib import admin
from django.urls import path

from geo import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
