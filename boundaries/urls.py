"""URL routes of the boundaries app, included under /api/v1/."""

from django.urls import path

from boundaries import views

app_name = "boundaries"

urlpatterns = [
    path("lookup", views.LookupView.as_view(), name="lookup"),
    path("areas", views.AreaListView.as_view(), name="areas"),
    path("areas/<str:code>", views.AreaDetailView.as_view(), name="area-detail"),
]
