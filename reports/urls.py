"""URL routes of the reports app (mounted at /api/v1/)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("categories", views.CategoryListView.as_view(), name="category-list"),
    path("agencies", views.AgencyListView.as_view(), name="agency-list"),
    path("me/reports", views.MyReportListView.as_view(), name="my-report-list"),
    path("reports", views.ReportListCreateView.as_view(), name="report-list"),
    path("reports/<str:code>", views.ReportDetailView.as_view(), name="report-detail"),
    path(
        "reports/<str:code>/transition",
        views.ReportTransitionView.as_view(),
        name="report-transition",
    ),
    path("reports/<str:code>/transfer", views.ReportTransferView.as_view(), name="report-transfer"),
    path("reports/<str:code>/deadline", views.ReportDeadlineView.as_view(), name="report-deadline"),
]
