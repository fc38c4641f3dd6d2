"""civicpin benchmarks: every hot path against its physical limit and a real peer, in one run.

Run with `make bench` (or `python -m bench --scale 0.1 --only routing`). Absolute times on a
shared 2-core machine mean little; the ratio to a reference measured side by side does.
"""
