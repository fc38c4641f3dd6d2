"""URL routes of the analytics app, below /api/v1/analytics/."""

from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("heatmap", views.HeatmapView.as_view(), name="heatmap"),
    path("hexbins", views.HexbinsView.as_view(), name="hexbins"),
    path("hotspots", views.HotspotsView.as_view(), name="hotspots"),
    path("clusters", views.ClustersView.as_view(), name="clusters"),
    path("performance", views.PerformanceView.as_view(), name="performance"),
]
