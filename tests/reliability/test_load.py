"""No report is lost or doubled under load: 1,000 concurrent creations against gunicorn,
a third of them retries of another request's Idempotency-Key fired at the same time."""

import random
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from reports.models import IdempotencyKey, Report
from tests.reliability.conftest import report_body
from tests.security.figures import FIGURES

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

UNIQUE_SUBMISSIONS = 700
RETRIES = 300
WORKERS = 32


def test_every_acknowledged_report_exists_exactly_once_and_retries_return_the_original(
    live_gunicorn, citizens
):
    """Each key is sent once, and 300 of them again (interleaved, so many retries race their
    original). Every answer is 201 (filed) or 200 (the original returned); all answers for a
    key name the same tracking code; the database holds exactly one report per key."""
    rng = random.Random(20261122)
    submissions = []
    for n in range(UNIQUE_SUBMISSIONS):
        _user, token = citizens[n % len(citizens)]
        submissions.append((n, token, f"load-{uuid.UUID(int=rng.getrandbits(128))}"))
    jobs = submissions + [rng.choice(submissions) for _ in range(RETRIES)]
    rng.shuffle(jobs)

    def send(job):
        n, token, key = job
        status, body, _ = live_gunicorn.request(
            "POST",
            "/api/v1/reports",
            report_body(n),
            {"Authorization": f"Token {token}", "Idempotency-Key": key},
            timeout=60,
        )
        return key, status, body.get("tracking_code"), body

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(send, jobs))

    assert len(results) >= 1000
    unexpected = [(k, s, b) for k, s, _, b in results if s not in (200, 201)]
    assert not unexpected, unexpected[:5]
    codes_by_key: dict[str, set[str]] = defaultdict(set)
    created_by_key: dict[str, int] = defaultdict(int)
    for key, status, code, _ in results:
        codes_by_key[key].add(code)
        created_by_key[key] += status == 201
    assert all(len(codes) == 1 for codes in codes_by_key.values()), "a retry got another report"
    assert all(n == 1 for n in created_by_key.values()), "a key was filed twice or never"

    acknowledged = {next(iter(codes)) for codes in codes_by_key.values()}
    stored = set(
        Report.objects.filter(tracking_code__in=acknowledged).values_list(
            "tracking_code", flat=True
        )
    )
    FIGURES["reports acknowledged under load"] += len(acknowledged)
    FIGURES["reports lost under load"] += len(acknowledged - stored)
    assert stored == acknowledged
    assert Report.objects.count() == UNIQUE_SUBMISSIONS
    assert IdempotencyKey.objects.filter(key__startswith="load-").count() == UNIQUE_SUBMISSIONS
