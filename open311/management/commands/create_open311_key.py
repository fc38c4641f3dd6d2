"""Register an Open311 client application and print its API key (shown once)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from open311 import services
from open311.models import ApiClient


class Command(BaseCommand):
    help = "Create an Open311 API client NAME and print its new API key (only a hash is kept)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The client application's name, unique.")
        parser.add_argument("--contact", default="", help="Who runs the application.")

    def handle(self, *args, name: str, contact: str, **options) -> None:
        if not name.strip():
            raise CommandError("NAME must not be empty.")
        if ApiClient.objects.filter(name=name.strip()).exists():
            raise CommandError(f"An Open311 client named {name.strip()!r} already exists.")
        try:
            client, key = services.api_client_create(name=name, contact=contact)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(key)
        self.stderr.write(f"Created Open311 client {client.name!r}; the key above is shown once.")
