"""Case 4: vector tiles at z10, z12, z14 and z16 over a fixed viewport around Hoàn Kiếm.

Each zoom's nine tiles (a 3×3 viewport) are replayed against:
- ours with the tile cache off (a dummy cache) and then on;
- the same tile SQL run by pgbench (the statement each tile runs, bound client-side);
- TiPg serving the same reports table from the same database.
TiPg sends raw points at every zoom; ours aggregates below z16 (tiles.layers, reading the
tiles_reportcell pre-aggregate), so at low zoom the two answer different questions and the
byte counts are reported beside the rates.
"""

from __future__ import annotations

import datetime as dt
import urllib.request

import psycopg
from django.http import QueryDict

from bench import db, loadgen, server
from bench.harness import Results, Row
from tiles.layers import layer_get
from tiles.selectors import TILE_STATEMENT_SETTINGS
from tiles.tilemath import tile_address, tile_for_lonlat

HOAN_KIEM = (105.8523, 21.0288)
ZOOMS = (10, 12, 14, 16)
TIPG_PROPERTIES = "tracking_code,status,created_at"


def viewport(z: int) -> list[tuple[int, int, int]]:
    centre = tile_for_lonlat(*HOAN_KIEM, z)
    return [(z, centre.x + dx, centre.y + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def _wrk_script(paths: list[str]) -> str:
    table = ",".join(f'"{p}"' for p in paths)
    return (
        f"local paths = {{{table}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\n'
        "end\n"
    )


def _tile_statements(tiles: list[tuple[int, int, int]]) -> list[str]:
    """Each tile's transaction exactly as the endpoint runs it (tiles.selectors.tile_render):
    its statement settings, then its statement with its values bound."""
    layer = layer_get("reports")
    query = layer.parse(QueryDict(""), None)
    now = dt.datetime.now(dt.UTC)
    statements = []
    with psycopg.ClientCursor(psycopg.connect(db.libpq_url())) as cursor:
        for z, x, y in tiles:
            sql, params = layer.sql(tile_address(z, x, y), query, now)
            statement = " ".join(cursor.mogrify(sql, params).split())
            statements.append(f"BEGIN;\n{TILE_STATEMENT_SETTINGS};\n{statement};\nCOMMIT;\n")
    return statements


def _bytes(url: str) -> int:
    with urllib.request.urlopen(url, timeout=120) as response:
        return len(response.read())


def run(results: Results, *, seconds: int) -> None:
    ours: dict[tuple[int, str], loadgen.Load] = {}
    sizes: dict[int, tuple[int, int]] = {}
    for cache in ("off", "on"):
        cache_url = "dummycache://" if cache == "off" else "locmemcache://bench-tiles"
        with server.gunicorn(db.BENCH_DATABASE_URL, env={"CACHE_URL": cache_url}) as base:
            for z in ZOOMS:
                paths = [f"/tiles/reports/{z}/{x}/{y}.mvt" for z, x, y in viewport(z)]
                if cache == "on":  # warm every tile in every worker's cache
                    loadgen.wrk(base + "/", _wrk_script(paths), seconds=3)
                else:
                    sizes[z] = (sum(_bytes(base + p) for p in paths), 0)
                ours[z, cache] = loadgen.wrk(base + "/", _wrk_script(paths), seconds=seconds)
    sql = {
        z: loadgen.pgbench(
            db.libpq_url(), _tile_statements(viewport(z)), seconds=seconds, protocol="simple"
        )
        for z in ZOOMS
    }
    tipg_load = {}
    with server.tipg(db.libpq_url()) as base:
        for z in ZOOMS:
            paths = [
                f"/collections/public.reports_report/tiles/WebMercatorQuad/{z}/{x}/{y}"
                f"?properties={TIPG_PROPERTIES}"
                for z, x, y in viewport(z)
            ]
            sizes[z] = (sizes[z][0], sum(_bytes(base + p) for p in paths))
            tipg_load[z] = loadgen.wrk(base + "/", _wrk_script(paths), seconds=seconds)
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
        "z10 tile costs its cells' rows, not a count of the whole city's reports; its size "
        "stays tens of KB. TiPg ships every raw point (hundreds of KB at z10–z14), so at "
        "low zoom it is measured doing a different, larger job. Our endpoint and pgbench "
        "run the tile SQL with jit and parallel workers off. A viewport mixes tiles that "
        "cost under a millisecond (outside the city) with tiles of tens of milliseconds, so "
        "its p50 is the median of a mixture: replayed one tile at a time in-process, each "
        "tile's endpoint time is its SQL time plus about 1.5 ms (a version lookup, the "
        "transaction and HTTP), while under load the server's Python, PostgreSQL and wrk "
        "share two cores, which pgbench's side does not pay. With the cache on a tile is a "
        "cache read plus a version check, independent of the data.",
    )
