"""Django admin for levels, generations (activated by an action) and areas (offline map)."""

from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from boundaries import services
from boundaries.models import Area, Generation, Level
from boundaries.widgets import OfflineMapWidget

ACTIVATE_PICK_ONE = "Select exactly one generation to activate."
ACTIVATED = "Generation {name!r} is now the current generation."


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "rank"]
    ordering = ["rank"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "effective_from", "created_at", "activated_at"]
    # Activation goes through the service (one active, listeners told), never a checkbox.
    readonly_fields = ["active", "created_at", "activated_at"]
    actions = ["activate"]

    @admin.action(description="Make the selected generation current")
    def activate(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        if queryset.count() != 1:
            self.message_user(request, ACTIVATE_PICK_ONE, level=messages.ERROR)
            return
        generation = queryset.get()
        try:
            services.generation_activate(generation=generation)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)
            return
        self.message_user(request, ACTIVATED.format(name=generation.name), level=messages.SUCCESS)


@admin.register(Area)
class AreaAdmin(GISModelAdmin):
    gis_widget = OfflineMapWidget
    list_display = [
        "code",
        "name",
        "name_en",
        "level",
        "generation_low",
        "generation_high",
        "area_m2",
    ]
    list_filter = ["level", "generation_low", "generation_high"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["parent"]
    readonly_fields = ["area_m2"]
    list_select_related = ["level", "generation_low", "generation_high"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Area]:
        queryset = super().get_queryset(request)
        # The change list never shows polygons; loading 600 of them would only slow it down.
        match = request.resolver_match
        if match is not None and match.url_name.endswith("_changelist"):
            queryset = queryset.defer("geom")
        return queryset

    def save_model(self, request: HttpRequest, obj: Area, form, change: bool) -> None:
        # A hand-edited polygon needs its size measured and its lookup pieces rebuilt.
        services.area_save(area=obj)
