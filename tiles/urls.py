"""URL routes of the tiles app."""

from django.urls import path  # noqa: F401

app_name = "tiles"

urlpatterns: list = []
