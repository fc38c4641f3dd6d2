"""Build the simplified per-zoom-band boundary copies the areas tile layer draws from.

It writes only derived data that can be rebuilt at any time (and that the layer does without,
falling back to the subdivided pieces), so unlike importers it needs no dry run. Run it after
importing boundaries with bulk writes; saves through the ORM and generation activation
rebuild the copies by themselves (tiles/receivers.py).
"""

from django.core.management.base import BaseCommand, CommandError

from boundaries.models import Generation
from tiles import services


class Command(BaseCommand):
    help = (
        "Build (or rebuild) the simplified boundary copies used by /tiles/areas/. "
        "Default: the current generation; --generation NAME or --all for others."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generation", help="name of the generation to build")
        parser.add_argument(
            "--all", action="store_true", help="build every area of every generation"
        )

    def handle(self, *args, **options):
        if options["all"] and options["generation"]:
            raise CommandError("give either --generation or --all, not both")
        if options["all"]:
            written = services.area_simplified_build()
            self.stdout.write(f"built {written} simplified copies for every area")
            return
        name = options["generation"]
        generation = (
            Generation.objects.filter(name=name).first() if name else Generation.objects.current()
        )
        if generation is None:
            raise CommandError(
                f"no boundary generation named {name!r}" if name else "no generation is active"
            )
        written = services.area_simplified_build(generation=generation)
        self.stdout.write(f"built {written} simplified copies for generation {generation.name}")
