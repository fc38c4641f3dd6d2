"""Citizen reports: intake, routing, workflow, deadlines and the API."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Open reports follow a boundary change inside the activation transaction: if
        # re-routing fails, the new generation is not activated either.
        from boundaries.signals import generation_activated
        from reports.services import on_generation_activated

        generation_activated.connect(
            on_generation_activated, dispatch_uid="reports.reroute_on_generation_activated"
        )

        # Cached reference data follows every change to its table.
        from geo.refcache import forget_on_change
        from reports.deadlines import CALENDAR_CACHE_KEY
        from reports.models import Category, Holiday
        from reports.selectors import CATEGORIES_CACHE_KEY

        forget_on_change(Holiday, CALENDAR_CACHE_KEY)
        forget_on_change(Category, CATEGORIES_CACHE_KEY)
