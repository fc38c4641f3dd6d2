"""Every write and query endpoint answers bad input with a 4xx and a message, and stores nothing.

The cases are one table (tests/security/corpus.py); each family runs in one test so the
city is built once per family. The session summary prints how many cases ran and what they
got (tests/security/figures.py).
"""

import pytest

from tests.security.conftest import case_run
from tests.security.corpus import CASES, KNOWN_ISSUES

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
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=reason), id=case.name)
        for case, reason in KNOWN_ISSUES
    ],
)
def test_known_bad_input_that_is_still_accepted_is_refused(world, case):
    """Known gaps (reported to the owning app): these should be refused and store nothing."""
    from tests.security.conftest import case_send, table_counts

    before = table_counts()
    response = case_send(world, case)
    assert 400 <= response.status_code < 500
    assert table_counts() == before


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
