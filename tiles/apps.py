"""Mapbox Vector Tiles served straight from PostGIS."""

from django.apps import AppConfig


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = "Vector tiles"

    def ready(self) -> None:
        """Listen to the writes that change what tiles show (see tiles/receivers.py)."""
        from django.db.models.signals import post_delete, post_save

        from boundaries.models import Area, Level
        from boundaries.signals import areas_imported, generation_activated
        from reports import filing
        from reports.models import Agency, Category, Report
        from reports.signals import reports_bulk_changed
        from tiles import receivers, services

        for model in (Report, Category, Agency):
            for signal in (post_save, post_delete):
                signal.connect(
                    receivers.report_data_changed,
                    sender=model,
                    dispatch_uid=f"tiles:{signal is post_save}:{model._meta.label}",
                )
        post_save.connect(receivers.area_saved, sender=Area, dispatch_uid="tiles:area_saved")
        post_delete.connect(
            receivers.area_data_changed, sender=Area, dispatch_uid="tiles:area_deleted"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.area_data_changed,
                sender=Level,
                dispatch_uid=f"tiles:{signal is post_save}:level",
            )
        generation_activated.connect(
            receivers.generation_activated, dispatch_uid="tiles:generation_activated"
        )
        areas_imported.connect(receivers.areas_imported, dispatch_uid="tiles:areas_imported")
        reports_bulk_changed.connect(
            receivers.reports_bulk_changed, dispatch_uid="tiles:reports_bulk_changed"
        )
        # A new report's filing statement gives report tiles their new version itself, in
        # its own commit: one round trip and one commit less on every filing.
        filing.also_write(services.FILING_BUMP, services.filing_version_bump_sql)
