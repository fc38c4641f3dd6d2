"""The health endpoint and the spatial database behind it."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_reports_postgresql_and_postgis_versions(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["postgis"].startswith("3.")
    assert body["database"]["postgresql"]


@pytest.mark.django_db
def test_postgis_answers_a_real_spatial_query():
    """ST_Contains is true for a point inside a polygon and false for one outside it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_Contains(poly, ST_GeomFromText('POINT(105.85 21.03)', 4326)),
                   ST_Contains(poly, ST_GeomFromText('POINT(106.50 21.03)', 4326))
            FROM (SELECT ST_GeomFromText(
                'POLYGON((105.8 21.0, 105.9 21.0, 105.9 21.1, 105.8 21.1, 105.8 21.0))', 4326
            ) AS poly) AS p
            """
        )
        assert cursor.fetchone() == (True, False)


# serialized_rollback: this transactional test's flush would otherwise leave the next
# serialized test (the browser tests) to recreate content types on top of existing ones.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_healthz_answers_503_with_a_message_when_the_database_is_unreachable(client):
    """A closed port stands in for a database that went away; the answer is a clear 503."""
    connection.close()
    original_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "database" in body["detail"].lower()
    assert "Traceback" not in response.content.decode()


def test_healthz_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405
