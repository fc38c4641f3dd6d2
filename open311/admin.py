"""Admin: issue API keys to client applications, define service attributes, and read what
Open311 clients submitted (the only place their contact details are shown, to staff).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from open311 import services
from open311.models import ApiClient, Open311Request, ServiceAttribute


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Saving a new client creates its service user and key; the key is shown once."""

    list_display = ["name", "key_prefix", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "contact"]
    fields = ["name", "contact", "active", "key_prefix", "created_at"]
    readonly_fields = ["key_prefix", "created_at"]
    actions = ["rotate_keys"]

    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        client, key = services.api_client_create(
            name=obj.name, contact=obj.contact, active=obj.active
        )
        # The admin goes on with `obj` (its log entry, the redirect): give it the stored row.
        for field in ApiClient._meta.concrete_fields:
            setattr(obj, field.attname, getattr(client, field.attname))
        messages.warning(
            request, f"API key for {client.name} (shown only now, store it safely): {key}"
        )

    @admin.action(description="Issue new keys (old keys stop working)")
    def rotate_keys(self, request: HttpRequest, queryset) -> None:
        for client in queryset:
            key = services.api_client_rotate_key(client=client)
            messages.warning(request, f"New API key for {client.name} (shown only now): {key}")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "code", "datatype", "required", "order"]
    list_filter = ["datatype", "required", "category"]
    search_fields = ["code", "description", "category__code"]


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    """Read-only: a submission is changed through its report, never here."""

    list_display = ["report", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["report__tracking_code"]
    readonly_fields = [f.name for f in Open311Request._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
