"""Make a staged boundary generation the current one."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from boundaries import services
from boundaries.models import Generation

GENERATION_UNKNOWN = "unknown generation {name!r}; generations: {known}"


class Command(BaseCommand):
    help = (
        "Activate a staged generation: lookups answer from it from now on, and listeners "
        "(report re-routing) follow in the same transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the generation's name")

    def handle(self, *args, **options) -> None:
        name = options["name"]
        generation = Generation.objects.filter(name=name).first()
        if generation is None:
            known = ", ".join(Generation.objects.values_list("name", flat=True)) or "none"
            raise CommandError(GENERATION_UNKNOWN.format(name=name, known=known))
        try:
            services.generation_activate(generation=generation)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"generation {name!r} is now the current generation")
