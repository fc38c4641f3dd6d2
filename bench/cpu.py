"""Where a load run's CPU time went: the server, PostgreSQL, the load generator, idle.

A rate says how far a path is from its reference; the split says why. Case 2's filing was
5× pgbench's rate, and only the per-process CPU told the three parts apart: Python in the
server's workers, PostgreSQL running the extra statements, and time the two cores sat idle
while both sync workers waited on a round trip. Everything here is read from /proc at the
start and end of one measured run, so it costs nothing during the run.

- **server**: gunicorn's and uvicorn's processes (ours, the Django floor, TiPg), with what
  a master has reaped (a worker recycled mid-run);
- **database**: every PostgreSQL process (named postgres or postmaster) on this machine,
  with what the postmaster has reaped (pgbench's backends end with its run); a database on
  another host is not seen;
- **load**: this process's waited-for children (wrk or pgbench, which end with the run);
- **idle**: the machine's idle and I/O-wait time (a core with nothing to run);
- **other**: the rest of the machine's time (this harness, the kernel's own threads, any
  neighbour), so that the parts add up to cores × wall time.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

GROUPS = ("server", "database", "load", "idle", "other")
_TICK = 1.0 / os.sysconf("SC_CLK_TCK")
_SERVERS = (b"gunicorn", b"uvicorn")
# How long the end reading waits for the run's own PostgreSQL backends to be reaped.
_REAP_WAIT_SECONDS = 2.0
_SETTLE_SECONDS = 0.02


@dataclass(frozen=True)
class CpuSplit:
    """CPU seconds by group (GROUPS) over one or more measured runs."""

    server: float = 0.0
    database: float = 0.0
    load: float = 0.0
    idle: float = 0.0
    other: float = 0.0

    def __add__(self, other: CpuSplit) -> CpuSplit:
        return CpuSplit(*(getattr(self, g) + getattr(other, g) for g in GROUPS))

    @property
    def total(self) -> float:
        return sum(getattr(self, g) for g in GROUPS)

    def describe(self, requests: int, *, load_name: str) -> str:
        """`CPU per request 5.49 ms: server 2.66, PostgreSQL 1.88, wrk 0.09, idle 0.71,
        other 0.15` (milliseconds of the machine's cores per request)."""
        if requests <= 0:
            return "CPU per request: no requests"
        names = {"database": "PostgreSQL", "load": load_name}
        parts = ", ".join(
            f"{names.get(g, g)} {max(getattr(self, g), 0.0) * 1e3 / requests:.2f}" for g in GROUPS
        )
        return f"CPU per request {self.total * 1e3 / requests:.2f} ms: {parts}"


@dataclass(frozen=True)
class _Reading:
    groups: dict[str, float]
    machine_total: float
    machine_idle: float


def _process_seconds() -> tuple[dict[str, float], int]:
    """CPU seconds of the live server and database processes, with what their parents
    have reaped of their children (cutime + cstime); and how many PostgreSQL processes
    there are."""
    seconds = {"server": 0.0, "database": 0.0}
    databases = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:  # the process ended between listdir and open
            continue
        command = stat[stat.index(b"(") + 1 : stat.rindex(b")")]
        fields = stat[stat.rindex(b")") + 2 :].split()
        # utime, stime, cutime, cstime (proc(5): fields 14 to 17, here from field 3).
        ticks = sum(int(value) for value in fields[11:15])
        if command.startswith((b"postgres", b"postmaster")):
            seconds["database"] += ticks * _TICK
            databases += 1
        elif any(name in cmdline for name in _SERVERS):
            seconds["server"] += ticks * _TICK
    return seconds, databases


def _machine_seconds() -> tuple[float, float]:
    """All cores' time since boot and the part of it idle or waiting for I/O."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user already).
    return sum(fields[:8]) * _TICK, (fields[3] + fields[4]) * _TICK


def _read(*, backends_at_most: int | None = None) -> tuple[_Reading, int]:
    """A reading, and how many PostgreSQL processes it saw.

    A backend whose client has gone (pgbench's, at the end of its run) exits a moment later,
    and for a moment more its time is neither its own nor yet the postmaster's (seen: a
    third of a second of a query's CPU missing from a reading taken right after the client
    disconnected, there again 7 ms later). With `backends_at_most`, the processes are read
    again until there are no more PostgreSQL processes than that and two readings
    _SETTLE_SECONDS apart agree (for at most _REAP_WAIT_SECONDS). The machine's and the
    children's times are taken first, so the wait is not counted as idle.
    """
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total, idle = _machine_seconds()
    groups, databases = _process_seconds()
    if backends_at_most is not None:
        deadline = time.monotonic() + _REAP_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(_SETTLE_SECONDS)
            previous = groups
            groups, databases = _process_seconds()
            if databases <= backends_at_most and groups == previous:
                break
    groups["load"] = children.ru_utime + children.ru_stime
    return _Reading(groups, total, idle), databases


def split_between(start: _Reading, end: _Reading) -> CpuSplit:
    """The CPU each group used between two readings; `other` is the remainder."""
    used = {g: end.groups[g] - start.groups[g] for g in ("server", "database", "load")}
    idle = end.machine_idle - start.machine_idle
    total = end.machine_total - start.machine_total
    return CpuSplit(**used, idle=idle, other=total - idle - sum(used.values()))


def measured(run: Callable[[], T]) -> tuple[T, CpuSplit]:
    """Call `run` (a load run whose generator is a child process waited for inside it) and
    return its result with the CPU split over its duration."""
    start, databases = _read()
    result = run()
    end, _ = _read(backends_at_most=databases)
    return result, split_between(start, end)
