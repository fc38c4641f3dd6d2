"""The security and reliability figures printed at the end of a test session.

Tests add to FIGURES as they run; `figures_print` (called from the pytest_terminal_summary
hooks of tests/security and tests/reliability) prints them once, so a CI log always shows
how many bad inputs were tried and what they got.
"""

from __future__ import annotations

from typing import Any

FIGURES: dict[str, int] = {
    "cases tried": 0,
    "4xx returned": 0,
    "5xx returned": 0,
    "other statuses": 0,
    "rows written by bad input": 0,
    "reports acknowledged under load": 0,
    "reports lost under load": 0,
}
_MUST_BE_ZERO = ("5xx returned", "rows written by bad input", "reports lost under load")
_printed = {"done": False}


def figures_print(terminalreporter: Any) -> None:
    """Print the figures once per session, if any security or reliability test ran."""
    if _printed["done"] or not (
        FIGURES["cases tried"] or FIGURES["reports acknowledged under load"]
    ):
        return
    _printed["done"] = True
    terminalreporter.section("civicpin security and reliability figures")
    for name, value in FIGURES.items():
        note = " (must be 0)" if name in _MUST_BE_ZERO else ""
        terminalreporter.write_line(f"{name}: {value}{note}")
