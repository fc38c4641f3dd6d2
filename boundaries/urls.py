"""URL routes of the boundaries app."""

from django.urls import path  # noqa: F401

app_name = "boundaries"

urlpatterns: list = []
