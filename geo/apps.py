from django.apps import AppConfig


class GeoConfig(AppConfig):
    """The project package is also an app, so it can own project-wide commands (load_demo)."""

    name = "geo"
    verbose_name = "civicpin"
