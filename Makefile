# The README's two commands, `make demo` and `make test`, share one set-up.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo test lint bench clean-venv

setup:
	./scripts/setup.sh
	$(PY) manage.py migrate --noinput

# The e-mail outbox's sender runs beside the server (its notices print to the console in
# development) and stops with it.
demo: setup
	$(PY) manage.py load_demo
	$(PY) manage.py send_notices --every 5 & sender=$$!; \
	trap 'kill $$sender 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	.venv/bin/pytest

# Benchmarks: `make bench BENCH_ARGS="--scale 0.1 --only routing"`; writes bench/results.md.
bench: setup
	./scripts/bench_setup.sh
	$(PY) -m bench $(BENCH_ARGS)

lint: setup
	.venv/bin/ruff check .

clean-venv:
	rm -rf .venv .venv-tipg
