"""Writes to reports. A report's whole life is these functions; each change writes its event
in the same transaction, so the timeline can never disagree with the report.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from boundaries.models import Area, Generation, Level
from geo.crs import WGS84
from reports import exceptions, filing, notifications, permissions, photos, routing
from reports.deadlines import LOCAL_TZ, calendar_load
from reports.models import (
    OPEN_STATUSES,
    Agency,
    AgencyKind,
    Category,
    EventKind,
    Follow,
    IdempotencyKey,
    PhotoKind,
    Rating,
    Redaction,
    RedactionTarget,
    Report,
    ReportEvent,
    ReportPhoto,
    Status,
)
from reports.signals import reports_bulk_changed

logger = logging.getLogger(__name__)

# The workflow as data: for each status, the statuses an official may move a report to.
# "resolved → in_progress" reopens a report whose fix did not hold; closed, rejected and
# duplicate are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.IN_PROGRESS, Status.REJECTED, Status.DUPLICATE}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.DUPLICATE: frozenset(),
}
# Statuses after which nothing more happens; `closed_at` records when a report reached one.
FINAL_STATUSES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)

# Crockford's base32 (no I, L, O, U): 10 characters are 50 random bits, unguessable by
# enumeration and short enough to read over the phone.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 10

DESCRIPTION_MAX = 5000
NOTE_MAX = 2000
MAX_EXTENSION_DAYS = 60

DUPLICATE_NEEDS_ORIGINAL = "Marking a report as duplicate needs the original report."
DUPLICATE_OF_ITSELF = "A report cannot be a duplicate of itself."
DUPLICATE_OF_DUPLICATE = "The original report {code} is itself a duplicate; link to its original."
TRANSFER_NEEDS_REASON = "A transfer needs a reason."
TRANSFER_SAME_AGENCY = "The report is already with {agency}."
TRANSFER_INACTIVE_AGENCY = "{agency} does not take reports."
TRANSFER_NOT_OPEN = "Only open reports can be transferred."
EXTEND_NEEDS_REASON = "A deadline extension needs a reason."
EXTEND_NOT_OPEN = "Only open reports can have their deadline extended."
EXTEND_DAYS_RANGE = f"An extension is between 1 and {MAX_EXTENSION_DAYS} working days."
ESCALATION_NOTE = "Quá hạn xử lý; đã báo cáo cơ quan giám sát."
ESCALATION_SUBJECT = "[civicpin] {count} phản ánh quá hạn của {agency}"
TRANSFER_NOTE = "Chuyển từ {old} đến {new}: {reason}"
EXTEND_NOTE = "Gia hạn đến {due:%H:%M %d/%m/%Y}: {reason}"
AFTER_PHOTO_ONLY_ON_RESOLVE = "An after photo can only be attached when resolving a report."


# A random byte masked to five bits picks each of the 32 letters alike (256 = 8 × 32;
# tests/reports/test_workflow.py keeps the alphabet at 32 distinct letters).
_TRACKING_MASK = len(TRACKING_ALPHABET) - 1


def tracking_code_new() -> str:
    """A fresh random tracking code (uniqueness is enforced by the database), from one read
    of the system's random source rather than one per letter: it is drawn on every filing."""
    return "".join(
        TRACKING_ALPHABET[b & _TRACKING_MASK] for b in secrets.token_bytes(TRACKING_LENGTH)
    )


def _event(
    report: Report,
    *,
    kind: str,
    actor: AbstractBaseUser | None,
    old_status: str = "",
    new_status: str = "",
    note: str = "",
    public: bool = True,
    from_agency: Agency | None = None,
    to_agency: Agency | None = None,
    at: dt.datetime | None = None,
) -> ReportEvent:
    return ReportEvent.objects.create(
        report=report,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        old_status=old_status,
        new_status=new_status,
        note=note,
        public=public,
        from_agency=from_agency,
        to_agency=to_agency,
        created_at=at or timezone.now(),
    )


# The related rows report_create has just loaded itself (see the full_clean there).
_LOADED_RELATIONS = ("category", "area", "generation", "agency", "reporter")


# The unique constraint PostgreSQL gives Report.tracking_code (unique=True, default naming).
_TRACKING_CODE_CONSTRAINT = "reports_report_tracking_code_key"
_FILING_ATTEMPTS = 5


def report_create(
    *,
    reporter: AbstractBaseUser,
    category: Category,
    description: str,
    location: Point | None = None,
    accuracy_m: float | None = None,
    public_identity: bool = False,
    photos_prepared: Sequence[photos.PreparedPhoto] = (),
    idempotency: tuple[str, str] | None = None,
) -> Report:
    """File a report: route it, set its deadline, store it with its "created" event and its
    photos, and a notice to each of the handling agency's officials (the outbox).

    Raises NotRouted (nothing stored) when the point is outside every area or nobody
    handles the category there. Photos are checked before this is called
    (`photos.photo_prepare`); their files are deleted again if the report rolls back. The
    report carries `photos_filed` and `duplicates_at_filing` (open reports of its category
    nearby, as `selectors.reports_possible_duplicates` gives them) for the filer's answer.
    `idempotency` is the client's (Idempotency-Key, request hash), stored with the report
    (see report_create_idempotent).
    """
    if location is not None and location.srid != WGS84:
        raise ValidationError({"location": "Locations are WGS 84 longitude/latitude."})
    if len(photos_prepared) > photos.MAX_PHOTOS:
        raise ValidationError({"photos": photos.PHOTO_TOO_MANY})
    route = routing.route_point(
        category=category,
        lon=location.x if location is not None else None,
        lat=location.y if location is not None else None,
    )
    now = timezone.now()
    report = Report(
        category=category,
        description=description,
        location=location,
        accuracy_m=accuracy_m,
        area=route.area,
        generation=route.generation,
        agency=route.agency,
        reporter=reporter,
        status=Status.RECEIVED,
        created_at=now,
        due_at=calendar_load().due_at(now, category.deadline_days),
        public_identity=public_identity,
    )
    # Field validation runs; what it would re-ask the database does not. The related
    # rows were read moments ago (checking each again cost five queries), and the CHECK
    # constraints are enforced by PostgreSQL on the insert (checking each in Python cost a
    # savepoint round trip). Together that was a third of the queries of every new report.
    report.full_clean(exclude=["tracking_code", *_LOADED_RELATIONS], validate_constraints=False)
    event = ReportEvent(
        report=report,
        kind=EventKind.CREATED,
        actor=reporter if reporter.is_authenticated else None,
        new_status=Status.RECEIVED,
        created_at=now,
    )
    key = None
    if idempotency is not None:
        key = IdempotencyKey(user=reporter, key=idempotency[0], request_hash=idempotency[1])

    def store() -> Report:
        written = filing.write(report, event, key, notifications.new_report_notice(report))
        report.photos_filed = [
            _photo_attach(report, prepared, kind=PhotoKind.BEFORE, by=reporter, at=now)
            for prepared in photos_prepared
        ]
        report.duplicates_at_filing = written.duplicates
        reports_bulk_changed.send(
            sender=Report, report_ids=[report.pk], also_written=written.also_written
        )
        return report

    # A tracking code drawn twice (astronomically rare: 32^10 codes) reruns the filing with
    # a fresh one; any other refusal (an Idempotency-Key already used) is the caller's.
    for attempt in range(_FILING_ATTEMPTS):
        report.tracking_code = tracking_code_new()
        try:
            if not photos_prepared and not connection.in_atomic_block:
                # One statement is atomic on its own: no BEGIN and COMMIT round trips.
                return store()
            # Photos are rows and files after the statement; inside a caller's transaction,
            # the savepoint keeps a refused filing from aborting it.
            with photos.stored_files_guard(), transaction.atomic():
                return store()
        except IntegrityError as error:
            constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
            if constraint != _TRACKING_CODE_CONSTRAINT or attempt == _FILING_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def _photo_attach(
    report: Report,
    prepared: photos.PreparedPhoto,
    *,
    kind: str,
    by: AbstractBaseUser,
    at: dt.datetime | None = None,
) -> ReportPhoto:
    """Store a prepared photo's files (random names) and its row; call inside a guard."""
    photo = ReportPhoto(
        report=report,
        kind=kind,
        image=photos.file_store(prepared.jpeg),
        thumbnail=photos.file_store(prepared.thumbnail),
        width=prepared.width,
        height=prepared.height,
        uploaded_by=by,
        created_at=at or timezone.now(),
    )
    photo.full_clean()
    photo.save()
    return photo


def report_create_idempotent(
    *, reporter: AbstractBaseUser, key: str, request_hash: str, **fields
) -> tuple[Report, bool]:
    """`report_create` behind a client's Idempotency-Key; returns (report, created).

    The key is inserted with the report, and its unique constraint decides: a retry with the
    same key and body stores nothing and returns the first one, and of two concurrent
    retries the second waits for the first and then does the same. A key reused with a
    different body raises IdempotencyConflict. Asking for the key first would cost every
    filing a query to spare the rare retry its refused insert.
    """
    try:
        report = report_create(reporter=reporter, idempotency=(key, request_hash), **fields)
    except IntegrityError:
        existing = _idempotent_hit(reporter, key, request_hash)
        if existing is None:
            raise
        return existing, False
    return report, True


def _idempotent_hit(user: AbstractBaseUser, key: str, request_hash: str) -> Report | None:
    stored = IdempotencyKey.objects.filter(user=user, key=key).select_related("report").first()
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise exceptions.IdempotencyConflict(exceptions.IDEMPOTENCY_KEY_REUSED)
    return stored.report


def _locked(report: Report) -> Report:
    """Re-read `report` under a row lock so concurrent moves serialise."""
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("agency", "category")
        .get(pk=report.pk)
    )


def report_transition(
    *,
    report: Report,
    actor: AbstractBaseUser,
    to_status: str,
    note: str = "",
    public: bool = True,
    duplicate_of: Report | None = None,
    after_photo: photos.PreparedPhoto | None = None,
) -> Report:
    """Move `report` to `to_status` if the workflow allows it and `actor` may act on it.

    Raises NotPermitted (403) before TransitionNotAllowed (409), so nobody outside the agency
    learns anything about a report's state by probing moves. An "after" photo may come with
    a resolution. A duplicate hands its followers and supporters to the original, and its
    reporter follows the original. A public move is e-mailed to the reporter and followers
    after commit.
    """
    if after_photo is not None and to_status != Status.RESOLVED:
        raise ValidationError({"photo": AFTER_PHOTO_ONLY_ON_RESOLVE})
    with photos.stored_files_guard(), transaction.atomic():
        report = _locked(report)
        permissions.ensure_can_act(actor, report)
        old = report.status
        if to_status not in TRANSITIONS.get(old, frozenset()):
            raise exceptions.TransitionNotAllowed(
                exceptions.TRANSITION_NOT_ALLOWED.format(old=str(old), new=str(to_status))
            )
        now = timezone.now()
        if to_status == Status.DUPLICATE:
            report.duplicate_of = _original_for(report, duplicate_of)
        if to_status == Status.RESOLVED:
            report.resolved_at = now
        elif to_status == Status.IN_PROGRESS and old == Status.RESOLVED:
            report.resolved_at = None  # reopened: the earlier fix does not count
        if to_status in FINAL_STATUSES:
            report.closed_at = now
        report.status = to_status
        report.full_clean()
        report.save()
        _event(
            report,
            kind=EventKind.TRANSITION,
            actor=actor,
            old_status=old,
            new_status=to_status,
            note=note,
            public=public,
            at=now,
        )
        if after_photo is not None:
            _photo_attach(report, after_photo, kind=PhotoKind.AFTER, by=actor, at=now)
        if to_status == Status.DUPLICATE:
            _follows_move(duplicate=report, original=report.duplicate_of)
        if public:
            notifications.notify_status_changed(report, actor=actor, note=note)
    return report


# Followers of a duplicate become followers of its original, keeping their support (a +1
# stays a +1); the duplicate's reporter follows the original. One statement each; the
# unique (report, user) constraint merges those who followed both.
_FOLLOWS_MOVE_SQL = """
    INSERT INTO reports_follow (report_id, user_id, supports, created_at)
    SELECT %(original)s, f.user_id, f.supports, f.created_at
    FROM reports_follow AS f
    WHERE f.report_id = %(duplicate)s AND f.user_id <> %(original_reporter)s
      AND f.user_id <> %(reporter)s
    UNION ALL
    SELECT %(original)s, %(reporter)s, FALSE, %(now)s
    WHERE %(reporter)s <> %(original_reporter)s
    ON CONFLICT (report_id, user_id)
    DO UPDATE SET supports = reports_follow.supports OR EXCLUDED.supports
"""


def _follows_move(*, duplicate: Report, original: Report) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _FOLLOWS_MOVE_SQL,
            {
                "original": original.pk,
                "duplicate": duplicate.pk,
                "reporter": duplicate.reporter_id,
                "original_reporter": original.reporter_id,
                "now": timezone.now(),
            },
        )
    Follow.objects.filter(report=duplicate).delete()


def _original_for(report: Report, duplicate_of: Report | None) -> Report:
    if duplicate_of is None:
        raise ValidationError({"duplicate_of": DUPLICATE_NEEDS_ORIGINAL})
    if duplicate_of.pk == report.pk:
        raise ValidationError({"duplicate_of": DUPLICATE_OF_ITSELF})
    if duplicate_of.status == Status.DUPLICATE:
        raise ValidationError(
            {"duplicate_of": DUPLICATE_OF_DUPLICATE.format(code=duplicate_of.tracking_code)}
        )
    return duplicate_of


NOTE_REQUIRED = "a note needs some text"


def report_note_add(
    *, report: Report, actor: AbstractBaseUser, note: str, public: bool = False
) -> ReportEvent:
    """Add a note to a report's timeline without changing its state.

    Internal by default: officials record what they did or found for each other and for
    supervisors; a public note also reaches the reporter and followers, like a status change.
    Only those who may act on the report may write on it.
    """
    if not note.strip():
        raise ValidationError({"note": NOTE_REQUIRED})
    with transaction.atomic():
        report = _locked(report)
        permissions.ensure_can_act(actor, report)
        event = _event(report, kind=EventKind.NOTE, actor=actor, note=note, public=public)
        if public:
            notifications.notify_status_changed(report, actor=actor, note=note)
    return event


@transaction.atomic
def report_transfer(
    *, report: Report, actor: AbstractBaseUser, to_agency: Agency, reason: str
) -> Report:
    """Hand an open report to another agency, keeping its deadline."""
    report = _locked(report)
    permissions.ensure_can_act(actor, report)
    if not reason.strip():
        raise ValidationError({"reason": TRANSFER_NEEDS_REASON})
    if report.status not in OPEN_STATUSES:
        raise exceptions.TransitionNotAllowed(TRANSFER_NOT_OPEN)
    if to_agency.pk == report.agency_id:
        raise ValidationError({"agency": TRANSFER_SAME_AGENCY.format(agency=to_agency.name)})
    if not to_agency.active:
        raise ValidationError({"agency": TRANSFER_INACTIVE_AGENCY.format(agency=to_agency.name)})
    old_agency = report.agency
    report.agency = to_agency
    report.transfers_count += 1
    report.save(update_fields=["agency", "transfers_count", "updated_at"])
    _event(
        report,
        kind=EventKind.TRANSFER,
        actor=actor,
        old_status=report.status,
        new_status=report.status,
        note=TRANSFER_NOTE.format(
            old=old_agency.name if old_agency else "-", new=to_agency.name, reason=reason.strip()
        ),
        from_agency=old_agency,
        to_agency=to_agency,
    )
    notifications.notify_transferred(report)
    return report


@transaction.atomic
def report_extend_deadline(
    *, report: Report, actor: AbstractBaseUser, days: int, reason: str
) -> Report:
    """Move an open report's deadline `days` working days later (supervisor rights).

    A new deadline is a new promise: if it lies in the future the report may be escalated
    again should it be missed.
    """
    report = _locked(report)
    permissions.ensure_can_extend(actor, report)
    if not reason.strip():
        raise ValidationError({"reason": EXTEND_NEEDS_REASON})
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationError({"days": EXTEND_DAYS_RANGE})
    if report.status not in OPEN_STATUSES:
        raise exceptions.TransitionNotAllowed(EXTEND_NOT_OPEN)
    report.due_at = calendar_load().extend(report.due_at, days)
    if report.due_at > timezone.now():
        report.escalated_at = None
    report.save(update_fields=["due_at", "escalated_at", "updated_at"])
    _event(
        report,
        kind=EventKind.DEADLINE_EXTENDED,
        actor=actor,
        old_status=report.status,
        new_status=report.status,
        note=EXTEND_NOTE.format(due=report.due_at.astimezone(LOCAL_TZ), reason=reason.strip()),
    )
    return report


# One statement claims the overdue reports: a second run (or a concurrent one from an
# overlapping cron) finds escalated_at set and claims nothing, so each report escalates once.
# SKIP LOCKED leaves reports an official is changing right now for the next run.
_ESCALATE_SQL = """
    WITH due AS (
        SELECT id FROM reports_report
        WHERE status = ANY(%(open)s) AND escalated_at IS NULL AND due_at < %(now)s
        ORDER BY due_at
        FOR UPDATE SKIP LOCKED
    )
    UPDATE reports_report AS r SET escalated_at = %(now)s, updated_at = %(now)s
    FROM due WHERE r.id = due.id
    RETURNING r.id, r.agency_id, r.status
"""

_ESCALATE_EVENTS_SQL = """
    INSERT INTO reports_reportevent
        (report_id, actor_id, kind, old_status, new_status, from_agency_id, to_agency_id,
         note, public, created_at)
    SELECT id, NULL, %(kind)s, status, status, agency, NULL, %(note)s, FALSE, %(now)s
    FROM unnest(%(ids)s::bigint[], %(agencies)s::bigint[], %(statuses)s::varchar[])
        AS t(id, agency, status)
"""


@transaction.atomic
def reports_escalate_overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Flag every open report past its deadline once, and e-mail the supervising agencies.

    The e-mails are notices in the run's own transaction, so a rolled-back run never sends
    one about escalations that did not happen. Returns the ids escalated by this run.
    """
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_ESCALATE_SQL, {"open": [str(s) for s in OPEN_STATUSES], "now": now})
        rows = cursor.fetchall()
        if not rows:
            return []
        cursor.execute(
            _ESCALATE_EVENTS_SQL,
            {
                "kind": EventKind.ESCALATED.value,
                "note": ESCALATION_NOTE,
                "now": now,
                "ids": [r[0] for r in rows],
                "agencies": [r[1] for r in rows],
                "statuses": [r[2] for r in rows],
            },
        )
    ids = [r[0] for r in rows]
    notifications.enqueue(_escalation_messages(ids), "escalation")
    return ids


def _escalation_messages(report_ids: list[int]) -> list[notifications.Message]:
    """One e-mail per supervising agency listing its overdue reports (no personal data)."""
    by_recipient: dict[str, list[Report]] = defaultdict(list)
    names: dict[str, str] = {}
    reports = Report.objects.filter(pk__in=report_ids).select_related(
        "agency__supervisor", "category"
    )
    for report in reports.order_by("due_at"):
        agency = report.agency
        overseer = agency.supervisor if agency and agency.supervisor_id else agency
        if overseer is None or not overseer.email:
            continue
        by_recipient[overseer.email].append(report)
        names[overseer.email] = overseer.name
    messages = []
    for email, items in by_recipient.items():
        lines = [
            f"{r.tracking_code}  {r.category.name}  {r.agency.name}  hạn "
            f"{r.due_at.astimezone(LOCAL_TZ):%H:%M %d/%m/%Y}"
            for r in items
        ]
        subject = ESCALATION_SUBJECT.format(count=len(items), agency=names[email])
        messages.append((subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [email]))
    return messages


# How long the reporter and followers have to confirm or reject a resolution; after that
# close_stale_resolved closes the report on their behalf.
FEEDBACK_WINDOW = dt.timedelta(days=7)
SUPPORT_OWN_REPORT = "You filed this report; there is no need to support it."
SUPPORT_NOT_OPEN = "Only open reports can be supported."
FEEDBACK_NOT_RESOLVED = "Only a resolved report can be confirmed or reported as not fixed."
FEEDBACK_WINDOW_OVER = "The 7 days to answer this resolution have passed."
FEEDBACK_NOT_ALLOWED = "Only the reporter and the report's followers may answer its resolution."
FEEDBACK_ALREADY_RATED = "You have already rated this resolution."
RATING_RANGE = "A rating is a whole number of stars from 1 to 5."
NOT_FIXED_NEEDS_COMMENT = "Say what is still wrong (the comment is empty)."
REDACT_NEEDS_REASON = "A redaction needs a reason."
REDACT_UNKNOWN_PHOTO = "This report has no visible photo {photo_id}."
REDACT_ALREADY = "The description is already redacted."
CONFIRMED_NOTE = "Người dân xác nhận đã khắc phục ({stars}/5)."
NOT_FIXED_NOTE = "Người dân báo chưa được khắc phục: {comment}"
AUTO_CLOSED_NOTE = "Tự động đóng: không có phản hồi trong 7 ngày sau khi xử lý xong."
REDACTED_DESCRIPTION = "[Nội dung đã được cán bộ ẩn: {reason}]"
REDACTED_PHOTO_NOTE = "Ảnh đã được cán bộ ẩn: {reason}"
REDACTED_DESCRIPTION_NOTE = "Nội dung phản ánh đã được cán bộ ẩn: {reason}"


def feedback_deadline(report: Report) -> dt.datetime | None:
    """Until when the reporter and followers may answer the resolution (None if unresolved)."""
    return report.resolved_at + FEEDBACK_WINDOW if report.resolved_at else None


def may_give_feedback(user: AbstractBaseUser | None, report: Report) -> bool:
    """The reporter and followers may answer a resolution."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return report.reporter_id == user.pk or Follow.objects.filter(report=report, user=user).exists()


@transaction.atomic
def report_support(*, report: Report, user: AbstractBaseUser) -> int:
    """+1 an open report and follow it; idempotent per user. Returns the supporters count.

    One INSERT … ON CONFLICT: a repeated or concurrent request leaves one row, and a
    follower who now supports it is upgraded rather than duplicated.
    """
    if report.reporter_id == user.pk:
        raise exceptions.TransitionNotAllowed(SUPPORT_OWN_REPORT)
    if report.status not in OPEN_STATUSES:
        raise exceptions.TransitionNotAllowed(SUPPORT_NOT_OPEN)
    Follow.objects.bulk_create(
        [Follow(report=report, user=user, supports=True)],
        update_conflicts=True,
        unique_fields=["report", "user"],
        update_fields=["supports"],
    )
    return Follow.objects.filter(report=report, supports=True).count()


def _feedback_locked(report: Report, user: AbstractBaseUser, now: dt.datetime) -> Report:
    report = _locked(report)
    if not may_give_feedback(user, report):
        raise exceptions.NotPermitted(FEEDBACK_NOT_ALLOWED)
    if report.status != Status.RESOLVED:
        raise exceptions.TransitionNotAllowed(FEEDBACK_NOT_RESOLVED)
    if now > feedback_deadline(report):
        raise exceptions.TransitionNotAllowed(FEEDBACK_WINDOW_OVER)
    return report


@transaction.atomic
def report_confirm(
    *, report: Report, user: AbstractBaseUser, stars: int, comment: str = ""
) -> Report:
    """The reporter or a follower confirms the fix within 7 days: rate it and close it."""
    if not (isinstance(stars, int) and 1 <= stars <= 5):
        raise ValidationError({"rating": RATING_RANGE})
    now = timezone.now()
    report = _feedback_locked(report, user, now)
    if Rating.objects.filter(report=report, user=user).exists():
        raise exceptions.TransitionNotAllowed(FEEDBACK_ALREADY_RATED)
    rating = Rating(report=report, user=user, stars=stars, comment=comment, created_at=now)
    rating.full_clean()
    rating.save()
    old = report.status
    report.status = Status.CLOSED
    report.closed_at = now
    report.save(update_fields=["status", "closed_at", "updated_at"])
    note = CONFIRMED_NOTE.format(stars=stars)
    _event(
        report,
        kind=EventKind.CONFIRMED,
        actor=user,
        old_status=old,
        new_status=Status.CLOSED,
        note=note,
        at=now,
    )
    notifications.notify_status_changed(report, actor=user, note=note)
    return report


@transaction.atomic
def report_reject_resolution(*, report: Report, user: AbstractBaseUser, comment: str) -> Report:
    """ "Not fixed": within 7 days the reporter or a follower reopens the report.

    The report goes back to in progress with a public "reopened" event naming the agency,
    and `reopened_count` grows: both count against the agency. The deadline is not reset,
    so a fix that did not hold shows as overdue.
    """
    if not comment.strip():
        raise ValidationError({"comment": NOT_FIXED_NEEDS_COMMENT})
    now = timezone.now()
    report = _feedback_locked(report, user, now)
    old = report.status
    report.status = Status.IN_PROGRESS
    report.resolved_at = None
    report.reopened_count += 1
    report.save(update_fields=["status", "resolved_at", "reopened_count", "updated_at"])
    note = NOT_FIXED_NOTE.format(comment=comment.strip())
    _event(
        report,
        kind=EventKind.REOPENED,
        actor=user,
        old_status=old,
        new_status=Status.IN_PROGRESS,
        note=note,
        from_agency=report.agency,
        at=now,
    )
    notifications.notify_status_changed(report, actor=user, note=note)
    return report


# Claims every resolution older than the feedback window in one statement. A second run (or
# an overlapping cron) finds them closed and claims nothing; SKIP LOCKED leaves a report a
# citizen is answering right now to that answer.
_CLOSE_STALE_SQL = """
    WITH stale AS (
        SELECT id FROM reports_report
        WHERE status = %(resolved)s AND resolved_at < %(cutoff)s
        ORDER BY resolved_at
        FOR UPDATE SKIP LOCKED
    )
    UPDATE reports_report AS r
    SET status = %(closed)s, closed_at = %(now)s, updated_at = %(now)s
    FROM stale WHERE r.id = stale.id
    RETURNING r.id
"""

_CLOSE_STALE_EVENTS_SQL = """
    INSERT INTO reports_reportevent
        (report_id, actor_id, kind, old_status, new_status, from_agency_id, to_agency_id,
         note, public, created_at)
    SELECT id, NULL, %(kind)s, %(resolved)s, %(closed)s, NULL, NULL, %(note)s, TRUE, %(now)s
    FROM unnest(%(ids)s::bigint[]) AS t(id)
"""


@transaction.atomic
def reports_close_stale_resolved(*, now: dt.datetime | None = None) -> list[int]:
    """Close every report resolved more than 7 days ago without an answer; returns their ids.

    Each gets a public "auto_closed" event, and its reporter and followers are told after
    commit. Idempotent and safe to run from overlapping cron jobs.
    """
    now = now or timezone.now()
    params = {
        "resolved": Status.RESOLVED.value,
        "closed": Status.CLOSED.value,
        "cutoff": now - FEEDBACK_WINDOW,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLOSE_STALE_SQL, params)
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        cursor.execute(
            _CLOSE_STALE_EVENTS_SQL,
            {**params, "kind": EventKind.AUTO_CLOSED.value, "note": AUTO_CLOSED_NOTE, "ids": ids},
        )
    reports_bulk_changed.send(sender=Report, report_ids=ids)
    notifications.notify_many_status_changed(ids)
    return ids


def report_redact(
    *,
    report: Report,
    actor: AbstractBaseUser,
    target: str,
    reason: str,
    photo_id: int | None = None,
) -> Redaction:
    """Hide a report's description or one of its photos (officials of its agency,
    supervisors). The public sees a "redacted" event with the reason; the original text, or
    the unpublished name the photo file was copied to, stays in a `Redaction` for
    supervisors. The published photo files are deleted only once the redaction commits.
    """
    with photos.stored_files_guard(), transaction.atomic():
        return _redact(report=report, actor=actor, target=target, reason=reason, photo_id=photo_id)


def _redact(
    *, report: Report, actor: AbstractBaseUser, target: str, reason: str, photo_id: int | None
) -> Redaction:
    report = _locked(report)
    permissions.ensure_can_act(actor, report)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": REDACT_NEEDS_REASON})
    now = timezone.now()
    if target == RedactionTarget.DESCRIPTION:
        marker = REDACTED_DESCRIPTION.format(reason=reason)
        if Redaction.objects.filter(report=report, target=target).exists():
            raise exceptions.TransitionNotAllowed(REDACT_ALREADY)
        original_text, original_file, photo = report.description, "", None
        report.description = marker[:DESCRIPTION_MAX]
        report.save(update_fields=["description", "updated_at"])
        note = REDACTED_DESCRIPTION_NOTE.format(reason=reason)
    elif target == RedactionTarget.PHOTO:
        photo = ReportPhoto.objects.filter(report=report, pk=photo_id, hidden=False).first()
        if photo is None:
            raise ValidationError({"photo_id": REDACT_UNKNOWN_PHOTO.format(photo_id=photo_id)})
        original_text = ""
        original_file = photos.file_copy_private(photo.image.name)
        photos.files_delete_on_commit([photo.image.name, photo.thumbnail.name])
        photo.hidden = True
        photo.save(update_fields=["hidden"])
        note = REDACTED_PHOTO_NOTE.format(reason=reason)
    else:
        raise ValidationError({"target": f"Unknown redaction target {target!r}."})
    event = _event(
        report,
        kind=EventKind.REDACTED,
        actor=actor,
        old_status=report.status,
        new_status=report.status,
        note=note,
        at=now,
    )
    redaction = Redaction(
        report=report,
        event=event,
        target=target,
        photo=photo,
        original_text=original_text,
        original_file=original_file,
        reason=reason,
        actor=actor,
        created_at=now,
    )
    redaction.full_clean()
    redaction.save()
    return redaction


def agency_code_for(area: Area) -> str:
    """The stable code of the People's Committee agency of `area` (same across generations)."""
    return f"ubnd-{area.level.code}-{area.code}".lower()


@transaction.atomic
def agencies_create_for_level(
    *, level: Level, generation: Generation, supervisor: Agency | None = None
) -> tuple[int, int]:
    """Ensure a People's Committee agency ("UBND <area name>") for each area of `level`.

    Idempotent: an agency found by its code keeps its edits and only gains the area in its
    jurisdiction (so an agency follows its ward into a new generation). Returns
    (created, updated).
    """
    kind = level.code if level.code in AgencyKind.values else AgencyKind.WARD
    areas = Area.objects.in_generation(generation).filter(level=level).defer("geom")
    existing = Agency.objects.in_bulk(
        [agency_code_for(a) for a in areas.select_related("level")], field_name="code"
    )
    created = updated = 0
    links = []
    for area in areas.select_related("level"):
        code = agency_code_for(area)
        agency = existing.get(code)
        if agency is None:
            agency = Agency(
                code=code,
                name=f"UBND {area.name}",
                name_en=f"{area.name_en or area.name} People's Committee",
                kind=kind,
                supervisor=supervisor,
            )
            agency.full_clean()
            agency.save()
            created += 1
        else:
            updated += 1
        links.append(Agency.areas.through(agency_id=agency.pk, area_id=area.pk))
    Agency.areas.through.objects.bulk_create(links, ignore_conflicts=True)
    return created, updated


def jurisdictions_carry_forward(*, generation: Generation, previous: Generation | None) -> int:
    """Give each agency the new generation's area with the same level and code as its old one.

    A ward that keeps its code across a boundary change keeps its People's Committee; wards
    with new codes need `create_agencies`. One INSERT … SELECT; returns links added.
    """
    if previous is None:
        return 0
    through = Agency.areas.through._meta.db_table
    with connection.cursor() as cursor:
        # Set-based: one statement whatever the number of agencies. Table name from model meta.
        cursor.execute(
            f"""
            INSERT INTO {through} (agency_id, area_id)
            SELECT DISTINCT j.agency_id, new.id
            FROM {through} AS j
            JOIN boundaries_area AS old ON old.id = j.area_id
            JOIN boundaries_area AS new
              ON new.code = old.code AND new.level_id = old.level_id AND new.id <> old.id
            WHERE old.generation_low_id <= %(previous)s AND old.generation_high_id >= %(previous)s
              AND new.generation_low_id <= %(current)s AND new.generation_high_id >= %(current)s
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 (table name from model meta; values are parameters)
            {"previous": previous.pk, "current": generation.pk},
        )
        return cursor.rowcount


def on_generation_activated(sender, *, generation: Generation, previous=None, **kwargs) -> None:
    """Signal receiver: follow a boundary change (inside the activation transaction)."""
    jurisdictions_carry_forward(generation=generation, previous=previous)
    moved = routing.reroute_open_reports(generation=generation)
    logger.info("generation %s activated: %s open reports re-routed", generation.name, moved)
