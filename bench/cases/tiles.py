"""Case 4: vector tiles at z10, z12, z14 and z16 over a fixed viewport around Hoàn Kiếm.

Each zoom's nine tiles (a 3×3 viewport) are replayed against:
- ours with the tile cache off (a dummy cache) and then on;
- the same tile SQL run by pgbench: each tile's statement as a simple-protocol message, its
  values bound client-side, its result in text, in sessions started with the app's settings
  (jit and parallel workers off, DB_SESSION_OPTIONS);
- TiPg serving the same reports table from the same database.
TiPg sends raw points at every zoom; ours aggregates below z16 (tiles.layers, reading the
tiles_reportcell pre-aggregate), so at low zoom the two answer different questions and the
byte counts are reported beside the rates.

Like for like. Every side runs two clients (one per core) that each pick one of the nine
tiles at random for every request: pgbench picks one of nine scripts, and wrk's script
seeds one generator per thread. Latency percentiles come from raw per-request samples on
both sides (bench/loadgen.py): wrk's own percentiles carry its coordinated-omission
correction, which adds synthetic samples for every slow response and, in a viewport
mixing 1 ms and 100 ms tiles, fills the gap between them and lifts the p50 while pgbench's
stays raw (that, not the endpoint, was most of the old z10 3.9×). Ours, pgbench and TiPg
run back to back for each zoom, ours and pgbench in three alternating rounds whose samples
are pooled (loadgen.alternating), so a load from elsewhere on the shared machine hits both
sides of the p50 target alike.

Two p50 readings. A viewport's p50 is the median of a mixture: at z10 three of the nine
tiles are empty (east of the city; under 2 ms of SQL) and the rest cost 5–100 ms, so the
median sits where the groups meet, and the endpoint's fixed cost per request (Django and
HTTP: about 0.5 ms in-process, more under load) weighs most there. So each tile's endpoint
p50 over its own SQL p50, taken from the same runs, is reported too, with the median of the
nine ratios.
"""

from __future__ import annotations

import datetime as dt
import statistics
import urllib.request

import psycopg
from django.http import QueryDict

from bench import db, loadgen, server
from bench.harness import Results, Row
from tiles.layers import layer_get
from tiles.tilemath import tile_address, tile_for_lonlat

HOAN_KIEM = (105.8523, 21.0288)
ZOOMS = (10, 12, 14, 16)
TIPG_PROPERTIES = "tracking_code,status,created_at"


def viewport(z: int) -> list[tuple[int, int, int]]:
    centre = tile_for_lonlat(*HOAN_KIEM, z)
    return [(z, centre.x + dx, centre.y + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def _wrk_script(paths: list[str]) -> str:
    """Each request asks for one of `paths` at random, as pgbench picks one of the tiles'
    scripts at random (each wrk thread with its own seed, loadgen.WRK_THREADS)."""
    table = ",".join(f'"{p}"' for p in paths)
    return (
        f"local paths = {{{table}}}\n"
        "request = function()\n"
        '  return wrk.format("GET", paths[math.random(#paths)])\n'
        "end\n"
    )


def _tile_statements(tiles: list[tuple[int, int, int]]) -> list[str]:
    """Each tile's statement as the endpoint runs it, its values bound (pgbench's sessions
    start with the app's settings, loadgen.pgbench)."""
    layer = layer_get("reports")
    query = layer.parse(QueryDict(""), None)
    now = dt.datetime.now(dt.UTC)
    statements = []
    with psycopg.ClientCursor(psycopg.connect(db.libpq_url())) as cursor:
        for z, x, y in tiles:
            sql, params = layer.sql(tile_address(z, x, y), query, now)
            statement = " ".join(cursor.mogrify(sql, params).split())
            statements.append(f"{statement};\n")
    return statements


def _tile_by_tile(
    z: int, endpoint: loadgen.Load, sql: loadgen.Load
) -> tuple[list[float], list[float], list[float]]:
    """Each tile's p50 at the endpoint and in pgbench, taken from the same mixed runs (so
    under the same load), and their ratios, in viewport order."""
    paths = [f"/tiles/reports/{z}/{x}/{y}.mvt" for z, x, y in viewport(z)]
    endpoint_p50s = [endpoint.p50_by[path] for path in paths]
    sql_p50s = [sql.p50_by[str(i)] for i in range(len(paths))]
    ratios = [ours / theirs for ours, theirs in zip(endpoint_p50s, sql_p50s, strict=True)]
    return endpoint_p50s, sql_p50s, ratios


def _span(values: list[float], spec: str = ".1f") -> str:
    return f"{min(values):{spec}}–{max(values):{spec}}"


def _bytes(url: str) -> int:
    with urllib.request.urlopen(url, timeout=120) as response:
        return len(response.read())


def run(results: Results, *, seconds: int) -> None:
    ours: dict[tuple[int, str], loadgen.Load] = {}
    sql: dict[int, loadgen.Load] = {}
    tipg_load: dict[int, loadgen.Load] = {}
    sizes: dict[int, tuple[int, int]] = {}
    # Cache off: ours, the SQL and TiPg back to back for each zoom, so the three share the
    # same moment of a shared, noisy machine (run one after another over all zooms, a load
    # from elsewhere landed on one side only and moved a ratio by 1.5x); ours and the SQL,
    # whose p50s the target compares, in alternating rounds (loadgen.alternating).
    with (
        server.gunicorn(db.BENCH_DATABASE_URL, env={"CACHE_URL": "dummycache://"}) as base,
        server.tipg(db.libpq_url()) as tipg_base,
    ):
        for z in ZOOMS:
            paths = [f"/tiles/reports/{z}/{x}/{y}.mvt" for z, x, y in viewport(z)]
            tipg_paths = [
                f"/collections/public.reports_report/tiles/WebMercatorQuad/{z}/{x}/{y}"
                f"?properties={TIPG_PROPERTIES}"
                for z, x, y in viewport(z)
            ]
            sizes[z] = (
                sum(_bytes(base + p) for p in paths),
                sum(_bytes(tipg_base + p) for p in tipg_paths),
            )
            script, statements = _wrk_script(paths), _tile_statements(viewport(z))
            pair = loadgen.alternating(
                {
                    "ours": lambda s, w, script=script: loadgen.wrk(
                        base + "/", script, seconds=s, warmup=w
                    ),
                    "sql": lambda s, w, statements=statements: loadgen.pgbench(
                        db.libpq_url(), statements, seconds=s, protocol="simple", warmup=w
                    ),
                },
                seconds=seconds,
            )
            ours[z, "off"], sql[z] = pair["ours"], pair["sql"]
            tipg_load[z] = loadgen.wrk(tipg_base + "/", _wrk_script(tipg_paths), seconds=seconds)
    with server.gunicorn(
        db.BENCH_DATABASE_URL, env={"CACHE_URL": "locmemcache://bench-tiles"}
    ) as base:
        for z in ZOOMS:
            paths = [f"/tiles/reports/{z}/{x}/{y}.mvt" for z, x, y in viewport(z)]
            # wrk's warm-up run fills every worker's cache with every tile.
            ours[z, "on"] = loadgen.wrk(base + "/", _wrk_script(paths), seconds=seconds)
    for z in ZOOMS:
        off, on = ours[z, "off"], ours[z, "on"]
        ours_kb, tipg_kb = (b / 1024 / 9 for b in sizes[z])
        results.add(
            Row(
                case=f"Tiles z{z}, cache off (p50)",
                ours=f"{off.describe()}; {ours_kb:,.0f} KB/tile",
                reference=sql[z].describe(),
                reference_name="pgbench, same tile SQL",
                ratio=off.p50_ms / sql[z].p50_ms if sql[z].p50_ms else None,
                target="p50 ≤ 1.3×",
            )
        )
        endpoint_p50s, sql_p50s, ratios = _tile_by_tile(z, off, sql[z])
        results.add(
            Row(
                case=f"Tiles z{z}, cache off (p50 tile by tile)",
                ours=f"p50 {_span(endpoint_p50s)} ms over the 9 tiles; "
                f"endpoint ÷ SQL {_span(ratios, '.2f')}× by tile",
                reference=f"p50 {_span(sql_p50s)} ms over the 9 tiles",
                reference_name="pgbench, same tile SQL, same mix",
                ratio=statistics.median(ratios),
                target="median over tiles ≤ 1.3×",
            )
        )
        results.add(
            Row(
                case=f"Tiles z{z}, cache off (tiles/s)",
                ours=f"{off.rate:,.1f} tiles/s",
                reference=f"{tipg_load[z].describe()}; {tipg_kb:,.0f} KB/tile",
                reference_name="TiPg, raw points",
                ratio=tipg_load[z].rate / off.rate if off.rate else None,
                target="≤ 1× (at least TiPg's rate)",
            )
        )
        results.add(
            Row(
                case=f"Tiles z{z}, cache on",
                ours=on.describe(),
                reference=off.describe(),
                reference_name="ours, cache off",
                ratio=off.rate / on.rate if on.rate else None,
            )
        )
    results.read(
        "Tiles",
        "Below z16 our reports layer draws a 32×32 grid of report counts per tile, read "
        "from a per-cell pre-aggregate the report writers keep (tiles_reportcell), so a "
        "z10 tile costs its cells' rows (up to ~40,000 cell, category and status rows for "
        "the tile over the old city, most of its time in sorting and grouping them), not a "
        "count of the city's reports; it stays tens of KB. TiPg ships every raw point "
        "(hundreds of KB at z10–z14), so at low zoom it does a different, larger job. Our "
        "endpoint sends its one statement, planned without JIT or parallel workers (settings "
        "every session of the app and of pgbench starts with, DB_SESSION_OPTIONS; sent with "
        "each tile they were a second statement, about 0.3 ms in-process for an empty tile), "
        "and asks for the tile in binary: "
        "as text (pgbench's only format) a z16 tile of 270 KB is hex twice its size, "
        "encoded by PostgreSQL and decoded by the client, about a millisecond of CPU on the "
        "two sides; measured against the text answer in alternating rounds, the z16 p50 fell "
        "by about 1 ms (1.28–1.32× to 1.19–1.25× the SQL). Both load generators pick tiles at "
        "random at the same concurrency, and both p50s come from raw samples (wrk's own "
        "percentiles add coordinated-omission samples, which had inflated the z10 p50 "
        "about fourfold). What is left between endpoint and SQL is a fixed cost per "
        "request, Django and HTTP: about 0.5 ms in-process for an empty tile, more when the "
        "server's Python shares two cores with PostgreSQL. It had two round trips more, "
        "about 0.8 ms: the connection health check now polls the socket, and a worker reads "
        "the data versions once a second rather than per tile (TILES_VERSION_TTL). It is "
        "still a large part of a tile that renders in a millisecond or two (the three empty "
        "tiles east of the city at z10, the lightest tiles at z12) and a small part of a "
        "tile of tens of milliseconds, so the tile-by-tile median is the fairer reading of "
        "the p50 target. At z12 and z14 a tile is its cell rows. At z16 it is raw points, "
        "read from a covering GiST index (report_tile_points: location, tracking code, "
        "status, category, times and agency) without visiting the table: about 175 index "
        "pages for a tile of 7,500 reports where the table held them on 6,700 heap pages "
        "(reports arrive in time order, not by place). What remains is mostly MVT encoding "
        "of five attributes per point (tracking code and filing time differ for every "
        "point). Ours sends the category and the overdue flag besides TiPg's three "
        "attributes; TiPg's statement reads the table. Under load on this shared machine "
        "the z14 and z16 p50 ratios moved between about 1.05× and 1.4× from one run to the "
        "next. With the cache on a tile is a cache read plus the (memoised) data version, "
        "independent of the data.",
    )
