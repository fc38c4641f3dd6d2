"""URL routes of the reports app (mounted at /api/v1/)."""

from django.urls import path

from reports import express, views

app_name = "reports"

urlpatterns = [
    path("categories", views.CategoryListView.as_view(), name="category-list"),
    path("agencies", views.AgencyListView.as_view(), name="agency-list"),
    path("me/reports", views.MyReportListView.as_view(), name="my-report-list"),
    # A citizen's JSON filing first takes one statement (reports.express), else the view.
    path(
        "reports",
        express.citizen_filing_first(views.ReportListCreateView.as_view()),
        name="report-list",
    ),
    # Before reports/<code>, so "nearby" is never read as a tracking code.
    path("reports/nearby", views.ReportNearbyView.as_view(), name="report-nearby"),
    path("reports/<str:code>", views.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<str:code>/support", views.ReportSupportView.as_view(), name="report-support"),
    path("reports/<str:code>/confirm", views.ReportConfirmView.as_view(), name="report-confirm"),
    path(
        "reports/<str:code>/not-fixed", views.ReportNotFixedView.as_view(), name="report-not-fixed"
    ),
    path("reports/<str:code>/redact", views.ReportRedactView.as_view(), name="report-redact"),
    path(
        "reports/<str:code>/transition",
        views.ReportTransitionView.as_view(),
        name="report-transition",
    ),
    path("reports/<str:code>/transfer", views.ReportTransferView.as_view(), name="report-transfer"),
    path("reports/<str:code>/deadline", views.ReportDeadlineView.as_view(), name="report-deadline"),
    path("reports/<str:code>/notes", views.ReportNoteView.as_view(), name="report-note"),
]
