"""Timing, statistics and the results table shared by every benchmark case."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Stats:
    """Median and spread (min..max) of repeated wall-clock runs, in seconds."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.runs), max(self.runs)

    def describe(self, unit: str = "s") -> str:
        scale = {"s": 1.0, "ms": 1e3}[unit]
        low, high = self.spread
        return f"{self.median * scale:.3g} {unit} ({low * scale:.3g}–{high * scale:.3g})"


def measure(func: Callable[[], object], *, repeat: int = 3, warmup: int = 1) -> Stats:
    """Run `func` `warmup` times unmeasured, then `repeat` times measured."""
    for _ in range(warmup):
        func()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return Stats(tuple(runs))


def measure_side_by_side(
    funcs: dict[str, Callable[[], object]], *, repeat: int = 3, warmup: int = 1
) -> dict[str, Stats]:
    """Measure ours and its references in alternating rounds: each is warmed up, then every
    round runs each once, in an order reversed every other round, and each keeps its own runs.

    A load from elsewhere on a shared machine that comes and goes then falls on all of them
    alike. Measured one after the other (`measure` for each), the first could have the quiet
    minute and the second the busy one: bulk routing read 1.06x and 1.60x shapely's time in
    two runs of the same code an hour apart.
    """
    for func in funcs.values():
        for _ in range(warmup):
            func()
    runs: dict[str, list[float]] = {name: [] for name in funcs}
    for _, name in in_turns(list(funcs), repeat):
        start = time.perf_counter()
        funcs[name]()
        runs[name].append(time.perf_counter() - start)
    return {name: Stats(tuple(times)) for name, times in runs.items()}


def in_turns(names: Sequence[str], rounds: int) -> Iterator[tuple[int, str]]:
    """(round, name) for `rounds` rounds of every name, the order reversed every other round,
    so no side of a comparison always runs first (measure_side_by_side, loadgen.alternating)."""
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            yield round_number, name


@dataclass
class Row:
    """One line of the results table: our figure, its reference, and their ratio."""

    case: str
    ours: str
    reference: str
    reference_name: str
    ratio: float | None
    target: str = ""
    note: str = ""


@dataclass
class Results:
    """Collects rows and readings from every case and writes bench/results.md."""

    scale: float
    rows: list[Row] = field(default_factory=list)
    readings: dict[str, str] = field(default_factory=dict)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, row: Row) -> None:
        self.rows.append(row)
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "n/a"
        print(f"  {row.case}: {row.ours} vs {row.reference_name} {row.reference} → {ratio}")

    def read(self, case: str, text: str) -> None:
        self.readings[case] = text

    def to_markdown(self) -> str:
        mem_gib = _memory_gib()
        lines = [
            "# civicpin benchmark results",
            "",
            f"- date: {self.started:%Y-%m-%d %H:%M} UTC",
            f"- machine: {os.cpu_count()} cores, {mem_gib:.0f} GiB memory, "
            f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
            f"- scale: {self.scale} (1.0 = 1,000,000 reports for the database-level cases)",
            "- each figure: median over repeated runs, with the spread (min–max) in brackets; "
            "the ratio is ours ÷ reference for times, reference ÷ ours for rates, so above 1 "
            "means slower than the reference",
            "",
            "| case | ours | reference | ratio | target |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in self.rows:
            ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "n/a"
            lines.append(
                f"| {row.case} | {row.ours} | {row.reference_name}: {row.reference} "
                f"| {ratio} | {row.target} |"
            )
        if self.readings:
            lines += ["", "## What limits each path", ""]
            for case, text in self.readings.items():
                lines += [f"**{case}.** {text}", ""]
        return "\n".join(lines).rstrip() + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.to_markdown(), encoding="utf-8")


def _memory_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0.0
    return pages * size / 2**30
