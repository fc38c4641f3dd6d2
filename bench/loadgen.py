"""Drive HTTP with wrk and SQL with pgbench, and parse what they print."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.cpu import CpuSplit, measured
from bench.harness import in_turns

# Every load runs at the same concurrency: one client per core, as many as the server has
# workers (gunicorn workers = cores). Against pgbench this compares like with like: the same
# number of statements in PostgreSQL at once, so a ratio measures the platform's own cost
# rather than queueing in front of two sync workers.
CONCURRENCY = os.cpu_count() or 2

# Every server is warmed up with the same requests before a measured run: a fresh worker
# imports and compiles on its first requests (URL resolvers, serializers, a database
# connection per thread), which stalled its first clients for up to a second and showed up as
# p99 tails of a cold start rather than of the steady state being compared with pgbench.
WARMUP_SECONDS = 3

# wrk's own percentiles are not the latencies it saw. Before it reports them (and before a
# script's done() reads them), wrk 4 "corrects" its histogram for coordinated omission
# (stats_correct in wrk.c): every response slower than twice the mean interval between one
# connection's requests adds synthetic samples at that latency less one, two, ... intervals.
# That suits an open-loop test at a fixed rate. Ours are closed loops compared with pgbench,
# whose latencies are the raw ones, and on a tile viewport that mixes 1 ms and 100 ms tiles
# the synthetic samples fill the gap between the two. Measured on three z10 tiles over one
# connection (two of ~5 ms, one of ~80 ms): wrk said p50 36 ms, the same requests timed one
# by one had a p50 of 6 ms, and the server's log agreed with the latter. It was most of the
# z10 p50's 3.9x over pgbench at nearly the same rate. So the script below times
# every request itself, between the same two points where wrk takes its own timestamps
# (request() just before the write, response() as the response completes), on the monotonic
# clock through LuaJIT's FFI, and prints every sample; percentiles are taken here, from the
# raw samples, exactly as for pgbench. One connection per thread, so a thread has at most
# one request in flight and one timestamp to keep.
# Prepended to a case's Lua script: every wrk thread knows its number (`thread_id`, from 1)
# and seeds its own generator with it. Unseeded, LuaJIT gives each thread the same sequence:
# all connections would ask for the same tile at once, and two threads would file the same
# report with the same Idempotency-Key, so that one of the two became a replay.
WRK_THREADS = """
local bench_thread_count = 0
setup = function(thread)
  bench_thread_count = bench_thread_count + 1
  thread:set("thread_id", bench_thread_count)
end
init = function(args)
  math.randomseed(thread_id)
end
"""

WRK_REPORT = """
local bench_ffi = require("ffi")
bench_ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local bench_clock = bench_ffi.new("bench_timespec")
local function bench_now_us()
  bench_ffi.C.clock_gettime(1, bench_clock)
  return tonumber(bench_clock.tv_sec) * 1000000 + tonumber(bench_clock.tv_nsec) / 1000
end

local bench_request, bench_setup = request, setup
local bench_sent, bench_path
bench_samples = {}
bench_threads = {}

request = function()
  local text = bench_request()
  bench_path = text:match("^%S+ (%S+)")
  bench_sent = bench_now_us()
  return text
end

response = function(status, headers, body)
  if bench_sent then
    bench_samples[#bench_samples + 1] =
      string.format("%s %d", bench_path, bench_now_us() - bench_sent)
    bench_sent = nil
  end
end

setup = function(thread)
  bench_threads[#bench_threads + 1] = thread
  if bench_setup then bench_setup(thread) end
end

done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d errors=%d duration_us=%d\\n",
    summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout,
    summary.duration))
  for _, thread in ipairs(bench_threads) do
    for _, sample in ipairs(thread:get("bench_samples")) do
      io.write("SAMPLE ", sample, "\\n")
    end
  end
end
"""


@dataclass(frozen=True)
class Load:
    """Throughput and latency of one load run."""

    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    # p50 of each kind of request in the mix: by request path for wrk, by the script's
    # position in the list ("0", "1", ...) for pgbench.
    p50_by: dict[str, float] = field(default_factory=dict)
    # The raw (kind, latency in ms) samples, so that runs can be pooled (`merged`).
    samples: tuple[tuple[str, float], ...] = field(default=(), repr=False)
    # Where the machine's CPU went during the measured run(s), and who generated the load.
    cpu: CpuSplit | None = None
    generator: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def describe(self, *, with_cpu: bool = False) -> str:
        """Rate and latency percentiles, the requests that failed (wrk: errors and non-2xx
        answers; pgbench: failed transactions) when any did, and on request the CPU split."""
        text = (
            f"{self.rate:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms"
        )
        if self.errors:
            text += f", {self.errors:,} failed"
        if with_cpu and self.cpu is not None:
            text += "; " + self.cpu.describe(self.requests, load_name=self.generator)
        return text


def _percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def _load(requests: int, errors: int, seconds: float, samples: list[tuple[str, float]]) -> Load:
    """A Load from raw (kind, latency in ms) samples, one per request."""
    latencies = sorted(ms for _, ms in samples)
    by_kind: dict[str, list[float]] = {}
    for kind, ms in samples:
        by_kind.setdefault(kind, []).append(ms)
    return Load(
        requests,
        errors,
        seconds,
        _percentile(latencies, 0.5),
        _percentile(latencies, 0.95),
        _percentile(latencies, 0.99),
        {kind: _percentile(sorted(values), 0.5) for kind, values in by_kind.items()},
        tuple(samples),
    )


def merged(loads: list[Load]) -> Load:
    """One Load of several runs of the same requests: their counts and durations added,
    their percentiles taken over all their samples together, their CPU splits added (when
    every run has one)."""
    pooled = _load(
        sum(load.requests for load in loads),
        sum(load.errors for load in loads),
        sum(load.seconds for load in loads),
        [sample for load in loads for sample in load.samples],
    )
    splits = [load.cpu for load in loads]
    if loads and all(split is not None for split in splits):
        pooled = replace(pooled, cpu=sum(splits, CpuSplit()), generator=loads[0].generator)
    return pooled


# A comparison runs its sides in this many alternating rounds (see `alternating`).
ROUNDS = 3


def alternating(
    sides: dict[str, Callable[[int, int], Load]], *, seconds: int, rounds: int = ROUNDS
) -> dict[str, Load]:
    """Run each side, a function of (seconds, warm-up seconds) that returns a Load, in
    `rounds` rounds of a `rounds`-th of `seconds` each (rounded up), the order reversed
    every other round, and pool each side's rounds (`merged`). Only the first round warms up.

    Two sides measured one after the other on a shared machine each see their own stretch
    of its load: a neighbour busy during one run and not the other moved a ratio by more
    than its target's margin. Alternating short rounds spreads both sides over the same
    stretch, and reversing the order keeps either from always running first.
    """
    share = max(1, -(-seconds // rounds))
    runs: dict[str, list[Load]] = {name: [] for name in sides}
    for round_number, name in in_turns(list(sides), rounds):
        warmup = WARMUP_SECONDS if round_number == 0 else 0
        runs[name].append(sides[name](share, warmup))
    return {name: merged(loads) for name, loads in runs.items()}


def require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise RuntimeError(f"{tool} is not installed; `make bench` installs it")
    return path


def wrk(
    url: str,
    lua: str,
    *,
    seconds: int = 10,
    connections: int = CONCURRENCY,
    threads: int = CONCURRENCY,
    warmup: int = WARMUP_SECONDS,
) -> Load:
    """Run wrk with a Lua script (which must not define `setup`, `init`, `done` or
    `response`; ours surround it, see WRK_THREADS and WRK_REPORT), after an unmeasured
    `warmup` run of the same requests."""
    if connections != threads:
        raise ValueError("the latency samples need one connection per wrk thread")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_THREADS + lua + WRK_REPORT)

    def run(duration: int) -> str:
        return subprocess.run(
            [
                require("wrk"),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + 60,
        ).stdout

    try:
        if warmup:
            run(warmup)
        output, used = measured(lambda: run(seconds))
    finally:
        Path(script.name).unlink()
    match = re.search(r"RESULT requests=(\d+) errors=(\d+) duration_us=(\d+)", output)
    samples = [
        (path, int(us) / 1e3) for path, us in re.findall(r"^SAMPLE (\S+) (\d+)$", output, re.M)
    ]
    if not match or not samples:
        raise RuntimeError(f"could not read wrk's output:\n{output[-3000:]}")
    requests, errors, duration = (int(g) for g in match.groups())
    return replace(_load(requests, errors, duration / 1e6, samples), cpu=used, generator="wrk")


def _session_options() -> str:
    """The libpq options the app's database sessions start with (geo/settings.py)."""
    from django.conf import settings

    return settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")


def pgbench(
    dburl: str,
    sql: str | list[str],
    *,
    seconds: int = 10,
    clients: int = CONCURRENCY,
    jobs: int = CONCURRENCY,
    protocol: str = "prepared",
    warmup: int = 0,
) -> Load:
    """Run pgbench with custom scripts (picked at random, equally); latencies from its log,
    whose lines read `client transaction latency_us script ...`. A `warmup` run of the same
    scripts goes first, unmeasured (only for scripts that can run twice). Its sessions start
    with the settings the app's do (DB_SESSION_OPTIONS, as libpq's PGOPTIONS)."""
    if warmup:
        pgbench(dburl, sql, seconds=warmup, clients=clients, jobs=jobs, protocol=protocol)
    scripts = [sql] if isinstance(sql, str) else sql
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, text in enumerate(scripts):
            path = Path(tmp) / f"script{i}.sql"
            path.write_text(text)
            files += ["-f", str(path)]
        command = [
            require("pgbench"), "-n", "-M", protocol, f"-c{clients}", f"-j{jobs}",
            f"-T{seconds}", "-l", "--log-prefix", str(Path(tmp) / "log"), *files, dburl,
        ]  # fmt: skip
        done, used = measured(
            lambda: subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=False,
                timeout=seconds + 60,
                cwd=tmp,
                env={**os.environ, "PGOPTIONS": _session_options()},
            )
        )
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}):\n{done.stderr[-3000:]}")
        output = done.stdout
        samples = [
            (fields[3], int(fields[2]) / 1e3)
            for log in Path(tmp).glob("log*")
            for fields in map(str.split, log.read_text().splitlines())
        ]
    match = re.search(r"number of transactions actually processed: (\d+)", output)
    tps = re.search(r"tps = ([\d.]+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if not match or not tps or not samples:
        raise RuntimeError(f"could not read pgbench's output:\n{output}")
    count = int(match.group(1))
    load = _load(count, int(failed.group(1)) if failed else 0, count / float(tps.group(1)), samples)
    return replace(load, cpu=used, generator="pgbench")
