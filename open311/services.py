"""Writes for Open311: issuing API keys and filing service requests through the reports app.

A service request is filed with `reports.services.report_create`, so routing, deadlines,
validation and the "created" event are exactly the native API's; the Open311 extras (contact
details, address_string, attributes, media_url reference, token) are stored beside it in the
same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import transaction

from open311.models import ApiClient, Open311Request
from open311.selectors import key_hash
from reports.models import Category, Report
from reports.services import report_create

# Usernames of service users: "open311-" and random hex, never the client's name (which an
# official might later see as the report's reporter, and which need not be a valid username).
SERVICE_USER_PREFIX = "open311-"


@transaction.atomic
def api_client_create(
    *, name: str, contact: str = "", active: bool = True
) -> tuple[ApiClient, str]:
    """Register a client application; returns it and its API key (shown once, stored hashed).

    The client gets its own service user: inactive (it can never sign in), with an unusable
    password and no group, so it holds no permission beyond being a report's reporter.
    """
    user_model = get_user_model()
    user = user_model(username=SERVICE_USER_PREFIX + secrets.token_hex(8), is_active=False)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    key = secrets.token_urlsafe(32)
    client = ApiClient(
        name=name.strip(),
        contact=contact.strip(),
        active=active,
        key_prefix=key[:8],
        key_hash=key_hash(key),
        service_user=user,
    )
    client.full_clean()
    client.save()
    return client, key


@transaction.atomic
def api_client_rotate_key(*, client: ApiClient) -> str:
    """Give `client` a new key (the old one stops working at once); returns the new key."""
    key = secrets.token_urlsafe(32)
    client.key_prefix = key[:8]
    client.key_hash = key_hash(key)
    client.full_clean()
    client.save(update_fields=["key_prefix", "key_hash"])
    return key


@dataclass(frozen=True)
class Submitter:
    """The person behind an Open311 POST: personal data, stored privately, never answered."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""


@dataclass(frozen=True)
class Submission:
    """A validated Open311 POST, ready to file."""

    category: Category
    description: str
    location: Point | None = None
    address_string: str = ""
    media_url: str = ""
    attributes: dict = field(default_factory=dict)
    submitter: Submitter = field(default_factory=Submitter)


@transaction.atomic
def service_request_submit(*, client: ApiClient, submission: Submission) -> Open311Request:
    """File `submission` as a report of `client`'s service user, and keep its Open311 extras.

    Raises what `report_create` raises (NotRouted, ValidationError); nothing is stored then.
    """
    report: Report = report_create(
        reporter=client.service_user,
        category=submission.category,
        description=submission.description,
        location=submission.location,
    )
    person = submission.submitter
    extras = Open311Request(
        report=report,
        client=client,
        token=secrets.token_urlsafe(16),
        address_string=submission.address_string,
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        phone=person.phone,
        device_id=person.device_id,
        media_url=submission.media_url,
        attributes=submission.attributes,
    )
    extras.full_clean()
    extras.save()
    return extras
