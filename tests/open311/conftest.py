"""The reports test city (two wards, an agency each) plus an Open311 client and its key."""

import pytest

from open311 import services
from tests.reports.conftest import (  # noqa: F401 (fixtures shared with the reports suite)
    EAST_POINT,
    FAR_POINT,
    WEST_POINT,
    city,
    fast_password_hasher,
    supervisor,
)

BASE = "/open311/v2"

# The submitter's contact details: personal data that must never appear in a GET answer.
PERSON = {
    "email": "hoa.tran@example.vn",
    "first_name": "Hoà",
    "last_name": "Trần Thị",
    "phone": "0912 345 678",
}
PERSONAL_STRINGS = ["hoa.tran@example.vn", "Hoà", "Trần Thị", "0912345678", "0912 345 678"]


@pytest.fixture
def client_and_key(db):
    """An active Open311 client application and its plain API key."""
    return services.api_client_create(name="Ứng dụng Hà Nội Sạch", contact="dev@example.vn")


@pytest.fixture
def api_key(client_and_key) -> str:
    return client_and_key[1]


def post_body(api_key: str, /, **overrides) -> dict:
    """A valid Open311 POST for the west ward, with the submitter's contact details."""
    body = {
        "api_key": api_key,
        "service_code": "rac-thai-sai-quy-dinh",
        "lat": str(WEST_POINT[1]),
        "long": str(WEST_POINT[0]),
        "description": "Rác thải đổ trộm ở đầu ngõ 12, bốc mùi.",
        **PERSON,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
