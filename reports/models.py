"""Citizen reports and everything that decides who handles them and by when.

A report is pinned to a point, routed (inside the create transaction) to the lowest-level area
that contains it in the current boundary generation, and assigned to the agency that answers
for that area and category. From then on its life is a short list of status moves, each one
recorded as a `ReportEvent` in the same transaction, so the timeline is the audit log.

The names here are a contract other apps (tiles, analytics) code against: see
`Status`, `OPEN_STATUSES`, `DONE_STATUSES`, `CategoryGroup`, `Category`, `Agency`,
`Membership`, `Report` (with `ReportQuerySet`) and `ReportEvent`; and, for citizens' trust,
`ReportPhoto`, `Follow` (supporters and followers), `Rating` and `Redaction`.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.db.models import F, Lookup, Q
from django.db.models.functions import Now
from django.utils import timezone

from geo.crs import WGS84


class Status(models.TextChoices):
    RECEIVED = "received", "Đã tiếp nhận"
    IN_PROGRESS = "in_progress", "Đang xử lý"
    RESOLVED = "resolved", "Đã xử lý"
    CLOSED = "closed", "Đã đóng"
    REJECTED = "rejected", "Từ chối"
    DUPLICATE = "duplicate", "Trùng lặp"


# Open reports are somebody's work and run against a deadline; done ones have been handled.
OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class CategoryGroup(models.TextChoices):
    SANITATION = "sanitation", "Vệ sinh môi trường"
    URBAN_ORDER = "urban_order", "Trật tự đô thị"
    TRAFFIC = "traffic", "Giao thông và đường sá"
    LIGHTING = "lighting", "Chiếu sáng công cộng"
    DRAINAGE = "drainage", "Cấp thoát nước"
    TREES = "trees", "Cây xanh và công viên"
    CONSTRUCTION = "construction", "Trật tự xây dựng"
    NOISE = "noise", "Tiếng ồn"
    ADMINISTRATIVE = "administrative", "Thủ tục hành chính"


class CategoryKind(models.TextChoices):
    # Something at a place (a pothole, a broken lamp): the report must carry a location.
    ON_SITE = "on_site", "Tại hiện trường"
    # A question about a procedure (a permit, a certificate): a location is optional.
    ADMINISTRATIVE = "administrative", "Thủ tục hành chính"


class Category(models.Model):
    """What a report is about, who handles it by default and how many working days they get.

    `handling_level` names the administrative level whose agency handles the category when no
    routing rule says otherwise; empty means the lowest level that contains the report (the
    ward). City-department categories (street lighting, say) are routed by a category-only
    `RoutingRule` instead.
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, help_text="Vietnamese name")
    name_en = models.CharField(max_length=200)
    group = models.CharField(max_length=32, choices=CategoryGroup.choices)
    kind = models.CharField(
        max_length=16, choices=CategoryKind.choices, default=CategoryKind.ON_SITE
    )
    deadline_days = models.PositiveSmallIntegerField(
        help_text="Working days the handling agency has to resolve a report."
    )
    handling_level = models.ForeignKey(
        "boundaries.Level",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        help_text="Level whose agency handles it by default; empty = the lowest (ward).",
    )
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_days__gte=1), name="category_deadline_at_least_one_day"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_location(self) -> bool:
        return self.kind == CategoryKind.ON_SITE


class AgencyKind(models.TextChoices):
    WARD = "ward", "UBND phường/xã"
    DISTRICT = "district", "UBND quận/huyện"
    DEPARTMENT = "department", "Sở, ngành, đơn vị thành phố"
    CITY = "city", "UBND thành phố"


class Agency(models.Model):
    """A body that handles reports: a ward People's Committee, a district, a city department.

    `areas` is its jurisdiction; the default route for a report is the agency whose
    jurisdiction holds the report's area. `supervisor` is the agency that oversees it and is
    told when its reports run overdue.
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=255, help_text="Vietnamese name")
    name_en = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=16, choices=AgencyKind.choices)
    areas = models.ManyToManyField("boundaries.Area", blank=True, related_name="agencies")
    supervisor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supervised"
    )
    email = models.EmailField(blank=True, help_text="Where escalation notices go.")
    active = models.BooleanField(default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="agencies", blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    OFFICIAL = "official", "Cán bộ"
    HEAD = "head", "Lãnh đạo"


class Membership(models.Model):
    """An official's seat in an agency; officials act only on their agencies' reports."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=MemberRole.choices, default=MemberRole.OFFICIAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="membership_once_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.agency_id} ({self.role})"


class RoutingRule(models.Model):
    """Send reports of `category` in `area` (or anywhere, when `area` is empty) to `agency`.

    An area rule beats a category-only rule; with neither, the jurisdiction default applies
    (see reports/routing.py, the one home of that decision).
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    area = models.ForeignKey(
        "boundaries.Area",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="rules")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["category__code", "area__code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="rule_once_per_area"),
            models.UniqueConstraint(
                fields=["category"], condition=Q(area__isnull=True), name="rule_once_citywide"
            ),
        ]

    def __str__(self) -> str:
        where = self.area.name if self.area_id else "everywhere"
        return f"{self.category.code} in {where} → {self.agency.code}"


class Holiday(models.Model):
    """A day the working-day calendar treats differently from its weekday.

    Most rows are public holidays (and their decreed bridge days) that fall on a weekday.
    `working=True` marks the opposite: a Saturday the government declared a make-up working
    day in exchange for a bridge day.
    """

    date = models.DateField(unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    working = models.BooleanField(
        default=False, help_text="A weekend day declared a (make-up) working day."
    )
    source = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class InChoices(Lookup):
    """`field__in_choices=(...)`: IN with the values written into the SQL, not bound.

    For a fixed set of the model's own choice values (OPEN_STATUSES), never user input: the
    values must be plain lower-case words. PostgreSQL prepares a statement that a connection
    runs again and again (geo/settings.py) and, after five runs, may switch to a generic plan
    made without the parameters' values. Such a plan cannot prove a partial index's
    predicate (`status IN ('received', 'in_progress')` of report_open_location_category), so
    the nearby search fell back to the full location index and took twice as long from its
    eleventh call on a connection. Written as literals, the statuses keep the index usable.
    """

    lookup_name = "in_choices"
    prepare_rhs = False

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({choice_literals(self.rhs)})", list(params)


_CHOICE_VALUE = re.compile(r"[a-z][a-z_]*")


def choice_literals(values) -> str:
    """`'received', 'in_progress'`: choice values as SQL literals, for an IN list written into
    a statement (see InChoices). Refuses anything but plain lower-case words."""
    words = [str(value) for value in values]
    if not words or not all(_CHOICE_VALUE.fullmatch(word) for word in words):
        raise ValueError(f"in_choices takes choice values (plain words), not {words!r}")
    return ", ".join(f"'{word}'" for word in words)


class ReportQuerySet(models.QuerySet):
    def public(self) -> ReportQuerySet:
        """What anyone may see. Today every report; the one home for later privacy rules."""
        return self.all()

    def open(self) -> ReportQuerySet:
        """Received or in progress; the statuses are literals in the SQL (see InChoices)."""
        return self.filter(status__in_choices=OPEN_STATUSES)

    def overdue(self, now: dt.datetime | None = None) -> ReportQuerySet:
        """Open reports whose deadline has passed."""
        return self.open().filter(due_at__lt=now or timezone.now())

    def for_agency(self, agency: Agency | int) -> ReportQuerySet:
        return self.filter(agency=agency)


class Report(models.Model):
    """One citizen report: what, where, who handles it, how far along and by when."""

    tracking_code = models.CharField(
        max_length=16, unique=True, help_text="Public, unguessable code (not the database id)."
    )
    # category, area, agency and created_at lead a composite index each (Meta.indexes), which
    # serves whatever an index of the column alone would (lookups, ranges, the foreign keys'
    # checks): a second index only cost every filing and every re-route another write.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="reports", db_index=False
    )
    description = models.TextField()
    location = models.PointField(srid=WGS84, null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    area = models.ForeignKey(
        "boundaries.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,
    )
    generation = models.ForeignKey(
        "boundaries.Generation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        db_index=False,
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    due_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    transfers_count = models.PositiveIntegerField(default=0)
    # Anonymous to the public by default; when True the public sees only a first name.
    # Database defaults too, so raw-SQL inserts elsewhere (tiles, bench) need not know them.
    public_identity = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Show the reporter's first name publicly (never e-mail/phone).",
    )
    # Times a reporter or follower answered "not fixed" to a resolution: counts against the
    # agency (each one is also a public "reopened" event naming the agency).
    reopened_count = models.PositiveIntegerField(default=0, db_default=0)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("act_on_report", "Can work on reports of own agencies"),
            ("extend_deadline", "Can extend a report's deadline"),
            ("oversee_reports", "Can see and act on every agency's reports (supervision)"),
            ("view_analytics", "Can read analytics"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(fields=["area", "status"]),
            # The lists' order, newest first with the id breaking ties: a page deep in the
            # list (OFFSET 9,500) walks this index instead of sorting the matches.
            models.Index(fields=["-created_at", "-id"], name="report_list_order"),
            # escalate_overdue scans only open, not-yet-escalated reports by deadline.
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["received", "in_progress"], escalated_at__isnull=True),
                name="report_escalation_candidates",
            ),
            # Nearby and duplicate checks ask only for open reports, a few per cent of a
            # city's history: a GiST index over just those answers from a handful of entries
            # instead of every closed report in the box. The duplicate check of every filing
            # also asks for one category: keyed on it too (btree_gist), the index leaves out
            # the other categories' reports in the box, which each cost a visit to the table
            # (measured at 1M reports, the check alone: 1,350 → 2,390 a second on one core).
            GistIndex(
                fields=["location", "category"],
                condition=Q(status__in=["received", "in_progress"]),
                name="report_open_location_category",
            ),
            # Map tiles of raw points (z16 and up) and counted cells under a filter read every
            # report in a tile. Reports arrive in time order, not by place, so each one sat on
            # a heap page of its own: 6,700 pages for a z16 tile of 7,500 reports. This index
            # carries everything those statements read (location included again, since the
            # GiST key holds only its box), so PostgreSQL answers them from about 175 index
            # pages without touching the table (an index-only scan, for pages VACUUM has marked
            # all-visible). Measured at 1M reports, a z16 tile's statement: 31 → 22 ms warm.
            GistIndex(
                fields=["location"],
                include=[
                    "location",
                    "tracking_code",
                    "status",
                    "category",
                    "created_at",
                    "due_at",
                    "agency",
                ],
                condition=Q(location__isnull=False),
                name="report_tile_points",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="report_duplicate_has_original",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=F("id")),
                name="report_not_duplicate_of_itself",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                name="report_accuracy_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    def clean(self) -> None:
        if self.category_id and self.category.needs_location and self.location is None:
            raise ValidationError({"location": "This category needs a location."})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())

    @property
    def is_late(self) -> bool:
        """Resolved, but after the deadline."""
        return self.resolved_at is not None and self.resolved_at > self.due_at


class EventKind(models.TextChoices):
    CREATED = "created", "Tiếp nhận"
    TRANSITION = "transition", "Chuyển trạng thái"
    TRANSFER = "transfer", "Chuyển đơn vị xử lý"
    REROUTE = "reroute", "Định tuyến lại theo địa giới mới"
    DEADLINE_EXTENDED = "deadline_extended", "Gia hạn"
    ESCALATED = "escalated", "Quá hạn, báo cáo cấp trên"
    NOTE = "note", "Ghi chú"
    REOPENED = "reopened", "Người dân báo chưa khắc phục"
    CONFIRMED = "confirmed", "Người dân xác nhận đã khắc phục"
    AUTO_CLOSED = "auto_closed", "Tự động đóng sau thời hạn phản hồi"
    REDACTED = "redacted", "Ẩn nội dung"


class ReportEvent(models.Model):
    """One entry in a report's history, written in the same transaction as the change.

    Public events make up the timeline anyone can read; internal ones (notes between
    officials, escalations) are for officials and supervisors only.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report_events",
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    old_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    from_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["report", "created_at"])]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.old_status}→{self.new_status}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key for a report submission, so a retry returns the same report.

    Unique per user: two concurrent retries race on the constraint, and the loser reads the
    winner's report. `request_hash` tells a retry from a different submission reusing the key.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class PhotoKind(models.TextChoices):
    BEFORE = "before", "Ảnh hiện trường"
    AFTER = "after", "Ảnh sau xử lý"


class ReportPhoto(models.Model):
    """A photo of a report, re-encoded as a JPEG without any metadata, and its thumbnail.

    File names are random (never the uploader's); the EXIF GPS position read before
    stripping is not stored anywhere. `hidden` photos were redacted by an official: their
    files were moved to an unpublished name kept in the `Redaction`.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=8, choices=PhotoKind.choices, default=PhotoKind.BEFORE)
    image = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} photo {self.pk}"


class Follow(models.Model):
    """A citizen following a report: told of its status changes, may confirm or reject its
    resolution. `supports` marks a +1 ("me too") rather than a plain follow."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    supports = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="follow_once_per_user")
        ]
        indexes = [models.Index(fields=["report", "supports"])]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.report_id}"


class Rating(models.Model):
    """A reporter's or follower's verdict on a resolution: 1 to 5 stars and a comment.

    The satisfied share of an agency is the share of ratings of 4 or more (analytics).
    The comment is for the agency, not shown publicly.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    stars = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="rating_once_per_user"),
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="rating_stars_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.stars}/5"


class RedactionTarget(models.TextChoices):
    DESCRIPTION = "description", "Nội dung phản ánh"
    PHOTO = "photo", "Ảnh"


class Redaction(models.Model):
    """What an official hid and why, with the original, readable by supervisors only.

    The public sees a "redacted" event with the reason; this row keeps the original text
    (or the unpublished file name the photo was moved to) for oversight.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="redactions")
    event = models.OneToOneField(ReportEvent, on_delete=models.CASCADE, related_name="redaction")
    target = models.CharField(max_length=16, choices=RedactionTarget.choices)
    photo = models.ForeignKey(
        ReportPhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    original_text = models.TextField(blank=True)
    original_file = models.CharField(max_length=255, blank=True)
    reason = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.target} redaction"


class Notice(models.Model):
    """An e-mail waiting to be sent: the outbox between a change and the mail server.

    A change writes its notices in its own transaction, so a change that rolls back notifies
    nobody and one that commits keeps its notices whatever the mail server does then. A
    sender (`manage.py send_notices`, reports.notifications.notices_send_due) delivers them
    and deletes each one sent; one the server refuses waits longer after every attempt and
    is given up (`failed_at`) after the last. One row per recipient, so one bad address
    holds up nobody else. The address stays only until the notice is sent or given up.
    """

    # "new report", "transfer", "status", "escalation": logged with the counts.
    what = models.CharField(max_length=32)
    # The report the notice is about ("" for a digest of several), for the logs.
    tracking_code = models.CharField(max_length=16, blank=True)
    subject = models.TextField()
    body = models.TextField()
    from_email = models.CharField(max_length=255)
    recipient = models.EmailField()
    created_at = models.DateTimeField(db_default=Now())
    # Due from this time: now when written, later after each failed attempt.
    next_attempt_at = models.DateTimeField(db_default=Now())
    attempts = models.PositiveSmallIntegerField(db_default=0)
    # The last failure's kind (an exception's class name), never its text: an SMTP error's
    # text can carry the addresses.
    last_error = models.CharField(max_length=64, blank=True, db_default="")
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sender's question: which notices are due, oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(failed_at__isnull=True),
                name="notice_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.what} {self.tracking_code}".strip()


Report._meta.get_field("status").register_lookup(InChoices)
