"""Close resolved reports nobody answered within 7 days. Safe from cron."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from reports import services
from reports.models import Report, Status


class Command(BaseCommand):
    help = (
        "Close every report resolved more than 7 days ago that its reporter and followers "
        "neither confirmed nor reported as not fixed, and tell them. Run it from cron (hourly "
        "is plenty); it is idempotent and overlapping runs never close a report twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be closed"
        )

    def handle(self, *args, dry_run: bool, **options) -> None:
        if dry_run:
            cutoff = timezone.now() - services.FEEDBACK_WINDOW
            count = Report.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff).count()
            self.stdout.write(f"{count} resolved reports would be closed")
            return
        closed = services.reports_close_stale_resolved()
        self.stdout.write(f"{len(closed)} resolved reports closed after the feedback window")
