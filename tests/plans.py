"""Query plans for tests that check which index a statement uses."""

from django.db import connection


def plan_without_seqscan(sql: str, params: list | tuple | dict | None = None) -> str:
    """EXPLAIN of `sql` with its parameters sent as the application sends them, sequential
    scans disabled for the rest of the test's transaction, so a condition no index can
    serve still shows (as a Seq Scan or a Filter)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())
