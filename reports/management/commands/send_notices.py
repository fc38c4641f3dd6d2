"""Deliver the e-mail outbox (reports.models.Notice): once, or as a long-running worker."""

import signal
import time

from django.core.management.base import BaseCommand, CommandParser

from reports import notifications


class Command(BaseCommand):
    help = (
        "Send the due e-mail notices and delete each one sent; a refused one is retried "
        "later and given up after a day of attempts. With --every N it keeps running and "
        "looks for due notices every N seconds (a worker beside the web server); without it "
        "it sends what is due once (cron). Several may run at once: none sends a notice "
        "another has claimed. Notices given up more than NOTICES_GIVEN_UP_KEPT_DAYS ago are "
        "deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="keep running, looking for due notices every SECONDS (0: once and exit)",
        )

    def handle(self, *args, every: float, **options) -> None:
        if every <= 0:
            self._report(notifications.notices_send_all_due())
            notifications.notices_purge_given_up()
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            delivery = notifications.notices_send_all_due()
            if delivery.claimed:
                self._report(delivery)
            notifications.notices_purge_given_up()
            # Waits in short steps so that a SIGTERM ends the worker within a tenth of a
            # second rather than after a whole interval.
            deadline = time.monotonic() + every
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.1, every))

    def _report(self, delivery: notifications.Delivery) -> None:
        self.stdout.write(
            f"{delivery.sent} notices sent, {delivery.retried} to retry, "
            f"{delivery.given_up} given up"
        )
