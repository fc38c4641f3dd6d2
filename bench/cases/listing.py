"""Case 5: the reports list as GeoJSON, 1k and 10k features, against json_agg in PostgreSQL.

The API pages its answer (page_size at most 500), so N features are N / 500 sequential
requests, the way a client reads them. The reference builds one FeatureCollection of the
same N reports with the same properties in a single statement.
"""

from __future__ import annotations

import json
import urllib.request

import psycopg

from bench import db, server
from bench.harness import Results, Row, Stats, measure
from reports import selectors

PAGE = 500
SIZES = (1_000, 10_000)


def _fetch_pages(base: str, n: int) -> int:
    features = 0
    for page in range(1, n // PAGE + 1):
        url = f"{base}/api/v1/reports?page={page}&page_size={PAGE}"
        with urllib.request.urlopen(url, timeout=120) as response:
            features += len(json.loads(response.read())["features"])
    return features


def _list_sql() -> str:
    """The list's own feature SQL for its first N reports, as one FeatureCollection.

    The selector orders a page by the position of each id in the page's id list, which is
    right for 500 ids; for 10,000 that ordering alone is quadratic, so the reference orders
    by the list's own sort key instead. Built from the selector's text so the properties can
    never drift apart; a change to that text that breaks these replacements fails loudly.
    """
    sql = selectors._FEATURES_SQL
    swaps = {
        "json_agg(feature ORDER BY array_position(%(ids)s::bigint[], id))": (
            "json_agg(feature ORDER BY created_at DESC, id DESC)"
        ),
        "SELECT r.id, json_build_object(": "SELECT r.id, r.created_at, json_build_object(",
        "WHERE r.id = ANY(%(ids)s::bigint[])": "ORDER BY r.created_at DESC, r.id DESC LIMIT %(n)s",
    }
    for old, new in swaps.items():
        if old not in sql:
            raise RuntimeError(f"reports.selectors._FEATURES_SQL changed; update bench: {old!r}")
        sql = sql.replace(old, new)
    head = """'{"type": "FeatureCollection", "features": '"""
    return f"SELECT {head} || f || '}}' FROM ({sql}) AS p(f)"


def _reference(n: int) -> tuple[Stats, int]:
    """json_agg of the first n reports in the list's order, in one statement."""
    sql = _list_sql()
    with psycopg.connect(db.libpq_url()) as conn:
        now = conn.execute("SELECT now()").fetchone()[0]
        params = {"n": n, "now": now, "open": ["received", "in_progress"]}
        size = len(conn.execute(sql, params).fetchone()[0])
        stats = measure(lambda: conn.execute(sql, params).fetchone(), repeat=5)
    return stats, size


def run(results: Results, *, repeat: int) -> None:
    with server.gunicorn(db.BENCH_DATABASE_URL) as base:
        for n in SIZES:
            got = _fetch_pages(base, n)
            ours = measure(lambda n=n: _fetch_pages(base, n), repeat=repeat)
            ref, size = _reference(n)
            results.add(
                Row(
                    case=f"GeoJSON list, {n:,} features ({n // PAGE} pages of {PAGE})",
                    ours=f"{ours.describe()}; {got:,} features",
                    reference=f"{ref.describe()}; {size / 1024:,.0f} KB",
                    reference_name="json_agg of the same features, one statement",
                    ratio=ours.median / ref.median,
                    target="≤ 2×",
                )
            )
    results.read(
        "GeoJSON list",
        "Each page's features are built by PostgreSQL (json_build_object) and passed "
        "through; the rest is the page query with its count, HTTP and one request per 500 "
        "features, which the single json_agg statement does not pay.",
    )
