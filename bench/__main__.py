"""`python -m bench [--scale S] [--only case,case] [--repeat N]`: run and write results.md."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

CASES = ("routing", "creation", "lookup", "tiles", "listing", "analytics")
RESULTS = Path(__file__).resolve().parent / "results.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 1,000,000 reports (default)"
    )
    parser.add_argument("--only", default=",".join(CASES), help=f"comma-separated: {CASES}")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per figure")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file")
    parser.add_argument(
        "--seconds", type=int, default=10, help="duration of each HTTP or pgbench load run"
    )
    args = parser.parse_args(argv)
    args.only = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = sorted(set(args.only) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {CASES}")
    if not 0 < args.scale <= 10:
        parser.error("--scale must be in (0, 10]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from bench import database_name

    os.environ.setdefault("BENCH_DATABASE", database_name(args.scale))  # read by bench.db
    from bench import db

    db.ensure_database()
    os.environ["DATABASE_URL"] = db.BENCH_DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import setup_data, workload
    from bench.harness import Results

    call_command("migrate", verbosity=0)
    n = int(1_000_000 * args.scale)
    wards, source = workload.real_or_demo_wards()
    print(f"workload: {n:,} reports over {source}")
    start = time.perf_counter()
    generation, level = setup_data.ensure_wards(wards)
    work = workload.generate(wards, n)
    with connection.cursor() as cursor:
        db.copy_points(cursor.cursor, "bench_points", work)
    reports = setup_data.ensure_reports(work, generation=generation, level=level)
    officials = setup_data.ensure_officials()
    print(f"loaded {reports:,} reports in {time.perf_counter() - start:.1f} s")
    print(f"{officials:,} officials with an e-mail address in their agencies")

    results = Results(scale=args.scale)

    def routing_case() -> None:
        from bench.cases import routing

        routing.run(
            results,
            workload=work,
            level_id=level.id,
            generation_id=generation.id,
            repeat=args.repeat,
        )

    def creation_case() -> None:
        from bench.cases import creation, lookup

        lookup.ensure_points(work)
        creation.run(results, workload=work, generation_id=generation.id, seconds=args.seconds)

    def lookup_case() -> None:
        from bench.cases import lookup

        lookup.run(results, workload=work, generation_id=generation.id, seconds=args.seconds)

    def tiles_case() -> None:
        from bench.cases import tiles

        tiles.run(results, seconds=args.seconds)

    def listing_case() -> None:
        from bench.cases import listing

        listing.run(results, repeat=args.repeat)

    def analytics_case() -> None:
        from bench.cases import analytics

        analytics.run(results, repeat=args.repeat)

    cases = {
        "routing": ("bulk routing", routing_case),
        "creation": ("report creation over HTTP", creation_case),
        "lookup": ("point lookup", lookup_case),
        "tiles": ("tiles", tiles_case),
        "listing": ("GeoJSON list", listing_case),
        "analytics": ("analytics", analytics_case),
    }
    for name in CASES:  # in this order, whatever the order of --only
        if name in args.only:
            title, run = cases[name]
            setup_data.vacuum()  # the previous case's writes cleared the visibility map
            print(f"case: {title}")
            run()
    results.write(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
