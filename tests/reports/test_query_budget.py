"""Filing a report is the platform's hottest write: its round trips to the database are counted.

At a few milliseconds per round trip under load, each query is latency every citizen pays.
The budget is today's count; raise it only with a reason.
"""

import pytest

from .conftest import client_for
from .test_api import REPORTS, submission

pytestmark = pytest.mark.django_db

# The token with its user and roles (accounts.authentication), the covering areas with the
# routing choices in them (reports.routing), and the filing's one statement (reports.filing);
# here inside the test's transaction, so with a savepoint and its release around it. Outside
# one, as served, there is no savepoint, and the statement also bumps the tiles' data version
# (test_filing_statement.py).
FILING_QUERY_BUDGET = 5


def test_filing_a_report_stays_within_its_query_budget(
    city, citizen, api_client, django_assert_max_num_queries
):
    client = client_for(api_client, citizen)
    client.post(REPORTS, submission(), format="json")  # warm per-process caches
    with django_assert_max_num_queries(FILING_QUERY_BUDGET):
        response = client.post(REPORTS, submission(), format="json")
    assert response.status_code == 201
