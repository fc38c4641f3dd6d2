"""The pages, mounted at the site root after every API route (see geo/urls.py)."""

from django.contrib.auth.views import LogoutView
from django.urls import include, path

from web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("report", views.report_new, name="report-new"),
    path("r/<str:code>", views.report_page, name="report-page"),
    path("signin", views.SignInView.as_view(), name="signin"),
    path("signout", LogoutView.as_view(next_page="web:home"), name="signout"),
    path("signup", views.signup, name="signup"),
    path("official/", views.official_queue, name="official"),
    path("official/r/<str:code>", views.official_report, name="official-report"),
    path("planning/", views.planning, name="planning"),
    path("planning/hotspots.<str:fmt>", views.planning_download, name="planning-download"),
    path("i18n/", include("django.conf.urls.i18n")),
]
