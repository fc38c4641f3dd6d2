"""civicpin benchmarks: every hot path against its physical limit and a real peer, in one run.

Run with `make bench` (or `python -m bench --scale 0.1 --only routing`). Absolute times on a
shared 2-core machine mean little; the ratio to a reference measured side by side does.
"""

DEFAULT_DATABASE = "civicpin_bench"


def database_name(scale: float) -> str:
    """The benchmark database for `scale`: the default scale's is civicpin_bench, any other
    scale has its own (civicpin_bench_0_01), so a quick run at a small scale never replaces
    the million reports the default run needs (loading them again takes minutes)."""
    if scale == 1.0:
        return DEFAULT_DATABASE
    return f"{DEFAULT_DATABASE}_{f'{scale:g}'.replace('.', '_')}"
