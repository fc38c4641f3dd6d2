"""E-mail notices about reports, written to an outbox with the change that causes them.

- the handling agency's officials hear of a new report and of one transferred to them;
- the reporter and the report's followers hear of every public status change (except the
  person who made it);
- supervising agencies get a digest of the reports escalated as overdue.

Messages are composed inside the change's transaction (so they describe what is being
committed) and stored there as Notice rows, one per recipient: a change that rolls back
notifies nobody, and one that commits keeps its notices whatever the mail server does. The
sender (`notices_send_due`, run by `manage.py send_notices`) delivers them off the request
path; a notice the server refuses is retried later, at growing intervals, and given up after
MAX_ATTEMPTS. Delivery is at least once: a sender that dies after the server took a message
but before its commit sends it again. Addresses go to the mail backend only; logs carry
counts and tracking codes, never personal data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from reports.deadlines import LOCAL_TZ
from reports.models import Follow, Membership, Notice, Report, Status

logger = logging.getLogger(__name__)

NEW_REPORT_SUBJECT = "[civicpin] Phản ánh mới {code}: {category}"
TRANSFERRED_SUBJECT = "[civicpin] Phản ánh {code} được chuyển đến {agency}"
STATUS_SUBJECT = "[civicpin] Phản ánh {code}: {status}"
NEW_REPORT_BODY = (
    "Phản ánh {code} ({category}) được giao cho {agency}.\nHạn xử lý: {due:%H:%M %d/%m/%Y}.\n"
    "{description}\n"
)
STATUS_BODY = "Phản ánh {code} ({category}) chuyển sang trạng thái: {status}.\n{note}\n"

Message = tuple[str, str, str, list[str]]

# A refused notice is tried again after 1, 2, 4, ... minutes (at most RETRY_MAX_DELAY apart)
# and given up after MAX_ATTEMPTS: about a day of a mail server being away.
MAX_ATTEMPTS = 12
RETRY_FIRST_DELAY = dt.timedelta(minutes=1)
RETRY_MAX_DELAY = dt.timedelta(hours=6)
# Notices a sender claims per transaction: its row locks are held while it talks to the
# mail server, so a batch is small enough to finish well within a minute.
BATCH = 100


@functools.cache
def official_emails_sql() -> str:
    """Active members of an agency (the one parameter) with an e-mail address. Also read by
    a filing's own statement (reports.filing), so a new report's notices cost no query."""
    users = get_user_model()._meta.db_table
    return f"""
        SELECT DISTINCT u.email
        FROM {Membership._meta.db_table} AS m JOIN {users} AS u ON u.id = m.user_id
        WHERE m.agency_id = %s AND u.is_active AND u.email <> ''
    """  # noqa: S608 (table names from model meta; the agency is a parameter)


def _official_emails(agency_id: int | None) -> list[str]:
    """Active members of the agency with an e-mail address."""
    if agency_id is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(official_emails_sql(), [agency_id])
        return sorted(email for (email,) in cursor.fetchall())


def _audience_emails(report: Report, *, exclude_user_id: int | None) -> list[str]:
    """The reporter and every follower of `report`, minus the person who acted."""
    user_ids = set(Follow.objects.filter(report=report).values_list("user_id", flat=True))
    user_ids.add(report.reporter_id)
    user_ids.discard(exclude_user_id)
    emails = (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(set(emails))


def enqueue(messages: list[Message], what: str, code: str = "") -> int:
    """Store `messages` (subject, body, sender, recipients) as notices, one per recipient,
    in the caller's transaction; returns how many. `what` and `code` (the report's tracking
    code) are what the sender's logs say about them."""
    notices = [
        Notice(
            what=what,
            tracking_code=code,
            subject=subject,
            body=body,
            from_email=sender,
            recipient=recipient,
        )
        for subject, body, sender, recipients in messages
        for recipient in recipients
    ]
    Notice.objects.bulk_create(notices)
    return len(notices)


# Stands for the agency's name in a body whose agency the filing statement decides.
_AGENCY_SLOT = "\x00agency\x00"


def _agency_body_around(report: Report) -> tuple[str, str]:
    """What the officials of the report's agency read about it (new or transferred), before
    and after the agency's name."""
    body = NEW_REPORT_BODY.format(
        code=report.tracking_code,
        category=report.category.name,
        agency=_AGENCY_SLOT,
        due=report.due_at.astimezone(LOCAL_TZ),
        description=report.description,
    )
    head, _slot, tail = body.partition(_AGENCY_SLOT)
    return head, tail


def _agency_name(report: Report) -> str:
    return report.agency.name if report.agency_id else "-"


def _agency_body(report: Report) -> str:
    head, tail = _agency_body_around(report)
    return head + _agency_name(report) + tail


def new_report_notice(report: Report) -> tuple[str, str, str]:
    """The subject, body and sender of the notice every official of a new report's agency
    gets; the filing statement writes one per official (reports.filing), so a new report's
    notices cost no statement of their own."""
    subject, head, tail, sender = new_report_notice_around(report)
    return subject, head + _agency_name(report) + tail, sender


def new_report_notice_around(report: Report) -> tuple[str, str, str, str]:
    """`new_report_notice` for a report whose agency is not decided yet: the subject, the
    body before and after the agency's name, and the sender (reports.filing.write_citizen
    puts the name in)."""
    subject = NEW_REPORT_SUBJECT.format(code=report.tracking_code, category=report.category.name)
    head, tail = _agency_body_around(report)
    return subject, head, tail, settings.DEFAULT_FROM_EMAIL


def notify_transferred(report: Report) -> None:
    """Leave a notice for each official of the agency a report was transferred to."""
    subject = TRANSFERRED_SUBJECT.format(code=report.tracking_code, agency=report.agency.name)
    officials = _official_emails(report.agency_id)
    messages = [(subject, _agency_body(report), settings.DEFAULT_FROM_EMAIL, officials)]
    enqueue(messages, "transfer", report.tracking_code)


def notify_status_changed(
    report: Report, *, actor: AbstractBaseUser | None = None, note: str = ""
) -> None:
    """Leave a notice of a public status change for the reporter and the followers."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    recipients = _audience_emails(report, exclude_user_id=actor_id)
    status = Status(report.status).label
    subject = STATUS_SUBJECT.format(code=report.tracking_code, status=status)
    body = STATUS_BODY.format(
        code=report.tracking_code, category=report.category.name, status=status, note=note
    )
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)]
    enqueue(messages, "status", report.tracking_code)


def notify_many_status_changed(report_ids: list[int]) -> None:
    """`notify_status_changed` for each of `report_ids` (the automatic closing run)."""
    for report in Report.objects.filter(pk__in=report_ids).select_related("category"):
        notify_status_changed(report)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long a notice waits after its `attempts`-th failed attempt."""
    return min(RETRY_FIRST_DELAY * 2 ** (attempts - 1), RETRY_MAX_DELAY)


@dataclass(frozen=True)
class Delivery:
    """What one batch of `notices_send_due` did."""

    sent: int = 0
    retried: int = 0  # refused, due again later
    given_up: int = 0  # refused for the last time (failed_at set)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.given_up

    def __add__(self, other: Delivery) -> Delivery:
        return Delivery(
            self.sent + other.sent, self.retried + other.retried, self.given_up + other.given_up
        )


def notices_send_due(*, limit: int = BATCH) -> Delivery:
    """Send up to `limit` due notices, oldest first, and delete each one sent.

    The batch is claimed with FOR UPDATE SKIP LOCKED, so senders running side by side never
    send the same notice. A notice the mail server refuses (or a server that cannot be
    reached) is due again after `retry_delay`; after MAX_ATTEMPTS it is given up and kept
    with `failed_at` and the error's kind for the operators.
    """
    with transaction.atomic():
        due = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(failed_at__isnull=True, next_attempt_at__lte=Now())
            .order_by("next_attempt_at", "id")[:limit]
        )
        if not due:
            return Delivery()
        sent: list[Notice] = []
        refused: list[tuple[Notice, str]] = []
        mail = get_connection(fail_silently=False)
        try:
            mail.open()
        except (OSError, smtplib.SMTPException) as exc:
            refused = [(notice, type(exc).__name__) for notice in due]
        else:
            try:
                for notice in due:
                    message = EmailMessage(
                        notice.subject, notice.body, notice.from_email, [notice.recipient]
                    )
                    try:
                        mail.send_messages([message])
                    except (OSError, smtplib.SMTPException) as exc:
                        refused.append((notice, type(exc).__name__))
                    else:
                        sent.append(notice)
            finally:
                # The messages were taken; a failed QUIT loses none of them.
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    mail.close()
        Notice.objects.filter(pk__in=[n.pk for n in sent]).delete()
        given_up = _refused_update(refused)
    delivery = Delivery(sent=len(sent), retried=len(refused) - given_up, given_up=given_up)
    _log(sent, refused, delivery)
    return delivery


def _refused_update(refused: list[tuple[Notice, str]]) -> int:
    """Count a failed attempt on each refused notice; returns how many were given up."""
    given_up = 0
    for notice, error in refused:
        notice.attempts += 1
        notice.last_error = error[:64]
        if notice.attempts >= MAX_ATTEMPTS:
            notice.failed_at = timezone.now()
            given_up += 1
        else:
            notice.next_attempt_at = timezone.now() + retry_delay(notice.attempts)
    Notice.objects.bulk_update(
        [notice for notice, _ in refused],
        ["attempts", "last_error", "failed_at", "next_attempt_at"],
    )
    return given_up


def _log(sent: list[Notice], refused: list[tuple[Notice, str]], delivery: Delivery) -> None:
    """Counts per kind and tracking code, and the errors' kinds: never an address."""
    if sent:
        logger.info("notices sent: %s", _summary(sent))
    if refused:
        errors = sorted({error for _, error in refused})
        logger.error(
            "notices refused (%s): %s; %s due again later, %s given up",
            ", ".join(errors),
            _summary([notice for notice, _ in refused]),
            delivery.retried,
            delivery.given_up,
        )


def _summary(notices: list[Notice]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for notice in notices:
        key = (notice.what, notice.tracking_code)
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{what} {code}".strip() + f": {n}" for (what, code), n in counts.items())


def notices_send_all_due(*, limit: int = BATCH) -> Delivery:
    """`notices_send_due` in batches until no due notice is left or a batch was refused
    (the rest waits for the server as the refused ones do)."""
    total = Delivery()
    while True:
        batch = notices_send_due(limit=limit)
        total += batch
        if batch.claimed < limit or batch.retried or batch.given_up:
            return total


def notices_purge_given_up() -> int:
    """Delete notices given up more than NOTICES_GIVEN_UP_KEPT_DAYS ago: the operators have
    had them, and their addresses are not kept for ever. Returns how many."""
    cutoff = timezone.now() - dt.timedelta(days=settings.NOTICES_GIVEN_UP_KEPT_DAYS)
    deleted, _ = Notice.objects.filter(failed_at__lt=cutoff).delete()
    if deleted:
        logger.info("given-up notices deleted: %s", deleted)
    return deleted
