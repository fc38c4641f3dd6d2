"""Prometheus text-format metrics, written by hand (no client library).

Request counters and latency histograms are kept per process: with N gunicorn workers,
each scrape reaches one worker and sees that worker's counts (Prometheus sums restarts via
`rate()`, and a per-worker `instance` label is what a multi-process scrape would need). The
report gauges (by status, overdue) and the e-mail outbox's gauges come from the database at
scrape time, so they are the same whichever worker answers.

Served at /metrics by geo.middleware.MetricsMiddleware when METRICS_ENABLED is on; with
METRICS_TOKEN set, the scrape must send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from django.db.models import Count, Min, Q
from django.utils import timezone

# Seconds; the upper bounds of the latency histogram's buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_lock = threading.Lock()
_requests: dict[tuple[str, str, str], int] = defaultdict(int)
_latency_buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
_latency_sum: dict[tuple[str, str], float] = defaultdict(float)
_latency_count: dict[tuple[str, str], int] = defaultdict(int)


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration under the view's name."""
    with _lock:
        _requests[(view, method, str(status))] += 1
        key = (view, method)
        buckets = _latency_buckets[key]
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                buckets[i] += 1
        _latency_sum[key] += seconds
        _latency_count[key] += 1


def metrics_reset() -> None:
    """Forget this process's request counters (tests)."""
    with _lock:
        _requests.clear()
        _latency_buckets.clear()
        _latency_sum.clear()
        _latency_count.clear()


def _label(value: str) -> str:
    """Escape a label value as the exposition format requires."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _report_gauges() -> list[str]:
    """Reports by status and open reports past their deadline, from the database."""
    from reports.models import Report, Status

    counts = dict.fromkeys(Status.values, 0)
    for row in Report.objects.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    lines = [
        "# HELP civicpin_reports Reports by status.",
        "# TYPE civicpin_reports gauge",
    ]
    lines += [f'civicpin_reports{{status="{_label(s)}"}} {n}' for s, n in sorted(counts.items())]
    lines += [
        "# HELP civicpin_reports_overdue Open reports past their deadline.",
        "# TYPE civicpin_reports_overdue gauge",
        f"civicpin_reports_overdue {Report.objects.overdue(timezone.now()).count()}",
    ]
    return lines


def _notice_gauges() -> list[str]:
    """The e-mail outbox: what waits, how long the oldest has waited (alert on it: the
    sender is down or the mail server refuses), and what was given up."""
    from reports.models import Notice

    outbox = Notice.objects.aggregate(
        waiting=Count("id", filter=Q(failed_at__isnull=True)),
        given_up=Count("id", filter=Q(failed_at__isnull=False)),
        oldest=Min("created_at", filter=Q(failed_at__isnull=True)),
    )
    age = (timezone.now() - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0.0
    return [
        "# HELP civicpin_notices_waiting E-mail notices not sent yet (due or retrying).",
        "# TYPE civicpin_notices_waiting gauge",
        f"civicpin_notices_waiting {outbox['waiting']}",
        "# HELP civicpin_notices_oldest_waiting_seconds Age of the oldest unsent notice.",
        "# TYPE civicpin_notices_oldest_waiting_seconds gauge",
        f"civicpin_notices_oldest_waiting_seconds {max(age, 0.0):.0f}",
        "# HELP civicpin_notices_given_up E-mail notices given up after every retry.",
        "# TYPE civicpin_notices_given_up gauge",
        f"civicpin_notices_given_up {outbox['given_up']}",
    ]


def metrics_render() -> str:
    """The whole exposition: request counters, latency histograms, report and outbox
    gauges."""
    with _lock:
        requests = sorted(_requests.items())
        hist = sorted(
            (k, list(v), _latency_sum[k], _latency_count[k]) for k, v in _latency_buckets.items()
        )
    lines = [
        "# HELP civicpin_http_requests_total Requests answered, by view, method and status.",
        "# TYPE civicpin_http_requests_total counter",
    ]
    for (view, method, status), n in requests:
        lines.append(
            f'civicpin_http_requests_total{{view="{_label(view)}",method="{method}",'
            f'status="{status}"}} {n}'
        )
    lines += [
        "# HELP civicpin_http_request_duration_seconds Time to answer, by view and method.",
        "# TYPE civicpin_http_request_duration_seconds histogram",
    ]
    name = "civicpin_http_request_duration_seconds"
    for (view, method), buckets, total, count in hist:
        labels = f'view="{_label(view)}",method="{method}"'
        for bound, n in zip(BUCKETS, buckets, strict=True):
            lines.append(f'{name}_bucket{{{labels},le="{bound}"}} {n}')
        lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {count}')
        lines.append(f"{name}_sum{{{labels}}} {total:.6f}")
        lines.append(f"{name}_count{{{labels}}} {count}")
    lines += _report_gauges()
    lines += _notice_gauges()
    return "\n".join(lines) + "\n"
