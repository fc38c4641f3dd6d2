"""The reports suite's two-ward city, for the benchmark's statements run in the test database."""

from tests.reports.conftest import (  # noqa: F401 (fixtures shared with the reports suite)
    citizen,
    city,
    fast_password_hasher,
    west_official,
)
