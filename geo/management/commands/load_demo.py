"""Load the demo city so `make demo` shows something real on a machine with no outside files."""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app contributes one idempotent builder; they run in dependency order.
DEMO_STEPS: list[str] = [
    "boundaries.demo.load_demo_city",
    "reports.demo.load_demo_reports",
]


class Command(BaseCommand):
    help = "Load (or refresh) the generated demo city. Safe to run repeatedly."

    def handle(self, *args, **options) -> None:
        if not DEMO_STEPS:
            self.stdout.write("No demo data is defined yet.")
            return
        for dotted in DEMO_STEPS:
            module_name, func_name = dotted.rsplit(".", 1)
            step = getattr(import_module(module_name), func_name)
            with transaction.atomic():
                summary = step()
            self.stdout.write(f"{dotted}: {summary}")
