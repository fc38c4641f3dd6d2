"""The harness's side-by-side timing: who runs when (nothing heavy is run)."""

from bench import harness


def test_side_by_side_warms_each_up_then_alternates_the_order_every_round():
    calls: list[str] = []
    funcs = {name: (lambda name=name: calls.append(name)) for name in ("ours", "ref", "mem")}

    stats = harness.measure_side_by_side(funcs, repeat=3, warmup=1)

    assert calls == [
        *("ours", "ref", "mem"),  # warm-up
        *("ours", "ref", "mem"),
        *("mem", "ref", "ours"),
        *("ours", "ref", "mem"),
    ]
    assert set(stats) == {"ours", "ref", "mem"}
    assert all(len(s.runs) == 3 for s in stats.values())


def test_each_keeps_its_own_times(monkeypatch):
    clock = iter(range(100))
    monkeypatch.setattr(harness.time, "perf_counter", lambda: float(next(clock)))
    ticks = {"slow": 3, "fast": 1}

    def run(name: str) -> None:
        for _ in range(ticks[name] - 1):
            next(clock)  # the clock moves ticks[name] between start and end

    stats = harness.measure_side_by_side(
        {"slow": lambda: run("slow"), "fast": lambda: run("fast")}, repeat=2, warmup=0
    )

    assert stats["slow"].runs == (3.0, 3.0)
    assert stats["fast"].runs == (1.0, 1.0)
