"""Case 3: point lookup over HTTP (`/api/v1/lookup`) against pgbench on the same lookup SQL."""

from __future__ import annotations

from django.db import connection

from bench import db, loadgen, server
from bench.harness import Results, Row
from boundaries import selectors

SAMPLE = 2000


def _sql_for_pgbench(generation_id: int) -> str:
    """The project's covering query with its point drawn from a table by a pgbench variable.

    Built from the selector's own SQL text, so the reference can never drift from the code.
    """
    point = "(SELECT {} FROM bench_lookup_points WHERE id = :id)"
    body = (
        selectors._COVERING_SQL.replace("%(lon)s", point.format("lon"))
        .replace("%(lat)s", point.format("lat"))
        .replace("%(generation)s", str(int(generation_id)))
    )
    return f"\\set id random(1, {SAMPLE})\n{' '.join(body.split())};\n"


def _wrk_script(points: list[tuple[float, float]]) -> str:
    table = ",".join(f"{{{lon:.6f},{lat:.6f}}}" for lon, lat in points)
    return (
        f"local points = {{{table}}}\n"
        "request = function()\n"
        "  local p = points[math.random(#points)]\n"
        '  local path = string.format("/api/v1/lookup?lat=%.6f&lon=%.6f", p[2], p[1])\n'
        '  return wrk.format("GET", path)\n'
        "end\n"
    )


def ensure_points(workload) -> list[tuple[float, float]]:
    """The first SAMPLE workload points, also as a table pgbench scripts draw from."""
    points = list(zip(workload.lon[:SAMPLE], workload.lat[:SAMPLE], strict=True))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_lookup_points")
        cursor.execute(
            "CREATE TABLE bench_lookup_points (id int PRIMARY KEY, lon float8, lat float8)"
        )
        cursor.executemany(
            "INSERT INTO bench_lookup_points VALUES (%s, %s, %s)",
            [(i + 1, float(lon), float(lat)) for i, (lon, lat) in enumerate(points)],
        )
    return points


def run(results: Results, *, workload, generation_id: int, seconds: int) -> None:
    points = ensure_points(workload)
    sql = loadgen.pgbench(db.libpq_url(), _sql_for_pgbench(generation_id), seconds=seconds)
    with server.gunicorn(db.BENCH_DATABASE_URL) as base:
        http = loadgen.wrk(base + "/", _wrk_script(points), seconds=seconds)
    results.add(
        Row(
            case="Point lookup `/api/v1/lookup`",
            ours=http.describe(with_cpu=True),
            reference=sql.describe(with_cpu=True),
            reference_name="pgbench, same covering SQL",
            ratio=sql.rate / http.rate if http.rate else None,
            target="",
        )
    )
    results.read(
        "Point lookup",
        "The SQL alone answers from the subdivided pieces' GiST index; the endpoint adds "
        "HTTP parsing, Django and DRF dispatch and the answer's serializer, all on the same "
        "two cores as the database and wrk. It is one statement, which PostgreSQL has "
        "prepared and does not plan again: the areas come with the covering test and the "
        "current generation with both (a query of its own for the generation, compiled by "
        "the ORM on every request, had cost a third of the endpoint's CPU). The "
        "servers are warmed up before measuring: a cold worker's first requests "
        "(imports, URL resolvers, one database connection per worker) took up to a second "
        "and were the p99 tails of earlier runs. The CPU per request (bench/cpu.py) shows "
        "where the ratio comes from: the lookup itself costs PostgreSQL a fraction of a "
        "millisecond either way, and the endpoint's time is the server's Python.",
    )
