"""Unit performance figures, as iHaNoi publishes them, computed over a table of reports.

The table has one row per report received in the period (duplicates already excluded: they
are folded into the report they repeat) with columns:

- unit, unit_name: the agency or area the figures are for;
- kind: the category's kind, "on_site" or "administrative";
- status, created_at, due_at (may be null: no deadline), resolved_at (null until resolved);
- rating: the reporter's satisfaction 1..5, or NaN when unrated (optional column: until
  ratings exist the satisfied share is null, never invented).

Transfers out are counted from transfer events (who passed a report on, when), not from the
reports table, and are given separately per unit.

The definitions of every figure are in DEFINITIONS below, which the API repeats in its
answer so a published table always carries its rules.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

OPEN_STATUSES = ("received", "in_progress")
DONE_STATUSES = ("resolved", "closed")
ON_SITE = "on_site"
ADMINISTRATIVE = "administrative"
SATISFIED_MIN_RATING = 4

DEFINITIONS = {
    "received": "reports created in the period, duplicates excluded (rejected ones count)",
    "on_site / administrative": "received, split by the category's kind",
    "resolved": "status resolved or closed, with a resolution time",
    "resolved_on_time / resolved_late": (
        "resolved at or before the deadline (no deadline counts as on time) / after it"
    ),
    "on_time_rate": "resolved on time / resolved; null when nothing was resolved",
    "open": "status received or in progress now",
    "overdue": "open with the deadline already passed",
    "median_hours_to_resolve": "median of resolved_at - created_at over resolved reports",
    "satisfied_share": "ratings of 4 or 5 / rated reports",
    "transfers_out": "transfer events in the period that passed a report on from the unit",
    "rank": (
        "by on-time rate, then received, then name, among units with at least min_sample "
        "reports received; smaller units are listed with rank null"
    ),
}

FIGURES = (
    "received",
    "on_site",
    "administrative",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "on_time_rate",
    "open",
    "overdue",
    "median_hours_to_resolve",
    "rated",
    "satisfied_share",
    "transfers_out",
)


def unit_performance(
    reports: pd.DataFrame,
    *,
    now: dt.datetime,
    transfers_out: Mapping[Any, int] | None = None,
    min_sample: int = 20,
    open_statuses: tuple[str, ...] = OPEN_STATUSES,
    done_statuses: tuple[str, ...] = DONE_STATUSES,
) -> list[dict[str, Any]]:
    """Figures per unit, ranked; see the module docstring for every definition."""
    if reports.empty:
        return []
    frame = reports.copy()
    for column in ("created_at", "due_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    now_ts = pd.Timestamp(now)
    now_ts = now_ts.tz_convert("UTC") if now_ts.tzinfo else now_ts.tz_localize("UTC")
    has_ratings = "rating" in frame
    frame["is_resolved"] = frame["status"].isin(done_statuses) & frame["resolved_at"].notna()
    frame["is_on_time"] = frame["is_resolved"] & (
        frame["due_at"].isna() | (frame["resolved_at"] <= frame["due_at"])
    )
    frame["is_open"] = frame["status"].isin(open_statuses)
    frame["is_overdue"] = frame["is_open"] & (frame["due_at"] < now_ts)
    frame["hours"] = (frame["resolved_at"] - frame["created_at"]).dt.total_seconds() / 3600.0

    rows = []
    for (unit, name), group in frame.groupby(["unit", "unit_name"], sort=True, dropna=False):
        resolved = int(group["is_resolved"].sum())
        on_time = int(group["is_on_time"].sum())
        hours = group.loc[group["is_resolved"], "hours"]
        row: dict[str, Any] = {
            "unit": unit,
            "name": name,
            "received": len(group),
            "on_site": int((group["kind"] == ON_SITE).sum()),
            "administrative": int((group["kind"] == ADMINISTRATIVE).sum()),
            "resolved": resolved,
            "resolved_on_time": on_time,
            "resolved_late": resolved - on_time,
            "on_time_rate": on_time / resolved if resolved else None,
            "open": int(group["is_open"].sum()),
            "overdue": int(group["is_overdue"].sum()),
            "median_hours_to_resolve": float(np.median(hours)) if len(hours) else None,
            "rated": None,
            "satisfied_share": None,
            "transfers_out": int((transfers_out or {}).get(unit, 0)),
        }
        if has_ratings:
            ratings = group["rating"].dropna()
            row["rated"] = len(ratings)
            row["satisfied_share"] = (
                float((ratings >= SATISFIED_MIN_RATING).mean()) if len(ratings) else None
            )
        rows.append(row)
    return _ranked(rows, min_sample)


def _ranked(rows: list[dict[str, Any]], min_sample: int) -> list[dict[str, Any]]:
    eligible = [r for r in rows if r["received"] >= min_sample]
    eligible.sort(key=lambda r: (-(r["on_time_rate"] or 0.0), -r["received"], str(r["name"])))
    for position, row in enumerate(eligible, start=1):
        row["rank"] = position
    for row in rows:
        row.setdefault("rank", None)
    return sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or math.inf, str(r["name"])))
