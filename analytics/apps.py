"""Planning analytics: heat maps, hexagon bins, hot spots, clusters and unit performance."""

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"
