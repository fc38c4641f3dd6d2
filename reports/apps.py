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

        # The cached working calendar follows every change to the holiday table.
        from django.db.models.signals import post_delete, post_save

        from reports.deadlines import calendar_forget
        from reports.models import Holiday

        for signal in (post_save, post_delete):
            signal.connect(calendar_forget, sender=Holiday, dispatch_uid="reports.calendar_forget")
