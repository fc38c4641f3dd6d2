"""Which database a benchmark run uses: one per scale, so a small run keeps the million."""

import importlib

import pytest

import bench
from bench import db


def test_the_default_scale_keeps_civicpin_bench():
    assert bench.database_name(1.0) == "civicpin_bench"


@pytest.mark.parametrize(
    ("scale", "name"),
    [(0.01, "civicpin_bench_0_01"), (0.1, "civicpin_bench_0_1"), (2.0, "civicpin_bench_2")],
)
def test_any_other_scale_has_a_database_of_its_own(scale, name):
    assert bench.database_name(scale) == name


def test_bench_db_reads_the_name_and_an_explicit_url_wins(monkeypatch):
    try:
        monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
        monkeypatch.setenv("BENCH_DATABASE", "civicpin_bench_0_01")
        assert importlib.reload(db).BENCH_DATABASE_URL.endswith(":5432/civicpin_bench_0_01")
        assert db.libpq_url().startswith("postgresql://")
        monkeypatch.setenv("BENCH_DATABASE_URL", "postgis://u@db.example:5432/elsewhere")
        assert importlib.reload(db).BENCH_DATABASE_URL == "postgis://u@db.example:5432/elsewhere"
    finally:
        monkeypatch.undo()
        importlib.reload(db)
