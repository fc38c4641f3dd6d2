"""gunicorn settings for production: `gunicorn -c geo/gunicorn.conf.py geo.wsgi`.

One synchronous worker process per core, behind the city's TLS-terminating proxy (which holds
the clients' keep-alive connections). The threaded worker (gthread) was measured on the
benchmark (bench/, report filing and point lookups at a million reports): it was no faster on
2 cores, where each request's time is Python and database work rather than waiting, and its
kept-alive connections showed sporadic one-second stalls (p99 over 1 s) that the sync worker
does not have. Every value can be overridden with a GUNICORN_* variable or on the command line.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# The listen queue a burst waits in (the kernel caps it at net.core.somaxconn).
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
# A request that runs longer than this is killed and its worker replaced; the slowest
# legitimate answers (an analytics export, a cold low-zoom tile) take a few seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Requests are parsed by gunicorn's C parser (the gunicorn_h1c package), not its pure-Python
# one: about 3 % more filings a second on 2 cores (bench/, case 2, side by side); "fast"
# refuses to start without it rather than fall back unseen.
http_parser = os.environ.get("GUNICORN_HTTP_PARSER", "fast")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")


def post_worker_init(worker) -> None:
    """Keep the cyclic garbage collector off what every request shares: the modules, URL
    patterns, serializers' fields and other objects the loaded application holds."""
    if os.environ.get("GUNICORN_GC_FREEZE", "true").lower() in {"0", "false", "no"}:
        return
    gc.collect()
    gc.freeze()
