"""URL routes of the tiles app: /tiles/{layer}/{z}/{x}/{y}.mvt and /tiles/{layer}.json."""

from django.urls import re_path

from tiles import views

app_name = "tiles"

# Coordinates are matched as (possibly negative) integers so an out-of-range value is a 400
# naming it, while a non-number is simply not a tile URL (404).
urlpatterns = [
    re_path(
        r"^(?P<layer>[\w-]+)/(?P<z>-?\d{1,9})/(?P<x>-?\d{1,12})/(?P<y>-?\d{1,12})\.mvt$",
        views.tile,
        name="tile",
    ),
    re_path(r"^(?P<layer>[\w-]+)\.json$", views.tilejson, name="tilejson"),
]
