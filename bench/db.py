"""The benchmark's own database, kept apart from development data and the test database."""

from __future__ import annotations

import io
import os

import numpy as np
import psycopg

from bench import DEFAULT_DATABASE

# `python -m bench` names the database by its scale (bench.database_name) in BENCH_DATABASE;
# BENCH_DATABASE_URL, when set, names server and database outright.
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL",
    "postgis://civicpin:civicpin@127.0.0.1:5432/"
    + os.environ.get("BENCH_DATABASE", DEFAULT_DATABASE),
)


def ensure_database() -> None:
    """Create the benchmark database if it is missing (PostGIS comes from template1)."""
    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    admin = libpq_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # name from our own setting


def libpq_url() -> str:
    """The benchmark database as a libpq URL (for psql and pgbench)."""
    return BENCH_DATABASE_URL.replace("postgis://", "postgresql://")


def copy_points(cursor, table: str, workload) -> None:
    """(Re)create `table` (id, geom, category, created_at) and COPY the workload into it."""
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"""CREATE UNLOGGED TABLE {table} (
            id bigint PRIMARY KEY, lon float8, lat float8, category smallint,
            created_at timestamptz, geom geometry(Point, 4326))"""
    )
    buffer = io.StringIO()
    ids = np.arange(1, len(workload) + 1)
    created = np.datetime_as_string(workload.created, unit="s")
    for row in zip(ids, workload.lon, workload.lat, workload.category, created, strict=True):
        buffer.write("{}\t{:.7f}\t{:.7f}\t{}\t{}Z\n".format(*row))
    buffer.seek(0)
    with cursor.copy(f"COPY {table} (id, lon, lat, category, created_at) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)
    cursor.execute(f"UPDATE {table} SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
    cursor.execute(f"CREATE INDEX ON {table} USING gist (geom)")
    cursor.execute(f"ANALYZE {table}")
