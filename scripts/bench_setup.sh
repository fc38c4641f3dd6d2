#!/usr/bin/env bash
# Tools the benchmarks need beyond `make setup`: wrk (HTTP load) and TiPg, the dedicated
# PostGIS tile server we compare against, in its own virtualenv so its FastAPI stack never
# mixes with the project's dependencies. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[bench-setup] %s\n' "$*"; }

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  else
    say "wrk is missing; install it as root: apt-get install -y wrk"
    exit 1
  fi
fi
command -v pgbench >/dev/null 2>&1 || { say "pgbench is missing (postgresql-contrib)"; exit 1; }

if ! .venv-tipg/bin/python -c "import tipg, uvicorn" >/dev/null 2>&1; then
  say "creating .venv-tipg with TiPg"
  "${PYTHON:-python3}" -m venv .venv-tipg
  .venv-tipg/bin/pip install -q --upgrade pip
  .venv-tipg/bin/pip install -q "tipg>=1.0,<2" "uvicorn>=0.30"
fi
say "done"
