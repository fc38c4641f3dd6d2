"""Admin for the reference data (categories, agencies, rules, holidays) and for reports.

Django's GIS admin widget loads OpenLayers from a CDN, which a city data centre may not reach
and which leaks staff browsing to a third party; locations are therefore shown read-only as
coordinates with their accuracy. (An offline map widget is being built in boundaries.)
Workflow changes go through the services, not through editing status fields here.
"""

from django.contrib import admin

from reports.models import (
    Agency,
    Category,
    Follow,
    Holiday,
    IdempotencyKey,
    Membership,
    Notice,
    Rating,
    Redaction,
    Report,
    ReportEvent,
    ReportPhoto,
    RoutingRule,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "group", "kind", "deadline_days", "active"]
    list_filter = ["group", "kind", "active"]
    list_editable = ["deadline_days", "active"]
    search_fields = ["code", "name", "name_en"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "supervisor", "email", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["supervisor", "areas"]
    inlines = [MembershipInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "agency", "note"]
    list_filter = ["category"]
    raw_id_fields = ["area", "agency"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "name_en", "working", "source"]
    list_filter = ["working"]
    date_hierarchy = "date"


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "old_status", "new_status", "note", "public", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReportPhotoInline(admin.TabularInline):
    model = ReportPhoto
    extra = 0
    can_delete = False
    fields = ["kind", "image", "thumbnail", "width", "height", "hidden", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["tracking_code", "category", "status", "agency", "created_at", "due_at"]
    list_filter = ["status", "category__group", "category"]
    search_fields = ["tracking_code"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "agency"]
    exclude = ["location"]
    readonly_fields = [
        "tracking_code",
        "location_display",
        "status",
        "area",
        "generation",
        "agency",
        "reporter",
        "duplicate_of",
        "created_at",
        "updated_at",
        "due_at",
        "resolved_at",
        "closed_at",
        "escalated_at",
        "transfers_count",
    ]
    inlines = [ReportEventInline, ReportPhotoInline]

    @admin.display(description="location (lon, lat)")
    def location_display(self, report: Report) -> str:
        if report.location is None:
            return "-"
        accuracy = f" ± {report.accuracy_m:.0f} m" if report.accuracy_m is not None else ""
        return f"{report.location.x:.6f}, {report.location.y:.6f}{accuracy}"

    def has_add_permission(self, request) -> bool:
        # Reports are filed through the API so routing and deadlines always apply.
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "user", "report", "created_at"]
    raw_id_fields = ["user", "report"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """The e-mail outbox, for operators: what waits, what keeps failing and why. Notices
    are written by the changes and deleted by the sender, never edited; deleting one here
    cancels it. Only superusers see it (it holds addresses)."""

    list_display = ["what", "tracking_code", "attempts", "last_error", "next_attempt_at"]
    list_filter = ["what", ("failed_at", admin.EmptyFieldListFilter), "last_error"]
    search_fields = ["tracking_code"]
    readonly_fields = [f.name for f in Notice._meta.fields]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["report", "user", "supports", "created_at"]
    list_filter = ["supports"]
    raw_id_fields = ["report", "user"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["report", "stars", "created_at"]
    list_filter = ["stars"]
    raw_id_fields = ["report", "user"]


@admin.register(Redaction)
class RedactionAdmin(admin.ModelAdmin):
    """Originals of redacted content: only superusers (supervision) may open them here."""

    list_display = ["report", "target", "reason", "created_at"]
    raw_id_fields = ["report", "event", "photo", "actor"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
