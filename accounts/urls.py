"""URL routes of the accounts app (mounted at /api/v1/)."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("auth/register", views.RegisterView.as_view(), name="register"),
]
