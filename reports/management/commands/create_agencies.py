"""Create a People's Committee agency for every area of a level, so a new city routes at once."""

from django.core.management.base import BaseCommand, CommandError

from boundaries.models import Generation, Level
from reports import services
from reports.models import Agency


class Command(BaseCommand):
    help = (
        'Create (idempotently) a "UBND <area name>" agency for each area of --level in the '
        "current generation (or --generation), with that area as its jurisdiction."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--level", required=True, help="Level code, e.g. ward")
        parser.add_argument(
            "--generation", help="Generation name (default: the current one); may be staged"
        )
        parser.add_argument(
            "--supervisor", help="Code of the agency that oversees the new ones (optional)"
        )

    def handle(self, *args, level: str, generation: str | None, supervisor: str | None, **options):
        level_obj = Level.objects.filter(code=level).first()
        if level_obj is None:
            known = ", ".join(Level.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"unknown level {level!r} (known: {known})")
        if generation:
            gen = Generation.objects.filter(name=generation).first()
            if gen is None:
                raise CommandError(f"unknown generation {generation!r}")
        else:
            gen = Generation.objects.current()
            if gen is None:
                raise CommandError("no generation is active; import and activate boundaries first")
        overseer = None
        if supervisor:
            overseer = Agency.objects.filter(code=supervisor).first()
            if overseer is None:
                raise CommandError(f"unknown supervisor agency {supervisor!r}")
        created, existing = services.agencies_create_for_level(
            level=level_obj, generation=gen, supervisor=overseer
        )
        self.stdout.write(
            f"{level_obj.code} agencies in generation {gen.name}: "
            f"{created} created, {existing} already present"
        )
