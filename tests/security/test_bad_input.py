"""Every write and query endpoint answers bad input with a 4xx and a message, and stores nothing.

The cases are one table (tests/security/corpus.py); each family runs in one test so the
city is built once per family. The session summary prints how many cases ran and what they
got (tests/security/figures.py).
"""

import pytest

from tests.security.conftest import case_run
from tests.security.corpus import CASES, _jpeg

FAMILIES = sorted({case.name.split(":")[0] for case in CASES})


@pytest.mark.django_db
@pytest.mark.parametrize("family", FAMILIES)
def test_bad_input_gets_a_4xx_with_a_message_and_stores_nothing(world, family):
    """Each case of the family: status in its range, a message with every error, no rows
    written in any table, no SQL error or traceback in the answer."""
    problems = []
    for case in CASES:
        if case.name.split(":")[0] == family:
            problems += case_run(world, case)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_vietnamese_text_in_combining_form_is_stored_precomposed(world):
    """Combining diacritics (NFD, as some keyboards send) are valid text: the report is filed
    and its description stored in NFC, so search and display treat both forms alike."""
    import unicodedata

    from reports.models import Report

    text = "Đường ngập nước sau mưa lớn, xe máy chết máy."
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": unicodedata.normalize("NFD", text),
        "location": {"type": "Point", "coordinates": [105.805, 21.005]},
    }
    response = world.client("citizen_b").post("/api/v1/reports", body, format="json")
    assert response.status_code == 201, response.content
    stored = Report.objects.get(tracking_code=response.json()["tracking_code"])
    assert stored.description == unicodedata.normalize("NFC", text)


@pytest.mark.django_db
def test_a_jpeg_carrying_html_is_stored_re_encoded_without_the_payload(world):
    """A JPEG/HTML polyglot is a valid JPEG, so it is accepted; what is stored and served is
    our re-encoding, without the appended markup (or any metadata)."""
    from pathlib import Path

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = b"<html><script>alert(document.cookie)</script></html>"
    upload = SimpleUploadedFile("poly.jpg", _jpeg((320, 240)) + payload, content_type="image/jpeg")
    body = {
        "category": "rac-thai-sai-quy-dinh",
        "description": "Ảnh kèm mã HTML.",
        "location": '{"type": "Point", "coordinates": [105.805, 21.005]}',
        "photos": [upload],
    }
    response = world.client("citizen_b").post("/api/v1/reports", body, format="multipart")
    assert response.status_code == 201, response.content
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert stored
    assert all(b"<script" not in p.read_bytes() for p in stored)
    assert all(p.read_bytes().startswith(b"\xff\xd8") for p in stored)
