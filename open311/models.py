"""Open311 GeoReport v2: client applications, service attributes and what clients submitted.

An Open311 POST carries the submitter's contact details (email, names, phone) but no account.
civicpin does not create an account per person: each client application has one *service
user* (inactive, unusable password, in no group) that is the `reporter` of every report it
files, and the person's contact details live here, on `Open311Request`, readable only by
staff in the admin. So the contact never reaches a report, a timeline, a tile or a GET answer,
and deleting a client's personal data is one table.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class ApiClient(models.Model):
    """A client application allowed to POST service requests, identified by its API key.

    Only a SHA-256 hash of the key is stored: keys are 256-bit random strings, so a fast hash
    is as good as a slow one against guessing, and lookup by hash is one index probe. The key
    itself is shown once, when it is created.
    """

    name = models.CharField(max_length=200, unique=True)
    key_prefix = models.CharField(
        max_length=8, help_text="First characters of the key, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="open311_client",
        editable=False,
        help_text="The inactive user that files this client's reports.",
    )
    contact = models.CharField(
        max_length=255, blank=True, help_text="Who runs the application (for the city's staff)."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Open311 API client"

    def __str__(self) -> str:
        return self.name


class AttributeDatatype(models.TextChoices):
    STRING = "string", "string"
    NUMBER = "number", "number"
    DATETIME = "datetime", "datetime"
    TEXT = "text", "text"
    SINGLEVALUELIST = "singlevaluelist", "singlevaluelist"
    MULTIVALUELIST = "multivaluelist", "multivaluelist"


LIST_DATATYPES = (AttributeDatatype.SINGLEVALUELIST, AttributeDatatype.MULTIVALUELIST)


class ServiceAttribute(models.Model):
    """An extra field a category asks for (GeoReport's service definition), as data.

    `values` holds the choices of list datatypes as [{"key": ..., "name": ...}].
    A non-`variable` attribute is information shown to the user, never submitted.
    """

    category = models.ForeignKey(
        "reports.Category", on_delete=models.CASCADE, related_name="open311_attributes"
    )
    code = models.SlugField(max_length=64)
    datatype = models.CharField(max_length=16, choices=AttributeDatatype.choices)
    variable = models.BooleanField(default=True)
    required = models.BooleanField(default=False)
    description = models.CharField(max_length=500, help_text="The question asked.")
    datatype_description = models.CharField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    values = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"], name="open311_attribute_once_per_category"
            ),
            models.CheckConstraint(
                condition=Q(variable=True) | Q(required=False),
                name="open311_attribute_required_is_variable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}:{self.code}"

    def clean(self) -> None:
        if self.datatype in LIST_DATATYPES:
            ok = (
                isinstance(self.values, list)
                and self.values
                and all(isinstance(v, dict) and set(v) == {"key", "name"} for v in self.values)
            )
            if not ok:
                raise ValidationError(
                    {"values": 'List datatypes need values: [{"key": ..., "name": ...}, ...].'}
                )
        elif self.values:
            raise ValidationError({"values": "Only list datatypes have values."})

    def value_keys(self) -> list[str]:
        return [str(v["key"]) for v in self.values]


class Open311Request(models.Model):
    """What an Open311 client submitted with a report, beyond the report itself.

    Personal data (email, names, phone) is private: staff read it in the admin; no API answer
    contains it. `media_url` is the client's reference, stored and never fetched (offline
    networks, and a server fetching client URLs is an SSRF hole). `token` answers
    GET tokens/{token}.
    """

    report = models.OneToOneField(
        "reports.Report", on_delete=models.CASCADE, related_name="open311_request"
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=64, unique=True)
    address_string = models.CharField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    media_url = models.URLField(max_length=1000, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    device_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "Open311 submission"

    def __str__(self) -> str:
        return f"open311 {self.report_id} via {self.client_id}"
