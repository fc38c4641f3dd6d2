"""E-mail notices about reports, sent only after the change that caused them commits.

- the handling agency's officials hear of a new report and of one transferred to them;
- the reporter and the report's followers hear of every public status change (except the
  person who made it).

Messages are composed inside the transaction (so they describe what is being committed) and
handed to `transaction.on_commit`: a change that rolls back never notifies anyone. A mail
server that fails is logged and the change's answer stands; those notices are not retried.
Addresses go to the mail backend only; logs carry counts and tracking codes, never personal
data.
"""

from __future__ import annotations

import functools
import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mass_mail
from django.db import connection, transaction

from reports.deadlines import LOCAL_TZ
from reports.models import Follow, Membership, Report, Status

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


def _send_after_commit(messages: list[Message], what: str, code: str) -> None:
    messages = [m for m in messages if m[3]]
    if not messages:
        return

    def send() -> None:
        # After the commit the change stands whatever the mail server does: a refused or
        # unreachable server must not turn a stored report into an error answer (the client
        # would file it again). Only the error's kind is logged: an SMTP error's text can
        # carry the recipients' addresses.
        try:
            sent = send_mass_mail(messages, fail_silently=False)
        except (OSError, smtplib.SMTPException) as exc:
            logger.error("%s notices for %s not sent: %s", what, code, type(exc).__name__)
            return
        logger.info("%s notices for %s sent: %s", what, code, sent)

    transaction.on_commit(send)


def _notify_agency(
    report: Report, subject: str, what: str, officials: list[str] | None = None
) -> None:
    """Tell the officials of the report's agency about it (after commit); `officials` are
    their e-mails when the caller has read them already."""
    body = NEW_REPORT_BODY.format(
        code=report.tracking_code,
        category=report.category.name,
        agency=report.agency.name if report.agency_id else "-",
        due=report.due_at.astimezone(LOCAL_TZ),
        description=report.description,
    )
    if officials is None:
        officials = _official_emails(report.agency_id)
    messages = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in sorted(officials)
    ]
    _send_after_commit(messages, what, report.tracking_code)


def notify_new_report(report: Report, *, officials: list[str] | None = None) -> None:
    """Tell the officials of the agency a new report was assigned to (after commit);
    `officials` as in `_notify_agency`."""
    subject = NEW_REPORT_SUBJECT.format(code=report.tracking_code, category=report.category.name)
    _notify_agency(report, subject, "new report", officials)


def notify_transferred(report: Report) -> None:
    """Tell the officials of the agency a report was transferred to (after commit)."""
    subject = TRANSFERRED_SUBJECT.format(code=report.tracking_code, agency=report.agency.name)
    _notify_agency(report, subject, "transfer")


def notify_status_changed(
    report: Report, *, actor: AbstractBaseUser | None = None, note: str = ""
) -> None:
    """Tell the reporter and followers of a public status change (after commit)."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    recipients = _audience_emails(report, exclude_user_id=actor_id)
    status = Status(report.status).label
    subject = STATUS_SUBJECT.format(code=report.tracking_code, status=status)
    body = STATUS_BODY.format(
        code=report.tracking_code, category=report.category.name, status=status, note=note
    )
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    _send_after_commit(messages, "status", report.tracking_code)


def notify_many_status_changed(report_ids: list[int]) -> None:
    """`notify_status_changed` for each of `report_ids` (the automatic closing run)."""
    for report in Report.objects.filter(pk__in=report_ids).select_related("category"):
        notify_status_changed(report)
