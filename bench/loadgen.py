"""Drive HTTP with wrk and SQL with pgbench, and parse what they print."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

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

WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d errors=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d\\n",
    summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
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

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        return (
            f"{self.rate:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms"
        )


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
    """Run wrk with a Lua script (which must not define `done`; ours is appended), after an
    unmeasured `warmup` run of the same requests."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + WRK_REPORT)

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
        output = run(seconds)
    finally:
        Path(script.name).unlink()
    match = re.search(
        r"RESULT requests=(\d+) errors=(\d+) duration_us=(\d+) p50_us=(\d+) p95_us=(\d+) "
        r"p99_us=(\d+)",
        output,
    )
    if not match:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    requests, errors, duration, p50, p95, p99 = (int(g) for g in match.groups())
    return Load(requests, errors, duration / 1e6, p50 / 1e3, p95 / 1e3, p99 / 1e3)


def pgbench(
    dburl: str,
    sql: str | list[str],
    *,
    seconds: int = 10,
    clients: int = CONCURRENCY,
    jobs: int = CONCURRENCY,
    protocol: str = "prepared",
) -> Load:
    """Run pgbench with custom scripts (picked at random, equally); latencies from its log."""
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
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 60, cwd=tmp
        )
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed ({done.returncode}):\n{done.stderr[-3000:]}")
        output = done.stdout
        latencies = sorted(
            int(line.split()[2])
            for log in Path(tmp).glob("log*")
            for line in log.read_text().splitlines()
        )
    match = re.search(r"number of transactions actually processed: (\d+)", output)
    tps = re.search(r"tps = ([\d.]+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if not match or not tps or not latencies:
        raise RuntimeError(f"could not read pgbench's output:\n{output}")
    count = int(match.group(1))
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1e3  # noqa: E731
    seconds_used = count / float(tps.group(1))
    return Load(
        count,
        int(failed.group(1)) if failed else 0,
        seconds_used,
        pick(0.5),
        pick(0.95),
        pick(0.99),
    )
