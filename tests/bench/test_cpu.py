"""Where a load run's CPU went (bench.cpu): the bookkeeping, and real processes counted in
their groups. No assertion on how long anything takes, only on where its CPU was counted."""

import subprocess
import sys
from dataclasses import replace

import psycopg
import pytest

from bench import cpu, loadgen

# Busy for a few hundred milliseconds of CPU: many clock ticks, whatever the machine's speed.
BURN = "n = 0\nfor i in range(6_000_000):\n    n += i\n"


def reading(server=0.0, database=0.0, load=0.0, total=0.0, idle=0.0) -> cpu._Reading:
    return cpu._Reading({"server": server, "database": database, "load": load}, total, idle)


def test_the_split_is_each_groups_difference_and_other_is_the_rest_of_the_machine():
    start = reading(server=10, database=20, load=1, total=1000, idle=500)
    end = reading(server=12.5, database=21.5, load=1.2, total=1010, idle=505)
    split = cpu.split_between(start, end)
    expected = {"server": 2.5, "database": 1.5, "load": 0.2, "idle": 5.0, "other": 0.8}
    assert {g: getattr(split, g) for g in cpu.GROUPS} == pytest.approx(expected)
    assert split.total == pytest.approx(10.0)  # all cores' time between the two readings


def test_splits_add_up_and_describe_milliseconds_per_request():
    first = cpu.CpuSplit(server=1.0, database=0.5, load=0.1, idle=0.2, other=0.2)
    both = first + first
    assert both == cpu.CpuSplit(server=2.0, database=1.0, load=0.2, idle=0.4, other=0.4)
    assert both.describe(1000, load_name="wrk") == (
        "CPU per request 4.00 ms: server 2.00, PostgreSQL 1.00, wrk 0.20, idle 0.40, other 0.40"
    )
    assert "no requests" in both.describe(0, load_name="wrk")


def test_a_waited_for_child_is_the_load_generator():
    done, split = cpu.measured(lambda: subprocess.run([sys.executable, "-c", BURN], check=True))
    assert done.returncode == 0
    assert split.load > 0.05  # the child's CPU, counted when it was reaped
    assert split.load > split.server


@pytest.mark.django_db  # for the test database's name; the query needs none of its rows
def test_a_postgresql_backend_that_has_ended_still_counts_as_the_database():
    from django.db import connection

    def query_in_a_backend_of_its_own() -> None:
        with psycopg.connect(**connection.get_connection_params()) as conn:
            conn.execute("SELECT count(*) FROM generate_series(1, 5000000)").fetchone()

    _, split = cpu.measured(query_in_a_backend_of_its_own)
    # The backend exited with its connection: its time is the postmaster's reaped children's.
    assert split.database > 0.05


def test_pooled_loads_add_their_cpu_and_describe_it_on_request():
    def run(server: float) -> loadgen.Load:
        base = loadgen._load(2, 0, 1.0, [("a", 1.0), ("a", 2.0)])
        split = cpu.CpuSplit(server=server, database=0.001, load=0.0, idle=0.0, other=0.0)
        return replace(base, cpu=split, generator="wrk")

    pooled = loadgen.merged([run(0.002), run(0.004)])
    assert pooled.cpu.server == pytest.approx(0.006)
    assert pooled.cpu.database == pytest.approx(0.002)
    assert pooled.generator == "wrk"
    assert pooled.describe().endswith("p99 2.0 ms")
    assert pooled.describe(with_cpu=True).endswith(
        "CPU per request 2.00 ms: server 1.50, PostgreSQL 0.50, wrk 0.00, idle 0.00, other 0.00"
    )
    # A run without a split (none measured) leaves the pool without one.
    assert loadgen.merged([run(0.002), loadgen._load(1, 0, 1.0, [("a", 1.0)])]).cpu is None
