"""The load generator's bookkeeping: pooled runs and alternating rounds (no load is run)."""

from bench import loadgen


def load(samples: list[tuple[str, float]], *, seconds: float = 1.0) -> loadgen.Load:
    return loadgen._load(len(samples), 0, seconds, samples)


def test_pooled_runs_add_their_counts_and_take_percentiles_over_every_sample():
    first = load([("a", 1.0), ("a", 2.0), ("b", 9.0)], seconds=2.0)
    second = load([("a", 3.0), ("b", 10.0), ("b", 11.0)], seconds=4.0)
    pooled = loadgen.merged([first, second])
    assert (pooled.requests, pooled.seconds, pooled.rate) == (6, 6.0, 1.0)
    assert pooled.p50_ms == 9.0  # of 1, 2, 3, 9, 10, 11
    assert pooled.p50_by == {"a": 2.0, "b": 10.0}
    assert len(pooled.samples) == 6


def test_sides_alternate_in_rounds_and_only_the_first_round_warms_up():
    calls: list[tuple[str, int, int]] = []

    def side(name: str):
        def run(seconds: int, warmup: int) -> loadgen.Load:
            calls.append((name, seconds, warmup))
            return load([(name, float(len(calls)))])

        return run

    pooled = loadgen.alternating({"ours": side("ours"), "sql": side("sql")}, seconds=10, rounds=3)
    warm = loadgen.WARMUP_SECONDS
    assert calls == [
        ("ours", 4, warm),
        ("sql", 4, warm),
        ("sql", 4, 0),
        ("ours", 4, 0),
        ("ours", 4, 0),
        ("sql", 4, 0),
    ]
    assert pooled["ours"].requests == pooled["sql"].requests == 3
    assert sorted(ms for _, ms in pooled["ours"].samples) == [1.0, 4.0, 5.0]


def test_a_description_says_how_many_requests_failed_when_any_did():
    clean = loadgen._load(3, 0, 1.0, [("a", 1.0), ("a", 2.0), ("a", 3.0)])
    assert "failed" not in clean.describe()
    failing = loadgen._load(3, 1_200, 1.0, [("a", 1.0), ("a", 2.0), ("a", 3.0)])
    assert failing.describe().endswith("p99 3.0 ms, 1,200 failed")
