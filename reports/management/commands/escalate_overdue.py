"""Flag overdue open reports once and notify the supervising agencies. Safe from cron."""

from django.core.management.base import BaseCommand

from reports import services
from reports.models import Report


class Command(BaseCommand):
    help = (
        "Mark every open report past its deadline as escalated (once) and e-mail the "
        "agencies that supervise their handlers. Run it from cron every few minutes; "
        "overlapping runs never escalate a report twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be escalated"
        )

    def handle(self, *args, dry_run: bool, **options) -> None:
        if dry_run:
            count = Report.objects.overdue().filter(escalated_at__isnull=True).count()
            self.stdout.write(f"{count} overdue reports would be escalated")
            return
        escalated = services.reports_escalate_overdue()
        self.stdout.write(f"{len(escalated)} overdue reports escalated")
